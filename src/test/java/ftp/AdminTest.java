package ftp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.logging.LogRecord;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.net.ftp.FTPClient;
import org.apache.commons.net.ftp.FTPSClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin listener (admin.address, admin.token): /healthz and a graceful stop, the token, /metrics as
 * traffic flows and as Prometheus' own parser reads it, /sessions and closing one, /bans and lifting one;
 * and log.format=json, from ftp.Main as a process of its own.
 */
class AdminTest {
    static final String TOKEN = "test-token-0123456789";

    @TempDir Path tmp;

    static TestServer server(Path tmp, String... extra) throws Exception {
        String[] all = new String[extra.length + 2];
        all[0] = "admin.address";
        all[1] = "127.0.0.1:0";
        System.arraycopy(extra, 0, all, 2, extra.length);
        return TestServer.start(tmp, all);
    }

    static AdminClient admin(TestServer s, String token) { return new AdminClient(s.server.adminPort(), token); }

    /** Polls {@code done} every 50 ms for at most {@code ms}. */
    static boolean within(long ms, BooleanSupplier done) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        while (System.nanoTime() - end < 0) {
            if (done.getAsBoolean()) return true;
            Thread.sleep(50);
        }
        return done.getAsBoolean();
    }

    interface Io<T> { T get() throws Exception; }

    /** {@code call}'s value, or null when it threw: for polling a listener that may be gone. */
    static <T> T quietly(Io<T> call) {
        try {
            return call.get();
        } catch (Exception e) {
            return null;
        }
    }

    // ---- health and the token ----

    @Test
    void healthIsOkThenUnavailableWhileAGracefulStopWaitsForATransfer() throws Exception {
        try (TestServer s = server(tmp, "rate.download", "16")) {
            Files.write(s.home.resolve("big"), TestServer.random(1 << 20, 1));
            AdminClient a = admin(s, null);
            AdminClient.Response ok = a.get("/healthz");
            assertThat(ok.code()).isEqualTo(200);
            assertThat(ok.body()).isEqualTo("ok\n");
            try (RawClient c = s.raw().login("alice", "secret")) {
                Socket d = c.epsv();
                assertThat(c.cmd("RETR big")).startsWith("150");
                assertThat(d.getInputStream().readNBytes(1024)).hasSize(1024);   // the transfer runs, slowly
                Thread stopper = StopTest.stop(s, Duration.ofSeconds(30));
                assertThat(within(5000, () -> {
                    AdminClient.Response r = quietly(() -> a.get("/healthz"));
                    return r != null && r.code() == 503;
                })).as("/healthz 503 while the stop waits for the transfer").isTrue();
                assertThat(a.get("/healthz").body()).isEqualTo("stopping\n");
                assertThat(stopper.isAlive()).as("the stop is in its grace").isTrue();
                d.close();                                   // the transfer ends, and with it the grace
                stopper.join(10_000);
                assertThat(stopper.isAlive()).as("stop() still running 10 s after the transfer ended").isFalse();
            }
            assertThatThrownBy(() -> a.get("/healthz")).as("the listener is closed once stopped")
                .isInstanceOf(ConnectException.class);
        }
    }

    @Test
    void everyPathButHealthNeedsTheBearerToken() throws Exception {
        try (TestServer s = server(tmp, "admin.token", TOKEN)) {
            AdminClient none = admin(s, null), wrong = admin(s, TOKEN + "x"), right = admin(s, TOKEN);
            assertThat(none.get("/healthz").code()).isEqualTo(200);
            for (String path : List.of("/metrics", "/sessions", "/bans")) {
                AdminClient.Response r = none.get(path);
                assertThat(r.code()).as("GET " + path + " without a token").isEqualTo(401);
                assertThat(wrong.get(path).code()).as("GET " + path + " with a wrong token").isEqualTo(401);
                assertThat(none.send("GET", path, "").code()).as("an empty token").isEqualTo(401);
                assertThat(right.get(path).code()).as("GET " + path + " with the token").isEqualTo(200);
            }
            assertThat(none.delete("/bans/127.0.0.9").code()).isEqualTo(401);
            assertThat(none.delete("/sessions/1").code()).isEqualTo(401);
            AdminClient.Response m = right.get("/metrics");
            assertThat(m.type()).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
            assertThat(right.get("/sessions").type()).startsWith("application/json");
            assertThat(right.get("/nothing").code()).isEqualTo(404);
            assertThat(right.send("POST", "/metrics", TOKEN).code()).isEqualTo(405);
        }
    }

    @Test
    void aNonLoopbackAdminAddressWithoutALongTokenIsAConfigErrorNamingAdminToken() throws Exception {
        for (String token : List.of("", "short-token")) {
            Properties p = new Properties();
            p.setProperty("admin.address", "0.0.0.0:9021");
            p.setProperty("admin.token", token);
            assertThatThrownBy(() -> Config.parse(p, "test")).isInstanceOf(Keys.Bad.class)
                .hasMessageStartingWith("admin.token: ");
        }
        Properties p = new Properties();
        p.setProperty("admin.address", "0.0.0.0:9021");
        p.setProperty("admin.token", TOKEN);
        assertThat(Config.parse(p, "test").admin().token()).isEqualTo(TOKEN);
        p.setProperty("admin.address", "9021");
        assertThatThrownBy(() -> Config.parse(p, "test")).hasMessageStartingWith("admin.address: ");
    }

    // ---- metrics ----

    @Test
    void metricsCountLoginsTransfersBytesAndHandshakes() throws Exception {
        try (TestServer s = server(tmp, TlsClient.settings())) {
            AdminClient a = admin(s, null);
            Map<String, Double> m = a.metrics();
            assertThat(m).containsEntry("ftp_logins_total{result=\"ok\"}", 0.0)
                .containsEntry("ftp_transfers_total{kind=\"upload\",result=\"ok\"}", 0.0)
                .containsEntry("ftp_bytes_total{direction=\"in\"}", 0.0)
                .containsEntry("ftp_tls_handshakes_total{result=\"ok\"}", 0.0);
            byte[] body = TestServer.random(100_000, 2);
            FTPClient c = s.alice();
            assertThat(c.storeFile("up.bin", new ByteArrayInputStream(body))).isTrue();
            assertThat(TestServer.retrieve(c, "up.bin")).isEqualTo(body);
            assertThat(c.listNames()).contains("up.bin");
            FTPClient bad = s.connect();
            assertThat(bad.login("alice", "wrong")).isFalse();
            m = a.metrics();
            assertThat(m).containsEntry("ftp_logins_total{result=\"ok\"}", 1.0)
                .containsEntry("ftp_logins_total{result=\"failed\"}", 1.0)
                .containsEntry("ftp_transfers_total{kind=\"upload\",result=\"ok\"}", 1.0)
                .containsEntry("ftp_transfers_total{kind=\"download\",result=\"ok\"}", 1.0)
                .containsEntry("ftp_transfers_total{kind=\"listing\",result=\"ok\"}", 1.0)
                .containsEntry("ftp_bytes_total{direction=\"in\"}", 100_000.0)
                .containsEntry("ftp_bytes_total{direction=\"out\"}", 100_000.0)
                .containsEntry("ftp_sessions{state=\"logged_in\"}", 1.0)
                .containsEntry("ftp_sessions{state=\"not_logged_in\"}", 1.0)
                .containsEntry("ftp_connections_total", 2.0)
                .containsEntry("ftp_passive_ports_in_use", 0.0);
            bad.disconnect();

            // an aborted download, then one the client cuts: aborted and failed
            TestServer.sparse(s.home.resolve("huge"), 256L << 20);
            try (RawClient r = s.raw().login("alice", "secret")) {
                r.cmd("TYPE I");
                try (Socket d = r.epsv()) {
                    assertThat(a.metrics()).containsEntry("ftp_passive_ports_in_use", 1.0);
                    assertThat(r.cmd("RETR huge")).startsWith("150");
                    d.getInputStream().readNBytes(4096);
                    assertThat(r.cmd("ABOR")).startsWith("426");
                    assertThat(r.reply()).startsWith("226");
                }
                try (Socket d = r.epsv()) {
                    assertThat(r.cmd("RETR huge")).startsWith("150");
                    d.getInputStream().readNBytes(4096);
                    d.setSoLinger(true, 0);                  // a reset: the server's next send fails
                }
                assertThat(r.reply()).startsWith("426");
            }
            m = a.metrics();
            assertThat(m).containsEntry("ftp_transfers_total{kind=\"download\",result=\"aborted\"}", 1.0)
                .containsEntry("ftp_transfers_total{kind=\"download\",result=\"failed\"}", 1.0);
            assertThat(m.get("ftp_bytes_total{direction=\"out\"}")).isGreaterThan(100_000.0 + 8192);

            // TLS: one handshake that works, one that gets garbage
            FTPSClient tls = TlsClient.login(TlsClient.client(false), s.port());
            tls.disconnect();
            try (RawClient r = s.raw()) {
                r.reply();
                assertThat(r.cmd("AUTH TLS")).startsWith("234");
                r.send("this is no ClientHello\r\n".repeat(4));
                r.socket.getInputStream().readAllBytes();   // perhaps an alert, then the close (10 s at most)
            }
            assertThat(within(5000, () -> {
                Map<String, Double> x = quietly(a::metrics);
                return x != null && x.get("ftp_tls_handshakes_total{result=\"failed\"}") == 1.0;
            })).isTrue();
            assertThat(a.metrics()).containsEntry("ftp_tls_handshakes_total{result=\"ok\"}", 1.0)
                .containsEntry("ftp_logins_total{result=\"ok\"}", 3.0);
        }
    }

    /** The interpreter that has prometheus_client: python3 on the PATH, else Debian's own (pyenv hides it). */
    static String pythonWithPrometheusClient() throws Exception {
        for (String python : List.of("python3", "/usr/bin/python3")) {
            if (!python.startsWith("/") && !TestServer.onPath(python)) continue;
            if (python.startsWith("/") && !Files.isExecutable(Path.of(python))) continue;
            Process p = new ProcessBuilder(python, "-c", "import prometheus_client.parser").redirectErrorStream(true)
                .start();
            p.getInputStream().readAllBytes();
            if (p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0) return python;
            p.destroyForcibly();
        }
        return null;
    }

    /** Runs {@code command} with {@code input} on its standard input, bounded to 20 s: exit code and output. */
    static TestServer.Exit run(byte[] input, String... command) throws Exception {
        Process p = new ProcessBuilder(command).start();
        try {
            Thread feeder = Thread.ofVirtual().start(() -> {
                try (OutputStream in = p.getOutputStream()) {
                    in.write(input);
                } catch (IOException ignored) {
                    // it exited early: its exit code says why
                }
            });
            var err = Thread.ofVirtual().start(() -> quietly(() -> p.getErrorStream().readAllBytes()));
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).as(String.join(" ", command) + " ended").isTrue();
            feeder.join(1000);
            err.join(1000);
            return new TestServer.Exit(p.exitValue(), out, "");
        } finally {
            p.destroyForcibly();
        }
    }

    /** curl, as a scraper would (Prometheus' bearer_token), and the text through prometheus_client's own parser. */
    @Test
    void prometheusClientParsesTheMetricsAsCurlFetchesThem() throws Exception {
        String python = pythonWithPrometheusClient();
        assumeTrue(python != null, "python3 with prometheus_client (Debian: python3-prometheus-client) is missing");
        assumeTrue(TestServer.onPath("curl"), "curl is missing");
        try (TestServer s = server(tmp, "admin.token", TOKEN)) {
            FTPClient c = s.alice();
            assertThat(c.storeFile("a", new ByteArrayInputStream(new byte[1234]))).isTrue();
            TestServer.Exit scrape = run(new byte[0], "curl", "-sS", "--fail", "--max-time", "10",
                "--oauth2-bearer", TOKEN, "http://127.0.0.1:" + s.server.adminPort() + "/metrics");
            assertThat(scrape.code()).as("curl's exit code").isZero();
            TestServer.Exit denied = run(new byte[0], "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                "--max-time", "10", "http://127.0.0.1:" + s.server.adminPort() + "/metrics");
            assertThat(denied.out()).isEqualTo("401");
            String parse = """
                import json, sys
                from prometheus_client.parser import text_string_to_metric_families as families
                for f in families(sys.stdin.read()):
                    for s in f.samples:
                        print(f.type, s.name, json.dumps(s.labels, sort_keys=True), s.value)
                """;
            TestServer.Exit parsed = run(scrape.out().getBytes(StandardCharsets.UTF_8), python, "-c", parse);
            assertThat(parsed.code()).as("prometheus_client's parser: " + parsed.out()).isZero();
            assertThat(parsed.out().lines()).contains(
                "counter ftp_logins_total {\"result\": \"ok\"} 1.0",
                "counter ftp_transfers_total {\"kind\": \"upload\", \"result\": \"ok\"} 1.0",
                "counter ftp_bytes_total {\"direction\": \"in\"} 1234.0",
                "gauge ftp_sessions {\"state\": \"logged_in\"} 1.0",
                "gauge ftp_bans_active {} 0.0");
            // every family of the text is one the parser typed, none "unknown"
            assertThat(parsed.out().lines().filter(l -> l.startsWith("unknown"))).isEmpty();
            assertThat(parsed.out().lines().map(l -> l.split(" ")[1]).distinct().count())
                .isEqualTo(AdminClient.samples(scrape.out()).keySet().stream().map(k -> k.replaceAll("\\{.*", ""))
                    .distinct().count());
        }
    }

    // ---- sessions ----

    @SuppressWarnings("unchecked")
    static Map<String, Object> session(AdminClient a, String user) throws Exception {
        for (Object o : (List<Object>) a.json("/sessions")) {
            Map<String, Object> m = (Map<String, Object>) o;
            if (user.equals(m.get("user"))) return m;
        }
        return null;
    }

    @Test
    @SuppressWarnings("unchecked")
    void sessionsShowsUserAddressCwdAndATransferAndDeletingOneSends421AndCutsIt() throws Exception {
        try (TestServer s = server(tmp, "rate.download", "16")) {
            Files.createDirectories(s.home.resolve("sub"));
            Files.write(s.home.resolve("sub/big"), TestServer.random(1 << 20, 3));
            AdminClient a = admin(s, null);
            List<LogRecord> log;
            try (RawClient stranger = s.raw(); RawClient c = s.raw().login("alice", "secret")) {
                stranger.reply();
                assertThat(c.cmd("CWD sub")).startsWith("250");
                assertThat(c.cmd("TYPE I")).startsWith("200");
                Socket d = c.epsv();
                assertThat(c.cmd("RETR big")).startsWith("150");
                InputStream in = d.getInputStream();
                assertThat(in.readNBytes(2048)).hasSize(2048);
                assertThat(within(5000, () -> {
                    Map<String, Object> m = quietly(() -> session(a, "alice"));
                    return m != null && m.get("transfer") instanceof Map<?, ?> t && (Double) t.get("bytes") >= 2048;
                })).as("GET /sessions shows the transfer's bytes").isTrue();
                List<Object> all = (List<Object>) a.json("/sessions");
                assertThat(all).hasSize(2);
                Map<String, Object> other = (Map<String, Object>) all.get(0);
                assertThat(other).doesNotContainKeys("user", "cwd", "transfer").containsEntry("address", "127.0.0.1");
                Map<String, Object> m = session(a, "alice");
                assertThat(m).containsEntry("address", "127.0.0.1").containsEntry("cwd", "/sub")
                    .containsEntry("tls", "clear text").containsKeys("id", "since");
                assertThat(Instant.parse((String) m.get("since"))).isBefore(Instant.now());
                assertThat((Map<String, Object>) m.get("transfer")).containsEntry("what", "RETR /sub/big");
                int id = ((Double) m.get("id")).intValue();

                log = TestServer.logDuring(() -> {
                    assertThat(a.delete("/sessions/" + id).code()).isEqualTo(200);
                    assertThat(c.reply()).isEqualTo("421 Closed by the administrator.");
                    assertThat(c.reply()).as("then the close").isNull();
                    d.setSoTimeout(5000);
                    in.skip(1 << 20);                        // what was in flight, then the end
                    assertThat(in.read()).isEqualTo(-1);
                    assertThat(within(5000, () -> quietly(() -> session(a, "alice")) == null)).isTrue();
                });
                d.close();
                assertThat(a.delete("/sessions/" + id).code()).isEqualTo(404);
                assertThat(a.delete("/sessions/x").code()).isEqualTo(404);
            }
            assertThat(log).extracting(LogRecord::getMessage).anyMatch(x -> x.endsWith("closed by the administrator"))
                .anyMatch(x -> x.matches("\\[#\\d+ 127\\.0\\.0\\.1 alice] transfer RETR /sub/big \\d+ bytes \\d+ ms "
                    + "aborted"));
            assertThat(a.metrics()).containsEntry("ftp_transfers_total{kind=\"download\",result=\"aborted\"}", 1.0);
        }
    }

    // ---- bans ----

    @Test
    @SuppressWarnings("unchecked")
    void bansAreListedCountedAndLifted() throws Exception {
        try (TestServer s = server(tmp, "login.max.failures", "2")) {
            AdminClient a = admin(s, null);
            try (RawClient c = RawClient.from("127.0.0.7", s.port())) {
                c.reply();
                c.cmd("USER alice");
                assertThat(c.cmd("PASS no")).startsWith("530");
                c.cmd("USER alice");
                assertThat(c.cmd("PASS no")).startsWith("421");
            }
            List<Object> bans = (List<Object>) a.json("/bans");
            assertThat(bans).hasSize(1);
            Map<String, Object> ban = (Map<String, Object>) bans.get(0);
            assertThat(ban).containsEntry("address", "127.0.0.7");
            assertThat((Double) ban.get("seconds_left")).isBetween(590.0, 600.0);
            try (RawClient c = RawClient.from("127.0.0.7", s.port())) {
                assertThat(c.reply()).startsWith("421 Too many failed logins");
            }
            try (RawClient c = RawClient.from("127.0.0.8", s.port())) {
                c.login("alice", "secret");
            }
            Map<String, Double> m = a.metrics();
            assertThat(m).containsEntry("ftp_bans_active", 1.0)
                .containsEntry("ftp_connections_refused_total{reason=\"ban\"}", 1.0);

            List<LogRecord> log = TestServer.logDuring(() ->
                assertThat(a.delete("/bans/127.0.0.7").code()).isEqualTo(200));
            assertThat(log).extracting(LogRecord::getMessage)
                .contains("ban of 127.0.0.7 lifted by the administrator");
            assertThat((List<Object>) a.json("/bans")).isEmpty();
            assertThat(a.metrics()).containsEntry("ftp_bans_active", 0.0);
            try (RawClient c = RawClient.from("127.0.0.7", s.port())) {
                c.login("alice", "secret");
            }
            assertThat(a.delete("/bans/127.0.0.7").code()).isEqualTo(404);
            assertThat(a.delete("/bans/localhost").code()).as("no DNS: literals only").isEqualTo(404);
        }
    }

    // ---- log.format=json ----

    /** The port of "listening on 127.0.0.1 port N" in a JSON log, or 0 while there is none. */
    static int loggedPort(Path logFile) {
        List<String> lines = quietly(() -> Files.readAllLines(logFile));
        for (String l : lines == null ? List.<String>of() : lines) {
            Map<String, Object> o = quietly(() -> AdminClient.object(l));   // null: a line still being written
            if (o != null && o.get("event") instanceof String e && e.matches("listening on 127\\.0\\.0\\.1 port \\d+"))
                return Integer.parseInt(e.substring(e.lastIndexOf(' ') + 1));
        }
        return 0;
    }

    @Test
    void jsonLogLinesAreObjectsWithTheirFields() throws Exception {
        Path logFile = tmp.resolve("ftp.log");
        Path config = TestServer.configFile(tmp, "port=0", "log.format=json", "log.file=" + logFile);
        Process p = new ProcessBuilder(TestServer.java(), "-cp", "target/classes", "ftp.Main", "-c", config.toString())
            .redirectErrorStream(true).redirectOutput(tmp.resolve("out").toFile()).start();
        List<Map<String, Object>> lines;
        try {
            int[] port = {0};
            assertThat(within(20_000, () -> (port[0] = loggedPort(logFile)) > 0)).as("the log names the port").isTrue();
            try (RawClient c = new RawClient("127.0.0.1", port[0])) {
                c.reply();
                c.cmd("USER odd\"name\\with\tcontrols");
                assertThat(c.cmd("PASS x")).startsWith("530");
            }
            FTPClient c = TestServer.client(port[0]);
            assertThat(c.storeFile("a.txt", new ByteArrayInputStream("0123456789".getBytes()))).isTrue();
            assertThat(TestServer.retrieve(c, "a.txt")).hasSize(10);
            c.logout();
            c.disconnect();
        } finally {
            p.destroy();                                         // SIGTERM: a graceful stop
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
            p.destroyForcibly();
        }
        assertThat(p.exitValue()).isZero();
        lines = new ArrayList<>();
        for (String l : Files.readAllLines(logFile)) lines.add(AdminClient.object(l));
        assertThat(lines).hasSizeGreaterThan(8).allSatisfy(o -> {
            assertThat(o).containsKeys("time", "level", "event");
            assertThat(Instant.parse((String) o.get("time"))).isBefore(Instant.now());
            assertThat(o.get("level")).isIn("INFO", "WARNING", "SEVERE", "FINE");
        });
        assertThat(lines).anySatisfy(o -> assertThat(o).containsEntry("event", "login failed: user "
            + "'odd\"name\\with\tcontrols'").containsEntry("address", "127.0.0.1").containsKey("session")
            .doesNotContainKey("user").containsEntry("level", "WARNING"));
        assertThat(lines).anySatisfy(o -> assertThat(o).containsEntry("event", "login ok: user 'u'")
            .containsEntry("user", "u").containsEntry("address", "127.0.0.1").containsKey("session"));
        for (String verb : List.of("STOR", "RETR")) {
            assertThat(lines).anySatisfy(o -> {
                assertThat(o).containsEntry("event", "transfer " + verb + " /a.txt").containsEntry("path", "/a.txt")
                    .containsEntry("bytes", 10.0).containsEntry("result", "ok").containsEntry("user", "u")
                    .containsEntry("address", "127.0.0.1").containsKeys("session", "ms");
                assertThat((Double) o.get("ms")).isGreaterThanOrEqualTo(0.0);
            });
        }
        assertThat(lines.getLast()).containsEntry("event", "stopped").doesNotContainKeys("session", "address");
        // README's fail2ban expression for these lines (Python's re, which reads it as Java's does)
        Matcher m = Pattern.compile("failregex = (\\^\\\\\\{\"time\".*login failed: )`").matcher(
            Files.readString(Path.of("README.md")));
        assertThat(m.find()).as("README's failregex for log.format=json").isTrue();
        Pattern failed = Pattern.compile(m.group(1).replace("<HOST>", "(?<host>[0-9a-fA-F.:]+)"));
        List<String> hosts = new ArrayList<>();
        for (String l : Files.readAllLines(logFile)) {
            Matcher f = failed.matcher(l);
            if (f.find()) hosts.add(f.group("host"));
        }
        assertThat(hosts).containsExactly("127.0.0.1");
    }
}
