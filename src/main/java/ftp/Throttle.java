package ftp;

import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * A shared rate limit in bytes per second. Every transfer it covers draws from it, so the server's
 * rate.download holds for all downloads together and user.NAME.rate.download for all of that
 * user's sessions together. A virtual clock: each chunk pushes "next free moment" forward by its
 * size / rate, and the taker sleeps until then.
 */
final class Throttle {
    private final long rate;
    private final ReentrantLock lock = new ReentrantLock();   // not synchronized: takers are virtual threads
    private long next = System.nanoTime();

    Throttle(long bytesPerSecond) { this.rate = bytesPerSecond; }

    long rate() { return rate; }

    /** Books {@code n} bytes; returns how many nanoseconds from now they may go. */
    long reserve(long n) {
        lock.lock();
        try {
            long now = System.nanoTime();
            if (next < now) next = now;                        // idle time earns no credit: no bursts
            next += n * 1_000_000_000L / rate;
            return next - now;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Books {@code n} bytes on every limit of {@code limits}; the wait before they may go is the
     * longest of theirs, so a global and a per-user rate don't add up to a slower one.
     */
    static long reserve(Throttle[] limits, long n) {
        long wait = 0;
        for (Throttle t : limits) wait = Math.max(wait, t.reserve(n));
        return wait;
    }

    /**
     * The server's limits (rate.download, rate.upload: all transfers together) and each user's own
     * (user.NAME.rate.*: all of that user's sessions together), made on a user's first transfer.
     */
    static final class Rates {
        private final Throttle downloads, uploads;
        private final ConcurrentHashMap<String, Throttle[]> users = new ConcurrentHashMap<>();

        Rates(long download, long upload) {
            downloads = download > 0 ? new Throttle(download) : null;
            uploads = upload > 0 ? new Throttle(upload) : null;
        }

        /** The limits a transfer of {@code a} draws from: the server's and the user's own (none: full speed). */
        Throttle[] of(Account a, boolean download) {
            Throttle[] mine = users.computeIfAbsent(a.name(), k -> new Throttle[] {
                a.rateDownload() > 0 ? new Throttle(a.rateDownload()) : null,
                a.rateUpload() > 0 ? new Throttle(a.rateUpload()) : null});
            return Stream.of(download ? downloads : uploads, mine[download ? 0 : 1])
                .filter(Objects::nonNull).toArray(Throttle[]::new);
        }

        /** Accounts were reloaded: a changed user.NAME.rate applies from the next transfer. */
        void forgetUsers() { users.clear(); }
    }
}
