package ftp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.net.ftp.FTPClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Data connections: PASV EPSV PORT EPRT (RFC 959, RFC 2428), byte-exact in each, over IPv4 and
 * IPv6; the bounce (RFC 2577 §3) and port theft (§8) defences; passive.ports and
 * passive.address; no data connection (425); and a passive listener nobody uses expires.
 */
class DataChannelTest {
    @TempDir Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"PASV", "EPSV", "PORT", "EPRT"})
    void bigTransfersAreByteExactInEveryMode(String mode) throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            FTPClient c = s.alice();
            switch (mode) {
                case "EPSV" -> c.setUseEPSVwithIPv4(true);
                case "PORT" -> c.enterLocalActiveMode();
                case "EPRT" -> {
                    c.enterLocalActiveMode();
                    c.setUseEPSVwithIPv4(true);
                }
                default -> { }
            }
            if (mode.startsWith("P") || mode.equals("EPRT")) c.setActiveExternalIPAddress("127.0.0.1");
            byte[] data = TestServer.random((1 << 20) + 12345, 1);
            assertThat(c.storeFile("big.bin", new ByteArrayInputStream(data))).as(c.getReplyString()).isTrue();
            assertThat(Files.readAllBytes(s.home.resolve("big.bin"))).isEqualTo(data);
            assertThat(TestServer.retrieve(c, "big.bin")).isEqualTo(data);
            c.disconnect();
        }
    }

    @Test
    void activeModeToOurselvesOnly() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            FTPClient c = s.alice();
            c.enterLocalActiveMode();
            c.setActiveExternalIPAddress(InetAddress.getLoopbackAddress().getHostAddress());
            Files.writeString(s.home.resolve("a"), "active");
            assertThat(new String(TestServer.retrieve(c, "a"))).isEqualTo("active");
            c.disconnect();
        }
    }

    @Test
    void aTransferWithoutADataConnectionIs425() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            FTPClient c = s.alice();
            Files.writeString(s.home.resolve("x"), "x");
            assertThat(c.sendCommand("RETR x")).isEqualTo(425);
            c.disconnect();
        }
    }

    // ---- FTP bounce (RFC 2577 §3) and data-port theft (§8) ----

    @Test
    void portOnlyToTheClientItselfAndUnprivilegedPorts() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("alice", "secret")) {
            assertThat(r.cmd("PORT 127,0,0,2,200,10")).startsWith("501");          // another host
            assertThat(r.cmd("PORT 10,0,0,1,0,25")).startsWith("501");              // a third party's SMTP
            assertThat(r.cmd("PORT 127,0,0,1,0,25")).startsWith("501");             // privileged port
            assertThat(r.cmd("EPRT |1|127.0.0.2|40000|")).startsWith("501");
            assertThat(r.cmd("EPRT |2|::1|40000|")).startsWith("522");             // wrong family
            assertThat(r.cmd("EPRT |1|127.0.0.1|40000|")).startsWith("200");
            // a new PASV replaces the old listener, which no longer accepts
            int first = RawClient.pasvPort(r.cmd("PASV"));
            assertThat(r.cmd("PORT 127,0,0,1,156,64")).startsWith("200");
            assertThat(connects(first)).isFalse();
        }
    }

    static boolean connects(int port) {
        try (Socket x = new Socket()) {
            x.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            x.setSoTimeout(500);
            return x.getInputStream().read() != -1 || true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void passiveListenerAcceptsOnlyTheControlPeer() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("alice", "secret")) {
            Files.writeString(s.home.resolve("secret.txt"), "the secret");
            int port = RawClient.pasvPort(r.cmd("PASV"));
            Socket thief = new Socket();
            thief.bind(new InetSocketAddress("127.0.0.2", 0));
            thief.connect(new InetSocketAddress("127.0.0.1", port));
            thief.setSoTimeout(5000);
            Thread.sleep(200);                          // the thief is first in the accept queue
            Socket legit = new Socket("127.0.0.1", port);
            assertThat(r.cmd("RETR secret.txt")).startsWith("150");
            assertThat(new String(legit.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                .isEqualTo("the secret");
            assertThat(r.reply()).startsWith("226");
            assertThat(thief.getInputStream().read()).isEqualTo(-1);     // closed, nothing sent
            thief.close();
            legit.close();
        }
    }

    // ---- passive listeners: the range, leaks, expiry ----

    @Test
    void passivePortsStayInTheRangeAndExhaustionIs425() throws Exception {
        int lo = -1;
        for (int i = 0; i < 50 && lo < 0; i++) {         // two neighbouring free ports
            try (ServerSocket a = new ServerSocket(0); ServerSocket b = new ServerSocket(a.getLocalPort() + 1)) {
                lo = b.getLocalPort() - 1;
            } catch (IOException taken) {
                // try another pair
            }
        }
        int low = lo;
        try (TestServer s = TestServer.start(tmp, "passive.ports", low + "-" + (low + 1));
             RawClient a = s.raw().login("alice", "secret"); RawClient b = s.raw().login("alice", "secret");
             RawClient c = s.raw().login("alice", "secret")) {
            int pa = RawClient.pasvPort(a.cmd("PASV")), pb = RawClient.pasvPort(b.cmd("PASV"));
            assertThat(List.of(pa, pb)).allMatch(p -> p == low || p == low + 1).doesNotHaveDuplicates();
            assertThat(c.cmd("PASV")).startsWith("425");
            assertThat(c.cmd("EPSV")).startsWith("425");
        }
    }

    @Test
    void aThousandPasvLeakNoSocket() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("alice", "secret")) {
            r.cmd("PASV");
            long before = openFiles();
            for (int i = 0; i < 1000; i++) assertThat(r.cmd(i % 2 == 0 ? "PASV" : "EPSV")).startsWith("22");
            assertThat(openFiles()).isLessThan(before + 20);
        }
    }

    static long openFiles() throws IOException {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    /**
     * A PASV that no transfer command follows holds its port only for data.timeout: otherwise
     * idle sessions could keep every port of passive.ports (RFC 2577 §8). The watchdog closes it.
     */
    @Test
    void anUnusedPassiveListenerClosesAfterTheDataTimeout() throws Exception {
        try (TestServer s = TestServer.start(tmp, "data.timeout", "1", "idle.timeout", "60");
             RawClient r = s.raw().login("alice", "secret")) {
            assertThat(r.cmd("EPSV")).startsWith("229");
            assertThat(r.cmd("STAT")).contains("Data connection ready");
            String status = "";
            // the watchdog looks once a second: ≤ 5 s
            for (int i = 0; i < 50 && !status.contains("No data connection"); i++) {
                Thread.sleep(100);
                status = r.cmd("STAT");
            }
            assertThat(status).contains("No data connection");
            assertThat(r.cmd("RETR nothing-pending")).startsWith("550");   // the file check comes first…
            Files.writeString(s.home.resolve("f"), "x");
            // …then: no data connection set up any more
            assertThat(r.cmd("RETR f")).startsWith("425");
            assertThat(r.cmd("NOOP")).startsWith("200");
        }
    }

    @Test
    void passiveAddressMayBeAHostName() throws Exception {
        try (TestServer s = TestServer.start(tmp, "passive.address", "localhost");
             RawClient r = s.raw().login("alice", "secret")) {
            assertThat(r.cmd("PASV")).contains("(127,0,0,1,");
        }
    }

    // ---- IPv6 ----

    @Test
    void ipv6ControlAndDataConnections() throws Exception {
        InetAddress v6;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("::1"))) {
            v6 = probe.getInetAddress();
        } catch (IOException e) {
            assumeTrue(false, "no IPv6 loopback here");
            return;
        }
        try (TestServer s = TestServer.start(tmp, "address", "::")) {
            Files.writeString(s.home.resolve("six"), "over IPv6");
            FTPClient c = new FTPClient();
            c.connect(v6, s.port());
            assertThat(c.login("alice", "secret")).isTrue();
            c.enterLocalPassiveMode();                       // commons-net uses EPSV on IPv6
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertThat(c.retrieveFile("six", out)).isTrue();
            assertThat(out.toString()).isEqualTo("over IPv6");
            c.enterLocalActiveMode();                        // EPRT |2|::1|port|
            out.reset();
            assertThat(c.retrieveFile("six", out)).isTrue();
            assertThat(out.toString()).isEqualTo("over IPv6");
            assertThat(c.sendCommand("PASV")).isEqualTo(425);
            assertThat(c.sendCommand("EPSV 1")).isEqualTo(522);
            c.disconnect();
            FTPClient v4 = new FTPClient();                  // the same listener serves IPv4 (dual stack)
            v4.connect("127.0.0.1", s.port());
            assertThat(v4.login("alice", "secret")).isTrue();
            v4.enterLocalActiveMode();
            out.reset();
            assertThat(v4.retrieveFile("six", out)).isTrue();
            v4.disconnect();
        }
    }
}
