package ftp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.logging.LogRecord;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.net.ftp.FTP;
import org.apache.commons.net.ftp.FTPClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two instances sharing one home behind a real HAProxy, run on src/test/haproxy/two-instances.cfg with
 * the ports of the moment: PROXY v2 on control and data connections, leastconn, health checks on
 * /healthz. Clients come from other loopback addresses (127.0.0.5, 127.0.0.6) to the balancer's front
 * address 127.0.0.2; the instances listen on 127.0.0.1 and trust it. Those tests are skipped without
 * haproxy; README's copy of the configuration is checked against the file always.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LoadBalancerTest {
    static final Path TEMPLATE = Path.of("src/test/haproxy/two-instances.cfg");
    static final String FRONT = "127.0.0.2", CLIENT = "127.0.0.5", BYSTANDER = "127.0.0.6";
    static final int RANGE = 10;
    /** Debian installs it in /usr/sbin, which a user's PATH may lack. */
    static final String HAPROXY = TestServer.onPath("haproxy") ? "haproxy"
        : Files.isExecutable(Path.of("/usr/sbin/haproxy")) ? "/usr/sbin/haproxy" : null;

    @TempDir static Path tmp;

    /** One instance: its server, its passive range, its own transfer log, its admin listener. */
    record Instance(String name, TestServer server, int low, int high, Path xferlog, AdminClient admin) {
        boolean owns(int port) { return port >= low && port <= high; }

        int port() { return server.port(); }
    }

    static Instance a, b;
    static Process haproxy;
    static int front;
    static Path stats, haproxyLog;

    // ---- the README's copy of the configuration (no haproxy needed) ----

    /** The template from its README marker on, each quoted "${NAME-default}" as its default, unquoted. */
    static String plain() throws IOException {
        String t = Files.readString(TEMPLATE);
        String marker = "# ---- README from here ----\n";
        t = t.substring(t.indexOf(marker) + marker.length());
        Matcher m = Pattern.compile("\"([^\"\\n]*\\$\\{[^\"\\n]*)\"").matcher(t);
        StringBuilder out = new StringBuilder();
        while (m.find())
            m.appendReplacement(out, Matcher.quoteReplacement(m.group(1).replaceAll("\\$\\{[A-Z_]+-([^}]*)}", "$1")));
        return m.appendTail(out).toString();
    }

    @Test
    @Order(0)
    void theReadmeShowsTheTestedConfiguration() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        int at = readme.indexOf("```haproxy\n");
        assertThat(at).as("a ```haproxy block in README.md").isNotNegative();
        String shown = readme.substring(at + "```haproxy\n".length(), readme.indexOf("```\n", at + 3));
        assertThat(shown).isEqualTo(plain());
        if (HAPROXY == null) return;
        Path f = Files.writeString(tmp.resolve("plain.cfg"), plain());
        TestServer.Exit check = AdminTest.run(new byte[0], HAPROXY, "-c", "-f", f.toString());
        assertThat(check.code()).as("haproxy -c on README's copy: " + check.out()).isZero();
    }

    // ---- setting up ----

    /** Starts the two instances and HAProxy once, for every test that needs them; skips without haproxy. */
    static void need() throws Exception {
        assumeTrue(HAPROXY != null, "haproxy is neither on the PATH nor in /usr/sbin (Debian: package haproxy)");
        if (haproxy != null) return;
        try {
            Path shared = Files.createDirectories(tmp.resolve("shared"));
            int low = freeRange(2 * RANGE);
            a = instance("a", shared, low);
            b = instance("b", shared, low + RANGE);
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(FRONT))) {
                front = s.getLocalPort();
            }
            stats = tmp.resolve("haproxy.sock");
            haproxyLog = tmp.resolve("haproxy.log");
            ProcessBuilder pb = new ProcessBuilder(HAPROXY, "-f", TEMPLATE.toString()).redirectErrorStream(true)
                .redirectOutput(haproxyLog.toFile());
            Map<String, String> env = pb.environment();
            env.put("FTP_FRONT", FRONT);
            env.put("FTP_PORT", String.valueOf(front));
            env.put("FTP_STATS", stats.toString());
            for (Instance i : List.of(a, b)) {
                String n = i.name().toUpperCase(Locale.ROOT);
                env.put(n + "_PORT", String.valueOf(i.port()));
                env.put(n + "_ADMIN", String.valueOf(i.server().server.adminPort()));
                env.put(n + "_PASV", i.low() + "-" + i.high());
            }
            haproxy = pb.start();
            boolean up = AdminTest.within(20_000, () -> {
                Map<String, Map<String, String>> s = AdminTest.quietly(LoadBalancerTest::stat);
                return s != null && "UP".equals(s.get("a").get("status")) && "UP".equals(s.get("b").get("status"))
                    && "L7OK".equals(s.get("a").get("check_status")) && "L7OK".equals(s.get("b").get("check_status"));
            });
            assertThat(up).as("both instances UP in HAProxy within 20 s; its log: " + haproxyLog()).isTrue();
        } catch (Exception | Error e) {
            stopAll();
            throw e;
        }
    }

    /** An instance on 127.0.0.1, port 0: trusts 127.0.0.1, announces the front address, its own ports. */
    static Instance instance(String name, Path shared, int low) throws Exception {
        Path root = Files.createDirectories(tmp.resolve(name)), xferlog = root.resolve("xferlog");
        TestServer s = TestServer.start(root, "user.alice.home", shared.toString(), "proxy.trusted", "127.0.0.1",
            "passive.ports", low + "-" + (low + RANGE - 1), "passive.address", FRONT, "admin.address", "127.0.0.1:0",
            "login.max.failures", "2", "transfer.log", xferlog.toString());
        return new Instance(name, s, low, low + RANGE - 1, xferlog, new AdminClient(s.server.adminPort(), null));
    }

    /**
     * A random run of {@code n} ports free on 127.0.0.1 and on the front address, below the kernel's range
     * for outgoing connections (Linux: ip_local_port_range, 32768-60999 by default), where no connection
     * made meanwhile (HAProxy's own, say) can take one; 40000-60000 where that range is unknown.
     */
    static int freeRange(int n) throws IOException {
        int from = 40_000, to = 60_000;
        try {
            // read by lines: Files.readString trusts the size /proc reports, which may be wrong
            String[] range = Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).getFirst().strip()
                .split("\\s+");
            int low = Integer.parseInt(range[0]);
            if (low > 20_000 + n) {
                from = 20_000;
                to = low;
            }
        } catch (IOException | RuntimeException unknown) {
            // not Linux: the default range
        }
        IOException last = null;
        search:
        for (int attempt = 0; attempt < 50; attempt++) {
            int low = from + ThreadLocalRandom.current().nextInt(to - from - n);
            for (int p = low; p < low + n; p++) {
                for (String host : List.of("127.0.0.1", FRONT)) {
                    try (ServerSocket s = new ServerSocket()) {
                        s.bind(new InetSocketAddress(host, p));
                    } catch (IOException busy) {
                        last = busy;
                        continue search;
                    }
                }
            }
            return low;
        }
        throw new IOException("no " + n + " free ports in a row in " + from + "-" + to, last);
    }

    /** HAProxy's "show stat" for the servers of the backend "instances", by server name and column. */
    static Map<String, Map<String, String>> stat() throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(stats));
            ch.write(ByteBuffer.wrap("show stat\n".getBytes(StandardCharsets.US_ASCII)));
            String csv;
            try (InputStream in = Channels.newInputStream(ch)) {
                csv = new String(in.readAllBytes(), StandardCharsets.US_ASCII);    // HAProxy closes after one command
            }
            List<String> lines = csv.lines().toList();
            String[] head = lines.getFirst().replaceFirst("^# ", "").split(",", -1);
            Map<String, Map<String, String>> servers = new HashMap<>();
            for (String l : lines.subList(1, lines.size())) {
                String[] f = l.split(",", -1);
                if (f.length < head.length || !f[0].equals("instances") || f[1].equals("BACKEND")) continue;
                Map<String, String> row = new HashMap<>();
                for (int i = 0; i < head.length; i++) row.put(head[i], f[i]);
                servers.put(f[1], row);
            }
            return servers;
        }
    }

    static String haproxyLog() {
        String s = AdminTest.quietly(() -> Files.readString(haproxyLog));
        return s == null ? "(none)" : s;
    }

    @AfterAll
    static void stopAll() throws InterruptedException {
        if (haproxy != null) {
            haproxy.destroy();                                  // SIGTERM to its PID
            if (!haproxy.waitFor(5, TimeUnit.SECONDS)) haproxy.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        if (a != null) a.server().close();
        if (b != null) b.server().close();
    }

    /** Waits (at most 10 s) until HAProxy counts no connection to either instance: leastconn starts even. */
    static void quiet() throws InterruptedException {
        assertThat(AdminTest.within(10_000, () -> {
            Map<String, Map<String, String>> s = AdminTest.quietly(LoadBalancerTest::stat);
            return s != null && "0".equals(s.get("a").get("scur")) && "0".equals(s.get("b").get("scur"));
        })).as("no connection left on either instance").isTrue();
    }

    // ---- clients, from their own loopback addresses ----

    /** commons-net through the balancer from {@code local}, control and data; logged in as alice, binary. */
    static FTPClient client(String local) throws IOException {
        FTPClient c = new FTPClient();
        c.setConnectTimeout(5000);
        c.setDefaultTimeout(10_000);
        c.setDataTimeout(Duration.ofSeconds(10));
        c.connect(FRONT, front, InetAddress.getByName(local), 0);
        c.setSoTimeout(10_000);
        c.setPassiveLocalIPAddress(local);
        assertThat(c.login("alice", "secret")).as(c.getReplyString()).isTrue();
        c.setFileType(FTP.BINARY_FILE_TYPE);
        c.enterLocalPassiveMode();
        return c;
    }

    /** A TCP connection from {@code local} to host:port. */
    static Socket socket(String local, String host, int port) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(local, 0));
        s.connect(new InetSocketAddress(host, port), 5000);
        s.setSoTimeout(10_000);
        return s;
    }

    static RawClient raw(String local) throws IOException { return new RawClient(socket(local, FRONT, front)); }

    static Instance owner(int passivePort) {
        assertThat(a.owns(passivePort) || b.owns(passivePort)).as("port " + passivePort + " in a range").isTrue();
        return a.owns(passivePort) ? a : b;
    }

    static void close(FTPClient c) {
        try {
            c.logout();
            c.disconnect();
        } catch (IOException ignored) {
            // gone already
        }
    }

    // ---- through the balancer ----

    @Test
    @Order(1)
    void uploadsAndDownloadsThroughTheBalancerWithPasvAndEpsv() throws Exception {
        need();
        FTPClient c = client(CLIENT);
        try {
            for (boolean epsv : List.of(false, true)) {
                c.setUseEPSVwithIPv4(epsv);
                byte[] body = TestServer.random(300_000, epsv ? 11 : 12);
                String name = (epsv ? "epsv" : "pasv") + ".bin";
                assertThat(c.storeFile(name, new ByteArrayInputStream(body))).as(c.getReplyString()).isTrue();
                if (!epsv) assertThat(c.getPassiveHost()).as("PASV announces the balancer").isEqualTo(FRONT);
                owner(c.getPassivePort());
                assertThat(TestServer.retrieve(c, name)).as(name).isEqualTo(body);
                assertThat(Files.readAllBytes(tmp.resolve("shared").resolve(name))).isEqualTo(body);
            }
        } finally {
            close(c);
        }
    }

    @Test
    @Order(2)
    @SuppressWarnings("unchecked")
    void bothInstancesSeeTheClientsAddressAndShareOneHome() throws Exception {
        need();
        quiet();
        List<LogRecord> log = TestServer.logDuring(() -> {
            FTPClient first = client(CLIENT), second = client(CLIENT);     // leastconn: one on each instance
            try {
                for (Instance i : List.of(a, b)) {
                    List<Object> sessions = (List<Object>) i.admin().json("/sessions");
                    assertThat(sessions).as("instance " + i.name() + "'s sessions").hasSize(1);
                    assertThat((Map<String, Object>) sessions.getFirst()).containsEntry("address", CLIENT)
                        .containsEntry("user", "alice");
                }
                byte[] body = TestServer.random(50_000, 13);
                assertThat(first.storeFile("across.bin", new ByteArrayInputStream(body))).isTrue();
                Instance one = owner(first.getPassivePort());
                assertThat(second.listNames()).contains("across.bin");
                assertThat(TestServer.retrieve(second, "across.bin")).isEqualTo(body);
                Instance other = owner(second.getPassivePort());
                assertThat(other).as("the second client is on the other instance").isNotEqualTo(one);
                assertThat(Files.readString(one.xferlog())).contains(" " + CLIENT + " 50000 ").contains("across.bin");
                assertThat(Files.readString(other.xferlog())).contains(" " + CLIENT + " 50000 ")
                    .contains("across.bin");
            } finally {
                close(first);
                close(second);
            }
        });
        List<String> lines = log.stream().map(LogRecord::getMessage).toList();
        assertThat(lines.stream().filter(l -> l.matches("\\[#\\d+ 127\\.0\\.0\\.5 alice] login ok: user 'alice'")))
            .as("a login from 127.0.0.5 on each instance").hasSize(2);
        assertThat(lines).as("no session is logged as the balancer's").noneMatch(l -> l.startsWith("[#")
            && l.contains(" 127.0.0.1"));
    }

    @Test
    @Order(3)
    @SuppressWarnings("unchecked")
    void aBanFollowsTheRealClientAndTheAdminListenerLiftsIt() throws Exception {
        need();
        quiet();
        try {
            List<LogRecord> log = TestServer.logDuring(() -> {
                // two wrong passwords ban the address (login.max.failures=2) on the instance that saw them
                for (int i = 0; i < 10 && !(banned(a) && banned(b)); i++) {
                    try (RawClient c = raw(CLIENT)) {
                        if (c.reply().startsWith("421")) continue;          // that instance banned it already
                        c.cmd("USER alice");
                        assertThat(c.cmd("PASS wrong")).startsWith("530");
                        c.cmd("USER alice");
                        assertThat(c.cmd("PASS wrong")).startsWith("421");
                    }
                }
            });
            assertThat(banned(a) && banned(b)).as("127.0.0.5 banned on both instances").isTrue();
            assertThat(log).extracting(LogRecord::getMessage)
                .anyMatch(l -> l.matches("\\[#\\d+ 127\\.0\\.0\\.5] address banned after repeated failed logins"));
            for (int i = 0; i < 2; i++) {
                try (RawClient c = raw(CLIENT)) {
                    assertThat(c.reply()).startsWith("421 Too many failed logins");
                }
            }
            FTPClient bystander = client(BYSTANDER);
            assertThat(bystander.listNames()).isNotNull();
            close(bystander);
            for (Instance i : List.of(a, b)) {
                assertThat(i.admin().delete("/bans/" + CLIENT).code()).isEqualTo(200);
                assertThat((List<Object>) i.admin().json("/bans")).isEmpty();
            }
            quiet();
            FTPClient one = client(CLIENT), two = client(CLIENT);          // one on each instance again
            assertThat(one.listNames()).isNotNull();
            assertThat(two.listNames()).isNotNull();
            close(one);
            close(two);
        } finally {
            for (Instance i : List.of(a, b)) AdminTest.quietly(() -> i.admin().delete("/bans/" + CLIENT));
        }
    }

    @SuppressWarnings("unchecked")
    static boolean banned(Instance i) {
        List<Object> bans = AdminTest.quietly(() -> (List<Object>) i.admin().json("/bans"));
        return bans != null && bans.stream().anyMatch(o -> CLIENT.equals(((Map<String, Object>) o).get("address")));
    }

    // ---- around the balancer ----

    @Test
    @Order(4)
    void dataConnectionsThatBypassTheBalancerAreRefusedAndTheTransferWaitsForTheClient() throws Exception {
        need();
        byte[] body = TestServer.random(70_000, 14);
        Files.write(tmp.resolve("shared").resolve("wait.bin"), body);
        List<String> refusals = new ArrayList<>();
        List<LogRecord> log = TestServer.logDuring(() -> {
            try (RawClient c = raw(CLIENT).login("alice", "secret")) {
                assertThat(c.cmd("TYPE I")).startsWith("200");
                String pasv = c.cmd("PASV");
                assertThat(pasv).contains("(127,0,0,2,");
                int port = RawClient.pasvPort(pasv);
                owner(port);
                c.send("RETR wait.bin\r\n");                     // the transfer waits for its data connection
                // from the balancer's address, straight to the instance: no header within the deadline
                try (Socket silent = socket("127.0.0.1", "127.0.0.1", port)) {
                    long t0 = System.nanoTime();
                    assertThat(silent.getInputStream().read()).as("closed, nothing sent").isEqualTo(-1);
                    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isBetween(Duration.ofMillis(2500),
                        Duration.ofSeconds(8));
                }
                // a forged header naming another client
                try (Socket forged = socket("127.0.0.1", "127.0.0.1", port)) {
                    forged.getOutputStream().write(("PROXY TCP4 127.0.0.9 127.0.0.2 40000 " + port + "\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                    assertThat(forged.getInputStream().read()).as("closed, nothing sent").isEqualTo(-1);
                }
                // the client, through the balancer
                try (Socket d = socket(CLIENT, FRONT, port)) {
                    assertThat(c.reply()).startsWith("150");
                    assertThat(d.getInputStream().readAllBytes()).isEqualTo(body);
                }
                assertThat(c.reply()).startsWith("226");
            }
        });
        for (LogRecord r : log) if (r.getMessage().contains("data connection from")) refusals.add(r.getMessage());
        assertThat(refusals).hasSize(2);
        assertThat(refusals.get(0)).matches("\\[#\\d+ 127\\.0\\.0\\.5 alice] data connection from the balancer "
            + "127\\.0\\.0\\.1 refused: no complete PROXY header in time");
        assertThat(refusals.get(1)).matches("\\[#\\d+ 127\\.0\\.0\\.5 alice] data connection from 127\\.0\\.0\\.9 "
            + "refused: the control connection is from 127\\.0\\.0\\.5");
    }

    @Test
    @Order(5)
    void aControlConnectionThatBypassesTheBalancerIsClosedWithoutAReply() throws Exception {
        need();
        Map<String, Double> before = a.admin().metrics();
        List<LogRecord> log = TestServer.logDuring(() -> {
            try (Socket silent = socket("127.0.0.1", "127.0.0.1", a.port())) {
                assertThat(silent.getInputStream().read()).as("closed without a banner").isEqualTo(-1);
            }
            try (Socket talking = socket("127.0.0.1", "127.0.0.1", a.port())) {
                talking.getOutputStream().write("USER alice\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(endWithoutAByte(talking)).as("closed without a reply").isTrue();
            }
        });
        assertThat(log).extracting(LogRecord::getMessage).containsSubsequence(
            "[127.0.0.1] refused: PROXY header from a trusted balancer: no complete PROXY header in time",
            "[127.0.0.1] refused: PROXY header from a trusted balancer: not a PROXY header (first byte 0x55)");
        String proxy = "ftp_connections_refused_total{reason=\"proxy\"}";
        assertThat(a.admin().metrics().get(proxy)).isEqualTo(before.get(proxy) + 2);
    }

    @Test
    @Order(6)
    @SuppressWarnings("unchecked")
    void aProxyHeaderFromAnUntrustedAddressIsAnUnknownCommand() throws Exception {
        need();
        try (RawClient c = new RawClient(socket(CLIENT, "127.0.0.1", a.port()))) {
            assertThat(c.reply()).startsWith("220");
            assertThat(c.cmd("PROXY TCP4 127.0.0.9 127.0.0.1 40000 " + a.port())).startsWith("502");
            List<Object> sessions = (List<Object>) a.admin().json("/sessions");
            assertThat(sessions).hasSize(1);
            assertThat((Map<String, Object>) sessions.getFirst()).containsEntry("address", CLIENT);
        }
    }

    /**
     * True when the connection ends before any byte arrives: an orderly close, or a reset, which is what
     * the peer's kernel sends when the server closes with bytes of ours still unread (RFC 1122 §4.2.2.13).
     */
    static boolean endWithoutAByte(Socket s) throws IOException {
        try {
            return s.getInputStream().read() == -1;
        } catch (SocketException e) {
            return "Connection reset".equals(e.getMessage());
        }
    }

    // ---- one home, two instances (no balancer needed) ----

    /**
     * Busy marks live in each instance's memory; what keeps a shared home whole is that an upload is
     * written under a hidden temporary name and renamed onto its target only when whole. The other
     * instance finds no new file while it is uploaded (DELE, RNFR, RETR: 550), or the old version of a
     * file being replaced (which it may delete); either way the upload lands whole under its name.
     */
    @Test
    @Order(7)
    void aFileBeingUploadedThroughOneInstanceIsNeverHalfSeenOrLostThroughTheOther() throws Exception {
        Path shared = Files.createDirectories(tmp.resolve("busy").resolve("home"));
        try (TestServer one = TestServer.start(Files.createDirectories(tmp.resolve("busy").resolve("one")),
                 "user.alice.home", shared.toString());
             TestServer two = TestServer.start(Files.createDirectories(tmp.resolve("busy").resolve("two")),
                 "user.alice.home", shared.toString());
             RawClient up = one.raw().login("alice", "secret"); RawClient other = two.raw().login("alice", "secret")) {
            up.cmd("TYPE I");
            // a new file
            Socket d = up.pasv();
            assertThat(up.cmd("STOR growing.bin")).startsWith("150");
            d.getOutputStream().write(new byte[50_000]);
            d.getOutputStream().flush();
            assertThat(other.cmd("DELE growing.bin")).as("DELE through the other instance").startsWith("550");
            assertThat(other.cmd("RNFR growing.bin")).as("RNFR through the other instance").startsWith("550");
            assertThat(other.cmd("SIZE growing.bin")).as("SIZE through the other instance").startsWith("550");
            assertThat(other.fetch("NLST -a")).as("not listed, not even its temporary file").doesNotContain("growing");
            d.getOutputStream().write(new byte[50_000]);
            d.close();
            assertThat(up.reply()).startsWith("226");
            assertThat(Files.size(shared.resolve("growing.bin"))).isEqualTo(100_000);
            // a file being replaced: the other instance deletes the old version, the new one lands
            d = up.pasv();
            assertThat(up.cmd("STOR growing.bin")).startsWith("150");
            d.getOutputStream().write(new byte[30_000]);
            d.getOutputStream().flush();
            assertThat(other.cmd("DELE growing.bin")).as("the old version").startsWith("250");
            d.getOutputStream().write(new byte[30_000]);
            d.close();
            assertThat(up.reply()).startsWith("226");
            assertThat(Files.size(shared.resolve("growing.bin"))).isEqualTo(60_000);
            try (var names = Files.list(shared)) {
                assertThat(names.map(p -> p.getFileName().toString())).containsExactly("growing.bin");
            }
        }
    }

    /**
     * RFC 2428 §3: EPSV's family is the control connection's, which for a client behind a balancer is
     * the one between client and balancer: an IPv6 client's, even when the balancer reaches us by IPv4.
     */
    @Test
    @Order(8)
    void epsvOfAnIpv6ClientBehindAnIpv4BalancerIsFamilyTwo() throws Exception {
        try (TestServer s = TestServer.start(Files.createDirectories(tmp.resolve("epsv6")),
                "proxy.trusted", "127.0.0.1/32");
             RawClient c = new RawClient(socket("127.0.0.1", "127.0.0.1", s.port()))) {
            c.send("PROXY TCP6 2001:db8::7 2001:db8::1 40000 21\r\n");
            assertThat(c.reply()).startsWith("220");
            assertThat(c.cmd("USER alice")).startsWith("331");
            assertThat(c.cmd("PASS secret")).startsWith("230");
            assertThat(c.cmd("EPSV 2")).startsWith("229");
            assertThat(c.cmd("EPSV 1")).startsWith("522").contains("(2)");
            assertThat(c.cmd("EPSV")).startsWith("229");
        }
    }

    // ---- a stop ----

    /**
     * Stopping one instance closes its listener at once; until HAProxy's checks mark it DOWN, leastconn
     * still picks it, and option redispatch sends the refused connection to the other instance.
     */
    @Test
    @Order(Integer.MAX_VALUE)
    @SuppressWarnings("unchecked")
    void connectionsArrivingWhileAnInstanceStopsAreServedByTheOther() throws Exception {
        need();
        quiet();
        FTPClient held = client(CLIENT);
        List<FTPClient> late = new ArrayList<>();
        try {
            held.setUseEPSVwithIPv4(true);
            assertThat(held.listNames()).isNotNull();
            Instance busy = owner(held.getPassivePort()), stopping = busy == a ? b : a;
            stopping.server().server.stop(Duration.ofSeconds(5));          // no sessions: it stops at once
            assertThat(stat().get(stopping.name()).get("status")).as("not yet noticed").startsWith("UP");
            for (int i = 0; i < 3; i++) late.add(client(CLIENT));
            List<Object> sessions = (List<Object>) busy.admin().json("/sessions");
            assertThat(sessions).hasSize(4);
            assertThat(AdminTest.within(10_000, () -> {
                Map<String, Map<String, String>> s = AdminTest.quietly(LoadBalancerTest::stat);
                return s != null && s.get(stopping.name()).get("status").startsWith("DOWN");
            })).as("HAProxy marks the stopped instance DOWN").isTrue();
            FTPClient after = client(CLIENT);
            late.add(after);
            assertThat(after.listNames()).isNotNull();
        } finally {
            close(held);
            late.forEach(LoadBalancerTest::close);
        }
    }
}
