package ftp;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The data connection of one session: a pending passive listener (PASV, EPSV) or an active target
 * (PORT, EPRT), used once by the next transfer. Passive listeners accept only the control peer's
 * address (RFC 2577 §8: port theft) and active targets must be that peer on a port ≥ 1024
 * (RFC 2577 §3: bounce); {@link Session} checks the target before calling {@link #active}.
 */
final class DataChannel {
    private static final System.Logger LOG = System.getLogger("ftp");
    private final Config config;
    private final InetAddress peer;
    private final InetAddress local;
    private ServerSocketChannel listener;      // guarded by the session's threading rules: one owner at a time
    private InetSocketAddress target;
    private volatile java.io.Closeable open;   // what abort() must close: the listener or the connection
    private volatile long listening;           // nanoTime a passive listener opened; 0 when there is none
    private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();   // the state above, against the watchdog

    DataChannel(Config config, InetAddress peer, InetAddress local) {
        this.config = config;
        this.peer = unmap(peer);
        this.local = local;
    }

    /** IPv4-mapped IPv6 (::ffff:a.b.c.d) as plain IPv4, so addresses compare equal. */
    static InetAddress unmap(InetAddress a) {
        if (a instanceof Inet6Address) {
            byte[] b = a.getAddress();
            boolean mapped = b[10] == (byte) 0xff && b[11] == (byte) 0xff;
            for (int i = 0; i < 10 && mapped; i++) mapped = b[i] == 0;
            if (mapped) {
                try {
                    return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
                } catch (UnknownHostException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return a;
    }

    InetAddress peer() { return peer; }

    boolean ipv6() { return unmap(local) instanceof Inet6Address; }

    /** Opens a passive listener on a random free port of passive.ports; replaces any earlier state. */
    int passive() throws IOException {
        close();
        ServerSocketChannel s = ServerSocketChannel.open();
        try {
            int lo = config.passiveMin(), hi = config.passiveMax();
            if (lo == 0) {
                s.bind(new InetSocketAddress(local, 0), 1);
            } else {
                int n = hi - lo + 1, start = ThreadLocalRandom.current().nextInt(n);
                for (int i = 0; ; i++) {
                    if (i == n) throw new IOException("every port of passive.ports is in use");
                    try {
                        s.bind(new InetSocketAddress(local, lo + (start + i) % n), 1);
                        break;
                    } catch (java.net.BindException busy) {
                        // taken: try the next one
                    }
                }
            }
        } catch (IOException e) {
            s.close();
            throw e;
        }
        lock.lock();
        try {
            listener = s;
            open = s;
            listening = System.nanoTime();
        } finally {
            lock.unlock();
        }
        return ((InetSocketAddress) s.getLocalAddress()).getPort();
    }

    /** The address PASV announces: passive.address (looked up now, for dynamic DNS), else ours. */
    Inet4Address announced() throws IOException {
        InetAddress a = config.passiveAddress().isEmpty() ? unmap(local) : InetAddress.getByName(config.passiveAddress());
        if (a instanceof Inet4Address v4) return v4;
        throw new IOException("PASV needs an IPv4 address; use EPSV");
    }

    void active(InetSocketAddress to) {
        close();
        target = to;
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
     * from another thread (ABOR, the watchdog) ends the wait.
     */
    SocketChannel connect() throws IOException {
        ServerSocketChannel l;
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
                    SocketChannel c = l.accept();
                    InetAddress from = unmap(((InetSocketAddress) c.getRemoteAddress()).getAddress());
                    if (from.equals(peer)) return tune(c);
                    LOG.log(System.Logger.Level.WARNING, "data connection from " + from.getHostAddress()
                        + " refused: the control connection is from " + peer.getHostAddress());
                    c.close();
                }
            }
        }
        if (t == null) throw new IOException("no PORT or PASV");
        SocketChannel c = SocketChannel.open();
        open = c;
        try {
            c.bind(new InetSocketAddress(local, 0));
            c.socket().connect(t, (int) Math.max(1000, Math.min(Integer.MAX_VALUE, config.dataTimeout().toMillis())));
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
        java.io.Closeable c;
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
