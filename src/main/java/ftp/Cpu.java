package ftp;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Work that takes the CPU for long (a PBKDF2 run of a login, counting a file's line ends for SIZE
 * in TYPE A) runs here, on a few platform threads, and never on the carriers of the virtual
 * threads: with two cores, two such jobs on the carriers would hold every other session, even its
 * NOOP. One core is left to the carriers. A session waits for its job parked (no carrier held);
 * the queue is bounded, and a full one refuses the job ({@link Full}: the session answers 421)
 * rather than grow. A session has one command at a time, so at most one job in the queue.
 */
final class Cpu implements AutoCloseable {
    /** Runs each job on the caller's thread: for tests and tools that have no server. */
    static final Cpu INLINE = new Cpu(null);

    /** The queue is full: too much CPU work is waiting already. */
    static final class Full extends IOException {
        Full() { super("too much CPU work waiting; refused"); }
    }

    interface Job<T> { T run() throws IOException; }

    private final ThreadPoolExecutor pool;

    private Cpu(ThreadPoolExecutor pool) { this.pool = pool; }

    /** {@code threads} platform threads (daemons) and room for {@code queue} waiting jobs. */
    static Cpu of(int threads, int queue) {
        ThreadPoolExecutor p = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(queue), Thread.ofPlatform().daemon().name("ftp-cpu-", 0).factory());
        return new Cpu(p);
    }

    /** The cores minus one, at least one. */
    static int threads() { return Math.max(1, Runtime.getRuntime().availableProcessors() - 1); }

    /** Runs {@code job} on a CPU thread and waits, parked; an interrupt while waiting is an InterruptedIOException. */
    <T> T run(Job<T> job) throws IOException {
        if (pool == null) return job.run();
        Future<T> f;
        try {
            f = pool.submit(job::run);
        } catch (RejectedExecutionException e) {
            throw new Full();
        }
        try {
            return f.get();
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for CPU work");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) throw io;
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException(e.getCause());
        }
    }

    @Override
    public void close() {
        if (pool != null) pool.shutdownNow();
    }
}
