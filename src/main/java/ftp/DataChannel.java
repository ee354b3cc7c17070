package ftp;

import java.io.Closeable;
import java.io.IOException;
import java.net.BindException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The data connection of one session (RFC 959 §3.2): PASV, EPSV (RFC 2428), PORT and EPRT set up a
 * pending passive listener or an active target, used once by the next transfer. Passive listeners
 * accept only the control connection's peer address (RFC 2577 §8: port theft); active targets must
 * be that peer on a port ≥ 1024 (RFC 2577 §3: bounce).
 */
final class DataChannel {
    /**
     * An open data connection: a plain channel (zero-copy possible), or a TLS socket layered on it
     * after PROT P (RFC 4217 §9), when {@code channel} is null.
     */
    record Conn(Socket socket, SocketChannel channel) implements Closeable {
        @Override public void close() throws IOException { Tls.close(socket); }
    }

    private final Config.Passive config;
    private final Duration timeout;
    private final InetAddress peer;
    private final InetAddress local;
    private final AddressBlocks balancers;     // proxy.trusted: their data connections start with a PROXY header
    private final Metrics metrics;
    private final Log log;
    private Listener listener;                 // guarded by the session's threading rules: one owner at a time
    private InetSocketAddress target;
    private volatile Closeable open;           // what close() must close: the listener or the connection
    private volatile long listening;           // nanoTime a passive listener opened; 0 when there is none
    private final ReentrantLock lock = new ReentrantLock();   // the state above, against the watchdog

    /** A passive listener, counted in the metrics while open; closed once, whoever closes it. */
    private final class Listener implements Closeable {
        final ServerSocketChannel channel;
        private final AtomicBoolean open = new AtomicBoolean(true);

        Listener(ServerSocketChannel channel) {
            this.channel = channel;
            metrics.passive(1);
        }

        @Override public void close() throws IOException {
            if (!open.compareAndSet(true, false)) return;
            metrics.passive(-1);
            channel.close();
        }
    }

    DataChannel(Services services, Duration timeout, InetAddress peer, InetAddress local, Log log) {
        this.config = services.config().passive();
        this.balancers = services.config().proxy().trusted();
        this.metrics = services.metrics();
        this.timeout = timeout;
        this.peer = Addresses.unmap(peer);
        this.local = local;
        this.log = log;
    }

    /** PASV (RFC 959 §4.1.2): an IPv4 listener, announced as h1,h2,h3,h4,p1,p2. */
    Reply pasv() {
        try {
            byte[] a = announced().getAddress();
            int port = passive();
            return Reply.of(227, String.format(Locale.ROOT, "Entering Passive Mode (%d,%d,%d,%d,%d,%d).",
                a[0] & 0xff, a[1] & 0xff, a[2] & 0xff, a[3] & 0xff, port >> 8, port & 0xff));
        } catch (IOException e) {
            log.warn("PASV failed: " + e.getMessage());
            return Reply.of(425, "Can't open passive connection: " + e.getMessage() + ".");
        }
    }

    /**
     * EPSV (RFC 2428 §3): only the port is announced; the client reuses the control connection's
     * address. Its family is the client's: behind a balancer (PROXY header) an IPv6 client's control
     * connection ends at the balancer, whatever family reaches this instance.
     */
    Reply epsv(int family) {
        int ours = peer instanceof Inet6Address ? 2 : 1;
        if (family != 0 && family != ours) return Reply.of(522, "Network protocol not supported, use (" + ours + ")");
        try {
            return Reply.of(229, "Entering Extended Passive Mode (|||" + passive() + "|)");
        } catch (IOException x) {
            log.warn("EPSV failed: " + x.getMessage());
            return Reply.of(425, "Can't open passive connection: " + x.getMessage() + ".");
        }
    }

    /** PORT and EPRT: RFC 2577 §3, a data connection only to the client itself, on an unprivileged port. */
    Reply port(InetSocketAddress target, boolean extended) {
        String verb = extended ? "EPRT" : "PORT";
        InetAddress to = Addresses.unmap(target.getAddress());
        int family = peer instanceof Inet6Address ? 2 : 1;
        if (extended && (to instanceof Inet6Address ? 2 : 1) != family)
            return Reply.of(522, "Network protocol not supported, use (" + family + ")");
        if (!to.equals(peer)) {
            log.warn(verb + " to " + Addresses.text(to) + " refused (FTP bounce)");
            return Reply.of(501, verb + " refused: the address must be your own.");
        }
        if (target.getPort() < 1024) return Reply.of(501, verb + " refused: port below 1024.");
        close();
        this.target = new InetSocketAddress(to, target.getPort());
        return Reply.of(200, verb + " command successful.");
    }

