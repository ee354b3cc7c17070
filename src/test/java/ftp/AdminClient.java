package ftp;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The client side of the admin listener for tests: requests with or without a bearer token, a strict
 * little JSON reader (RFC 8259) for /sessions, /bans and log.format=json lines, and the samples of
 * /metrics by name and labels.
 */
final class AdminClient {
    record Response(int code, String body, String type) {}

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final int port;
    private final String token;

    /** {@code token} null: no Authorization header. */
    AdminClient(int port, String token) {
        this.port = port;
        this.token = token;
    }

    Response get(String path) throws IOException, InterruptedException { return send("GET", path, token); }

    Response delete(String path) throws IOException, InterruptedException { return send("DELETE", path, token); }

    Response send(String method, String path, String bearer) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10)).method(method, HttpRequest.BodyPublishers.noBody());
        if (bearer != null) b.header("Authorization", "Bearer " + bearer);
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Response(r.statusCode(), r.body(), r.headers().firstValue("Content-Type").orElse(""));
    }

    /** GET /metrics, asserted 200: its samples. */
    Map<String, Double> metrics() throws IOException, InterruptedException {
        Response r = get("/metrics");
        if (r.code() != 200) throw new IOException("GET /metrics: " + r.code() + " " + r.body());
        return samples(r.body());
    }

    /** GET path, asserted 200, as JSON. */
    Object json(String path) throws IOException, InterruptedException {
        Response r = get(path);
        if (r.code() != 200) throw new IOException("GET " + path + ": " + r.code() + " " + r.body());
        return parse(r.body());
    }

    // ---- Prometheus text ----

    /** "name{labels}" (labels as written) → value, for every sample line; comments skipped. */
    static Map<String, Double> samples(String text) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) continue;
            int space = line.lastIndexOf(' ');
            m.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        }
        return m;
    }

    // ---- JSON ----

    /** One JSON value: Map (insertion order), List, String, Double, Boolean or null; anything else throws. */
    static Object parse(String text) {
        Reader r = new Reader(text);
        Object v = r.value();
        r.space();
        if (r.at < text.length()) throw r.bad("text after the value");
        return v;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> object(String text) {
        Object v = parse(text);
        if (!(v instanceof Map)) throw new IllegalArgumentException("not a JSON object: " + text);
        return (Map<String, Object>) v;
    }

    private static final class Reader {
        final String s;
        int at;

        Reader(String s) { this.s = s; }

        IllegalArgumentException bad(String why) {
            return new IllegalArgumentException("JSON: " + why + " at " + at + " in " + s);
        }

        void space() { while (at < s.length() && " \t\r\n".indexOf(s.charAt(at)) >= 0) at++; }

        char next() {
            if (at >= s.length()) throw bad("end of text");
            return s.charAt(at++);
        }

        void expect(String word) {
            if (!s.startsWith(word, at)) throw bad("expected " + word);
            at += word.length();
        }

        Object value() {
            space();
            if (at >= s.length()) throw bad("no value");
            char c = s.charAt(at);
            return switch (c) {
                case '{' -> object();
                case '[' -> array();
                case '"' -> string();
                case 't' -> { expect("true"); yield true; }
                case 'f' -> { expect("false"); yield false; }
                case 'n' -> { expect("null"); yield null; }
                default -> number();
            };
        }

        Map<String, Object> object() {
            Map<String, Object> m = new LinkedHashMap<>();
            expect("{");
            space();
            if (s.startsWith("}", at)) {
                at++;
                return m;
            }
            while (true) {
                space();
                String k = string();
                if (m.containsKey(k)) throw bad("duplicate name " + k);
                space();
                expect(":");
                m.put(k, value());
                space();
                char c = next();
                if (c == '}') return m;
                if (c != ',') throw bad("expected , or }");
            }
        }

        List<Object> array() {
            List<Object> l = new ArrayList<>();
            expect("[");
            space();
            if (s.startsWith("]", at)) {
                at++;
                return l;
            }
            while (true) {
                l.add(value());
                space();
                char c = next();
                if (c == ']') return l;
                if (c != ',') throw bad("expected , or ]");
            }
        }

        String string() {
            expect("\"");
            StringBuilder b = new StringBuilder();
            while (true) {
                char c = next();
                if (c == '"') return b.toString();
                if (c < 0x20) throw bad("unescaped control character");
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                char e = next();
                switch (e) {
                    case '"', '\\', '/' -> b.append(e);
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'n' -> b.append('\n');
                    case 'r' -> b.append('\r');
                    case 't' -> b.append('\t');
                    case 'u' -> {
                        if (at + 4 > s.length()) throw bad("short \\u escape");
                        b.append((char) Integer.parseInt(s.substring(at, at + 4), 16));
                        at += 4;
                    }
                    default -> throw bad("bad escape \\" + e);
                }
            }
        }

        Double number() {
            int start = at;
            while (at < s.length() && "+-0123456789.eE".indexOf(s.charAt(at)) >= 0) at++;
            String n = s.substring(start, at);
            if (!n.matches("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?")) throw bad("not a value: " + n);
            return Double.parseDouble(n);
        }
    }
}
