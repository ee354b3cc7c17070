package ftp;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Admission control (RFC 2577 §5): the global and per-address connection caps, checked before a
 * session thread exists, and a temporary ban for an address that fails to log in too often. Both
 * maps are bounded: the caps map holds only addresses with live connections, the failure map at
 * most {@link Config#TRACKED_ADDRESSES} addresses (the oldest forgotten first).
 */
final class Guard {
    private final Config.Limits limits;
    private final Config.Logins logins;
    private final AtomicInteger total = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, AtomicInteger> perAddress = new ConcurrentHashMap<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<InetAddress, long[]> failures = new LinkedHashMap<>(16, 0.75f, true) {
        @Override protected boolean removeEldestEntry(Map.Entry<InetAddress, long[]> e) {
            return size() > Config.TRACKED_ADDRESSES;
        }
    };

    Guard(Config config) {
        this.limits = config.limits();
        this.logins = config.logins();
    }

    /** Why a connection is turned away (421); its text is the reply's. */
    enum Refusal {
        BANNED("Too many failed logins from your address; try again later."),
        FULL("Too many connections; try again later."),
        ADDRESS_FULL("Too many connections from your address.");

        final String text;

        Refusal(String text) { this.text = text; }
    }

    /** Null when {@code ip} may connect (and is now counted), else why not. */
    Refusal admit(InetAddress ip) {
        if (banned(ip)) return Refusal.BANNED;
        if (total.incrementAndGet() > limits.connections()) {
            total.decrementAndGet();
            return Refusal.FULL;
        }
        boolean[] over = {false};
        perAddress.compute(ip, (k, v) -> {                 // count and check in one step: release can't interleave
            AtomicInteger n = v == null ? new AtomicInteger() : v;
            over[0] = n.incrementAndGet() > limits.connectionsPerAddress();
            if (over[0]) n.decrementAndGet();
            return n.get() == 0 ? null : n;
        });
        if (over[0]) {
            total.decrementAndGet();
            return Refusal.ADDRESS_FULL;
        }
        return null;
    }

    void release(InetAddress ip) {
        total.decrementAndGet();
        perAddress.computeIfPresent(ip, (k, v) -> v.decrementAndGet() <= 0 ? null : v);
    }

    int connections() { return total.get(); }

    /** Counts a failed login; true when the address is now banned. Entry: {count, windowStart, bannedUntil}. */
    boolean failed(InetAddress ip) {
        long now = System.nanoTime(), window = logins.ban().toNanos();
        lock.lock();
        try {
            long[] f = failures.computeIfAbsent(ip, k -> new long[] {0, now, 0});
            if (now - f[1] > window) {
                f[0] = 0;
                f[1] = now;
            }
            if (++f[0] >= logins.maxFailures()) {
                f[2] = now + window;
                f[0] = 0;
                f[1] = now;
                return true;
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** The addresses banned now and the seconds left of each, for the admin listener. */
    Map<InetAddress, Long> bans() {
        long now = System.nanoTime();
        Map<InetAddress, Long> m = new LinkedHashMap<>();
        lock.lock();
        try {
            failures.forEach((ip, f) -> {
                if (f[2] != 0 && now - f[2] < 0) m.put(ip, (f[2] - now) / 1_000_000_000L + 1);
            });
        } finally {
            lock.unlock();
        }
        return m;
    }

    /** Lifts the ban of {@code ip} (and forgets its failures); false when it was not banned. */
    boolean lift(InetAddress ip) {
        lock.lock();
        try {
            boolean was = banned(ip);
            failures.remove(ip);
            return was;
        } finally {
            lock.unlock();
        }
    }

    boolean banned(InetAddress ip) {
        lock.lock();
        try {
            long[] f = failures.get(ip);
            return f != null && f[2] != 0 && System.nanoTime() - f[2] < 0;
        } finally {
            lock.unlock();
        }
    }
}
