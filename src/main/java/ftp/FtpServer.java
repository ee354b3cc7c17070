package ftp;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The listener: one platform thread accepts, {@link Guard} admits (before any session thread
 * exists), and each admitted client gets a virtual thread running a {@link Session}. A watchdog
 * virtual thread enforces every timeout once a second. Embeddable: {@code new FtpServer(config).start()}.
 */
final class FtpServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("ftp");
    static final byte[] BANNER = Reply.of(220, "FTP server ready.").bytes();

    private volatile Config config;             // accounts may be replaced by reload(); the rest is fixed at start
    private final Guard guard;
    private final Tls tls;                       // null without tls.certificate
    private final Set<Session> sessions = ConcurrentHashMap.newKeySet();
    private final Set<Path> uploading = ConcurrentHashMap.newKeySet();
    private final AtomicInteger ids = new AtomicInteger();
    private final Throttle downloads, uploads;   // rate.download / rate.upload: all transfers together
    private final ConcurrentHashMap<String, Throttle[]> userRates = new ConcurrentHashMap<>();
    private final java.io.PrintStream xferlog;
    private boolean inherited;                   // the listener came from systemd (stdin)
    private ServerSocketChannel listener;
    private ServerSocketChannel implicitListener;  // tls.implicit.port (RFC 4217 §2: implicit FTPS, usually 990)
    private Thread acceptor;
    private volatile boolean stopping;
    private final java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);

    /** Throws IllegalArgumentException (naming the key) when the TLS certificate or transfer.log can't be used. */
    FtpServer(Config config) {
        this.config = config;
        this.guard = new Guard(config);
        this.downloads = config.rateDownload() > 0 ? new Throttle(config.rateDownload()) : null;
        this.uploads = config.rateUpload() > 0 ? new Throttle(config.rateUpload()) : null;
        try {
            this.tls = Tls.load(config);
        } catch (Config.Bad e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        try {
            this.xferlog = config.transferLog() == null ? null : new java.io.PrintStream(java.nio.file.Files.newOutputStream(
                config.transferLog(), java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND), true, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("transfer.log: cannot open " + config.transferLog() + ": " + e.getMessage(), e);
        }
    }

    Tls tls() { return tls; }

    Config config() { return config; }

    Guard guard() { return guard; }

    /** Binds the port (0: any free one) and starts accepting. */
    FtpServer start() throws IOException {
        ServerSocketChannel l = ServerSocketChannel.open();
        l.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        l.bind(new InetSocketAddress(config.address(), config.port()), 1024);
        return start(l);
    }

    /** Serves a listening socket made elsewhere: systemd socket activation hands one over as stdin. */
    FtpServer start(ServerSocketChannel inherited) throws IOException {
        listener = inherited;
        this.inherited = inherited != null && System.inheritedChannel() == inherited;
        if (tls != null && config.tlsImplicitPort() >= 0) {
            implicitListener = ServerSocketChannel.open();
            implicitListener.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            implicitListener.bind(new InetSocketAddress(config.address(), config.tlsImplicitPort()), 1024);
            Thread.ofPlatform().name("ftp-accept-tls").start(() -> acceptLoop(implicitListener, true));
            LOG.log(System.Logger.Level.INFO, "implicit FTPS on port " + implicitPort());
        }
        acceptor = Thread.ofPlatform().name("ftp-accept").start(() -> acceptLoop(listener, false));
        // A platform thread: it must run even if every carrier of the virtual threads were stuck.
        Thread.ofPlatform().daemon().name("ftp-watchdog").start(this::watchLoop);
        LOG.log(System.Logger.Level.INFO, "listening on " + address().getHostAddress() + " port " + port()
            + (tls == null ? "" : " (explicit FTPS: AUTH TLS)"));
        return this;
    }

    /** The implicit FTPS port, or -1. */
    int implicitPort() {
        try {
            return implicitListener == null ? -1 : ((InetSocketAddress) implicitListener.getLocalAddress()).getPort();
        } catch (IOException e) {
            return -1;
        }
    }

    int port() { return ((InetSocketAddress) localAddress()).getPort(); }

    InetAddress address() { return ((InetSocketAddress) localAddress()).getAddress(); }

    private java.net.SocketAddress localAddress() {
        try {
            return listener.getLocalAddress();
        } catch (IOException e) {
            throw new IllegalStateException("not listening", e);
        }
    }

    /** Blocks until {@link #stop} has finished. */
    void await() throws InterruptedException { stopped.await(); }

    private void acceptLoop(ServerSocketChannel from, boolean implicitTls) {
        while (!stopping) {
            SocketChannel ch;
            try {
                ch = from.accept();
            } catch (ClosedChannelException e) {
                break;
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "accept failed: " + e.getMessage());   // out of files, say: breathe
                sleep(100);
                continue;
            }
            admit(ch, implicitTls);
        }
    }

    private void admit(SocketChannel ch, boolean implicitTls) {
        InetAddress ip;
        try {
            ip = DataChannel.unmap(((InetSocketAddress) ch.getRemoteAddress()).getAddress());
        } catch (IOException e) {
            close(ch);
            return;
        }
        String refusal = stopping ? "Server shutting down." : guard.admit(ip);
        if (refusal != null) {
            LOG.log(System.Logger.Level.INFO, "[" + ip.getHostAddress() + "] refused: " + refusal);
            try {
                ch.write(ByteBuffer.wrap(("421 " + refusal + "\r\n").getBytes(StandardCharsets.US_ASCII)));  // fits any empty send buffer
            } catch (IOException ignored) {
                // closing anyway
            }
            close(ch);
            return;
        }
        try {
            if (!implicitTls) ch.write(ByteBuffer.wrap(BANNER));     // at once: the client needn't wait for a thread to start
            Session s = new Session(this, new ControlChannel(ch.socket()), ids.incrementAndGet(), implicitTls);
            sessions.add(s);
            Thread.ofVirtual().start(s);
        } catch (IOException | RuntimeException | OutOfMemoryError e) {
            LOG.log(System.Logger.Level.WARNING, "[" + ip.getHostAddress() + "] session not started: " + e);
            guard.release(ip);
            close(ch);
        }
    }

    private void watchLoop() {
        while (stopped.getCount() > 0) {                  // through the grace period too: stalled writers still get closed
            sleep(1000);
            long now = System.nanoTime();
            for (Session s : sessions) s.watch(now);
        }
    }

    /** From a session's thread as it ends. */
    void ended(Session s) {
        if (sessions.remove(s)) guard.release(s.peer());
    }

    int sessions() { return sessions.size(); }

    // Uploads in progress, by real path: a file being written is not renamed, deleted or rewritten.
    boolean claim(Path p) { return uploading.add(key(p)); }

    void release(Path p) { uploading.remove(key(p)); }

    /** Whether an upload (or a DELE/RNTO) holds {@code p} or anything under it (a directory can't be renamed away beneath one). */
    boolean busy(Path p) { return uploading.contains(key(p)) || busyBelow(p); }

    /** Whether something strictly under {@code p} is claimed. */
    boolean busyBelow(Path p) {
        Path k = key(p);
        for (Path u : uploading) if (u.startsWith(k) && !u.equals(k)) return true;   // a handful at most: what runs now
        return false;
    }

    /** By real path, so two names for one file (a link to a folder inside the home) share one claim. */
    private static Path key(Path p) {
        try {
            return PathJail.real(p);
        } catch (IOException | RuntimeException e) {
            return p.toAbsolutePath().normalize();
        }
    }

    /** Stops accepting and closes every session at once (421 to each). */
    @Override
    public void close() { stop(java.time.Duration.ZERO); }

    /**
     * Graceful stop (SIGTERM): no new connections; 421 to every session between commands; running
     * transfers get up to {@code grace} to finish, then everything is closed.
     */
    void stop(java.time.Duration grace) {
        stopping = true;
        // Closing the channel inherited from systemd makes the JDK point fds 0-2 at /dev/null, and
        // the log (standard output, the journal) would go with it: that one is closed last, and
        // until then a connection that still arrives gets 421.
        if (!inherited) close(listener);
        close(implicitListener);
        long end = System.nanoTime() + grace.toNanos();
        while (!sessions.isEmpty() && System.nanoTime() - end < 0) {
            for (Session s : sessions) if (!s.transferring()) s.shutdown();
            sleep(50);
        }
        for (Session s : sessions) s.shutdown();          // the grace is over: the idle ones get 421
        awaitSessions();                                  // let them log and write xferlog lines
        for (Session s : sessions) s.kill();              // running transfers are cut, stuck clients closed
        awaitSessions();                                  // their transfers log and write xferlog lines
        if (xferlog != null) xferlog.close();
        if (stopped.getCount() > 0) LOG.log(System.Logger.Level.INFO, "stopped");
        if (inherited) close(listener);
        stopped.countDown();
    }

    boolean stopping() { return stopping; }

    /** Up to 2 s for the sessions to end. */
    private void awaitSessions() {
        for (int i = 0; i < 40 && !sessions.isEmpty(); i++) sleep(50);
    }

    /** The rate limits a transfer of {@code a} draws from: the server's and the user's own. */
    Throttle[] throttles(Account a, boolean download) {
        Throttle global = download ? downloads : uploads;
        Throttle[] mine = userRates.computeIfAbsent(a.name(), k -> new Throttle[] {
            a.rateDownload() > 0 ? new Throttle(a.rateDownload()) : null, a.rateUpload() > 0 ? new Throttle(a.rateUpload()) : null});
        Throttle own = mine[download ? 0 : 1];
        return java.util.stream.Stream.of(global, own).filter(java.util.Objects::nonNull).toArray(Throttle[]::new);
    }

    void xferlog(String line) {
        java.io.PrintStream p = xferlog;
        if (p != null) p.println(line);                  // PrintStream locks per call: lines never interleave
    }

    // ---- accounts reload: a changed config file takes effect for new logins ----
    private Path reloadFile;
    private long reloadStamp;
    private final java.util.concurrent.locks.ReentrantLock reloading = new java.util.concurrent.locks.ReentrantLock();

    /** Watch {@code file}: when it changes, its accounts replace the current ones at the next login. */
    void reloadFrom(Path file) {
        reloadFile = file;
        reloadStamp = stamp(file);
    }

    /** The current settings, for a login; re-reads the config file when its time or size changed. */
    Config accounts() {
        Path f = reloadFile;
        if (f == null) return config;
        reloading.lock();                                // one stat per login: an edit counts at once
        try {
            long st = stamp(f);
            if (st != reloadStamp) {
                reloadStamp = st;
                try {
                    Config fresh = Config.load(f, null);
                    config = config.withAccountsOf(fresh);
                    userRates.clear();
                    LOG.log(System.Logger.Level.INFO, "config reloaded: " + fresh.users().size() + " users" + (fresh.anonymous() != null ? " and anonymous" : ""));
                } catch (Config.Bad e) {
                    LOG.log(System.Logger.Level.WARNING, "config changed but is invalid; keeping the old accounts: " + e.getMessage());
                }
            }
        } finally {
            reloading.unlock();
        }
        return config;
    }

    private static long stamp(Path f) {
        try {
            var a = java.nio.file.Files.readAttributes(f, java.nio.file.attribute.BasicFileAttributes.class);
            return a.lastModifiedTime().toMillis() * 31 + a.size();
        } catch (IOException e) {
            return 0;
        }
    }

    private static void close(java.io.Closeable c) {
        try {
            if (c != null) c.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
