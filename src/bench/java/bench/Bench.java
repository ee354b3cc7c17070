package bench;

import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * make bench: starts our jar (BENCH_JAR, else target/ftp-server.jar) as its own process and measures it
 * beside one other server: a second jar started the same way (BENCH_JAR_B, for before/after claims)
 * or a peer already running (BENCH_PEER=host:port:user:password:home). BENCH_ROWS picks rows (see
 * {@link #ROWS}); BENCH_HOME is the jars' shared home (default target/bench/home; /dev/shm/… takes the
 * disk out of the upload rows); BENCH_QUIET=cores waits for a quieter machine before each row. It
 * prints tables and writes SVG charts of the curves under target/bench; it reports, never judges.
 * The s3 row starts processes of its own (S3Proxy, and our jar with a home in its bucket: {@link S3})
 * and needs the jars of make s3 s3proxy; without them it says so and is skipped.
 * Loopback only; every loop is bounded in count and time.
 */
public final class Bench {
    static final long GIB = 1L << 30, MIB = 1L << 20;
    static final int PAIRS = 6, BIG_PAIRS = 3;
    /** Rows of short runs warm up this long at least (and at most MAX_WARM_UPS runs): the JITs compile their path. */
    static final long WARM_NANOS = TimeUnit.SECONDS.toNanos(12);
    static final int MAX_WARM_UPS = 50;
    /** The rows in the order they run; BENCH_ROWS=a,b,… runs a subset ("curves", "floods", "paired": groups). */
    static final List<String> ROWS = List.of("startup", "raw", "retr", "stor", "logins", "uploads", "list",
        "downloads200", "logins-curve", "uploads-curve", "list-curve", "downloads-curve", "flood-logins", "flood-size",
        "idle", "s3");
    static final long T0 = System.nanoTime();

    final Server ours, other;                             // other: null, a second jar, or a peer
    final List<Server> servers;
    final Set<String> rows;
    final String java;
    final List<String[]> table = new ArrayList<>();
    final List<String> samples = new ArrayList<>();
    final List<String> loads = new ArrayList<>();
    final Machine.Snapshot start;
    /** BENCH_QUIET: each row waits (a minute at most) until other processes keep fewer cores busy than this. */
    final double quiet = Double.parseDouble(env("BENCH_QUIET", "0"));
    final List<Curves.Curve> curves = new ArrayList<>();

    Bench(Server ours, Server other, Set<String> rows, String java) {
        this.ours = ours;
        this.other = other;
        this.servers = other == null ? List.of(ours) : List.of(ours, other);
        this.rows = rows;
        this.java = java;
        this.start = Machine.snapshot(peerPid());
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("drain")) {
            Raw.drain(Integer.parseInt(args[1]));
            return;
        }
        Set<String> rows = select(System.getenv("BENCH_ROWS"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path jar = Path.of(env("BENCH_JAR", "target/ftp-server.jar"));
        String jarB = env("BENCH_JAR_B", ""), peer = env("BENCH_PEER", "");
        if (!jarB.isEmpty() && !peer.isEmpty())
            throw new IllegalArgumentException("BENCH_JAR_B or BENCH_PEER, not both");
        Path work = Path.of("target", "bench"), home = Path.of(env("BENCH_HOME", work.resolve("home").toString()));
        try (Server a = Server.jar("ours " + jar.getFileName(), jar, java, work.resolve("ours"), home);
             Server b = !jarB.isEmpty()
                 ? Server.jar("B " + Path.of(jarB).getFileName(), Path.of(jarB), java, work.resolve("b"), home)
                 : !peer.isEmpty() ? Server.peer(peer) : null) {
            Bench bench = new Bench(a, b, rows, java);
            bench.run();
            bench.print(System.out);
        }
    }

    static Set<String> select(String spec) {
        if (spec == null || spec.isBlank()) return new LinkedHashSet<>(ROWS);
        Set<String> out = new LinkedHashSet<>();
        for (String r : spec.split("[,\\s]+")) {
            switch (r) {
                case "curves" -> out.addAll(List.of("logins-curve", "uploads-curve", "list-curve", "downloads-curve"));
                case "floods" -> out.addAll(List.of("flood-logins", "flood-size"));
                case "paired" -> out.addAll(List.of("startup", "retr", "stor", "logins", "uploads", "list"));
                default -> {
                    if (!ROWS.contains(r))
                        throw new IllegalArgumentException("BENCH_ROWS: no row " + r + "; rows: " + ROWS);
                    out.add(r);
                }
            }
        }
        return out;
    }

    void run() throws Exception {
        files();
        row("startup", () -> add("start-up to first banner (ms, java -jar, another process)",
            paired("startup", PAIRS, true, true, Server::launch, () -> {}), ""));
        Path big = ours.home.resolve("big.bin");
        double[] raw = {0};
        if (has("raw", "retr")) {
            try (Raw r = new Raw(java, big)) {
                row("raw", r::sweep);
                row("retr", () -> {
                    Pair p = paired("retr", BIG_PAIRS, false, false, s -> Load.retr(s, "big.bin", GIB),
                        rows.contains("raw") ? r::once : () -> {});
                    add("RETR 1 GiB (MB/s, median of " + BIG_PAIRS + ")", p, ofRaw(p.a(), r.top));
                });
                if (rows.contains("raw")) {
                    table.add(0, new String[] {"raw loopback sendfile ceiling (MB/s, best of SO_SNDBUF sweep ("
                        + r.describe() + ") and re-runs)", fmt(r.top), "", ""});
                    raw[0] = r.top;
                }
            }
        }
        row("stor", () -> {
            // a new file each time: replacing one is a different job (a temporary file and a rename)
            Pair p = paired("stor", BIG_PAIRS, false, false, s -> {
                Files.deleteIfExists(s.home.resolve("up.bin"));
                return Load.stor(s, "up.bin", big, GIB);
            }, () -> {});
            add("STOR 1 GiB, new file (MB/s, median of " + BIG_PAIRS + ")", p, ofRaw(p.a(), raw[0]));
            for (Server s : servers) Files.deleteIfExists(s.home.resolve("up.bin"));
            new ProcessBuilder("sync").start().waitFor(60, TimeUnit.SECONDS);   // written back before the next rows
        });
        row("logins", () -> add("logins/s (connect USER PASS QUIT, sequential)",
            pairedShort("logins", false, Load::logins), ""));
        row("uploads", () -> add("4 KiB uploads/s, one session, new files",
            pairedShort("uploads", false, Load::uploads), ""));
        row("list", () -> add("LIST of 10,000 entries (ms, median of 3 per run)",
            pairedShort("list", true, s -> Load.list(s, "list10000", 10_000)), ""));
        row("downloads200", this::downloads200);
        row("logins-curve", () -> curves.add(Curves.logins(servers)));
        row("uploads-curve", () -> curves.add(Curves.uploads(servers)));
        row("list-curve", () -> {
            fresh(s -> Load.list(s, "list1000", 1_000));
            curves.add(Curves.list(servers));
        });
        row("downloads-curve", () -> {
            fresh(s -> Load.retr(s, "dl1000", Curves.downloadSize(1000)));
            curves.add(Curves.downloads(servers));
        });
        row("flood-logins", () -> flood("(a) 80 addresses x 2 failed logins at once", Floods::logins));
        row("flood-size", () -> flood("(b) 4 sessions x (TYPE A + 500 SIZE of 16 MiB), pipelined", Floods::sizes));
        row("idle", this::idle);
        row("s3", this::s3);
    }

    /** The files and folders the selected rows read, in every home (kept in a peer's home for the next run). */
    void files() throws Exception {
        progress("files");
        for (Server s : servers) {
            clean(s.home);
            if (has("raw", "retr", "stor", "downloads-curve")) makeFile(s.home.resolve("big.bin"), GIB);
            if (has("list", "list-curve")) for (int n : new int[] {1_000, 10_000, 100_000}) folder(s.home, n);
            if (has("downloads200", "downloads-curve"))
                for (long n : new long[] {10, 100, 1000}) makeFile(s.home.resolve("dl" + n), Curves.downloadSize(n));
            Path dl1 = s.home.resolve("dl1");
            if (has("downloads-curve") && !Files.exists(dl1)) Files.createLink(dl1, s.home.resolve("big.bin"));
            if (has("flood-size")) makeFile(s.home.resolve("bigfile"), 16 * MIB);
        }
        new ProcessBuilder("sync").start().waitFor(60, TimeUnit.SECONDS);
    }

    /** Runs a selected row and notes how many cores other processes kept busy meanwhile. */
    void row(String name, Step body) throws Exception {
        if (!rows.contains(name)) return;
        progress(name);
        if (quiet > 0) progress(String.format(Locale.ROOT, "  other processes: %.2f cores",
            Machine.awaitQuiet(quiet, peerPid())));
        Machine.Snapshot a = Machine.snapshot(peerPid());
        body.run();
        loads.add(String.format(Locale.ROOT, "%s %.2f", name, Machine.foreignCores(a, Machine.snapshot(peerPid()))));
    }

    long peerPid() { return other != null && !other.isJar() ? other.pid() : 0; }

    boolean has(String... any) {
        for (String r : any) if (rows.contains(r)) return true;
        return false;
    }

    /**
     * Our jars restarted, so that a curve's memory is its own and not the high-water mark of the rows
     * before; then 10 small runs of the scenario on every server, so the JITs are not cold either.
     */
    void fresh(Measure warmUp) throws Exception {
        for (Server s : servers) if (s.isJar()) s.start();
        for (Server s : servers) for (int i = 0; i < 10; i++) warmUp.run(s);
    }

    // ---- paired rows ----

    interface Measure { double run(Server t) throws Exception; }

    interface Step { void run() throws Exception; }

    /** Each side's samples, the pair ratios (> 1: ours better) and their medians. */
    record Pair(double[] a, double[] b, double[] r) {
        double ours() { return median(a); }
        double theirs() { return b == null ? Double.NaN : median(b); }
        double ratio() { return r == null ? Double.NaN : median(r); }
    }

    /**
     * Two warm-up runs of each side, not counted; then pairs in alternating order (ours, other, other,
     * ours, …), {@code between} before each pair. The ratio is the median of the pair ratios, inverted
     * for times, so > 1 always means ours did better: this shared machine drifts between minutes.
     */
    Pair paired(String name, int pairs, boolean time, boolean jarsOnly, Measure m, Step between) throws Exception {
        Server o = other != null && (other.isJar() || !jarsOnly) ? other : null;
        return paired(name, ours, o, 2, 0, pairs, time, m, between);
    }

    /**
     * The same for a row of short runs (logins, small uploads, a listing), against any peer: warm-ups
     * fill {@link #WARM_NANOS}, since two runs of a second or two leave part of the path interpreted.
     */
    Pair pairedShort(String name, boolean time, Measure m) throws Exception {
        return paired(name, ours, other, 2, WARM_NANOS, PAIRS, time, m, () -> {});
    }

    /**
     * The same for any two servers (o may be null: one alone), with {@code warmUps} runs of each first,
     * and more while {@code warmNanos} has not passed (the JITs of both servers and of this client).
     */
    Pair paired(String name, Server one, Server o, int warmUps, long warmNanos, int pairs, boolean time, Measure m,
                Step between) throws Exception {
        long warmEnd = System.nanoTime() + warmNanos;
        for (int i = 0; i < warmUps || (i < MAX_WARM_UPS && System.nanoTime() - warmEnd < 0); i++) {
            progress(name + " warm-up " + (i + 1));
            m.run(one);
            if (o != null) m.run(o);
        }
        double[] a = new double[pairs], b = new double[pairs], r = new double[pairs];
        for (int i = 0; i < pairs; i++) {
            progress(name + " pair " + (i + 1) + "/" + pairs);
            between.run();
            if (o == null) {
                a[i] = m.run(one);
                continue;
            }
            if (i % 2 == 0) {
                a[i] = m.run(one);
                b[i] = m.run(o);
            } else {
                b[i] = m.run(o);
                a[i] = m.run(one);
            }
            r[i] = time ? b[i] / a[i] : a[i] / b[i];
        }
        Pair p = new Pair(a, o == null ? null : b, o == null ? null : r);
        samples.add(String.format("%-10s %s: %s", name, one.label, list(a)));
        if (o != null) {
            samples.add(String.format("%-10s %s: %s", "", o.label, list(b)));
            samples.add(String.format("%-10s ratios: %s", "", list(r)));
        }
        return p;
    }

    void add(String what, Pair p, String note) {
        table.add(new String[] {what, fmt(p.ours()) + note, fmt(p.theirs()), ratio(p.ratio())});
    }

    static String ofRaw(double[] a, double raw) {
        return raw > 0 ? String.format(Locale.ROOT, " (%.0f%% of raw)", 100 * median(a) / raw) : "";
    }

    // ---- the other rows ----

    /** 200 clients at once each downloading 10 MiB: ours, other, other, ours (means; failures summed). */
    void downloads200() throws Exception {
        double[] mbps = new double[2];
        long[] failed = new long[2];
        List<Server> order = new ArrayList<>(servers);
        if (other != null) order.addAll(List.of(other, ours));
        else order.add(ours);
        for (Server s : order) {
            progress("downloads200 " + s.label);
            Load.Crowd c = Load.downloads(s, 200, "dl100", Curves.downloadSize(100), 20 * Load.SECOND);
            int k = s == ours ? 0 : 1;
            mbps[k] += c.done() / 1e6 / c.seconds() / 2;
            failed[k] += c.failures();
        }
        table.add(new String[] {"200 clients x 10 MiB RETR at once (aggregate MB/s)", fmt(mbps[0]),
            other == null ? "" : fmt(mbps[1]), other == null ? "" : ratio(mbps[0] / mbps[1])});
        table.add(new String[] {"  failures (2 runs of 200)", String.valueOf(failed[0]),
            other == null ? "" : String.valueOf(failed[1]), ""});
    }

    interface Flood { Floods.Result run(Server s) throws Exception; }

    void flood(String what, Flood f) throws Exception {
        Floods.Result[] r = new Floods.Result[2];
        for (int k = 0; k < servers.size(); k++) {
            progress("flood " + what + " " + servers.get(k).label);
            r[k] = f.run(servers.get(k));
        }
        boolean two = r[1] != null;
        table.add(new String[] {"flood " + what + ": bystander NOOP median (ms)", fmt(r[0].median()),
            two ? fmt(r[1].median()) : "", ""});
        table.add(new String[] {"  bystander NOOP max (ms); samples", fmt(r[0].max()) + "; " + r[0].samples(),
            two ? fmt(r[1].max()) + "; " + r[1].samples() : "", ""});
        table.add(new String[] {"  bystander NOOP before the flood (ms, median of 25)", fmt(r[0].idleMedian()),
            two ? fmt(r[1].idleMedian()) : "", ""});
        table.add(new String[] {"  flood length (s); replies", fmt(r[0].seconds()) + "; " + r[0].replies(),
            two ? fmt(r[1].seconds()) + "; " + r[1].replies() : "", ""});
    }

    /** 10,000 idle logged-in sessions on a fresh process of each jar (a peer is not restarted, so not here). */
    void idle() throws Exception {
        long[][] v = new long[2][];
        for (int k = 0; k < servers.size(); k++) {
            Server s = servers.get(k);
            if (!s.isJar()) continue;
            progress("idle " + s.label);
            s.start();
            v[k] = Load.idleSessions(s, 10_000);
        }
        String[][] cells = new String[2][3];
        for (int k = 0; k < 2; k++) {
            for (int i = 0; i < 3; i++) cells[k][i] = "";
            if (v[k] == null) continue;
            cells[k] = new String[] {String.valueOf(v[k][0]), fmt(v[k][1] / 1024.0), fmt(v[k][2] / 1024.0)};
        }
        table.add(new String[] {"10,000 idle logged-in sessions (fresh process): failures", cells[0][0], cells[1][0],
            ""});
        table.add(new String[] {"  server RSS with them (MB)", cells[0][1], cells[1][1], ""});
        table.add(new String[] {"  heap per session (KiB, after GC)", cells[0][2], cells[1][2], ""});
    }

    // ---- homes on an object store ----

    /**
     * STOR and RETR of 256 MiB through one server to a home in an S3 bucket (S3Proxy on loopback, see
     * {@link S3}) and to a local home, paired: what a home on an object store costs. Skipped, saying
     * why, without the jars of make s3 s3proxy.
     */
    void s3() throws Exception {
        String missing = S3.missing();
        if (missing != null) {
            progress("s3 skipped: " + missing);
            table.add(new String[] {"S3 home: skipped, " + missing + " (run make s3 s3proxy)", "", "", ""});
            return;
        }
        long size = 256 * MIB;
        Path src = ours.home.resolve("s3-source.bin");
        makeFile(src, size);
        try (S3 s3 = S3.start(java, ours.jarFile(), Path.of("target", "bench", "s3"), ours.home.resolve("s3-disk"))) {
            Server bucket = s3.bucketHome, disk = s3.diskHome;
            Map<Server, List<Double>> tails = new HashMap<>();
            // a new file each time, as in the stor row; on the store a replacement goes the same way anyway
            Pair up = paired("s3 stor", bucket, disk, 1, 0, BIG_PAIRS, false, s -> {
                Load.delete(s, "up.bin");
                return Load.stor(s, "up.bin", src, size, t -> tails.computeIfAbsent(s, k -> new ArrayList<>()).add(t));
            }, () -> {});
            Pair down = paired("s3 retr", bucket, disk, 1, 0, BIG_PAIRS, false, s -> Load.retr(s, "up.bin", size),
                () -> {});
            for (Server s : List.of(bucket, disk)) Load.delete(s, "up.bin");
            String n = " (MB/s, median of " + BIG_PAIRS + ")";
            table.add(new String[] {"STOR 256 MiB, new file, to an S3 home via S3Proxy on loopback" + n,
                fmt(up.ours()) + ofLocal(up), "", ""});
            table.add(new String[] {"  s from the last byte sent to the 226 (S3: the PUT, the copy onto the target)",
                fmt(tail(tails.get(bucket))) + "; local home " + fmt(tail(tails.get(disk))), "", ""});
            table.add(new String[] {"  the same to a local home of the same server" + n, fmt(up.theirs()), "", ""});
            table.add(new String[] {"RETR 256 MiB from an S3 home via S3Proxy on loopback" + n,
                fmt(down.ours()) + ofLocal(down), "", ""});
            table.add(new String[] {"  the same from a local home of the same server" + n, fmt(down.theirs()), "", ""});
        }
        new ProcessBuilder("sync").start().waitFor(60, TimeUnit.SECONDS);   // written back before the next rows
    }

    static String ofLocal(Pair p) {
        return String.format(Locale.ROOT, " (%.0f%% of local)", 100 * p.ratio());
    }

    /** The median of the measured runs' tails: the first is the warm-up's. */
    static double tail(List<Double> t) {
        return median(t.subList(1, t.size()).stream().mapToDouble(Double::doubleValue).toArray());
    }

    // ---- output ----

    void print(PrintStream out) throws IOException {
        String[] head = {"scenario", ours.label, other == null ? "other (BENCH_JAR_B or BENCH_PEER)" : other.label,
            "ratio (>1: ours better)"};
        if (!table.isEmpty()) table(out, head, table);
        if (!samples.isEmpty()) {
            out.println();
            out.println("paired samples (warm-up not shown; pairs alternate ours-first and other-first):");
            for (String s : samples) out.println("  " + s);
        }
        Path dir = Files.createDirectories(Path.of("target", "bench"));
        List<Path> charts = new ArrayList<>();
        for (Curves.Curve c : curves) {
            c.print(out);
            charts.addAll(c.charts(dir));
        }
        if (other != null && !other.isJar())
            out.printf("%nmemory of %s: pid %d, %s%n", other.label, other.pid(), other.pid() > 0
                ? "VmRSS, or PSS summed over its processes when it forks" : "not found (no column)");
        if (!charts.isEmpty())
            out.printf("%ncharts: %s%n", String.join(" ", charts.stream().map(Path::toString).toList()));
        int cores = Runtime.getRuntime().availableProcessors();
        out.printf("%nmachine: %d cores, %s, Java %s; servers -Xmx256m -XX:+UseSerialGC; loopback only; %.0f s.%n",
            cores, System.getProperty("os.name") + " " + System.getProperty("os.arch"),
            System.getProperty("java.version"), (System.nanoTime() - T0) / 1e9);
        out.printf("cores of %d kept busy by other processes (not the bench, its jars or the peer): whole run %.2f; "
            + "by row: %s; load average at the end %s.%n", cores,
            Machine.foreignCores(start, Machine.snapshot(peerPid())), String.join(", ", loads), Machine.loadAverage());
    }

    static void table(PrintStream out, String[] head, List<String[]> rows) {
        int[] w = new int[head.length];
        for (int i = 0; i < head.length; i++) w[i] = head[i].length();
        for (String[] r : rows) for (int i = 0; i < r.length; i++) w[i] = Math.max(w[i], r[i].length());
        StringBuilder f = new StringBuilder("|"), line = new StringBuilder("|");
        for (int i = 0; i < w.length; i++) {
            f.append(" %").append(i == 0 ? "-" : "").append(w[i]).append("s |");
            line.append("-".repeat(w[i] + 2)).append('|');
        }
        out.printf(f + "%n", (Object[]) head);
        out.println(line);
        for (String[] r : rows) out.printf(f + "%n", (Object[]) r);
    }

    static String fmt(double d) {
        if (Double.isNaN(d)) return "";
        return String.format(Locale.ROOT, d >= 100 || d == Math.rint(d) ? "%.0f" : d >= 10 ? "%.1f" : "%.2f", d);
    }

    static String ratio(double r) {
        return Double.isNaN(r) || Double.isInfinite(r) ? "" : String.format(Locale.ROOT, "%.2fx", r);
    }

    static String list(double[] v) { return String.join(" ", Arrays.stream(v).mapToObj(Bench::fmt).toList()); }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static void progress(String what) {
        System.err.printf("[%5.1f s] %s%n", (System.nanoTime() - T0) / 1e9, what);
    }

    static String env(String name, String otherwise) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? otherwise : v;
    }

    // ---- files ----

    static void makeFile(Path p, long size) throws IOException {
        if (Files.exists(p) && Files.size(p) == size) return;
        try (RandomAccessFile f = new RandomAccessFile(p.toString(), "rw")) {
            byte[] b = new byte[1 << 20];
            new java.util.Random(1).nextBytes(b);
            f.setLength(0);
            for (long i = 0; i < size; i += b.length) f.write(b, 0, (int) Math.min(b.length, size - i));
        }
    }

    /** Removes what earlier runs uploaded (the folders up-*, up.bin); the rest is kept for the next run. */
    static void clean(Path home) throws IOException {
        Files.deleteIfExists(home.resolve("up.bin"));
        try (var ds = Files.newDirectoryStream(home, "up-*")) {
            for (Path d : ds) {
                try (var w = Files.walk(d)) {
                    for (Path p : w.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
                }
            }
        }
    }

    /** home/listN holding N empty files (kept between runs in a peer's home). */
    static void folder(Path home, int n) throws IOException {
        Path d = Files.createDirectories(home.resolve("list" + n));
        if (Files.exists(d.resolve("file-" + (n - 1)))) return;
        for (int i = 0; i < n; i++) {
            try {
                Files.createFile(d.resolve("file-" + i));
            } catch (FileAlreadyExistsException e) {
                // from an earlier, cut run
            }
        }
    }
}
