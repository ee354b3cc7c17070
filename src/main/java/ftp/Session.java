package ftp;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import ftp.Command.*;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;

/**
 * One control connection: login state, cwd, TYPE, REST and the pending data connection, all owned
 * by the control thread; the dispatch switch; and the coordination with at most one transfer.
 */
final class Session implements Runnable {
    private static final System.Logger LOG = System.getLogger("ftp");
    private static final long NEVER = Long.MAX_VALUE;

    private final FtpServer server;
    private final Config config;
    private final ControlChannel control;
    private final DataChannel data;
    private final int id;
    private final InetAddress peer;
    private long loginSince = System.nanoTime();  // connect, or the last logout: login.timeout counts from here

    private String pendingUser;                 // after USER, before PASS
    private Account account;                    // with jail: logged in
    private String anonymousId;                 // what an anonymous user gave as password: xferlog(5)'s username
    private PathJail jail;
    private int failures;
    private String cwd = "/";
    private boolean ascii = true;               // RFC 959 §3.1.1.1: TYPE A is the default
    private long rest;
    private Target renameFrom;
    private boolean epsvAll;
    private Set<String> facts = Set.copyOf(Listing.FACTS);
    private boolean closing;
    private final boolean implicitTls;          // arrived on tls.implicit.port: TLS from the first byte
    private javax.net.ssl.SSLSocket secure;     // the control connection after AUTH TLS (or implicit)
    private javax.net.ssl.SSLContext tlsContext; // its context: data connections resume sessions from its cache
    private volatile char prot = 'C';           // RFC 4217 §9: C clear, P private data connections
    private volatile Transfer transfer;
    private volatile boolean handshaking;       // AUTH TLS or implicit TLS: the watchdog then closes without a 421
    private final java.util.concurrent.atomic.AtomicBoolean toldToStop = new java.util.concurrent.atomic.AtomicBoolean();   // stop's 421 sent
    private volatile long deadline = NEVER;     // nanoTime when the watchdog ends a silent session

    /** A virtual path and the real path it resolved to inside the jail. */
    private record Target(String virtual, Path real) {}

    @FunctionalInterface
    private interface FileAction { Reply run() throws IOException; }

    Session(FtpServer server, ControlChannel control, int id, boolean implicitTls) {
        this.server = server;
        this.implicitTls = implicitTls;
        this.config = server.config();
        this.control = control;
        this.id = id;
        this.peer = DataChannel.unmap(control.socket().getInetAddress());
        this.data = new DataChannel(config, peer, control.socket().getLocalAddress());
    }

    ControlChannel control() { return control; }

    DataChannel data() { return data; }

    InetAddress peer() { return peer; }

    void log(System.Logger.Level level, String message) {
        LOG.log(level, "[#" + id + " " + peer.getHostAddress() + "] " + message);
    }

