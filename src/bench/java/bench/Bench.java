package bench;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * make bench: starts the server as its own process (and, with BENCH_PEER=host:port:user:password:home,
 * measures another server the same way) and prints one table. It reports; it never judges.
 * Loopback only; every loop is bounded in count and time.
 */
public final class Bench {
    static final long GIB = 1L << 30, MIB = 1L << 20;
    static final int RUNS = 3;

    record Target(String name, String host, int port, String user, String password, Path home) {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("drain")) {
            drain(Integer.parseInt(args[1]));
            return;
        }
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path work = Files.createTempDirectory("ftp-bench");
        Path home = Files.createDirectories(work.resolve("home"));
        int port = freePort();
        Path cfg = Files.writeString(work.resolve("bench.properties"), String.join("\n",
            "port=" + port, "address=127.0.0.1", "user.b.password=b", "user.b.home=" + home, "user.b.write=true",
            "max.connections=20000", "max.connections.per.ip=20000", "idle.timeout=600", "login.timeout=600",
            "login.failure.delay=0", "") );
        long t0 = System.nanoTime();
        Process server = startServer(javaBin, cfg, work.resolve("server.log"));
        waitForBanner(port);
        double startup = (System.nanoTime() - t0) / 1e6;
        Target ours = new Target("ftp-server", "127.0.0.1", port, "b", "b", home);
        Target peer = peer();
        List<String[]> rows = new ArrayList<>();
        try {
            Path big = home.resolve("big.bin");
            makeFile(big, GIB);
            if (peer != null) Files.copy(big, peer.home().resolve("big.bin"), StandardCopyOption.REPLACE_EXISTING);
            double raw;
            double[] retr;
            try (Raw r = new Raw(javaBin, big)) {
                raw = r.sweep();
                List<Double> again = new ArrayList<>();
                retr = paired(ours, peer, t -> retr(t, "big.bin", GIB), () -> again.add(r.once()));
                raw = Math.max(raw, median(again.stream().mapToDouble(Double::doubleValue).toArray()));
                rows.add(new String[] {"raw loopback sendfile limit (MB/s, best of SO_SNDBUF sweep; " + (r.best == 0 ? "autotuned" : (r.best >> 10) + " KiB") + ")", fmt(raw), "", ""});
            }
            rows.add(new String[] {"start-up to first banner (ms, java -jar)", fmt(startup), "", ""});
            rows.add(row("RETR 1 GiB (MB/s, median of 3)", retr, raw));
            // a new file each time, for both: replacing one is a different job (we write a temporary file and rename it)
            double[] stor = paired(ours, peer, t -> {
                Files.deleteIfExists(t.home().resolve("up.bin"));
                return stor(t, "up.bin", big, GIB);
            });
            rows.add(row("STOR 1 GiB (MB/s, median of 3)", stor, raw));
            for (Target t : targetsOf(ours, peer)) Files.deleteIfExists(t.home().resolve("up.bin"));
            new ProcessBuilder("sync").start().waitFor(60, TimeUnit.SECONDS);   // written-back before the next rows
            rows.add(row("logins per second (sequential, USER PASS QUIT)", both(ours, peer, Bench::logins), 0));
            for (Target t : targetsOf(ours, peer)) makeFile(t.home().resolve("ten.bin"), 10 * MIB);
            rows.add(row("200 clients x 10 MiB RETR (aggregate MB/s)", both(ours, peer, t -> concurrent(t, 200)), 0));
            rows.add(new String[] {"  failures (2 runs of 200)", String.valueOf(lastFailures[0]), peer == null ? "" : String.valueOf(lastFailures[1]), ""});
            for (Target t : targetsOf(ours, peer)) {
                Path d = Files.createDirectories(t.home().resolve("list10k"));
                for (int i = 0; i < 10_000; i++) { Path f = d.resolve("file-" + i); if (!Files.exists(f)) Files.createFile(f); }
            }
            rows.add(row("LIST of 10,000 entries (ms, median of 5)", both(ours, peer, Bench::list), 0));
            rows.add(row("500 small uploads, one session (files/s)", both(ours, peer, Bench::smallUploads), 0));
            // on a fresh server process, as after a deployment: earlier rows would leave their heap high-water mark
            server.destroy();
            server.waitFor(40, TimeUnit.SECONDS);
            server = startServer(javaBin, cfg, work.resolve("server2.log"));
            waitForBanner(port);
            long[] idle = idleSessions(ours, server.pid(), 10_000);
            rows.add(new String[] {"10,000 idle logged-in sessions: failures", String.valueOf(idle[0]), "", ""});
            rows.add(new String[] {"  server RSS with them (MB)", fmt(idle[1] / 1024.0), "", ""});
            rows.add(new String[] {"  heap per session (KiB, after GC)", fmt(idle[2] / 1024.0), "", ""});
        } finally {
            server.destroy();
            server.waitFor(40, TimeUnit.SECONDS);
            try (var w = Files.walk(work)) {
                w.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        print(rows, peer);
    }

    // ---- the table ----

    static final long[] lastFailures = new long[2];

    interface Measure { double run(Target t) throws Exception; }

    static List<Target> targetsOf(Target ours, Target peer) { return peer == null ? List.of(ours) : List.of(ours, peer); }

    /** ours, peer, peer, ours: each side's mean of two, so neither always goes first on a drifting machine. */
    static double[] both(Target ours, Target peer, Measure m) throws Exception {
        if (peer == null) {
            double a = (m.run(ours) + m.run(ours)) / 2;
            lastFailures[0] = failures.getAndSet(0);
            return new double[] {a, Double.NaN, Double.NaN};
        }
        double a1 = m.run(ours);
        long fa = failures.getAndSet(0);
        double b = (m.run(peer) + m.run(peer)) / 2;
        lastFailures[1] = failures.getAndSet(0);
        double a = (a1 + m.run(ours)) / 2;
        lastFailures[0] = fa + failures.getAndSet(0);
        return new double[] {a, b, a / b};
    }

    /** ours, peer, ours, peer …: the median of each side and the median of the pair ratios (the machine drifts). */
    interface Step { void run() throws Exception; }

    static double[] paired(Target ours, Target peer, Measure m) throws Exception { return paired(ours, peer, m, () -> {}); }

    /** {@code between} runs before each pair (the raw ceiling, for RETR). */
    static double[] paired(Target ours, Target peer, Measure m, Step between) throws Exception {
        for (Target t : targetsOf(ours, peer)) m.run(t);                // one warm-up run each, not counted
        double[] a = new double[RUNS], b = new double[RUNS], r = new double[RUNS];
        for (int i = 0; i < RUNS; i++) {
            between.run();
            a[i] = m.run(ours);
            b[i] = peer == null ? Double.NaN : m.run(peer);
            r[i] = a[i] / b[i];
        }
        return new double[] {median(a), median(b), median(r)};
    }

    static String[] row(String what, double[] v, double raw) {
        String ours = fmt(v[0]) + (raw > 0 ? String.format(Locale.ROOT, " (%.0f%% of raw)", 100 * v[0] / raw) : "");
        return new String[] {what, ours, Double.isNaN(v[1]) ? "" : fmt(v[1]), Double.isNaN(v[2]) ? "" : String.format(Locale.ROOT, "%.2fx", v[2])};
    }

    static void print(List<String[]> rows, Target peer) {
        String[] head = {"scenario", "ftp-server", peer == null ? "peer (set BENCH_PEER)" : "peer " + peer.host() + ":" + peer.port(), "ours/peer"};
        int[] w = new int[4];
        for (String[] r : rows) for (int i = 0; i < 4; i++) w[i] = Math.max(w[i], r[i].length());
        for (int i = 0; i < 4; i++) w[i] = Math.max(w[i], head[i].length());
        String fmt = "| %-" + w[0] + "s | %" + w[1] + "s | %" + w[2] + "s | %" + w[3] + "s |%n";
        System.out.printf(fmt, (Object[]) head);
        System.out.printf("|%s|%s|%s|%s|%n", "-".repeat(w[0] + 2), "-".repeat(w[1] + 2), "-".repeat(w[2] + 2), "-".repeat(w[3] + 2));
        for (String[] r : rows) System.out.printf(fmt, (Object[]) r);
        System.out.printf("%nmachine: %d cores, %s, Java %s; loopback only.%n", Runtime.getRuntime().availableProcessors(),
            System.getProperty("os.name") + " " + System.getProperty("os.arch"), System.getProperty("java.version"));
    }

    static String fmt(double d) { return Double.isNaN(d) ? "" : String.format(Locale.ROOT, d >= 100 ? "%.0f" : "%.1f", d); }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    static Target peer() {
        String p = System.getenv("BENCH_PEER");
        if (p == null || p.isBlank()) return null;
        String[] f = p.split(":", 5);
        return new Target("peer", f[0], Integer.parseInt(f[1]), f[2], f[3], Path.of(f[4]));
    }

    // ---- the raw limit: sendfile from this process into a draining reader in another ----

    /**
     * The ceiling: sendfile from this process into a draining reader in another (reading as the bench
     * client reads). {@link #sweep} tries several SO_SNDBUF sizes and keeps the best; {@link #once}
     * repeats that best between the RETR pairs, so the ceiling sees the same drift the servers do.
     */
    static final class Raw implements AutoCloseable {
        final Process drain;
        final int port;
        final Path file;
        int best;                                                        // SO_SNDBUF of the best sweep row; 0: autotuned

        Raw(String java, Path file) throws Exception {
            this.file = file;
            port = freePort();
            drain = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "bench.Bench", "drain", String.valueOf(port))
                .redirectErrorStream(true).start();
            waitForPort(port);
        }

        double sweep() throws IOException {
            double top = 0;
            for (int sndbuf : new int[] {0, 64 << 10, 128 << 10, 256 << 10, 512 << 10, 1 << 20, 4 << 20}) {
                double[] v = new double[RUNS];
                for (int i = 0; i < RUNS; i++) v[i] = copy(sndbuf);
                if (median(v) > top) {
                    top = median(v);
                    best = sndbuf;
                }
            }
            return top;
        }

        double once() throws IOException { return copy(best); }

        double copy(int sndbuf) throws IOException {
            try (SocketChannel ch = SocketChannel.open(); FileChannel f = FileChannel.open(file)) {
                if (sndbuf > 0) ch.setOption(StandardSocketOptions.SO_SNDBUF, sndbuf);
                ch.connect(new InetSocketAddress("127.0.0.1", port));
                long t0 = System.nanoTime(), pos = 0, size = f.size();
                while (pos < size) pos += f.transferTo(pos, size - pos, ch);
                ch.shutdownOutput();
                ch.read(ByteBuffer.allocate(1));                     // the drainer closes when it has it all
                return size / 1e6 / ((System.nanoTime() - t0) / 1e9);
            }
        }

        @Override public void close() { drain.destroy(); }
    }

