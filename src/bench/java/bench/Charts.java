package bench;

import java.util.List;
import java.util.Locale;

/** A line chart as hand-written SVG: axes, ticks, one polyline per server, a legend. */
final class Charts {
    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd"};
    private static final int W = 560, H = 340, LEFT = 70, RIGHT = 20, TOP = 40, BOTTOM = 50;

    private Charts() {}

    /** x values are placed evenly (they are powers of ten: a log axis); y is linear from 0. */
    static String svg(String title, String xName, long[] xs, String yName, List<String> names, List<double[]> ys) {
        double max = 0;
        for (double[] y : ys) for (double v : y) if (!Double.isNaN(v)) max = Math.max(max, v);
        double step = niceStep(max / 5), top = step * Math.max(1, Math.ceil(max / step));
        int pw = W - LEFT - RIGHT, ph = H - TOP - BOTTOM;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            + "font-family=\"sans-serif\" font-size=\"12\">%n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>%n",
            W, H));
        s.append(text(W / 2.0, 20, "middle", title, "font-size=\"14\""));
        s.append(String.format(Locale.ROOT, "<path d=\"M%d %d V%d H%d\" stroke=\"black\" fill=\"none\"/>%n",
            LEFT, TOP, TOP + ph, LEFT + pw));
        for (double v = 0; v <= top + step / 2; v += step) {                        // y ticks and grid
            double y = TOP + ph - v / top * ph;
            s.append(String.format(Locale.ROOT, "<path d=\"M%d %.1f H%d\" stroke=\"#ddd\"/>%n", LEFT, y, LEFT + pw));
            s.append(text(LEFT - 6, y + 4, "end", Bench.fmt(v), ""));
        }
        for (int i = 0; i < xs.length; i++) {                                          // x ticks
            double x = x(i, xs.length, pw);
            s.append(String.format(Locale.ROOT, "<path d=\"M%.1f %d v5\" stroke=\"black\"/>%n", x, TOP + ph));
            s.append(text(x, TOP + ph + 18, "middle", String.format(Locale.ROOT, "%,d", xs[i]), ""));
        }
        s.append(text(LEFT + pw / 2.0, H - 8, "middle", xName, ""));
        s.append(text(14, TOP + ph / 2.0, "middle", yName, "transform=\"rotate(-90 14 " + (TOP + ph / 2) + ")\""));
        for (int k = 0; k < ys.size(); k++) {
            String c = COLOURS[k % COLOURS.length];
            StringBuilder pts = new StringBuilder();
            for (int i = 0; i < xs.length; i++) {
                double v = ys.get(k)[i];
                if (Double.isNaN(v)) continue;
                double x = x(i, xs.length, pw), y = TOP + ph - v / top * ph;
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
                s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>%n",
                    x, y, c));
            }
            s.append(String.format("<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>%n",
                pts.toString().strip(), c));
            int ly = TOP + 8 + 16 * k;                                                 // legend, top right
            s.append(String.format("<path d=\"M%d %d h20\" stroke=\"%s\" stroke-width=\"2\"/>%n",
                LEFT + pw - 200, ly, c));
            s.append(text(LEFT + pw - 174, ly + 4, "start", names.get(k), ""));
        }
        return s.append("</svg>\n").toString();
    }

    private static double x(int i, int n, int pw) {
        return LEFT + (n == 1 ? pw / 2.0 : 20 + i * (pw - 40.0) / (n - 1));
    }

    /** 1, 2 or 5 times a power of ten, at least {@code raw}. */
    static double niceStep(double raw) {
        if (!(raw > 0)) return 1;
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double m : new double[] {1, 2, 5, 10}) if (m * p >= raw) return m * p;
        return 10 * p;
    }

    private static String text(double x, double y, String anchor, String t, String extra) {
        String esc = t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
        return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" %s>%s</text>%n", x, y, anchor,
            extra, esc);
    }
}
