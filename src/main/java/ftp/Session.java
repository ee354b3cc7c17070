package ftp;

import ftp.Command.*;
import ftp.Login.LoggedIn;
import ftp.Login.LoggedOut;
import ftp.Login.UserGiven;
import ftp.Transfers.Params;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * One control connection, on its own virtual thread: read a line, parse it into a {@link Command},
 * pass the gates (login, write right, the home, TLS), dispatch it, reply. Its state is its
 * {@link Login} and its transfer {@link Params}; the work is done by {@link Access} (login, TLS),
 * {@link Home} (files and folders), {@link DataChannel} (PASV, PORT…) and {@link Transfers}. The
 * server's watchdog calls {@link #watch}; a stop calls {@link #shutdown} and {@link #kill}.
 */
final class Session implements Runnable {
    private static final long NEVER = Long.MAX_VALUE;

    private final Config.Limits limits;
    private final ControlChannel control;
    private final DataChannel data;
    private final Access access;
    private final Transfers transfers;
    private final Log log;
    private final InetAddress client;
    private final boolean implicitTls;            // arrived on tls.implicit.port: TLS from the first byte
    private final boolean tlsOffered;
    private final Consumer<Session> ended;
    private final AtomicBoolean toldToStop = new AtomicBoolean();
    private volatile long deadline = NEVER;       // nanoTime when the watchdog ends a silent session
    private final int id;
    private final Instant since = Instant.now();
    private volatile Login login = new LoggedOut(System.nanoTime());   // volatile: the admin listener reads it
    private Params params = Params.START;
    private boolean closing;

    Session(Services services, ControlChannel control, int id, InetAddress client, boolean implicitTls,
            Consumer<Session> ended) {
        this.limits = services.config().limits();
        this.control = control;
        this.client = client;
        this.implicitTls = implicitTls;
        this.tlsOffered = services.tls() != null;
        this.ended = ended;
        this.id = id;
        this.log = Log.session(id, client);
        this.data = new DataChannel(services, limits.data(), client, control.socket().getLocalAddress(), log);
        this.access = new Access(services, control, log, client);
        this.transfers = new Transfers(control, data, services, log, client, this::transferEnded);
    }

    InetAddress client() { return client; }

    int id() { return id; }

    /** What GET /sessions shows of one session: read from another thread, so only volatile state. */
    record View(int id, String user, String address, Instant since, String tls, String cwd, String transfer,
                long bytes) {}

    View view() {
        LoggedIn in = login instanceof LoggedIn l ? l : null;
        Transfers.Progress p = transfers.now();
        return new View(id, in == null ? null : in.account().name(), Addresses.text(client), since, access.protection(),
            in == null ? null : in.home().cwd(), p == null ? null : p.what(), p == null ? 0 : p.bytes());
    }

    /** DELETE /sessions/{id}: the transfer is cut (and logged), 421 to the client, and the connection closed. */
    void kick() {
        log.info("closed by the administrator");
        transfers.cut();
        sayAndClose("Closed by the administrator.");
    }

