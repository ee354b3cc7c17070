package bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Curves, not points: each scenario at several loads, for every server, printed as a table and drawn
 * as an SVG chart per charted metric. Points are taken in alternating server order (ours first at one
 * load, the other first at the next), so neither always runs on the warmer or cooler machine.
 */
final class Curves {
    enum Combine { MEAN, SUM, MAX }

    record Metric(String name, Combine combine, boolean chart) {}

    interface Point { double[] at(Server s, long x) throws Exception; }

    private Curves() {}

    static Curve logins(List<Server> servers) throws Exception {
        Curve c = new Curve("logins", "logins per second, N clients at once (connect, USER, PASS, QUIT; 2 s a point)",
            "clients at once", new long[] {1, 10, 100}, false,
            new Metric("logins/s", Combine.MEAN, true), new Metric("failures (2 runs)", Combine.SUM, false));
        return c.run(servers, 2, (s, n) -> {
            Load.Crowd r = Load.logins(s, (int) n, 2 * Load.SECOND);
            return new double[] {r.rate(), r.failures()};
        });
    }

    static Curve uploads(List<Server> servers) throws Exception {
        Curve c = new Curve("uploads", "4 KiB uploads per second (new files), N sessions at once (2 s a point)",
            "sessions at once", new long[] {1, 10, 100}, false,
            new Metric("files/s", Combine.MEAN, true), new Metric("failures (2 runs)", Combine.SUM, false));
        return c.run(servers, 2, (s, n) -> {
            Load.Crowd r = Load.uploads(s, (int) n, 2 * Load.SECOND);
            return new double[] {r.rate(), r.failures()};
        });
    }

    /** The folders list1000, list10000, list100000 must exist in every home. */
    static Curve list(List<Server> servers) throws Exception {
        Curve c = new Curve("list", "LIST of N entries (median of 3 on one session; memory after, MB)",
            "entries", new long[] {1_000, 10_000, 100_000}, true,
            new Metric("ms", Combine.MEAN, true), new Metric("mem MB", Combine.MAX, true));
        return c.run(servers, 2, (s, n) -> new double[] {Load.list(s, "list" + n, (int) n), s.memoryKib() / 1024.0});
    }

    /** The files dl1, dl10, dl100, dl1000 (1 GiB in all at each step) must exist in every home. */
    static Curve downloads(List<Server> servers) throws Exception {
        Curve c = new Curve("downloads", "N clients downloading at once, 1 GiB in all (1 GiB, 100, 10, 1 MiB each)",
            "clients at once", new long[] {1, 10, 100, 1000}, false,
            new Metric("MB/s", Combine.MEAN, true), new Metric("failures (2 runs)", Combine.SUM, true),
            new Metric("peak mem MB", Combine.MAX, true));
        return c.run(servers, 2, (s, n) -> {
            Load.Crowd r = Load.downloads(s, (int) n, "dl" + n, downloadSize(n), 15 * Load.SECOND);
            return new double[] {r.done() / 1e6 / r.seconds(), r.failures(), r.peakKib() / 1024.0};
        });
    }

    /** The download curve's file for n clients (1 GiB split n ways, whole MiB). */
    static long downloadSize(long n) { return Bench.GIB / n / Bench.MIB * Bench.MIB; }

    static final class Curve {
        final String id, title, xName;
        final long[] xs;
        final boolean lowerBetter;                          // of the first metric, the one the ratio is of
        final Metric[] metrics;
        final Map<Server, double[][]> values = new LinkedHashMap<>();

        Curve(String id, String title, String xName, long[] xs, boolean lowerBetter, Metric... metrics) {
            this.id = id;
            this.title = title;
            this.xName = xName;
            this.xs = xs;
            this.lowerBetter = lowerBetter;
            this.metrics = metrics;
        }

        Curve run(List<Server> servers, int reps, Point p) throws Exception {
            for (Server s : servers) values.put(s, new double[metrics.length][xs.length]);
            for (int i = 0; i < xs.length; i++) {
                for (int r = 0; r < reps; r++) {
                    List<Server> order = new ArrayList<>(servers);
                    if ((i + r) % 2 == 1) java.util.Collections.reverse(order);
                    for (Server s : order) {
                        Bench.progress(id + " " + xs[i] + " " + s.label);
                        double[] v = p.at(s, xs[i]);
                        double[][] acc = values.get(s);
                        for (int m = 0; m < metrics.length; m++) {
                            acc[m][i] = switch (metrics[m].combine()) {
                                case MEAN -> acc[m][i] + v[m] / reps;
                                case SUM -> acc[m][i] + v[m];
                                case MAX -> r == 0 ? v[m] : Math.max(acc[m][i], v[m]);
                            };
                        }
                    }
                }
            }
            return this;
        }

        void print(PrintStream out) {
            List<Server> servers = new ArrayList<>(values.keySet());
            List<String> head = new ArrayList<>(List.of(xName));
            for (Server s : servers) for (Metric m : metrics) head.add(s.label + ": " + m.name());
            if (servers.size() == 2) head.add("ratio " + (lowerBetter ? "(time: other/ours)" : "(ours/other)"));
            List<String[]> rows = new ArrayList<>();
            for (int i = 0; i < xs.length; i++) {
                List<String> r = new ArrayList<>(List.of(String.format(Locale.ROOT, "%,d", xs[i])));
                for (Server s : servers) for (int m = 0; m < metrics.length; m++) r.add(Bench.fmt(values.get(s)[m][i]));
                if (servers.size() == 2) {
                    double a = values.get(servers.get(0))[0][i], b = values.get(servers.get(1))[0][i];
                    r.add(Bench.ratio(lowerBetter ? b / a : a / b));
                }
                rows.add(r.toArray(String[]::new));
            }
            out.println();
            out.println(title);
            Bench.table(out, head.toArray(String[]::new), rows);
        }

        /** One SVG per charted metric under dir: {id}-{metric}.svg. */
        List<Path> charts(Path dir) throws IOException {
            List<Path> written = new ArrayList<>();
            List<String> names = new ArrayList<>();
            for (Server s : values.keySet()) names.add(s.label);
            for (int m = 0; m < metrics.length; m++) {
                if (!metrics[m].chart()) continue;
                List<double[]> ys = new ArrayList<>();
                for (double[][] v : values.values()) ys.add(v[m]);
                String slug = metrics[m].name().replaceAll("[^A-Za-z0-9]+", "-").replaceAll("-$", "");
                Path f = dir.resolve(id + "-" + slug + ".svg");
                Files.writeString(f, Charts.svg(title, xName, xs, metrics[m].name(), names, ys));
                written.add(f);
            }
            return written;
        }
    }
}
