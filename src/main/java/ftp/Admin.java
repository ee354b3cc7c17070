package ftp;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.IntPredicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The admin HTTP listener (admin.address), JDK only: GET /healthz (200 while accepting, 503 while
 * stopping, so a balancer drains an instance first), GET /metrics (Prometheus text), GET /sessions
 * and DELETE /sessions/{id}, GET /bans and DELETE /bans/{address}. Every path but /healthz needs
 * "Authorization: Bearer admin.token" when a token is set, compared in constant time. Requests run
 * on virtual threads, each bounded in time, so a slow or hostile HTTP client holds nothing of the
 * FTP side.
 */
final class Admin implements AutoCloseable {
    static {
        // the JDK server's own limits, in seconds: a request must arrive, and an answer leave, within them
        System.setProperty("sun.net.httpserver.maxReqTime", "10");
        System.setProperty("sun.net.httpserver.maxRspTime", "10");
        System.setProperty("sun.net.httpserver.idleInterval", "30");
    }

    /** What the listener asks of the server: small functions, so it never holds the server itself. */
    record Hooks(Supplier<List<Session.View>> sessions, IntPredicate kick, BooleanSupplier stopping,
                 Supplier<Metrics.Gauges> gauges) {}

    private final HttpServer http;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final byte[] token;
    private final Hooks hooks;
    private final Metrics metrics;
    private final Guard guard;

    private Admin(HttpServer http, Config.Http config, Hooks hooks, Metrics metrics, Guard guard) {
        this.http = http;
        this.token = config.token().isEmpty() ? null : config.token().getBytes(StandardCharsets.UTF_8);
        this.hooks = hooks;
        this.metrics = metrics;
        this.guard = guard;
        http.createContext("/", this::handle);
        http.setExecutor(threads);
        http.start();
        Log.SERVER.info("admin listener on " + Addresses.text(http.getAddress().getAddress()) + " port "
            + http.getAddress().getPort() + (token == null ? " (no token: loopback only)" : ""));
    }

    /** Null when admin.address is not set. */
    static Admin start(Config.Http config, Hooks hooks, Metrics metrics, Guard guard) throws IOException {
        return config.address() == null ? null
            : new Admin(HttpServer.create(config.address(), 64), config, hooks, metrics, guard);
    }

    int port() { return http.getAddress().getPort(); }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            String path = x.getRequestURI().getPath(), method = x.getRequestMethod();
            if (path.equals("/healthz")) {
                boolean stopping = hooks.stopping().getAsBoolean();
                send(x, stopping ? 503 : 200, "text/plain", stopping ? "stopping\n" : "ok\n");
                return;
            }
            if (token != null && !authorized(x.getRequestHeaders().getFirst("Authorization"))) {
                x.getResponseHeaders().set("WWW-Authenticate", "Bearer");
                send(x, 401, "text/plain", "a bearer token is needed\n");
                return;
            }
            switch (method + " " + path.replaceAll("^(/[a-z]+/).+$", "$1*")) {
                case "GET /metrics" -> send(x, 200, "text/plain; version=0.0.4",
                    metrics.text(hooks.gauges().get()));
                case "GET /sessions" -> send(x, 200, "application/json", "[" + hooks.sessions().get().stream()
                    .map(Admin::json).collect(Collectors.joining(",")) + "]\n");
                case "DELETE /sessions/*" -> {
                    String id = path.substring("/sessions/".length());
                    boolean found = id.matches("[0-9]{1,9}") && hooks.kick().test(Integer.parseInt(id));
                    send(x, found ? 200 : 404, "text/plain", found ? "closed\n" : "no such session\n");
                }
                case "GET /bans" -> send(x, 200, "application/json", "[" + guard.bans().entrySet().stream()
                    .map(e -> Json.object("address", Addresses.text(e.getKey()), "seconds_left", e.getValue()))
                    .collect(Collectors.joining(",")) + "]\n");
                case "DELETE /bans/*" -> {
                    InetAddress a = literal(path.substring("/bans/".length()));
                    boolean lifted = a != null && guard.lift(a);
                    if (lifted) Log.SERVER.info("ban of " + Addresses.text(a) + " lifted by the administrator");
                    send(x, lifted ? 200 : 404, "text/plain", lifted ? "lifted\n" : "no such ban\n");
                }
                default -> send(x, path.matches("/(metrics|sessions|bans)(/.*)?") ? 405 : 404, "text/plain",
                    "not here\n");
            }
        } catch (RuntimeException e) {
            Log.SERVER.error("admin request failed: " + e);
        }
    }

    /** Compared as SHA-256 digests: the same time whatever was sent, even its length. */
    private boolean authorized(String header) {
        String given = header == null || !header.startsWith("Bearer ") ? "" : header.substring(7).strip();
        try {
            MessageDigest a = MessageDigest.getInstance("SHA-256"), b = MessageDigest.getInstance("SHA-256");
            return MessageDigest.isEqual(a.digest(given.getBytes(StandardCharsets.UTF_8)), b.digest(token));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static InetAddress literal(String s) {
        try {
            return Addresses.of(Addresses.bytes(s));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String json(Session.View v) {
        Map<String, Object> transfer = v.transfer() == null ? null : Map.of("what", v.transfer(), "bytes", v.bytes());
        return Json.object("id", v.id(), "user", v.user(), "address", v.address(), "since", v.since().toString(),
            "tls", v.tls(), "cwd", v.cwd(), "transfer", transfer);
    }

    private static void send(HttpExchange x, int code, String type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", type + (type.contains("charset") ? "" : "; charset=utf-8"));
        x.sendResponseHeaders(code, b.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(b);
        }
    }

    @Override
    public void close() {
        http.stop(0);
        threads.shutdownNow();
    }
}
