package bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Bystander latency under floods: one logged-in session sends NOOP every 20 ms while other clients
 * make the server work hard; what a flood costs everyone else is the bystander's NOOP latency.
 */
final class Floods {
    static final int FLOOD_CLIENTS = 80, SIZERS = 4, SIZES = 500;

    /** Bystander NOOP latency (ms) before and during the flood, the flood's length and its replies. */
    record Result(double idleMedian, double median, double max, int samples, double seconds, String replies) {}

    private Floods() {}

    interface FloodClient { void run(int i, Ftp f, Map<String, AtomicLong> codes) throws IOException; }

    /** 80 clients from 127.0.0.10 … 127.0.0.89, each failing two logins (a wrong password) at once. */
    static Result logins(Server t) throws Exception {
        return flood(t, FLOOD_CLIENTS, i -> "127.0.0." + (10 + i), false, (i, f, codes) -> {
            for (int k = 0; k < 2; k++) {
                Ftp.expect(f.cmd("USER " + t.floodUser), "331");
                count(codes, f.cmd("PASS wrong-" + t.password));
            }
            f.cmd("QUIT");
        });
    }

    /** 4 logged-in sessions each sending TYPE A and 500 SIZE of a 16 MiB file in one write (pipelined). */
    static Result sizes(Server t) throws Exception {
        return flood(t, SIZERS, i -> null, true, (i, f, codes) -> {
            f.send("TYPE A\r\n" + "SIZE bigfile\r\n".repeat(SIZES));
            Ftp.expect(f.reply(), "200");
            for (int k = 0; k < SIZES; k++) count(codes, f.reply());
        });
    }

    interface Local { String of(int i); }

    private static Result flood(Server t, int n, Local local, boolean login, FloodClient body) throws Exception {
        long deadline = System.nanoTime() + 90 * Load.SECOND;
        Map<String, AtomicLong> codes = new ConcurrentHashMap<>();
        CountDownLatch ready = new CountDownLatch(n), go = new CountDownLatch(1);
        try (Bystander b = new Bystander(t, deadline)) {
            double idle = median(b.idle(25));
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i;
                threads.add(Thread.ofVirtual().start(() -> {
                    Ftp f = null;
                    try {
                        try {
                            f = new Ftp(t, deadline, local.of(k));
                            if (login) f.login();
                        } catch (IOException e) {
                            count(codes, "not connected");           // no banner within 10 s (a full accept queue)
                            return;
                        } finally {
                            ready.countDown();
                        }
                        Load.await(go, deadline);
                        body.run(k, f, codes);
                    } catch (IOException | InterruptedException e) {
                        count(codes, "error");
                    } finally {
                        try {
                            if (f != null) f.close();
                        } catch (IOException ignored) {
                            // closed anyway
                        }
                    }
                }));
            }
            Load.await(ready, deadline);
            b.start();
            long t0 = System.nanoTime();
            go.countDown();
            for (Thread th : threads) {
                long left = deadline - System.nanoTime();
                if (left > 0) th.join(java.time.Duration.ofNanos(left));
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            double[] during = b.stop();
            double max = 0;
            for (double v : during) max = Math.max(max, v);
            StringBuilder r = new StringBuilder();
            new TreeMap<>(codes).forEach((c, v) -> r.append(r.isEmpty() ? "" : ", ").append(c).append(" x").append(v));
            return new Result(idle, median(during), max, during.length, seconds, r.toString());
        }
    }

    static void count(Map<String, AtomicLong> codes, String reply) {
        String code = reply.matches("\\d{3}.*") ? reply.substring(0, 3) : reply;       // a reply's code, or a label
        codes.computeIfAbsent(code, k -> new AtomicLong()).incrementAndGet();
    }

    static double median(double[] v) { return v.length == 0 ? Double.NaN : Bench.median(v); }

    /** A logged-in session sending NOOP every 20 ms from a platform thread; the latencies in ms. */
    static final class Bystander implements AutoCloseable {
        private static final long TICK = TimeUnit.MILLISECONDS.toNanos(20);
        private final Ftp f;
        private final long deadline;
        private final List<Double> during = Collections.synchronizedList(new ArrayList<>());
        private volatile boolean stop;
        private Thread th;

        Bystander(Server t, long deadline) throws IOException {
            this.deadline = deadline;
            f = new Ftp(t, deadline + 10 * Load.SECOND).login();
        }

        /** n NOOPs 20 ms apart, before the flood. */
        double[] idle(int n) throws IOException {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = noop();
                LockSupport.parkNanos(TICK);
            }
            return v;
        }

        private double noop() throws IOException {
            long t0 = System.nanoTime();
            Ftp.expect(f.cmd("NOOP"), "200");
            return (System.nanoTime() - t0) / 1e6;
        }

        void start() {
            th = Thread.ofPlatform().name("bystander").start(() -> {
                long next = System.nanoTime();
                while (!stop && System.nanoTime() < deadline) {
                    try {
                        during.add(noop());
                    } catch (IOException e) {
                        return;
                    }
                    next = Math.max(next + TICK, System.nanoTime());
                    LockSupport.parkNanos(next - System.nanoTime());
                }
            });
        }

        /** Stops after the NOOP under way, if any; the latencies measured since start. */
        double[] stop() throws InterruptedException {
            stop = true;
            th.join(TimeUnit.NANOSECONDS.toMillis(Math.max(1, deadline + 5 * Load.SECOND - System.nanoTime())));
            synchronized (during) {
                return during.stream().mapToDouble(Double::doubleValue).toArray();
            }
        }

        @Override public void close() throws IOException { f.close(); }
    }
}