    @Override
    public void run() {
        try (control) {
            log(System.Logger.Level.INFO, "connected" + (implicitTls ? " (implicit TLS)" : ""));
            if (implicitTls) {
                arm();                                  // the watchdog bounds the handshake too
                startTls();
                prot = 'P';                             // implicit FTPS protects data by default
                control.reply(220, "FTP server ready.");   // in clear, the acceptor sent it already
            }
            while (!closing) {
                arm();
                String line = control.readLine();
                if (line == null) break;
                deadline = NEVER;
                Command c = Command.parse(line);
                if (!(c instanceof Urgent)) awaitTransfer();   // other verbs run after the transfer, in order
                Reply r;
                try {
                    r = dispatch(c);
                } catch (RuntimeException e) {                  // a bug in one handler costs one command, not the session
                    log(System.Logger.Level.ERROR, "command failed: " + c + ": " + e);
                    r = Reply.of(451, "Local error; command aborted.");
                }
                if (!(c instanceof Rnfr)) renameFrom = null;    // RFC 959: RNTO must follow RNFR at once
                if (!(c instanceof Param)) rest = 0;             // RFC 3659 §5.3: REST, then (PASV/TYPE…) the transfer
                control.reply(r);
            }
        } catch (IOException e) {
            log(System.Logger.Level.DEBUG, "control connection ended: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log(System.Logger.Level.ERROR, "session failed: " + e);
        } finally {
            Transfer t = transfer;
            if (t != null) {
                t.abort();
                try {
                    t.join(java.time.Duration.ofSeconds(2));       // so its log and xferlog lines come before "disconnected"
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            data.close();
            server.ended(this);
            log(System.Logger.Level.INFO, "disconnected");
        }
    }

    /** The next silence limit: login.timeout until logged in, then idle.timeout. */
    private void arm() {
        long now = System.nanoTime(), idle = config.idleTimeout().toNanos(), login = config.loginTimeout().toNanos();
        long d = idle > 0 ? now + idle : NEVER;
        if (jail == null && login > 0) d = Math.min(d, loginSince + login);
        deadline = d;
    }

    /** Called by the server's watchdog about once a second. */
    void watch(long now) {
        long stall = config.dataTimeout().toNanos();
        if (control.writeStalled(now, Math.max(stall, 10_000_000_000L))) {
            control.abort();                       // the client stopped reading replies
            return;
        }
        Transfer t = transfer;
        if (t != null) {
            if (t.stalled(now, stall)) t.stall();
            return;                                // the control connection may be silent during a transfer
        }
        if (stall > 0 && data.expire(now, stall))                 // a PASV nobody uses doesn't hold its port forever
            log(System.Logger.Level.INFO, "passive listener unused for data.timeout; closed");
        long d = deadline;
        if (d != NEVER && now - d > 0) {
            deadline = NEVER;
            log(System.Logger.Level.INFO, "timed out");
            if (handshaking) control.abort();      // mid-handshake a clear-text 421 would be garbage in the TLS stream
            else sayAndClose("Timeout: closing control connection.");
        }
    }

    /** A 421, then the close, on a thread of their own: the watchdog and the stopping thread never wait on one client. */
    private void sayAndClose(String text) {
        Thread.startVirtualThread(() -> {
            try {
                control.reply(421, text);
            } catch (IOException ignored) {
                // gone already
            } finally {
                control.close();
            }
        });
    }

    boolean transferring() { return transfer != null; }

    /** Server shutdown: 421 to a session between commands, then close. */
    void shutdown() {
        if (!toldToStop.compareAndSet(false, true)) return;    // stop() asks every 50 ms: one 421 is enough
        // no clear text into TLS; no waiting on a client that doesn't read
        if (handshaking || control.writeStalled(System.nanoTime(), 0)) control.abort();
        else sayAndClose("Server shutting down.");
    }

    /**
     * The end of the grace period: the transfer is cut (silently, like ABOR; it still logs and
     * writes xferlog) and the connection closed. Aborting matters when the control thread waits in
     * join() for the transfer (a command came during it): closing the socket alone wouldn't wake it.
     */
    void kill() {
        Transfer t = transfer;
        if (t != null) t.abort();
        control.abort();
    }

    private void awaitTransfer() throws InterruptedException {
        Transfer t = transfer;
        if (t != null) t.join();
    }

    /** From the transfer thread: its final reply (null after ABOR), then the session is free again. */
    void transferEnded(Transfer t, Reply r) {
        if (r != null) {
            try {
                control.reply(r);
            } catch (IOException ignored) {
                // the control connection is gone; the control thread will notice
            }
        }
        transfer = null;
        arm();
    }

    Reply dispatch(Command c) throws IOException, InterruptedException {
        return switch (c) {
            case Malformed m -> Reply.of(501, "Syntax error in " + m.verb() + ": " + m.why() + ".");
            case Unknown u when u.verb().isEmpty() -> Reply.of(500, "Empty command line.");
            case Unknown u -> Reply.of(502, "Command not implemented: " + u.verb() + ".");
            case Refused r -> Reply.of(r.code(), r.why());
            case Command x when x.needsLogin() && jail == null -> Reply.of(530, "Please log in with USER and PASS.");
            case Write w when !account.write() -> Reply.of(550, "Permission denied: this account is read-only.");
            case Data d when secureDataRequired() && prot != 'P' -> Reply.of(521, "Data connections must be protected: send PROT P.");
            case Login l when tlsRequired() && secure == null -> Reply.of(530, "TLS required: send AUTH TLS first.");
            // access control
            case User u -> user(u.name());
            case Pass p -> pass(p.password());
            case Acct a -> Reply.of(202, "ACCT not needed.");
            // RFC 4217 §11 would drop a TLS control connection back to clear text: refused instead
            case Rein r when secure != null -> Reply.of(534, "REIN refused: the connection stays encrypted; reconnect instead.");
            case Rein r -> {
                logout();
                facts = Set.copyOf(Listing.FACTS);
                yield Reply.of(220, "Ready for a new user.");
            }
            case Quit q -> {
                awaitTransfer();                    // QUIT lets a running transfer finish first
                closing = true;
                yield Reply.of(221, "Goodbye.");
            }
            case Host h -> jail != null || pendingUser != null
                ? Reply.of(503, "HOST must come before USER.") : Reply.of(220, "Host accepted.");   // RFC 7151 §3
            case Auth a -> auth(a.mechanism());
            // RFC 4217 §8 puts PBSZ before PROT; PROT alone is accepted, as commons-net users often send it so
            case Pbsz p -> secure == null ? Reply.of(503, "PBSZ needs AUTH TLS first.") : Reply.of(200, "PBSZ=0");
            case Prot p -> prot(p.level());
            case Ccc x -> secure == null ? Reply.of(533, "CCC needs a protected control connection.")   // RFC 2228
                                         : Reply.of(534, "CCC refused: the control connection stays encrypted.");
            // directories and files
            case Cwd x -> cwd(x.path(), 250);
            case Cdup x -> cwd("..", 200);
            case Pwd x -> Reply.of(257, Reply.quote(cwd) + " is the current directory.");
            case Mkd x -> file(() -> {
                Target t = target(x.path());
                Files.createDirectory(t.real());
                return Reply.of(257, Reply.quote(t.virtual()) + " created.");
            });
            case Rmd x -> file(() -> rmd(target(x.path())));
            case Dele x -> file(() -> dele(target(x.path())));
            case Rnfr x -> file(() -> rnfr(target(x.path())));
            case Rnto x -> file(() -> rnto(target(x.path())));
            case Size x -> file(() -> size(target(x.path())));
            case Mdtm x -> file(() -> Reply.of(213, Listing.mdtm(Files.getLastModifiedTime(target(x.path()).real()).toInstant())));
            case Mfmt x -> file(() -> homeRefused(target(x.path()), t -> {
                Files.setLastModifiedTime(t.real(), FileTime.from(x.time()));
                return Reply.of(213, "Modify=" + Listing.mdtm(x.time()) + "; " + t.virtual());
            }));
            case SiteChmod x -> file(() -> homeRefused(target(x.path()), t -> chmod(t, x.mode())));
            case SiteHelp x -> Reply.of(214, "SITE commands: HELP, CHMOD mode path.");
            // transfer parameters
            case Type t -> {
                ascii = t.ascii();
                yield Reply.of(200, "Type set to " + (ascii ? "A." : "I (binary)."));
            }
            case Mode m -> Reply.of(200, "Mode set to S.");
            case Stru s -> Reply.of(200, "Structure set to F.");
            case Allo a -> Reply.of(202, "ALLO not needed.");
            // in TYPE A the offset would count file bytes, not those sent: refused here, where clients expect it
            case Rest r when ascii && r.offset() > 0 -> {
                rest = 0;                                        // an earlier REST doesn't survive its refused successor
                yield Reply.of(504, "REST works in TYPE I only; send TYPE I first.");
            }
            case Rest r -> {
                rest = r.offset();
                yield Reply.of(350, "Restarting at " + rest + ". Send RETR, STOR or APPE.");
            }
            case Pasv p -> pasv();
            case Epsv e -> epsv(e);
            case Port p -> port(p);
            // transfers and listings
            case Retr r -> retr(r.path());
            case Stor s -> stor(s.path(), s.append(), false);
            case Stou s -> stor(null, false, true);
            case ListDir l -> list(l.path(), Listing.Form.LIST);
            case Nlst n -> list(n.path(), Listing.Form.NLST);
            case Mlsd m -> list(m.path(), Listing.Form.MLSD);
            case Mlst m -> file(() -> mlst(target(m.path() == null ? "." : m.path())));
            case Abor a -> abor();
            // information
            case Noop n -> Reply.of(200, "NOOP ok.");
            case Syst s -> Reply.of(215, "UNIX Type: L8");
            case Stat s -> stat(s.path());
            case Help h -> help(h.verb());
            case Feat f -> feat();
            case OptsUtf8 o -> Reply.of(200, "UTF8 mode " + (o.on() ? "on." : "off (names stay UTF-8)."));
            case OptsMlst o -> {
                facts = o.facts().stream().filter(Listing.FACTS::contains).collect(Collectors.toUnmodifiableSet());
                yield Reply.of(200, ("MLST OPTS " + Listing.FACTS.stream().filter(facts::contains).map(f -> f + ";").collect(Collectors.joining())).strip());
            }
        };
    }

    // ---- access control (RFC 959 §4.1.1, RFC 2577 §5) ----

    private Reply user(String name) {
        if (jail != null) logout();                  // USER while logged in starts a new login
        pendingUser = name;
        return Reply.of(331, "Password required for " + name + ".");   // the same for every name
    }

    private Reply pass(String password) throws InterruptedException {
        if (jail != null) return Reply.of(230, "Already logged in.");
        if (pendingUser == null) return Reply.of(503, "Send USER first.");
        String name = pendingUser;
        pendingUser = null;
        if (server.guard().banned(peer)) {                  // banned by failures on other connections meanwhile
            closing = true;
            return Reply.of(421, "Too many failed logins from your address; closing.");
        }
        long start = System.nanoTime();
        Account a = Accounts.find(server.accounts(), name);
        // A TLS-only account over clear text fails exactly like a wrong password, whatever was sent:
        // a different reply for the right password would be an oracle (RFC 2577 §5).
        boolean clearRefused = a != null && a.tlsRequired() && secure == null;
        if (Accounts.check(clearRefused ? null : a, password)) {
            try {
                jail = new PathJail(a.home());
            } catch (IOException e) {
                log(System.Logger.Level.ERROR, "home of " + name + " unavailable: " + e);
                return Reply.of(530, "Login failed: home directory unavailable.");
            }
            account = a;
            if (a.password() == null) {                     // anonymous: its "password" is an e-mail-ish id, never a secret
                String id = password.isBlank() ? "anonymous" : password.replaceAll("[\\s\\p{Cntrl}]", "_");
                anonymousId = id.length() > 64 ? id.substring(0, 64) : id;
            }
            cwd = "/";
            log(System.Logger.Level.INFO, "login ok: user '" + Reply.safe(name) + "'");
            return Reply.of(230, "User " + name + " logged in.");
        }
        // One fixed form, address first, for fail2ban (README); the rest is client text.
        log(System.Logger.Level.WARNING, "login failed: user '" + Reply.safe(name) + "'" + (clearRefused ? " (TLS required)" : ""));
        long wait = start + config.failureDelay().toNanos() - System.nanoTime();   // same total time for every failure
        if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        boolean banned = server.guard().failed(peer);
        if (banned || ++failures >= 3) {
            log(System.Logger.Level.WARNING, banned ? "address banned after repeated failed logins" : "too many failed logins; closing");
            closing = true;
            return Reply.of(421, "Too many failed logins; closing.");
        }
        return Reply.of(530, server.tls() != null && secure == null ? "Login incorrect; some accounts need AUTH TLS first." : "Login incorrect.");
    }

    // ---- TLS (RFC 4217) ----

    private boolean tlsRequired() { return server.tls() != null && config.tlsRequired(); }

    private boolean secureDataRequired() { return tlsRequired() || (account != null && account.tlsRequired()); }

    boolean protectData() { return prot == 'P'; }

    /** TLS on an accepted data connection, from the same SSLContext (its session cache lets clients resume). */
    java.net.Socket secureData(java.net.Socket plain) throws IOException {
        javax.net.ssl.SSLSocket s = server.tls().wrap(plain, tlsContext);
        if (config.tlsRequireSessionReuse() && !resumes(s.getSession(), secure.getSession())) {
            s.close();
            log(System.Logger.Level.WARNING, "data connection refused: its TLS session does not resume the control session");
            throw new Transfer.Failed(522, "Data connection refused: it must resume the control connection's TLS session.", null);
        }
        return s;
    }

    /**
     * vsftpd's require_ssl_reuse: the data connection must resume the control connection's TLS
     * session, proof that both come from the same client. JSSE has no "resumed" flag: a resumed
     * TLS 1.2 session keeps its ID; a resumed TLS 1.3 session gets a new ID but inherits the
     * creation time (ms) of the session it resumes, which a fresh handshake would not share.
     */
    static boolean resumes(javax.net.ssl.SSLSession data, javax.net.ssl.SSLSession control) {
        if (java.util.Arrays.equals(data.getId(), control.getId())) return true;
        return data.getProtocol().equals("TLSv1.3") && control.getProtocol().equals("TLSv1.3")
            && data.getCreationTime() == control.getCreationTime() && data.getCipherSuite().equals(control.getCipherSuite());
    }

    private Reply auth(String mechanism) throws IOException {
        if (server.tls() == null) return Reply.of(502, "TLS is not configured on this server.");
        if (secure != null) return Reply.of(503, "Already using TLS.");
        if (!mechanism.equals("TLS") && !mechanism.equals("SSL") && !mechanism.equals("TLS-C") && !mechanism.equals("TLS-P"))
            return Reply.of(504, "AUTH TLS or AUTH SSL.");
        control.reply(234, "AUTH " + mechanism + " ok; start the TLS handshake.");
        arm();                                           // the watchdog bounds the handshake
        startTls();
        if (jail != null || pendingUser != null) logout();   // RFC 2228 §3: after AUTH the user logs in again
        return Reply.NONE;
    }

    /** The handshake; bytes the client pipelined behind AUTH are dropped, never run (CVE-2011-1575). */
    private void startTls() throws IOException {
        handshaking = true;
        try {
            tlsContext = server.tls().current();
            secure = server.tls().wrap(control.socket(), tlsContext);
        } finally {
            handshaking = false;
        }
        control.upgrade(secure);
        log(System.Logger.Level.INFO, "TLS " + secure.getSession().getProtocol() + " " + secure.getSession().getCipherSuite());
    }

    private Reply prot(char level) {
        if (secure == null) return Reply.of(503, "PROT needs AUTH TLS first.");
        if (level == 'C' && secureDataRequired()) return Reply.of(534, "PROT C refused: data connections must be protected.");
        prot = level;
        return Reply.of(200, "Protection level set to " + level + ".");
    }

    private void logout() {
        if (jail != null) loginSince = System.nanoTime();    // a new login gets login.timeout again; REIN alone doesn't
        account = null;
        jail = null;
        pendingUser = null;
        cwd = "/";
        ascii = true;
        rest = 0;
        renameFrom = null;
        epsvAll = false;
        data.close();
    }

    // ---- files and directories ----

    private Target target(String arg) throws IOException {
        try {
            String v = jail.virtual(cwd, arg);
            return new Target(v, jail.resolve(v));
        } catch (InvalidPathException e) {
            throw new AccessDeniedException(arg);
        }
    }

    /** Runs a file action; an IOException becomes the reply code that says why, never a crash. */
    private Reply file(FileAction action) {
        try {
            return action.run();
        } catch (NoSuchFileException e) {
            return Reply.of(550, "No such file or directory.");
        } catch (AccessDeniedException e) {
            return Reply.of(550, "Permission denied.");
        } catch (FileAlreadyExistsException e) {
            return Reply.of(550, "Already exists.");
        } catch (DirectoryNotEmptyException e) {
            return Reply.of(550, "Directory not empty.");
        } catch (NotDirectoryException e) {
            return Reply.of(550, "Not a directory.");
        } catch (FileSystemException e) {
            log(System.Logger.Level.WARNING, "file operation failed: " + e);
            return Reply.of(550, "Requested action not taken.");
        } catch (IOException | UnsupportedOperationException e) {
            log(System.Logger.Level.WARNING, "file operation failed: " + e);
            return Reply.of(451, "Local error; action aborted.");
        }
    }

    private Reply cwd(String path, int code) {
        return file(() -> {
            Target t = target(path);
            if (!Files.readAttributes(t.real(), BasicFileAttributes.class).isDirectory()) return Reply.of(550, "Not a directory.");
            cwd = t.virtual();
            return Reply.of(code, "Directory changed to " + Reply.quote(cwd) + ".");
        });
    }

    /**
     * RFC 3659 §4: the octets a RETR would send now. In TYPE A that is the file with every bare LF
     * counted twice, found by reading it: up to 16 MiB, so SIZE can't be a cheap way to make the
     * server read large files; beyond that, 550.
     */
    private Reply size(Target t) throws IOException {
        BasicFileAttributes a = Files.readAttributes(t.real(), BasicFileAttributes.class);
        if (!a.isRegularFile()) return Reply.of(550, "Not a plain file.");
        if (!ascii) return Reply.of(213, Long.toString(a.size()));
        if (a.size() > 16 << 20) return Reply.of(550, "Too large to count in TYPE A; send TYPE I for SIZE.");
        long n = 0;
        int prev = -1;
        try (var in = java.nio.channels.Channels.newInputStream(FileChannel.open(jail.opening(t.real()), READ, LinkOption.NOFOLLOW_LINKS))) {
            byte[] b = new byte[64 * 1024];
            for (int r; (r = in.read(b)) > 0; ) {
                for (int i = 0; i < r; i++) {
                    if (b[i] == '\n' && prev != '\r') n++;
                    prev = b[i];
                    n++;
                }
            }
        }
        return Reply.of(213, Long.toString(n));
    }

    private interface TargetAction { Reply run(Target t) throws IOException; }

    /** The home itself is not the client's to change (mode, time), as it is not to remove or rename. */
    private static Reply homeRefused(Target t, TargetAction action) throws IOException {
        return t.virtual().equals("/") ? Reply.of(550, "The home directory can't be changed.") : action.run(t);
    }

    private Reply rmd(Target t) throws IOException {
        if (t.virtual().equals("/")) return Reply.of(550, "Can't remove the home directory.");
        if (!Files.isDirectory(t.real(), LinkOption.NOFOLLOW_LINKS)) return Reply.of(550, "Not a directory.");
        Files.delete(t.real());
        return Reply.of(250, "Directory removed.");
    }

    /** Claimed while it runs, as an upload claims its file: neither can slip in between the other's check and act. */
    private Reply dele(Target t) throws IOException {
        if (Files.isDirectory(t.real(), LinkOption.NOFOLLOW_LINKS)) return Reply.of(550, "Is a directory; use RMD.");
        if (!server.claim(t.real())) return busy();
        try {
            Files.delete(t.real());
        } finally {
            server.release(t.real());
        }
        return Reply.of(250, "File deleted.");
    }

    private Reply rnfr(Target t) throws IOException {
        if (t.virtual().equals("/")) return Reply.of(550, "Can't rename the home directory.");
        if (!Files.exists(t.real(), LinkOption.NOFOLLOW_LINKS)) throw new NoSuchFileException(t.virtual());
        if (server.busy(t.real())) return busy();
        renameFrom = t;
        return Reply.of(350, "Ready for RNTO.");
    }

    /** Replaces an existing file, as rename(2) does (upload-then-rename is how clients publish atomically). */
    private Reply rnto(Target to) throws IOException {
        Target from = renameFrom;
        if (from == null) return Reply.of(503, "Send RNFR first.");
        if (to.virtual().equals("/")) return Reply.of(550, "Can't replace the home directory.");
        boolean same = from.real().equals(to.real());
        if (!server.claim(from.real())) return busy();              // both names claimed while it runs (see dele)
        try {
            if (!same && !server.claim(to.real())) return busy();
            try {
                if (server.busyBelow(from.real())) return busy();   // a folder with an upload inside stays put
                if (Files.isDirectory(to.real(), LinkOption.NOFOLLOW_LINKS) && !Files.isSameFile(from.real(), to.real()))
                    throw new FileAlreadyExistsException(to.virtual());
                move(from.real(), to.real());
            } finally {
                if (!same) server.release(to.real());
            }
        } finally {
            server.release(from.real());
        }
        log(System.Logger.Level.INFO, "renamed " + from.virtual() + " to " + to.virtual());
        return Reply.of(250, "Renamed.");
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);   // zip and other file systems
        }
    }

    private Reply chmod(Target t, int mode) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(t.real(), PosixFileAttributeView.class);
        if (view == null) return Reply.of(504, "SITE CHMOD is not supported on this file system.");
        Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] all = PosixFilePermission.values();
        for (int i = 0; i < 9; i++) if ((mode & (0400 >> i)) != 0) perms.add(all[i]);   // setuid, setgid, sticky: never
        view.setPermissions(perms);
        return Reply.of(200, "SITE CHMOD ok.");
    }

    private static Reply busy() { return Reply.of(450, "File busy: an upload is writing it."); }

    // ---- data connections (RFC 959 §4.1.2, RFC 2428, RFC 2577 §3 and §8) ----

    private Reply pasv() {
        if (epsvAll) return Reply.of(501, "PASV not allowed after EPSV ALL.");
        try {
            byte[] a = data.announced().getAddress();
            int port = data.passive();
            return Reply.of(227, String.format("Entering Passive Mode (%d,%d,%d,%d,%d,%d).",
                a[0] & 0xff, a[1] & 0xff, a[2] & 0xff, a[3] & 0xff, port >> 8, port & 0xff));
        } catch (IOException e) {
            log(System.Logger.Level.WARNING, "PASV failed: " + e.getMessage());
            return Reply.of(425, "Can't open passive connection: " + e.getMessage() + ".");
        }
    }

    private Reply epsv(Epsv e) {
        if (e.all()) {
            epsvAll = true;                                  // RFC 2428 §4: from now on only EPSV
            return Reply.of(200, "EPSV ALL ok.");
        }
        if (e.family() != 0 && e.family() != (data.ipv6() ? 2 : 1))
            return Reply.of(522, "Network protocol not supported, use (" + (data.ipv6() ? 2 : 1) + ")");
        try {
            return Reply.of(229, "Entering Extended Passive Mode (|||" + data.passive() + "|)");
        } catch (IOException x) {
            log(System.Logger.Level.WARNING, "EPSV failed: " + x.getMessage());
            return Reply.of(425, "Can't open passive connection: " + x.getMessage() + ".");
        }
    }

    /** RFC 2577 §3: a data connection only to the client itself, on an unprivileged port. */
    private Reply port(Port p) {
        String verb = p.extended() ? "EPRT" : "PORT";
        if (epsvAll) return Reply.of(501, verb + " not allowed after EPSV ALL.");
        InetAddress to = DataChannel.unmap(p.target().getAddress());
        if (p.extended() && (to instanceof Inet6Address) != (peer instanceof Inet6Address))
            return Reply.of(522, "Network protocol not supported, use (" + (peer instanceof Inet6Address ? 2 : 1) + ")");
        if (!to.equals(peer)) {
            log(System.Logger.Level.WARNING, verb + " to " + to.getHostAddress() + " refused (FTP bounce)");
            return Reply.of(501, verb + " refused: the address must be your own.");
        }
        if (p.target().getPort() < 1024) return Reply.of(501, verb + " refused: port below 1024.");
        data.active(new InetSocketAddress(to, p.target().getPort()));
        return Reply.of(200, verb + " command successful.");
    }

    // ---- transfers ----

    private Reply startTransfer(String what, String opening, Transfer.Body body) {
        Transfer t = new Transfer(this, what, opening, server.throttles(account, !upload(what)), body);
        transfer = t;                                            // before it runs: a quick end clears it, never the reverse
        t.start();
        return Reply.NONE;
    }

    private static boolean upload(String what) { return what.startsWith("STOR") || what.startsWith("APPE") || what.startsWith("STOU"); }

    /** One xferlog(5) line per file transfer, the format vsftpd, proftpd and wu-ftpd write. */
    void xferlog(String what, long bytes, long ms, boolean complete) {
        char direction = what.startsWith("RETR") ? 'o' : upload(what) ? 'i' : 0;
        if (direction == 0 || account == null) return;              // listings are not file transfers
        boolean anon = account.password() == null;
        String path = what.substring(5).replaceAll("[\\s\\p{Cntrl}]", "_");
        server.xferlog(String.format(java.util.Locale.ROOT, "%s %d %s %d %s %c _ %c %c %s ftp 0 * %c",
            java.time.ZonedDateTime.now().format(XFERLOG_TIME), Math.max(1, (ms + 500) / 1000), peer.getHostAddress(), bytes,
            path, ascii ? 'a' : 'b', direction, anon ? 'a' : 'r', anon ? anonymousId : account.name(), complete ? 'c' : 'i'));
    }

    private static final java.time.format.DateTimeFormatter XFERLOG_TIME =
        java.time.format.DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", java.util.Locale.ROOT);

    private Reply noData() { return Reply.of(425, "Use PORT, PASV, EPRT or EPSV first."); }

    /** A REST offset counts file bytes, which TYPE A changes on the way: resuming could corrupt the file. */
    private static Reply restInAscii() { return Reply.of(550, "REST works in TYPE I only; send TYPE I and resume again."); }

    private Reply retr(String path) {
        long offset = rest;
        rest = 0;
        boolean asc = ascii;
        return file(() -> {
            Target t = target(path);
            if (!Files.readAttributes(t.real(), BasicFileAttributes.class).isRegularFile()) return Reply.of(550, "Not a plain file.");
            if (asc && offset > 0) return restInAscii();
            if (!data.ready()) return noData();
            FileChannel f = FileChannel.open(jail.opening(t.real()), READ, LinkOption.NOFOLLOW_LINKS);
            long size = f.size();
            if (offset > size) {
                f.close();
                return Reply.of(554, "REST " + offset + " is past the end of the file (" + size + " bytes).");
            }
            String opening = "Opening " + (asc ? "ASCII" : "BINARY") + " mode data connection for " + t.virtual()
                + (asc ? "." : " (" + size + " bytes).");                 // in TYPE A the count would differ
            return startTransfer("RETR " + t.virtual(), opening, tr -> {
                try (f; Transfer.Conn ch = tr.open()) {
                    tr.send(f, offset, ch, asc);
                }
            });
        });
    }

    /**
     * STOR, APPE and STOU. A new file is written in place, so a broken upload can be resumed (REST
     * + STOR, or APPE); REST and APPE write in place; replacing an existing file goes through a
     * temporary file beside it and an atomic rename, so a failed upload leaves the old file whole.
     * A file being uploaded is busy: no other upload, DELE or rename touches it (450).
     */
    private Reply stor(String path, boolean append, boolean unique) {
        long offset = rest;
        rest = 0;
        boolean asc = ascii;
        return file(() -> {
            Target t = target(unique ? "ftp-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16) : path);
            // links resolved now: STOR through a link replaces its target, as APPE writes into it, and the
            // final rename goes to a real path that no link swapped meanwhile can redirect
            Path real = jail.opening(t.real());
            BasicFileAttributes seen = attributesOrNull(real);
            if (seen != null && seen.isDirectory()) return Reply.of(550, "Is a directory.");
            // a FIFO or device would block open(2) or write somewhere that is not a file
            if (seen != null && !seen.isRegularFile()) return Reply.of(550, "Not a plain file.");
            if (asc && offset > 0) return restInAscii();
            if (!data.ready()) return noData();
            if (!server.claim(real)) return busy();
            Path[] temp = {null};                              // claimed as well: nobody renames a file over it
            boolean handedOver = false;                        // after that the transfer thread releases the claims
            try {
                BasicFileAttributes old = attributesOrNull(real);      // again, now that no other upload can change it
                boolean exists = old != null;
                long size = exists ? old.size() : 0;
                long start = append && exists ? size : offset;
                if (start > size) return Reply.of(554, "REST " + offset + " is past the end of the file.");
                boolean inPlace = append || offset > 0 || !exists;
                Path written = inPlace ? real : real.resolveSibling("." + real.getFileName() + ".upload-"
                    + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16));
                if (!inPlace && !server.claim(written)) return busy();
                if (!inPlace) temp[0] = written;
                long limit = uploadLimit(inPlace ? 0 : size);
                if (limit < 0) return Reply.of(552, "Quota exceeded.");
                FileChannel f = FileChannel.open(written, inPlace && exists ? CREATE : CREATE_NEW, WRITE, LinkOption.NOFOLLOW_LINKS);
                boolean cut = inPlace && !append && exists;       // REST + STOR: what lies past the offset goes, once data comes
                f.position(start);
                String opening = unique ? "FILE: " + t.virtual().substring(t.virtual().lastIndexOf('/') + 1)
                                        : "Opening " + (asc ? "ASCII" : "BINARY") + " mode data connection for " + t.virtual() + ".";
                Reply r = startTransfer((unique ? "STOU " : append ? "APPE " : "STOR ") + t.virtual(), opening,
                    tr -> upload(tr, f, real, written, exists, cut, start, asc, limit));
                handedOver = true;
                return r;
            } finally {
                if (!handedOver) {
                    server.release(real);
                    if (temp[0] != null) server.release(temp[0]);
                }
            }
        });
    }

    /**
     * Bytes this upload may write: max.upload.size, and what is left of user.NAME.quota (the home's
     * files summed now; a file being replaced whole counts as freed). 0: no limit; -1: no room at all.
     */
    private long uploadLimit(long replacing) throws IOException {
        long limit = config.maxUploadSize();
        if (account.quota() > 0) {
            long[] used = {0};
            Files.walkFileTree(jail.home(), new java.nio.file.SimpleFileVisitor<>() {
                @Override public java.nio.file.FileVisitResult visitFile(Path p, BasicFileAttributes a) {
                    if (a.isRegularFile()) used[0] += a.size();
                    return java.nio.file.FileVisitResult.CONTINUE;
                }
                @Override public java.nio.file.FileVisitResult visitFileFailed(Path p, IOException e) {
                    return java.nio.file.FileVisitResult.CONTINUE;     // vanished meanwhile (another session's RMD): not counted
                }
            });
            long left = account.quota() - used[0] + replacing;
            if (left <= 0) return -1;
            limit = limit == 0 ? left : Math.min(limit, left);
        }
        return limit;
    }

    private void upload(Transfer tr, FileChannel f, Path real, Path written, boolean existed, boolean cut, long start, boolean asc, long limit) throws IOException {
        boolean done = false;
        try {
            try (f; Transfer.Conn ch = tr.open()) {
                if (cut) f.truncate(start);                          // only now: a data connection that never comes changes nothing
                tr.receive(ch, f, asc, limit);
            } catch (Transfer.Failed e) {
                if (e.reply.code() == 552 && written == real) {      // over the limit: undo what this upload wrote
                    if (existed) {
                        try (FileChannel c = FileChannel.open(real, WRITE)) { c.truncate(start); }
                    } else Files.deleteIfExists(real);
                }
                throw e;
            }
            if (written != real) {
                try {
                    move(written, real);
                } catch (IOException e) {
                    throw new Transfer.Failed(451, "Could not replace the old file; it is unchanged.", e);
                }
            }
            done = true;
        } finally {
            if (!done && written != real) deleteQuietly(written);                            // the old file stays as it was
            if (!done && !existed && written == real && !tr.connected()) deleteQuietly(real);  // no data ever came
            server.release(real);
            if (written != real) server.release(written);
        }
    }

    private static BasicFileAttributes attributesOrNull(Path p) throws IOException {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            log(System.Logger.Level.WARNING, "could not remove " + p + ": " + e);
        }
    }

    private Reply list(String path, Listing.Form form) {
        rest = 0;
        return file(() -> {
            Target t = target(path == null ? "." : path);
            BasicFileAttributes a = Files.readAttributes(t.real(), BasicFileAttributes.class);
            if (form == Listing.Form.MLSD && !a.isDirectory()) return Reply.of(501, "Not a directory; use MLST.");   // RFC 3659 §7.2
            if (!data.ready()) return noData();
            PathJail j = jail;
            boolean w = account.write();
            Set<String> fs = facts;
            return startTransfer(form + " " + t.virtual(), "Opening ASCII mode data connection for file list.", tr -> {
                try (Transfer.Conn ch = tr.open()) {
                    Writer out = new BufferedWriter(new OutputStreamWriter(tr.output(ch), StandardCharsets.UTF_8), 16 * 1024);
                    Listing.write(t.real(), form, j, w, fs, path, out);
                    out.flush();
                }
            });
        });
    }

    private Reply mlst(Target t) throws IOException {
        BasicFileAttributes a = Files.readAttributes(t.real(), BasicFileAttributes.class);
        // RFC 3659 §7.2: the facts line starts with one space, then facts, a space and the path
        return Reply.of(250, "Listing " + t.virtual() + "\n " + Listing.facts(t.real(), a, account.write(), t.virtual().equals("/"), facts) + " " + t.virtual() + "\nEnd.");
    }

    /** RFC 959 §4.1.3: 426 for the aborted transfer, then 226 for the ABOR itself. */
    private Reply abor() throws IOException, InterruptedException {
        Transfer t = transfer;
        if (t == null) {
            data.close();
            return Reply.of(225, "No transfer to abort.");
        }
        boolean aborted = t.abort();
        t.join();
        if (aborted) control.reply(426, "Transfer aborted.");
        return Reply.of(226, "ABOR successful.");
    }

    // ---- information ----

    private Reply stat(String path) throws IOException {
        Transfer t = transfer;
        if (path == null && t != null && t.running()) return Reply.of(213, "Transferring " + t.what() + ": " + t.bytes() + " bytes so far.");
        if (path == null) {
            return Reply.of(211, "FTP server status:\n Connected from " + peer.getHostAddress()
                + "\n " + (jail == null ? "Not logged in" : "Logged in as " + account.name())
                + "\n TYPE: " + (ascii ? "ASCII" : "BINARY") + "; STRUcture: File; transfer MODE: Stream"
                + "\n " + (data.ready() ? "Data connection ready" : "No data connection")
                + "\nEnd of status.");
        }
        Reply r = file(() -> {
            Target target = target(path);
            boolean dir = Files.readAttributes(target.real(), BasicFileAttributes.class).isDirectory();
            control.replyLines(dir ? 212 : 213, "Status of " + target.virtual() + ":",          // RFC 959 §4.2
                out -> Listing.write(target.real(), Listing.Form.LIST, jail, account.write(), facts, null, out), "End of status.");
            return Reply.NONE;
        });
        return r;
    }

    private static Reply help(String verb) {
        if (verb == null) {
            StringBuilder b = new StringBuilder("The following commands are recognized:");
            int i = 0;
            for (String v : Command.VERBS.keySet()) b.append(i++ % 10 == 0 ? "\n " : " ").append(String.format("%-5s", v));
            return Reply.of(214, b.append("\nHelp OK.").toString());
        }
        String h = Command.VERBS.get(verb);
        return h == null ? Reply.of(504, "Unknown command " + verb + ".") : Reply.of(214, "Syntax: " + h);
    }

    private Reply feat() {
        String mlst = Listing.FACTS.stream().map(f -> f + (facts.contains(f) ? "*;" : ";")).collect(Collectors.joining());
        return Reply.of(211, "Features:" + (Main.UTF8_NAMES ? "\n UTF8" : "") + "\n MLST " + mlst + "\n SIZE\n MDTM\n MFMT\n REST STREAM"
            + (server.tls() == null ? "" : (implicitTls ? "" : "\n AUTH TLS") + "\n PBSZ\n PROT")
            + "\n EPSV\n EPRT\n TVFS\n HOST\nEnd.");
    }
}
