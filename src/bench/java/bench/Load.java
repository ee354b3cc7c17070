package bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleConsumer;

/** What the bench does to a server: one session's transfers and listings, and crowds of clients at once. */
final class Load {
    static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    /** How long a crowd waits for all its clients to connect (and log in) before the clock starts anyway. */
    static final long READY = 10 * SECOND;

    private Load() {}

    static double retr(Server t, String name, long size) throws Exception {
        try (Ftp f = new Ftp(t).login(); SocketChannel d = f.pasv()) {
            long t0 = System.nanoTime();
            Ftp.expect(f.cmd("RETR " + name), "1");
            long n = Ftp.drain(d, Ftp.READ);
            Ftp.expect(f.reply(), "226");
            if (n != size) throw new IOException("short RETR: " + n);
            return size / 1e6 / ((System.nanoTime() - t0) / 1e9);
        }
    }

    static double stor(Server t, String name, Path src, long size) throws Exception {
        return stor(t, name, src, size, s -> {});
    }

    /**
     * The same; {@code tail} is told the seconds from the last byte sent to the 226: what the server does
     * once the data has come (on an object store, sending the object and copying it onto the target).
     */
    static double stor(Server t, String name, Path src, long size, DoubleConsumer tail) throws Exception {
        try (Ftp f = new Ftp(t).login(); SocketChannel d = f.pasv()) {
            long t0 = System.nanoTime();
            Ftp.expect(f.cmd("STOR " + name), "1");
            try (FileChannel in = FileChannel.open(src)) {
                long pos = 0;
                while (pos < size) pos += in.transferTo(pos, size - pos, d);
            }
            d.shutdownOutput();                                     // the end of the file (RFC 959 §3.4, stream mode)
            long sent = System.nanoTime();
            Ftp.expect(f.reply(), "226");
            long end = System.nanoTime();
            tail.accept((end - sent) / 1e9);
            return size / 1e6 / ((end - t0) / 1e9);
        }
    }

    /** DELE on a session of its own; a file that is not there is no error. */
    static void delete(Server t, String name) throws IOException {
        try (Ftp f = new Ftp(t).login()) {
            String r = f.cmd("DELE " + name);
            if (!r.startsWith("250") && !r.startsWith("550")) throw new IOException("DELE " + name + ": " + r);
        }
    }

    /** Sequential logins (connect, USER, PASS, QUIT: nothing else) per second: 1,000 of them or 2 s. */
    static double logins(Server t) throws Exception {
        long t0 = System.nanoTime(), stop = t0 + 2 * SECOND;
        int done = 0;
        for (; done < 1000 && System.nanoTime() < stop; done++) login(t, stop + 30 * SECOND);
        return done / ((System.nanoTime() - t0) / 1e9);
    }

    static void login(Server t, long deadline) throws IOException {
        try (Ftp f = new Ftp(t, deadline)) {
            Ftp.expect(f.cmd("USER " + t.user), "331");
            Ftp.expect(f.cmd("PASS " + t.password), "230");
            Ftp.expect(f.cmd("QUIT"), "221");
        }
    }

    /** 4 KiB uploads per second on one session, each a STOR of a new file: 500 of them or 3 s. */
    static double uploads(Server t) throws Exception {
        try (Ftp f = new Ftp(t).login()) {
            String dir = newFolder(f);
            long t0 = System.nanoTime(), stop = t0 + 3 * SECOND;
            int done = 0;
            for (; done < 500 && System.nanoTime() < stop; done++) upload(f, dir + "/f" + done);
            return done / ((System.nanoTime() - t0) / 1e9);
        }
    }

    private static final ByteBuffer FOUR_KIB = ByteBuffer.allocateDirect(4096);

    static void upload(Ftp f, String name) throws IOException {
        try (SocketChannel d = f.pasv()) {
            Ftp.expect(f.cmd("STOR " + name), "1");
            ByteBuffer b = FOUR_KIB.duplicate();
            while (b.hasRemaining()) d.write(b);
        }
        Ftp.expect(f.reply(), "226");
    }