    /** Opens a passive listener on a random free port of passive.ports; replaces any earlier state. */
    private int passive() throws IOException {
        close();
        ServerSocketChannel s = ServerSocketChannel.open();
        try {
            int lo = config.min(), hi = config.max();
            if (lo == 0) {
                s.bind(new InetSocketAddress(local, 0), 1);
            } else {
                int n = hi - lo + 1, start = ThreadLocalRandom.current().nextInt(n);
                for (int i = 0; ; i++) {
                    if (i == n) throw new IOException("every port of passive.ports is in use");
                    try {
                        s.bind(new InetSocketAddress(local, lo + (start + i) % n), 1);
                        break;
                    } catch (BindException busy) {
                        // taken: try the next one
                    }
                }
            }
        } catch (IOException e) {
            s.close();
            throw e;
        }
        Listener l = new Listener(s);
        lock.lock();
        try {
            listener = l;
            open = l;
            listening = System.nanoTime();
        } finally {
            lock.unlock();
        }
        return ((InetSocketAddress) s.getLocalAddress()).getPort();
    }

    /** The address PASV announces: passive.address (looked up now, for dynamic DNS), else ours. */
    private Inet4Address announced() throws IOException {
        InetAddress a = config.address().isEmpty() ? Addresses.unmap(local) : InetAddress.getByName(config.address());
        if (a instanceof Inet4Address v4) return v4;
        throw new IOException("PASV needs an IPv4 address; use EPSV");
    }

    /** Under the lock: the watchdog may have closed an unused listener ({@link #expire}) from its thread. */
    boolean ready() {
        lock.lock();
        try {
            return listener != null || target != null;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The data connection, once: accepts the control peer on the passive listener (dropping and
     * logging anyone else) or connects to the active target. Blocks until then; {@link #close}
     * from another thread (ABOR, the watchdog) ends the wait. Through a balancer (proxy.trusted),
     * the client is the one its PROXY header names; a connection from the balancer without one is
     * refused, so the port-theft check stands as without a balancer.
     */
    SocketChannel connect() throws IOException {
        Listener l;
        InetSocketAddress t;
        lock.lock();
        try {
            l = listener;
            t = target;
            listener = null;
            target = null;
            listening = 0;
        } finally {
            lock.unlock();
        }
        if (l != null) {
            try (l) {
                while (true) {
                    SocketChannel c = l.channel.accept();
                    InetAddress from = Addresses.unmap(((InetSocketAddress) c.getRemoteAddress()).getAddress());
                    if (balancers.contains(from)) {
                        try {
                            ProxyHeader h = ProxyHeader.read(c.socket(), Config.PROXY_DEADLINE);
                            from = Addresses.unmap(h.client(c.socket()).getAddress());
                        } catch (IOException e) {
                            log.warn("data connection from the balancer " + Addresses.text(from) + " refused: "
                                + e.getMessage());
                            c.close();
                            continue;
                        }
                    }
                    if (from.equals(peer)) return tune(c);
                    log.warn("data connection from " + Addresses.text(from)
                        + " refused: the control connection is from " + Addresses.text(peer));
                    c.close();
                }
            }
        }
        if (t == null) throw new IOException("no PORT or PASV");
        SocketChannel c = SocketChannel.open();
        open = c;
        try {
            c.bind(new InetSocketAddress(local, 0));
            c.socket().connect(t, (int) Math.max(1000, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
            return tune(c);
        } catch (IOException e) {
            c.close();
            throw e;
        }
    }

    private SocketChannel tune(SocketChannel c) throws IOException {
        open = c;
        c.setOption(StandardSocketOptions.TCP_NODELAY, true);
        return c;
    }

    /**
     * The watchdog's cleanup: closes a passive listener that has waited more than {@code nanos} for
     * its transfer command; true when it did. Under the lock, so it can't close a newer one.
     */
    boolean expire(long now, long nanos) {
        lock.lock();
        try {
            long t = listening;
            if (t == 0 || now - t <= nanos) return false;
            close();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Closes whatever is pending or open: the listener, or the live connection. */
    void close() {
        Closeable c;
        lock.lock();
        try {
            listening = 0;
            target = null;
            listener = null;
            c = open;
            open = null;
        } finally {
            lock.unlock();
        }
        if (c != null) {
            try {
                // shutdown wakes a sender blocked in the kernel (sendfile), which close alone may not
                if (c instanceof SocketChannel sc && sc.isConnected()) sc.shutdownOutput();
            } catch (IOException ignored) {
                // closing anyway
            }
            try {
                c.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
