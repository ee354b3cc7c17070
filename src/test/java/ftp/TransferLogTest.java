package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.LogRecord;
import org.apache.commons.net.ftp.FTP;
import org.apache.commons.net.ftp.FTPClient;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * transfer.log: one xferlog(5) line per finished file transfer, as vsftpd, proftpd and wu-ftpd
 * write it: bytes on the wire (TYPE A counts CRLF), the anonymous user named by the password it
 * gave, an IPv6 client in the short form of RFC 5952. Lines of transfers cut by a stop are in
 * StopTest.
 */
class TransferLogTest {
    @TempDir Path tmp;

    @Test
    void linesHaveTheXferlogForm() throws Exception {
        Path cfg = TestServer.configFile(tmp, "port=0", "transfer.log=" + tmp.resolve("xferlog"));
        try (FtpServer server = new FtpServer(Config.load(cfg)).start()) {
            FTPClient f = TestServer.client(server.port());
            assertThat(f.storeFile("a", new ByteArrayInputStream(new byte[2000]))).isTrue();
            Files.write(tmp.resolve("home/m"), new byte[1 << 20]);
            assertThat(TestServer.retrieve(f, "m")).hasSize(1 << 20);
            f.disconnect();
            // xferlog(5): time, seconds, host, bytes, name, type, flag, direction, mode, user, service, auth, id,
            // status
            List<String> log = Files.readAllLines(tmp.resolve("xferlog"));
            assertThat(log).anySatisfy(l -> assertThat(l).matches("\\w{3} \\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\d{4} "
                + "\\d+ 127\\.0\\.0\\.1 1048576 /m b _ o r u ftp 0 \\* c"));
            assertThat(log).anySatisfy(l -> assertThat(l).contains(" /a b _ i r u ftp 0 * c"));
        }
    }

    @Test
    void xferlogCountsAsciiWireBytesAndNamesAnonymousByTheirPassword() throws Exception {
        Path xferlog = tmp.resolve("xferlog");
        Path dir = Files.createDirectory(tmp.resolve("srv"));
        try (TestServer s = TestServer.start(dir, "transfer.log", xferlog.toString(),
                "anonymous", "true", "anonymous.home", dir.toRealPath().resolve("alice").toString())) {
            FTPClient c = s.alice();
            c.setFileType(FTP.ASCII_FILE_TYPE);
            byte[] lines = "a\nb\nc\n".getBytes(StandardCharsets.US_ASCII);
            assertThat(c.storeFile("lines.txt", new ByteArrayInputStream(lines))).isTrue();
            assertThat(Files.readString(s.home.resolve("lines.txt"))).isEqualTo("a\nb\nc\n");   // stored with LF
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertThat(c.retrieveFile("lines.txt", out)).isTrue();
            c.disconnect();
            FTPClient anon = s.login("anonymous", "guest@example.org");
            anon.setFileType(FTP.ASCII_FILE_TYPE);
            out.reset();
            assertThat(anon.retrieveFile("lines.txt", out)).isTrue();
            assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo("a\nb\nc\n");
            anon.disconnect();

            // xferlog(5), split on blanks: 0-4 date, 5 seconds, 6 host, 7 bytes, 8 name, 9 type, 10 action,
            // 11 direction, 12 access mode, 13 user, 14 service, 15 auth, 16 auth user, 17 status
            List<String[]> log = Files.readAllLines(xferlog).stream().map(l -> l.split("\\s+")).toList();
            assertThat(log).hasSize(3);
            for (String[] f : log) {
                assertThat(f).hasSize(18);
                assertThat(f[7]).as("wire bytes: 3 lines with CRLF").isEqualTo("9");
                assertThat(f[8]).isEqualTo("/lines.txt");
                assertThat(f[9]).isEqualTo("a");
                assertThat(f[17]).isEqualTo("c");
            }
            assertThat(log.get(0)[11]).isEqualTo("i");
            assertThat(log.get(0)[13]).isEqualTo("alice");
            assertThat(log.get(1)[11]).isEqualTo("o");
            assertThat(log.get(2)[11]).isEqualTo("o");
            assertThat(log.get(2)[12]).isEqualTo("a");
            assertThat(log.get(2)[13]).isEqualTo("guest@example.org");
        }
    }

    /** RFC 5952 §4: the log and xferlog name an IPv6 client "::1", never Java's "0:0:0:0:0:0:0:1". */
    @Test
    void anIpv6ClientIsNamedInItsShortForm() throws Exception {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("::1"))) {
            assertThat(probe.getLocalPort()).isPositive();
        } catch (IOException e) {
            Assumptions.abort("no IPv6 loopback here: " + e);
        }
        Path xferlog = tmp.resolve("xferlog");
        Path dir = Files.createDirectory(tmp.resolve("srv"));
        try (TestServer s = TestServer.start(dir, "address", "::1", "transfer.log", xferlog.toString())) {
            Files.writeString(s.home.resolve("f.txt"), "six");
            List<LogRecord> records = TestServer.logDuring(() -> {
                try (RawClient r = new RawClient("::1", s.port()).login("alice", "secret")) {
                    assertThat(r.cmd("TYPE I")).startsWith("200");
                    try (Socket d = new Socket("::1", RawClient.epsvPort(r.cmd("EPSV")))) {
                        assertThat(r.cmd("RETR f.txt")).startsWith("150");
                        assertThat(d.getInputStream().readAllBytes()).hasSize(3);
                    }
                    assertThat(r.reply()).startsWith("226");
                    try (Socket d = new Socket("::1", RawClient.epsvPort(r.cmd("EPSV")))) {
                        assertThat(r.cmd("STOR up.txt")).startsWith("150");
                        d.getOutputStream().write("up".getBytes(StandardCharsets.US_ASCII));
                    }
                    assertThat(r.reply()).startsWith("226");
                    assertThat(r.cmd("QUIT")).startsWith("221");
                }
            });
            List<String> lines = records.stream().map(LogRecord::getMessage).toList();
            assertThat(lines).anySatisfy(l -> assertThat(l).matches("\\[#\\d+ ::1 alice\\] login ok: user 'alice'"))
                .anySatisfy(l -> assertThat(l).matches("\\[#\\d+ ::1 alice\\] transfer RETR /f.txt 3 bytes .* ok"))
                .noneSatisfy(l -> assertThat(l).contains("0:0:0:0:0:0:0:1"));
            List<String[]> log = Files.readAllLines(xferlog).stream().map(l -> l.split("\\s+")).toList();
            assertThat(log).hasSize(2).allSatisfy(f -> assertThat(f[6]).isEqualTo("::1"));   // field 6: the host
            assertThat(log.get(0)[8]).isEqualTo("/f.txt");
            assertThat(log.get(1)[8]).isEqualTo("/up.txt");
        }
    }
}