    static void drain(int port) throws IOException {
        try (ServerSocketChannel s = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", port))) {
            ByteBuffer b = ByteBuffer.allocateDirect(READ);             // as the bench client reads RETR
            while (true) {
                try (SocketChannel c = s.accept()) {
                    while (c.read(b.clear()) >= 0) { /* discard */ }
                }
            }
        }
    }

    // ---- an FTP client just big enough for the bench ----

    /**
     * A lean client, so the client's own cost stays small beside the server's: SocketChannels,
     * replies parsed from bytes, data read into reused direct buffers (the raw limit's drainer reads
     * the same way). Every socket is closed by a timer if it is still open after 120 s.
     */
    static final class Ftp implements AutoCloseable {
        static final java.util.concurrent.ScheduledExecutorService TIMER =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread th = new Thread(r, "bench-timeout");
                th.setDaemon(true);
                return th;
            });
        final SocketChannel s;
        final String host;
        private final ByteBuffer in = ByteBuffer.allocate(8192).flip();
        private final java.util.concurrent.ScheduledFuture<?> timeout;

        Ftp(Target t) throws IOException {
            host = t.host();
            s = SocketChannel.open(new InetSocketAddress(t.host(), t.port()));
            timeout = closeLater(s);
            s.setOption(StandardSocketOptions.TCP_NODELAY, true);
            expect(reply(), "220");
        }

        static java.util.concurrent.ScheduledFuture<?> closeLater(SocketChannel c) {
            return TIMER.schedule(() -> {
                try {
                    c.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }, 120, TimeUnit.SECONDS);
        }

        Ftp login(Target t) throws IOException {
            expect(cmd("USER " + t.user()), "331");
            expect(cmd("PASS " + t.password()), "230");
            expect(cmd("TYPE I"), "200");
            return this;
        }

        String cmd(String line) throws IOException {
            ByteBuffer b = ByteBuffer.wrap((line + "\r\n").getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) s.write(b);
            return reply();
        }

        /** The final line of the next reply (multi-line replies skipped to their end). */
        String reply() throws IOException {
            String first = line(), l = first;
            if (first.length() > 3 && first.charAt(3) == '-') {
                String end = first.substring(0, 3) + " ";
                while (!l.startsWith(end)) l = line();
            }
            return l;
        }

        private String line() throws IOException {
            while (true) {
                for (int i = in.position(); i < in.limit(); i++) {
                    if (in.get(i) == '\n') {
                        String l = new String(in.array(), in.position(), i - in.position(), StandardCharsets.ISO_8859_1).strip();
                        in.position(i + 1);
                        return l;
                    }
                }
                in.compact();
                if (!in.hasRemaining()) throw new IOException("reply line too long");
                int n = s.read(in);
                in.flip();
                if (n < 0) throw new IOException("connection closed");
            }
        }

        static void expect(String reply, String code) throws IOException {
            if (!reply.startsWith(code)) throw new IOException("expected " + code + ", got " + reply);
        }

        SocketChannel pasv() throws IOException {
            String r = cmd("EPSV");
            expect(r, "229");
            SocketChannel d = SocketChannel.open(new InetSocketAddress(host, Integer.parseInt(r.replaceAll(".*\\|\\|\\|(\\d+)\\|.*", "$1"))));
            closeLater(d);
            return d;
        }

        @Override public void close() throws IOException {
            timeout.cancel(false);
            s.close();
        }
    }

    static final int READ = 1 << 20;
    static final java.util.concurrent.ConcurrentLinkedQueue<ByteBuffer> BUFFERS = new java.util.concurrent.ConcurrentLinkedQueue<>();

    /** Reads a data connection to its end into a pooled direct buffer; the byte count. */
    static long drain(SocketChannel d) throws IOException {
        ByteBuffer b = BUFFERS.poll();
        if (b == null) b = ByteBuffer.allocateDirect(READ);
        try {
            long n = 0;
            int r;
            while ((r = d.read(b.clear())) >= 0) n += r;
            return n;
        } finally {
            BUFFERS.offer(b);
        }
    }

    static final AtomicLong failures = new AtomicLong();

    static double retr(Target t, String name, long size) throws Exception {
        try (Ftp f = new Ftp(t).login(t); SocketChannel d = f.pasv()) {
            long t0 = System.nanoTime();
            Ftp.expect(f.cmd("RETR " + name), "1");
            long n = drain(d);
            Ftp.expect(f.reply(), "226");
            if (n != size) throw new IOException("short RETR: " + n);
            return size / 1e6 / ((System.nanoTime() - t0) / 1e9);
        }
    }

    static double stor(Target t, String name, Path src, long size) throws Exception {
        try (Ftp f = new Ftp(t).login(t); SocketChannel d = f.pasv()) {
            long t0 = System.nanoTime();
            Ftp.expect(f.cmd("STOR " + name), "1");
            try (FileChannel in = FileChannel.open(src)) {
                long pos = 0;
                while (pos < size) pos += in.transferTo(pos, size - pos, d);
            }
            d.close();
            Ftp.expect(f.reply(), "226");
            return size / 1e6 / ((System.nanoTime() - t0) / 1e9);
        }
    }

    static double logins(Target t) throws Exception {
        int n = 2000;
        long t0 = System.nanoTime(), deadline = t0 + 60_000_000_000L;
        int done = 0;
        for (; done < n && System.nanoTime() < deadline; done++) {
            try (Ftp f = new Ftp(t)) {                           // connect, USER, PASS, QUIT: nothing else
                Ftp.expect(f.cmd("USER " + t.user()), "331");
                Ftp.expect(f.cmd("PASS " + t.password()), "230");
                Ftp.expect(f.cmd("QUIT"), "221");
            }
        }
        return done / ((System.nanoTime() - t0) / 1e9);
    }

    static double concurrent(Target t, int clients) throws Exception {
        AtomicLong bytes = new AtomicLong();
        long t0 = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    retr(t, "ten.bin", 10 * MIB);
                    bytes.addAndGet(10 * MIB);
                } catch (Exception e) {
                    failures.incrementAndGet();
                }
            }));
        }
        for (Thread th : threads) th.join(180_000);
        return bytes.get() / 1e6 / ((System.nanoTime() - t0) / 1e9);
    }

    static double list(Target t) throws Exception {
        double[] v = new double[5];
        try (Ftp f = new Ftp(t).login(t)) {
            for (int i = 0; i < v.length; i++) {
                try (SocketChannel d = f.pasv()) {
                    long t0 = System.nanoTime();
                    Ftp.expect(f.cmd("LIST list10k"), "1");
                    long lines = new String(d.socket().getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().count();
                    Ftp.expect(f.reply(), "226");
                    v[i] = (System.nanoTime() - t0) / 1e6;
                    if (lines < 10_000) throw new IOException("short LIST: " + lines);
                }
            }
        }
        return median(v);
    }

    static double smallUploads(Target t) throws Exception {
        byte[] data = new byte[4096];
        try (Ftp f = new Ftp(t).login(t)) {
            String dir = "small-" + System.nanoTime();              // new files each run: replacing is another job
            Ftp.expect(f.cmd("MKD " + dir), "257");
            long t0 = System.nanoTime();
            for (int i = 0; i < 500; i++) {
                try (SocketChannel d = f.pasv()) {
                    Ftp.expect(f.cmd("STOR " + dir + "/f" + i), "1");
                    d.write(ByteBuffer.wrap(data));
                }
                Ftp.expect(f.reply(), "226");
            }
            return 500 / ((System.nanoTime() - t0) / 1e9);
        }
    }

    /** {failures, RSS KiB, heap bytes per session}. */
    static long[] idleSessions(Target t, long pid, int n) throws Exception {
        long heapBefore = heapUsed(pid);
        List<Ftp> open = new ArrayList<>();
        AtomicInteger failed = new AtomicInteger();
        long deadline = System.nanoTime() + 120_000_000_000L;
        try {
            for (int i = 0; i < n && System.nanoTime() < deadline; i++) {
                try {
                    open.add(new Ftp(t).login(t));
                } catch (IOException e) {
                    failed.incrementAndGet();
                }
            }
            long rss = rssKib(pid);
            long heap = heapUsed(pid);
            return new long[] {failed.get() + (n - open.size() - failed.get()), rss, open.isEmpty() ? 0 : (heap - heapBefore) / open.size()};
        } finally {
            for (Ftp f : open) f.close();
        }
    }

    static long rssKib(long pid) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status")))
            if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("\\D", ""));
        return -1;
    }

    /** Heap in use after a full GC, through jcmd. */
    static long heapUsed(long pid) throws Exception {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        new ProcessBuilder(jcmd, String.valueOf(pid), "GC.run").redirectErrorStream(true).start().waitFor(60, TimeUnit.SECONDS);
        Process p = new ProcessBuilder(jcmd, String.valueOf(pid), "GC.heap_info").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor(60, TimeUnit.SECONDS);
        var m = java.util.regex.Pattern.compile("used (\\d+)K").matcher(out);
        long used = 0;
        while (m.find()) used += Long.parseLong(m.group(1));
        return used * 1024;
    }

    // ---- plumbing ----

    static Process startServer(String java, Path cfg, Path log) throws IOException {
        return new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-jar", "target/ftp-server.jar", "-c", cfg.toString(), "-o")
            .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    static void makeFile(Path p, long size) throws IOException {
        if (Files.exists(p) && Files.size(p) == size) return;
        try (RandomAccessFile f = new RandomAccessFile(p.toString(), "rw")) {
            byte[] b = new byte[1 << 20];
            new java.util.Random(1).nextBytes(b);
            for (long i = 0; i < size; i += b.length) f.write(b, 0, (int) Math.min(b.length, size - i));
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static void waitForPort(int port) throws Exception {
        for (int i = 0; i < 500; i++) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                Thread.sleep(10);
            }
        }
        throw new IOException("nothing listens on " + port);
    }

    static void waitForBanner(int port) throws Exception {
        for (int i = 0; i < 2000; i++) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.getInputStream().read();
                return;
            } catch (IOException e) {
                Thread.sleep(2);
            }
        }
        throw new IOException("the server did not start");
    }
}