    /** A new folder for new files: replacing files is another job (a temporary file and a rename). */
    static String newFolder(Ftp f) throws IOException {
        String dir = "up-" + System.nanoTime() + "-" + Thread.currentThread().threadId();
        Ftp.expect(f.cmd("MKD " + dir), "257");
        return dir;
    }

    /** LIST of a folder on one session, median of 3 (ms); checks that every entry came. */
    static double list(Server t, String dir, int entries) throws Exception {
        double[] v = new double[3];
        try (Ftp f = new Ftp(t).login()) {
            for (int i = 0; i < v.length; i++) {
                try (SocketChannel d = f.pasv()) {
                    long t0 = System.nanoTime();
                    Ftp.expect(f.cmd("LIST " + dir), "1");
                    long lines = Ftp.lines(d);
                    Ftp.expect(f.reply(), "226");
                    v[i] = (System.nanoTime() - t0) / 1e6;
                    if (lines < entries) throw new IOException("short LIST: " + lines);
                }
            }
        }
        return Bench.median(v);
    }

    // ---- crowds: many clients at once ----

    /** One crowd's outcome: units done (bytes, logins, files), failures, seconds, peak server memory. */
    record Crowd(long done, long failures, double seconds, long peakKib) {
        double rate() { return done / seconds; }
    }

    interface Client { long run(int i) throws Exception; }

