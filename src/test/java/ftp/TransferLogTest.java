package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.net.ftp.FTP;
import org.apache.commons.net.ftp.FTPClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * transfer.log: one xferlog(5) line per finished file transfer, as vsftpd, proftpd and wu-ftpd
 * write it: bytes on the wire (TYPE A counts CRLF), the anonymous user named by the password it
 * gave. Lines of transfers cut by a stop are in StopTest.
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
}