    @Override
    public void run() {
        try (control) {
            log.info("connected" + (implicitTls ? " (implicit TLS)" : ""));
            if (implicitTls) {
                arm();                                  // the watchdog bounds the handshake too
                access.handshake();
                params = params.withProt('P');              // implicit FTPS protects data by default
                control.reply(220, "FTP server ready.");   // in clear, the acceptor sent it already
            }
            while (!closing) {
                arm();
                String line = control.readLine();
                if (line == null) break;
                deadline = NEVER;
                Command c = Command.parse(line);
                if (!(c instanceof Urgent)) transfers.await();   // other verbs run after the transfer, in order
                Reply r;
                try {
                    r = dispatch(c);
                } catch (RuntimeException e) {                  // a bug costs one command, not the session
                    log.error("command failed: " + c + ": " + e);
                    r = Reply.of(451, "Local error; command aborted.");
                }
                if (login instanceof LoggedIn in && !(c instanceof Rnfr)) in.home().forgetRename();
                if (!(c instanceof Param)) params = params.withRest(0);   // RFC 3659 §5.3: REST, (PASV), RETR
                control.reply(r);
                if (r instanceof Reply.Line l && l.code() == 421) closing = true;   // RFC 959 §4.2: 421 closes
            }
        } catch (IOException e) {
            log.debug("control connection ended: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("session failed: " + e);
        } finally {
            transfers.cut();
            transfers.awaitEnd(Config.TRANSFER_END_WAIT);   // so its log and xferlog lines come before "disconnected"
            data.close();
            if (login instanceof LoggedIn in) close(in);
            ended.accept(this);
            log.info("disconnected");
        }
    }

    private Reply dispatch(Command c) throws IOException, InterruptedException {
        return switch (c) {
            case Malformed m -> Reply.of(501, "Syntax error in " + m.verb() + ": " + m.why() + ".");
            case Unknown u when u.verb().isEmpty() -> Reply.of(500, "Empty command line.");
            case Unknown u -> Reply.of(502, "Command not implemented: " + u.verb() + ".");
            case Refused r -> Reply.of(r.code(), r.why());
            // the gates, in order
            case Command x when x.needsLogin() && !(login instanceof LoggedIn) -> Reply.of(530, "Please log in first.");
            case Write w when !user().account().write() -> Reply.of(550, "Permission denied: read-only account.");
            case NotOnHome n when user().home().isHome(n.path()) -> Reply.of(550, "The home can't be changed.");
            case Credentials x when access.tlsRequired() && !access.secure() -> Reply.of(530, "Send AUTH TLS first.");
            case Data d when access.dataMustBeProtected(login) && params.prot() != 'P' ->
                Reply.of(521, "Data connections must be protected: send PROT P.");
            case Pasv p when params.epsvAll() -> Reply.of(501, "PASV not allowed after EPSV ALL.");      // RFC 2428 §4
            case Port p when params.epsvAll() -> Reply.of(501, "PORT and EPRT not allowed after EPSV ALL.");
            // login and TLS
            case User u -> login(access.user(login, u.name()));
            case Pass p -> login(access.pass(login, p.password()));
            case Acct a -> Reply.of(202, "ACCT not needed.");
            case Rein r -> login(access.rein(login));
            case Host h -> access.host(login, h.name());
            case Auth a -> {
                arm();                                  // the watchdog bounds the handshake
                yield login(access.auth(login, a.mechanism()));
            }
            case Pbsz p -> access.pbsz();
            case Prot p when access.protRefused(p.level(), login) instanceof Reply refusal -> refusal;
            case Prot p -> set(params.withProt(p.level()), 200, "Protection level set to " + p.level() + ".");
            case Ccc x -> access.ccc();
            // files and folders
            case Cwd x -> home().cwd(x.path(), 250);
            case Cdup x -> home().cwd("..", 200);
            case Pwd x -> home().pwd();
            case Mkd x -> home().mkd(x.path());
            case Rmd x -> home().rmd(x.path());
            case Dele x -> home().dele(x.path());
            case Rnfr x -> home().rnfr(x.path());
            case Rnto x -> home().rnto(x.path());
            case Size x -> home().size(x.path(), params.ascii());
            case Mdtm x -> home().mdtm(x.path());
            case Mfmt x -> home().mfmt(x.path(), x.time());
            case SiteChmod x -> home().chmod(x.path(), x.mode());
            case SiteHelp x -> Reply.of(214, "SITE commands: HELP, CHMOD mode path.");
            case Mlst x -> home().mlst(x.path(), params.facts());
            case StatPath x -> home().stat(x.path(), params.facts(), control);
            // transfer parameters and data connections
            case Type t -> set(params.withAscii(t.ascii()), 200, "Type set to " + (t.ascii() ? "A." : "I (binary)."));
            case Mode m -> Reply.of(200, "Mode set to S.");
            case Stru s -> Reply.of(200, "Structure set to F.");
            case Allo a -> Reply.of(202, "ALLO not needed.");
            // in TYPE A the offset would count file bytes, not those sent; an earlier REST doesn't survive either
            case Rest r when params.ascii() && r.offset() > 0 -> set(params.withRest(0), 504, "REST needs TYPE I.");
            case Rest r -> set(params.withRest(r.offset()), 350, "Restarting at " + r.offset() + "; now RETR or STOR.");
            case Pasv p -> data.pasv();
            case Epsv e when e.all() -> set(params.withEpsvAll(), 200, "EPSV ALL ok.");
            case Epsv e -> data.epsv(e.family());
            case Port p -> data.port(p.target(), p.extended());
            // transfers
            case Data d -> transfers.start(d, params, user(), access.dataProtection(params.prot()));
            case Abor a -> transfers.abort();
            case Quit q -> quit();
            // information
            case Noop n -> Reply.of(200, "NOOP ok.");
            case Syst s -> Reply.of(215, "UNIX Type: L8");
            case Stat s -> status();
            case Help h -> Command.help(h.verb());
            case Feat f -> Command.features(this::offered, params.facts());
            case OptsUtf8 o -> Reply.of(200, "UTF8 mode " + (o.on() ? "on." : "off (names stay UTF-8)."));
            case OptsMlst o -> facts(o.facts());
        };
    }

    private LoggedIn user() { return (LoggedIn) login; }

    private Home home() { return user().home(); }

    private Reply set(Params p, int code, String text) {
        params = p;
        return Reply.of(code, text);
    }

    /** A login step; a logout resets the transfer parameters (PROT stays with TLS) and the data connection. */
    private Reply login(Access.Step s) {
        if (login instanceof LoggedIn in && s.login() != in) close(in);
        if (login instanceof LoggedIn && !(s.login() instanceof LoggedIn)) {
            params = Params.START.withProt(params.prot());
            data.close();
        }
        login = s.login();
        if (s.close()) closing = true;
        return s.reply();
    }

    /** The end of a login: its home's open folder goes. */
    private void close(LoggedIn in) {
        try {
            in.home().jail().close();
        } catch (IOException e) {
            log.warn("closing the home: " + e);
        }
    }

    /** QUIT lets a running transfer finish first. */
    private Reply quit() throws InterruptedException {
        transfers.await();
        closing = true;
        return Reply.of(221, "Goodbye.");
    }

    /** STAT (RFC 959 §4.1.3): a running transfer's progress, or the session's state. */
    private Reply status() {
        Reply progress = transfers.progress();
        if (progress != null) return progress;
        return Reply.of(211, "FTP server status:\n Connected from " + Addresses.text(client)
            + "\n " + (login instanceof LoggedIn in ? "Logged in as " + in.account().name() : "Not logged in")
            + "\n TYPE: " + (params.ascii() ? "ASCII" : "BINARY") + "; STRUcture: File; transfer MODE: Stream"
            + "\n Control connection: " + access.protection()
            + "\n Data connections: " + access.dataProtection(params.prot(), login)
            + "\n " + (data.ready() ? "Data connection ready" : "No data connection")
            + "\nEnd of status.");
    }

    private boolean offered(Offered o) {
        return switch (o) {
            case ALWAYS -> true;
            case WITH_TLS -> tlsOffered;
            case WITH_EXPLICIT_TLS -> tlsOffered && !implicitTls;
            case WITH_UTF8_NAMES -> PathJail.UTF8_NAMES;
        };
    }

    /** OPTS MLST (RFC 3659 §7.9): the facts MLST and MLSD give from now on; unknown ones are ignored. */
    private Reply facts(List<String> asked) {
        Set<String> f = asked.stream().filter(Listing.FACTS::contains).collect(Collectors.toUnmodifiableSet());
        params = params.withFacts(f);
        return Reply.of(200, ("MLST OPTS " + Listing.FACTS.stream().filter(f::contains).map(x -> x + ";")
            .collect(Collectors.joining())).strip());
    }

    // ---- deadlines and stop ----

    /** The next silence limit: login.timeout until logged in (from the connect or last logout), then idle.timeout. */
    private void arm() {
        long now = System.nanoTime(), idle = limits.idle().toNanos(), loginLimit = limits.login().toNanos();
        long d = idle > 0 ? now + idle : NEVER;
        long since = switch (login) {
            case LoggedOut o -> o.since();
            case UserGiven u -> u.since();
            case LoggedIn in -> NEVER;
        };
        if (since != NEVER && loginLimit > 0) d = Math.min(d, since + loginLimit);
        deadline = d;
    }

    /** From the transfer thread as it ends: idle.timeout counts from the end of the transfer. */
    private void transferEnded() {
        long idle = limits.idle().toNanos();
        deadline = idle > 0 ? System.nanoTime() + idle : NEVER;
    }

    /** Called by the server's watchdog about once a second. */
    void watch(long now) {
        long stall = limits.data().toNanos();
        if (control.writeStalled(now, Math.max(stall, Config.WRITE_STALL.toNanos()))) {
            control.abort();                       // the client stopped reading replies
            return;
        }
        if (transfers.watch(now, stall)) return;   // the control connection may be silent during a transfer
        if (stall > 0 && data.expire(now, stall)) log.info("passive listener unused for data.timeout; closed");
        long d = deadline;
        if (d != NEVER && now - d > 0) {
            deadline = NEVER;
            log.info("timed out");
            if (control.handshaking()) control.abort();   // a clear-text 421 would be garbage in the TLS stream
            else sayAndClose("Timeout: closing control connection.");
        }
    }

    boolean transferring() { return transfers.running(); }

    /** Server shutdown: 421 to a session between commands, then close. */
    void shutdown() {
        if (!toldToStop.compareAndSet(false, true)) return;    // stop() asks every 50 ms: one 421 is enough
        // no clear text into TLS; no waiting on a client that doesn't read
        if (control.handshaking() || control.writeStalled(System.nanoTime(), 0)) control.abort();
        else sayAndClose("Server shutting down.");
    }

    /**
     * The end of the grace period: the transfer is cut (silently, like ABOR; it still logs and
     * writes xferlog) and the connection closed. Aborting matters when the control thread waits for
     * the transfer (a command came during it): closing the socket alone wouldn't wake it.
     */
    void kill() {
        transfers.cut();
        control.abort();
    }

    /** A 421, then the close, on a thread of their own: the watchdog and the stop never wait on one client. */
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
}
