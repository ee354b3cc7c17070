package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.net.ftp.FTPClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RFC 2577 threats, sent as real bytes. Each test fails when its defence is taken out. */
class HardeningTest {
    @TempDir Path tmp;

    static int pasvPort(String reply) {
        String[] n = reply.substring(reply.indexOf('(') + 1, reply.indexOf(')')).split(",");
        return Integer.parseInt(n[4].trim()) * 256 + Integer.parseInt(n[5].trim());
    }

    // 1. FTP bounce (RFC 2577 §3)
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
            int first = pasvPort(r.cmd("PASV"));
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

    // 2. Data-port theft (RFC 2577 §8)
    @Test
    void passiveListenerAcceptsOnlyTheControlPeer() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("alice", "secret")) {
            Files.writeString(s.home.resolve("secret.txt"), "the secret");
            int port = pasvPort(r.cmd("PASV"));
            Socket thief = new Socket();
            thief.bind(new InetSocketAddress("127.0.0.2", 0));
            thief.connect(new InetSocketAddress("127.0.0.1", port));
            thief.setSoTimeout(5000);
            Thread.sleep(200);                          // the thief is first in the accept queue
            Socket legit = new Socket("127.0.0.1", port);
            assertThat(r.cmd("RETR secret.txt")).startsWith("150");
            assertThat(new String(legit.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("the secret");
            assertThat(r.reply()).startsWith("226");
            assertThat(thief.getInputStream().read()).isEqualTo(-1);     // closed, nothing sent
            thief.close();
            legit.close();
        }
    }

    @Test
    void passivePortsStayInTheRangeAndExhaustionIs425() throws Exception {
        int lo = -1;
        for (int i = 0; i < 50 && lo < 0; i++) {         // two neighbouring free ports
            try (ServerSocket a = new ServerSocket(0); ServerSocket b = new ServerSocket(a.getLocalPort() + 1)) {
                lo = a.getLocalPort();
            } catch (IOException taken) {
                // try another pair
            }
        }
        int low = lo;
        try (TestServer s = TestServer.start(tmp, "passive.ports", low + "-" + (low + 1));
             RawClient a = s.raw().login("alice", "secret"); RawClient b = s.raw().login("alice", "secret");
             RawClient c = s.raw().login("alice", "secret")) {
            int pa = pasvPort(a.cmd("PASV")), pb = pasvPort(b.cmd("PASV"));
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

    // 4. Brute force (RFC 2577 §5)
    @Test
    void unknownUserAndWrongPasswordLookTheSameAndTheThirdFailureCloses() throws Exception {
        try (TestServer s = TestServer.start(tmp, "login.failure.delay", "0.3"); RawClient r = s.raw()) {
            r.reply();
            String u1 = r.cmd("USER alice"), u2 = r.cmd("USER nobody");
            assertThat(u1.replace("alice", "X")).isEqualTo(u2.replace("nobody", "X"));
            long t0 = System.nanoTime();
            String wrong = r.cmd("PASS nope");
            long t1 = System.nanoTime();
            r.cmd("USER nobody");
            String unknown = r.cmd("PASS nope");
            assertThat(wrong).isEqualTo(unknown).startsWith("530");
            assertThat((t1 - t0) / 1_000_000).isGreaterThanOrEqualTo(290);          // the failure delay is there
            r.cmd("USER alice");
            assertThat(r.cmd("PASS nope")).startsWith("530");                       // as vsftpd and pyftpdlib: 530, then
            assertThat(r.reply()).isNull();                                          // closed
        }
    }

    @Test
    void repeatedFailuresBanTheAddressAndTheLogLineNamesOnlyIt() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        Handler h = new Handler() {
            @Override public void publish(LogRecord r) { lines.add(r.getMessage()); }
            @Override public void flush() {}
            @Override public void close() {}
        };
        Logger.getLogger("ftp").addHandler(h);
        try (TestServer s = TestServer.start(tmp, "login.max.failures", "4", "login.ban.seconds", "60")) {
            for (int i = 0; i < 2; i++) {
                try (RawClient r = s.raw()) {
                    r.reply();
                    r.cmd("USER x' from 10.9.8.7");                                 // log injection attempts
                    assertThat(r.cmd("PASS a")).startsWith("530");
                    r.cmd("USER ] login failed: 10.9.8.7 \u0085 [#1 10.9.8.7]");
                    assertThat(r.cmd("PASS b")).startsWith(i == 0 ? "530" : "421");    // the 4th failure bans
                }
            }
            try (RawClient r = s.raw()) {
                assertThat(r.reply()).startsWith("421");                             // banned: refused at once
                assertThat(r.reply()).isNull();
            }
            FTPClient other = new FTPClient();                                       // other addresses still welcome
            other.connect(InetAddress.getByName("127.0.0.1"), s.port(), InetAddress.getByName("127.0.0.3"), 0);
            assertThat(other.getReplyCode()).isEqualTo(220);
            other.disconnect();
        } finally {
            Logger.getLogger("ftp").removeHandler(h);
        }
        Pattern fail2ban = Pattern.compile("^\\[#\\d+ (\\S+)\\] login failed");
        List<String> failures = lines.stream().filter(l -> l.contains("login failed")).toList();
        assertThat(failures).isNotEmpty();
        for (String l : failures) {
            for (String physical : l.split("[\\r\\n]")) {
                Matcher m = fail2ban.matcher(physical);
                if (m.find()) assertThat(m.group(1)).isEqualTo("127.0.0.1");
            }
            assertThat(l).doesNotContain("\n").doesNotContain("\r");
        }
    }

    // 5. Floods
    @Test
    void connectionCapsAnswer421BeforeAnySession() throws Exception {
        try (TestServer s = TestServer.start(tmp, "max.connections", "3", "max.connections.per.ip", "2")) {
            List<RawClient> held = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    RawClient r = s.raw();
                    assertThat(r.reply()).startsWith("220");
                    held.add(r);
                }
                try (RawClient third = s.raw()) {
                    assertThat(third.reply()).startsWith("421").contains("your address");
                }
                try (Socket other = from("127.0.0.4", s.port()); Socket fourth = from("127.0.0.5", s.port())) {
                    assertThat(line(other)).startsWith("220");                          // the 3rd slot, another address
                    assertThat(line(fourth)).startsWith("421").contains("Too many connections");   // the global cap
                }
            } finally {
                for (RawClient r : held) r.close();
            }
        }
    }

    static Socket from(String local, int port) throws IOException {
        Socket x = new Socket();
        x.bind(new InetSocketAddress(local, 0));
        x.connect(new InetSocketAddress("127.0.0.1", port));
        x.setSoTimeout(5000);
        return x;
    }

    static String line(Socket x) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = x.getInputStream().read()) >= 0 && c != '\n') b.append((char) c);
        return b.toString();
    }

    @Test
    void threeHundredSimultaneousConnectsGetABannerOr421() throws Exception {
        try (TestServer s = TestServer.start(tmp, "max.connections", "1000", "max.connections.per.ip", "1000")) {
            List<Socket> socks = new ArrayList<>();
            try {
                for (int i = 0; i < 300; i++) socks.add(new Socket("127.0.0.1", s.port()));
                int ok = 0;
                for (Socket x : socks) {
                    x.setSoTimeout(10_000);
                    byte[] b = x.getInputStream().readNBytes(3);
                    String code = new String(b, StandardCharsets.US_ASCII);
                    assertThat(code).isIn("220", "421");
                    if (code.equals("220")) ok++;
                }
                assertThat(ok).isEqualTo(300);
            } finally {
                for (Socket x : socks) x.close();
            }
            FTPClient c = s.alice();
            assertThat(c.sendNoOp()).isTrue();
            c.disconnect();
        }
    }

    @Test
    void silentAndSlowClientsAreDroppedButNotDuringATransfer() throws Exception {
        try (TestServer s = TestServer.start(tmp, "login.timeout", "1", "idle.timeout", "1.5", "data.timeout", "10")) {
            try (RawClient r = s.raw()) {                                           // never logs in
                r.reply();
                long t0 = System.nanoTime();
                assertThat(r.reply()).startsWith("421");
                assertThat((System.nanoTime() - t0) / 1_000_000_000.0).isLessThan(5);
            }
            try (RawClient r = s.raw()) {                                           // one byte a second
                r.reply();
                String res = null;
                for (byte b : "USER alice\r\n".getBytes()) {
                    try {
                        r.send(new byte[] {b});
                        Thread.sleep(400);
                    } catch (IOException e) {
                        break;
                    }
                }
                res = r.reply();
                assertThat(res).startsWith("421");
            }
            try (RawClient r = s.raw().login("alice", "secret")) {                  // idle after login
                assertThat(r.reply()).startsWith("421");
            }
            Files.write(s.home.resolve("f"), new byte[8 << 20]);
            try (RawClient r = s.raw().login("alice", "secret")) {                  // slow transfer: not idle
                r.cmd("TYPE I");
                try (Socket d = new Socket("127.0.0.1", pasvPort(r.cmd("PASV")))) {
                    assertThat(r.cmd("RETR f")).startsWith("150");
                    InputStream in = d.getInputStream();
                    long end = System.nanoTime() + 3_000_000_000L;                  // longer than idle.timeout
                    byte[] buf = new byte[16384];
                    while (System.nanoTime() < end) {
                        in.read(buf);
                        Thread.sleep(20);
                    }
                    assertThat(r.socket.getInputStream().available()).isZero();    // no 421 arrived meanwhile
                    in.readAllBytes();
                }
                assertThat(r.reply()).startsWith("226");
                assertThat(r.cmd("NOOP")).startsWith("200");
            }
        }
    }

    // 6. Listings
    @Test
    void listingsNeitherRecurseNorGlob() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            Files.createDirectories(s.home.resolve("sub/deeper"));
            Files.writeString(s.home.resolve("sub/inner.txt"), "x");
            Files.writeString(s.home.resolve("a.txt"), "x");
            FTPClient c = s.alice();
            assertThat(c.sendCommand("PASV")).isEqualTo(227);
            String list = listing(c, "LIST -R");
            assertThat(list).contains("sub").contains("a.txt").doesNotContain("inner.txt").doesNotContain("deeper");
            assertThat(c.listNames("*.txt")).isNullOrEmpty();
            c.disconnect();
        }
    }

    static String listing(FTPClient c, String cmd) throws Exception {
        String r = c.getReplyString();
        try (Socket d = new Socket("127.0.0.1", pasvPort(r))) {
            assertThat(c.sendCommand(cmd)).isEqualTo(150);
            String out = new String(d.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(c.getReply()).isEqualTo(226);
            return out;
        }
    }

    @Test
    void aHundredThousandEntriesStream() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            Path big = Files.createDirectory(s.home.resolve("big"));
            for (int i = 0; i < 100_000; i++) Files.createFile(big.resolve("f" + i));
            FTPClient c = s.alice();
            assertThat(c.sendCommand("PASV")).isEqualTo(227);
            String r = c.getReplyString();
            try (Socket d = new Socket("127.0.0.1", pasvPort(r))) {
                assertThat(c.sendCommand("NLST big")).isEqualTo(150);
                long lines = new String(d.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().count();
                assertThat(lines).isEqualTo(100_000);
            }
            assertThat(c.getReply()).isEqualTo(226);
            c.disconnect();
        }
    }

    // 8. Data safety
    @Test
    void aFileBeingUploadedIsBusyForOthers() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient up = s.raw().login("alice", "secret")) {
            up.cmd("TYPE I");
            Socket d = new Socket("127.0.0.1", pasvPort(up.cmd("PASV")));
            assertThat(up.cmd("STOR growing.bin")).startsWith("150");
            d.getOutputStream().write(new byte[50_000]);
            FTPClient other = s.alice();
            assertThat(other.deleteFile("growing.bin")).isFalse();
            assertThat(other.getReplyCode()).isEqualTo(450);
            assertThat(other.sendCommand("RNFR growing.bin")).isEqualTo(450);
            assertThat(other.storeFile("growing.bin", new ByteArrayInputStream(new byte[1]))).isFalse();
            assertThat(other.getReplyCode()).isEqualTo(450);
            d.getOutputStream().write(new byte[50_000]);
            d.close();
            assertThat(up.reply()).startsWith("226");
            assertThat(Files.size(s.home.resolve("growing.bin"))).isEqualTo(100_000);
            assertThat(other.deleteFile("growing.bin")).isTrue();                   // free again once done
            other.disconnect();
        }
    }

    @Test
    void maxUploadSizeCountsBytesWrittenAndLeavesNothingHalfDone() throws Exception {
        try (TestServer s = TestServer.start(tmp, "max.upload.size", "1000")) {
            FTPClient c = s.alice();
            assertThat(c.storeFile("big", new ByteArrayInputStream(new byte[5000]))).isFalse();
            assertThat(c.getReplyCode()).isEqualTo(552);
            assertThat(Files.exists(s.home.resolve("big"))).isFalse();
            Files.writeString(s.home.resolve("old"), "old content");
            assertThat(c.appendFile("old", new ByteArrayInputStream(new byte[5000]))).isFalse();
            assertThat(Files.readString(s.home.resolve("old"))).isEqualTo("old content");
            assertThat(c.storeFile("old", new ByteArrayInputStream(new byte[5000]))).isFalse();
            assertThat(Files.readString(s.home.resolve("old"))).isEqualTo("old content");
            assertThat(c.storeFile("ok", new ByteArrayInputStream(new byte[1000]))).isTrue();
            c.disconnect();
        }
    }
}
