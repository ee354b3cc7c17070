package ftp;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The listeners: one platform thread accepts, {@link Guard} admits (before any session thread
 * exists), and each admitted client gets a virtual thread running a {@link Session}. A watchdog on
 * a platform thread enforces every timeout once a second. A stop is graceful. Embeddable:
 * {@code new FtpServer(config).start()}.
 */
final class FtpServer implements AutoCloseable {
    static final byte[] BANNER = Reply.of(220, "FTP server ready.").bytes();

    private final Config config;
    private final Services services;
    private final Set<Session> sessions = ConcurrentHashMap.newKeySet();
    private final AtomicInteger ids = new AtomicInteger();
    private boolean inherited;                   // the listener came from systemd (stdin)
    private ServerSocketChannel listener;
    private ServerSocketChannel implicitListener;  // tls.implicit.port (RFC 4217 §2: implicit FTPS, usually 990)
    private volatile boolean stopping;
    private Admin admin;                         // admin.address: health, metrics, sessions, bans
    private volatile boolean hurry;              // a second signal: the grace is over now
    private final CountDownLatch stopped = new CountDownLatch(1);

    /** Throws IllegalArgumentException (naming the key) when the TLS certificate or transfer.log can't be used. */
    FtpServer(Config config) { this(config, null, null); }

    /** With {@code watched}: when that file changes, {@code loader} reads the accounts again for new logins. */
    FtpServer(Config config, Path watched, Accounts.Loader loader) {
        this.config = config;
        Tls tls;
        try {
            tls = Tls.load(config.ftps());
        } catch (Keys.Bad e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        Throttle.Rates rates = new Throttle.Rates(config.rates().download(), config.rates().upload());
        this.services = new Services(config, new Accounts(config.users(), watched, loader, rates::forgetUsers),
            new Guard(config), new Claims(), rates, Xferlog.open(config.logs().transfers()), tls,
            Cpu.of(Cpu.threads(), Config.CPU_QUEUE), new Metrics());
    }

    /** Binds the port (0: any free one) and starts accepting. */
    FtpServer start() throws IOException {
        ServerSocketChannel l = ServerSocketChannel.open();
        l.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        l.bind(new InetSocketAddress(config.listen().address(), config.listen().port()), 1024);
        return start(l);
    }

    /** Serves a listening socket made elsewhere: systemd socket activation hands one over as stdin. */
    FtpServer start(ServerSocketChannel inherited) throws IOException {
        listener = inherited;
        this.inherited = inherited != null && System.inheritedChannel() == inherited;
        if (services.tls() != null && config.listen().implicitTlsPort() >= 0) {
            implicitListener = ServerSocketChannel.open();
            implicitListener.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            Config.Listen at = config.listen();
            implicitListener.bind(new InetSocketAddress(at.address(), at.implicitTlsPort()), 1024);
            Thread.ofPlatform().name("ftp-accept-tls").start(() -> acceptLoop(implicitListener, true));
            Log.SERVER.info("implicit FTPS on port " + implicitPort());
        }
        Thread.ofPlatform().name("ftp-accept").start(() -> acceptLoop(listener, false));
        // A platform thread: it must run even if every carrier of the virtual threads were stuck.
        Thread.ofPlatform().daemon().name("ftp-watchdog").start(this::watchLoop);
        Log.SERVER.info("listening on " + Addresses.text(address()) + " port " + port()
            + (services.tls() == null ? "" : " (explicit FTPS: AUTH TLS)"));
        admin = Admin.start(config.admin(), new Admin.Hooks(this::views, this::kick, () -> stopping, this::gauges),
            services.metrics(), services.guard());
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

    private SocketAddress localAddress() {
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
                Log.SERVER.warn("accept failed: " + e.getMessage());   // out of files, say: breathe
                sleep(100);
                continue;
            }
            admit(ch, implicitTls);
        }
    }

    private void admit(SocketChannel ch, boolean implicitTls) {
        InetAddress ip;
        try {
            ip = Addresses.unmap(((InetSocketAddress) ch.getRemoteAddress()).getAddress());
        } catch (IOException e) {
            close(ch);
            return;
        }
        services.metrics().accepted();
        if (config.proxy().trusted().contains(ip)) {                 // a balancer: its PROXY header names the client
            Thread.ofVirtual().start(() -> proxied(ch, ip, implicitTls));
            return;
        }
        admit(ch, ip, implicitTls);
    }