    /**
     * Runs n clients at once on virtual threads and sums what they return; what one throws counts as a
     * failure. The clock starts once every client is ready (its {@code ready} counted down), so
     * connecting and logging in stay out of it when a client counts down after them, or after 10 s at
     * most (a client without a banner by then has failed: see {@link Ftp}); the server's memory is
     * sampled every 0.5 s. Clients are given the deadline (their sockets close there); this waits until
     * 5 s after it at most.
     */
    static Crowd crowd(Server t, int n, long deadline, CountDownLatch ready, CountDownLatch go, Client c)
            throws Exception {
        AtomicLong done = new AtomicLong(), failures = new AtomicLong();
        List<Thread> threads = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int k = i;
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    done.addAndGet(c.run(k));
                } catch (Exception e) {
                    if (failures.getAndIncrement() == 0) Bench.progress("first failure of " + n + " clients: " + e);
                }
            }));
        }
        if (!ready.await(Math.min(READY, Math.max(0, deadline - System.nanoTime())), TimeUnit.NANOSECONDS))
            Bench.progress(ready.getCount() + " of " + n + " clients not ready after 10 s: started without them");
        long t0 = System.nanoTime();
        go.countDown();
        try (Sampler mem = new Sampler(t)) {
            for (Thread th : threads) {
                long left = deadline + 5 * SECOND - System.nanoTime();
                if (left > 0) th.join(java.time.Duration.ofNanos(left));
            }
            double s = (System.nanoTime() - t0) / 1e9;
            long alive = threads.stream().filter(Thread::isAlive).count();
            return new Crowd(done.get(), failures.get() + alive, s, mem.peak());
        }
    }

    static void await(CountDownLatch go, long deadline) throws InterruptedException {
        go.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    /** n clients each downloading the file once, at once (connected and logged in before the clock). */
    static Crowd downloads(Server t, int n, String name, long size, long limit) throws Exception {
        long deadline = System.nanoTime() + READY + limit;
        int buffer = n > 200 ? 128 << 10 : Ftp.READ;                 // 1,000 × 1 MiB would be the client's heap
        CountDownLatch ready = new CountDownLatch(n), go = new CountDownLatch(1);
        return crowd(t, n, deadline, ready, go, i -> {
            try (Ftp session = session(t, deadline, ready)) {
                await(go, deadline);
                try (SocketChannel d = session.pasv()) {
                    Ftp.expect(session.cmd("RETR " + name), "1");
                    long got = Ftp.drain(d, buffer);
                    Ftp.expect(session.reply(), "226");
                    if (got != size) throw new IOException("short RETR: " + got);
                    return got;
                }
            }
        });
    }

    /** A logged-in session for a crowd's client; counts the client ready whether it got one or not. */
    static Ftp session(Server t, long deadline, CountDownLatch ready) throws IOException {
        Ftp f = null;
        try {
            f = new Ftp(t, deadline);
            return f.login();
        } catch (IOException e) {
            if (f != null) f.close();
            throw e;
        } finally {
            ready.countDown();
        }
    }

    /** n clients each logging in and out again and again for the given time; logins. */
    static Crowd logins(Server t, int n, long duration) throws Exception {
        long deadline = System.nanoTime() + READY + duration + 5 * SECOND;
        CountDownLatch ready = new CountDownLatch(n), go = new CountDownLatch(1);
        AtomicLong failed = new AtomicLong();
        Crowd c = crowd(t, n, deadline, ready, go, i -> {
            ready.countDown();
            await(go, deadline);
            long stop = System.nanoTime() + duration, done = 0;
            while (System.nanoTime() < stop) {
                try {
                    login(t, deadline);
                    done++;
                } catch (IOException e) {
                    failed.incrementAndGet();
                }
            }
            return done;
        });
        return new Crowd(c.done(), c.failures() + failed.get(), c.seconds(), c.peakKib());
    }

    /** n sessions (logged in before the clock) each uploading new 4 KiB files for the given time; files. */
    static Crowd uploads(Server t, int n, long duration) throws Exception {
        long deadline = System.nanoTime() + READY + duration + 5 * SECOND;
        CountDownLatch ready = new CountDownLatch(n), go = new CountDownLatch(1);
        return crowd(t, n, deadline, ready, go, i -> {
            try (Ftp session = session(t, deadline, ready)) {
                String dir = newFolder(session);
                await(go, deadline);
                long stop = System.nanoTime() + duration, done = 0;
                while (System.nanoTime() < stop) upload(session, dir + "/f" + done++);
                return done;
            }
        });
    }

    /** Samples the server's memory every 0.5 s on a platform thread; the peak, including one last sample. */
    static final class Sampler implements AutoCloseable {
        private final Server t;
        private final Thread th;
        private volatile long peak;
        private volatile boolean stop;

        Sampler(Server t) {
            this.t = t;
            th = Thread.ofPlatform().daemon().start(() -> {
                while (!stop) {
                    peak = Math.max(peak, t.memoryKib());
                    try {
                        Thread.sleep(500);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }

        long peak() {
            stop = true;
            th.interrupt();
            try {
                th.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Math.max(peak, t.memoryKib());
        }

        @Override public void close() {
            stop = true;
            th.interrupt();
        }
    }

    // ---- idle sessions ----

    /** {failures, memory KiB, heap bytes per session after a full GC}: n logged-in sessions at once. */
    static long[] idleSessions(Server t, int n) throws Exception {
        long heapBefore = heapUsed(t.pid());
        List<Ftp> open = new ArrayList<>();
        long deadline = System.nanoTime() + 120 * SECOND;
        try {
            for (int i = 0; i < n && System.nanoTime() < deadline; i++) {
                try {
                    open.add(new Ftp(t, deadline + 60 * SECOND).login());
                } catch (IOException e) {
                    // counted below
                }
            }
            long mem = t.memoryKib();
            long heap = heapUsed(t.pid());
            return new long[] {n - open.size(), mem, open.isEmpty() ? 0 : (heap - heapBefore) / open.size()};
        } finally {
            for (Ftp f : open) f.close();
        }
    }

    /** Heap in use after a full GC, through jcmd. */
    static long heapUsed(long pid) throws Exception {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        new ProcessBuilder(jcmd, String.valueOf(pid), "GC.run").redirectErrorStream(true).start()
            .waitFor(60, TimeUnit.SECONDS);
        Process p = new ProcessBuilder(jcmd, String.valueOf(pid), "GC.heap_info").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor(60, TimeUnit.SECONDS);
        var m = java.util.regex.Pattern.compile("used (\\d+)K").matcher(out);
        long used = 0;
        while (m.find()) used += Long.parseLong(m.group(1));
        return used * 1024;
    }
}
