package ftp;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

/**
 * The server's counters, for GET /metrics in the Prometheus text format 0.0.4: names prefixed
 * {@code ftp_}, counters ending in {@code _total}, a HELP and a TYPE line each. Counting is a
 * LongAdder increment where the event happens; the gauges are read when scraped.
 */
final class Metrics {
    enum Kind { DOWNLOAD, UPLOAD, LISTING }

    enum Result { OK, FAILED, ABORTED }

    /** Why a connection was refused before any session existed. */
    enum Refusal { CAP, BAN, STOPPING, PROXY }

    /** What a scrape reads from the server right then. */
    record Gauges(int loggedIn, int notLoggedIn, int bans, int passiveRange) {}

    private final LongAdder accepted = new LongAdder(), loginsOk = new LongAdder(), loginsFailed = new LongAdder();
    private final LongAdder bytesIn = new LongAdder(), bytesOut = new LongAdder();
    private final LongAdder tlsOk = new LongAdder(), tlsFailed = new LongAdder();
    private final Map<Kind, Map<Result, LongAdder>> transfers = new EnumMap<>(Kind.class);
    private final Map<Refusal, LongAdder> refused = new EnumMap<>(Refusal.class);
    private final AtomicInteger passiveOpen = new AtomicInteger();

    Metrics() {
        for (Kind k : Kind.values()) {
            Map<Result, LongAdder> m = new EnumMap<>(Result.class);
            for (Result r : Result.values()) m.put(r, new LongAdder());
            transfers.put(k, m);
        }
        for (Refusal r : Refusal.values()) refused.put(r, new LongAdder());
    }

    void accepted() { accepted.increment(); }

    void login(boolean ok) { (ok ? loginsOk : loginsFailed).increment(); }

    void handshake(boolean ok) { (ok ? tlsOk : tlsFailed).increment(); }

    void refused(Refusal r) { refused.get(r).increment(); }

    void transfer(Kind k, Result r, long bytes) {
        transfers.get(k).get(r).increment();
        if (k != Kind.LISTING) (k == Kind.UPLOAD ? bytesIn : bytesOut).add(bytes);
    }

    /** A passive listener opened (+1) or closed (-1). */
    void passive(int delta) { passiveOpen.addAndGet(delta); }

    String text(Gauges g) {
        StringBuilder b = new StringBuilder(4096);
        gauge(b, "ftp_sessions", "Control connections open.", Map.of("state=\"logged_in\"", g.loggedIn(),
            "state=\"not_logged_in\"", g.notLoggedIn()));
        counter(b, "ftp_connections_total", "Control connections accepted.", Map.of("", accepted.sum()));
        Map<String, Long> r = new LinkedHashMap<>();
        refused.forEach((k, v) -> r.put("reason=\"" + lower(k) + "\"", v.sum()));
        counter(b, "ftp_connections_refused_total", "Connections refused before a session: cap, ban, stopping, "
            + "a bad PROXY header.", r);
        counter(b, "ftp_logins_total", "Logins.", Map.of("result=\"ok\"", loginsOk.sum(), "result=\"failed\"",
            loginsFailed.sum()));
        gauge(b, "ftp_bans_active", "Addresses banned now.", Map.of("", g.bans()));
        Map<String, Long> t = new LinkedHashMap<>();
        transfers.forEach((k, m) -> m.forEach((res, v) -> t.put("kind=\"" + lower(k) + "\",result=\"" + lower(res)
            + "\"", v.sum())));
        counter(b, "ftp_transfers_total", "Data transfers ended, by kind and result.", t);
        counter(b, "ftp_bytes_total", "File bytes moved on data connections.", Map.of("direction=\"in\"", bytesIn.sum(),
            "direction=\"out\"", bytesOut.sum()));
        counter(b, "ftp_tls_handshakes_total", "TLS handshakes of control connections.", Map.of("result=\"ok\"",
            tlsOk.sum(), "result=\"failed\"", tlsFailed.sum()));
        gauge(b, "ftp_passive_ports_in_use", "Passive listeners open.", Map.of("", passiveOpen.get()));
        gauge(b, "ftp_passive_ports", "Ports in passive.ports (0: any free port).", Map.of("", g.passiveRange()));
        var heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        gauge(b, "ftp_process_heap_used_bytes", "JVM heap in use.", Map.of("", heap.getUsed()));
        gauge(b, "ftp_process_heap_max_bytes", "JVM heap limit.", Map.of("", heap.getMax()));
        gauge(b, "ftp_process_threads", "Platform threads (virtual threads are counted as sessions and transfers).",
            Map.of("", ManagementFactory.getThreadMXBean().getThreadCount()));
        long fds = openFiles();
        if (fds >= 0) gauge(b, "ftp_process_open_fds", "Open file descriptors.", Map.of("", fds));
        return b.toString();
    }

    /** /proc/self/fd where there is one (Linux); -1 elsewhere. */
    private static long openFiles() {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        } catch (IOException | UnsupportedOperationException e) {
            return -1;
        }
    }

    private static String lower(Enum<?> e) { return e.name().toLowerCase(Locale.ROOT); }

    private static void counter(StringBuilder b, String name, String help, Map<String, ? extends Number> values) {
        family(b, name, help, "counter", values);
    }

    private static void gauge(StringBuilder b, String name, String help, Map<String, ? extends Number> values) {
        family(b, name, help, "gauge", values);
    }

    private static void family(StringBuilder b, String name, String help, String type,
                               Map<String, ? extends Number> v) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        new TreeMap<>(v).forEach((labels, n) -> b.append(name).append(labels.isEmpty() ? "" : "{" + labels + "}")
            .append(' ').append(n).append('\n'));
    }
}