    /**
     * A connection from a trusted balancer must begin with a PROXY header (v1 or v2), read with a
     * deadline of its own before anything else; the address in it is the client's for everything
     * after: the caps, bans, logs and both data-connection checks. A bad header, or none in time:
     * closed with a log line and no reply. LOCAL (the balancer's health checks) is the balancer's own.
     */
    private void proxied(SocketChannel ch, InetAddress balancer, boolean implicitTls) {
        InetAddress ip;
        try {
            ip = Addresses.unmap(ProxyHeader.read(ch.socket(), Config.PROXY_DEADLINE).client(ch.socket()).getAddress());
        } catch (IOException e) {
            Log.client(balancer).warn("refused: PROXY header from a trusted balancer: " + e.getMessage());
            services.metrics().refused(Metrics.Refusal.PROXY);
            close(ch);
            return;
        }
        admit(ch, ip, implicitTls);
    }

    private void admit(SocketChannel ch, InetAddress ip, boolean implicitTls) {
        Guard guard = services.guard();
        Guard.Refusal r = stopping ? null : guard.admit(ip);
        if (stopping || r != null) {
            String refusal = r == null ? "Server shutting down." : r.text;
            services.metrics().refused(r == null ? Metrics.Refusal.STOPPING
                : r == Guard.Refusal.BANNED ? Metrics.Refusal.BAN : Metrics.Refusal.CAP);
            Log.client(ip).info("refused: " + refusal);
            try {
                // fits any empty send buffer
                ch.write(ByteBuffer.wrap(("421 " + refusal + "\r\n").getBytes(StandardCharsets.US_ASCII)));
            } catch (IOException ignored) {
                // closing anyway
            }
            close(ch);
            return;
        }
        try {
            if (!implicitTls) ch.write(ByteBuffer.wrap(BANNER));     // at once: no waiting for a thread to start
            Session s = new Session(services, new ControlChannel(ch.socket()), ids.incrementAndGet(), ip, implicitTls,
                this::ended);
            sessions.add(s);
            Thread.ofVirtual().start(s);
        } catch (IOException | RuntimeException | OutOfMemoryError e) {
            Log.client(ip).warn("session not started: " + e);
            guard.release(ip);
            close(ch);
        }
    }

    private void watchLoop() {
        while (stopped.getCount() > 0) {                  // through the grace period too: stalled writers get closed
            sleep(1000);
            long now = System.nanoTime();
            for (Session s : sessions) s.watch(now);
        }
    }

    /** From a session's thread as it ends. */
    private void ended(Session s) {
        if (sessions.remove(s)) services.guard().release(s.client());
    }

    int sessions() { return sessions.size(); }

    /** The admin listener's port, or -1 without one. */
    int adminPort() { return admin == null ? -1 : admin.port(); }

    private List<Session.View> views() {
        return sessions.stream().map(Session::view).sorted(Comparator.comparingInt(Session.View::id)).toList();
    }

    private boolean kick(int id) {
        for (Session s : sessions) {
            if (s.id() == id) {
                s.kick();
                return true;
            }
        }
        return false;
    }

    private Metrics.Gauges gauges() {
        List<Session.View> v = views();
        int in = (int) v.stream().filter(x -> x.user() != null).count(), range = config.passive().min() == 0 ? 0
            : config.passive().max() - config.passive().min() + 1;
        return new Metrics.Gauges(in, v.size() - in, services.guard().bans().size(), range);
    }

    /** Stops accepting and closes every session at once (421 to each). */
    @Override
    public void close() { stop(Duration.ZERO); }

    /**
     * Graceful stop (SIGTERM): no new connections; 421 to every session between commands; running
     * transfers get up to {@code grace} to finish, then everything is closed.
     */
    void stop(Duration grace) {
        stopping = true;
        // Closing the channel inherited from systemd makes the JDK point fds 0-2 at /dev/null, and
        // the log (standard output, the journal) would go with it: that one is closed last, and
        // until then a connection that still arrives gets 421.
        if (!inherited) close(listener);
        close(implicitListener);
        long end = System.nanoTime() + grace.toNanos();
        while (!sessions.isEmpty() && System.nanoTime() - end < 0 && !hurry) {
            for (Session s : sessions) if (!s.transferring()) s.shutdown();
            sleep(50);
        }
        for (Session s : sessions) s.shutdown();          // the grace is over: the idle ones get 421
        awaitSessions();                                  // let them log and write xferlog lines
        for (Session s : sessions) s.kill();              // running transfers are cut, stuck clients closed
        awaitSessions();                                  // their transfers log and write xferlog lines
        services.xferlog().close();
        services.cpu().close();
        if (admin != null) admin.close();
        if (stopped.getCount() > 0) Log.SERVER.info("stopped");
        if (inherited) close(listener);
        stopped.countDown();
    }

    /** During a graceful stop: end the grace now (a second SIGTERM). */
    void hurry() { hurry = true; }

    /** Up to 2 s for the sessions to end. */
    private void awaitSessions() {
        for (int i = 0; i < 40 && !sessions.isEmpty(); i++) sleep(50);
    }

    private static void close(Closeable c) {
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
