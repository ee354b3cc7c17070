package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Random;
import org.apache.commons.net.ftp.FTPClient;
import org.apache.commons.net.ftp.FTPFile;
import org.apache.commons.net.ftp.FTPReply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every verb of issue 2 through commons-net (or raw bytes), checked on the wire and on disk. */
class ProtocolTest {
    @TempDir Path tmp;
    TestServer s;
    FTPClient c;

    @BeforeEach
    void start() throws Exception {
        s = TestServer.start(tmp);
        c = s.alice();
    }

    @AfterEach
    void stop() throws Exception {
        if (c.isConnected()) c.disconnect();
        s.close();
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    byte[] download(String name) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(c.retrieveFile(name, out)).as(c.getReplyString()).isTrue();
        return out.toByteArray();
    }

    @ParameterizedTest
    @ValueSource(strings = {"PASV", "EPSV", "PORT", "EPRT"})
    void bigTransfersAreByteExactInEveryMode(String mode) throws Exception {
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
        byte[] data = random((1 << 20) + 12345, 1);
        assertThat(c.storeFile("big.bin", new ByteArrayInputStream(data))).as(c.getReplyString()).isTrue();
        assertThat(Files.readAllBytes(s.home.resolve("big.bin"))).isEqualTo(data);
        assertThat(download("big.bin")).isEqualTo(data);
    }

    @Test
    void resumeDownloadAndUpload() throws Exception {
        byte[] data = random(3 << 20, 2);
        Files.write(s.home.resolve("r.bin"), data);
        c.setRestartOffset(1_000_000);
        assertThat(download("r.bin")).isEqualTo(Arrays.copyOfRange(data, 1_000_000, data.length));
        // REST is cleared after a transfer: the next RETR starts at 0
        assertThat(download("r.bin")).isEqualTo(data);
        // an interrupted upload: the first 1 MB arrived; REST + STOR sends the rest
        Files.write(s.home.resolve("up.bin"), Arrays.copyOf(data, 1_000_000));
        c.setRestartOffset(1_000_000);
        assertThat(c.storeFile("up.bin", new ByteArrayInputStream(data, 1_000_000, data.length))).isTrue();
        assertThat(Files.readAllBytes(s.home.resolve("up.bin"))).isEqualTo(data);
        // APPE resumes too
        Files.write(s.home.resolve("ap.bin"), Arrays.copyOf(data, 777));
        assertThat(c.appendFile("ap.bin", new ByteArrayInputStream(data, 777, data.length))).isTrue();
        assertThat(Files.readAllBytes(s.home.resolve("ap.bin"))).isEqualTo(data);
    }

    @Test
    void restPastTheEndIsRefused() throws Exception {
        Files.write(s.home.resolve("small"), new byte[10]);
        assertThat(c.sendCommand("REST 11")).isEqualTo(350);
        c.pasv();
        assertThat(c.sendCommand("RETR small")).isEqualTo(554);
        assertThat(c.sendCommand("REST 11")).isEqualTo(350);
        c.pasv();
        assertThat(c.sendCommand("STOR small")).isEqualTo(554);
        assertThat(Files.size(s.home.resolve("small"))).isEqualTo(10);
    }

    @Test
    void asciiModeConvertsLineEndsBothWays() throws Exception {
        Files.writeString(s.home.resolve("unix.txt"), "a\nb\r\nc\n");
        assertThat(c.sendCommand("TYPE A")).isEqualTo(200);
        try (Socket d = dataSocket(); InputStream in = d.getInputStream()) {
            assertThat(c.sendCommand("RETR unix.txt")).isEqualTo(150);
            assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("a\r\nb\r\nc\r\n");
        }
        assertThat(c.getReply()).isEqualTo(226);
        // upload: the client sends CRLF, the file gets LF; a lone CR survives
        assertThat(c.sendCommand("TYPE A")).isEqualTo(200);
        try (Socket d = dataSocket(); var out = d.getOutputStream()) {
            assertThat(c.sendCommand("STOR dos.txt")).isEqualTo(150);
            out.write("x\r\ny\rz\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        assertThat(c.getReply()).isEqualTo(226);
        assertThat(Files.readString(s.home.resolve("dos.txt"))).isEqualTo("x\ny\rz\n");
    }

    /** PASV by hand, connected at once (commons-net hides the data socket otherwise). */
    Socket dataSocket() throws Exception {
        assertThat(c.pasv()).isEqualTo(227);
        String r = c.getReplyString();
        String[] n = r.substring(r.indexOf('(') + 1, r.indexOf(')')).split(",");
        return new Socket("127.0.0.1", Integer.parseInt(n[4].trim()) * 256 + Integer.parseInt(n[5].trim()));
    }

    @Test
    void overwriteReplacesAndStouCreatesUniqueFiles() throws Exception {
        Files.writeString(s.home.resolve("f.txt"), "old content");
        assertThat(c.storeFile("f.txt", new ByteArrayInputStream("new".getBytes()))).isTrue();
        assertThat(Files.readString(s.home.resolve("f.txt"))).isEqualTo("new");
        assertThat(c.storeUniqueFile(new ByteArrayInputStream("u".getBytes()))).isTrue();
        try (var files = Files.list(s.home)) {
            assertThat(files.map(p -> p.getFileName().toString())).contains("f.txt").anyMatch(n -> n.startsWith("ftp-"));
        }
        assertThat(Files.list(s.home).filter(p -> p.getFileName().toString().startsWith(".upload."))).isEmpty();
    }

    @Test
    void directoriesAndRenames() throws Exception {
        assertThat(c.makeDirectory("d1")).isTrue();
        assertThat(c.getReplyString()).startsWith("257 \"/d1\"");
        assertThat(Files.isDirectory(s.home.resolve("d1"))).isTrue();
        assertThat(c.sendCommand("XMKD d1/sub")).isEqualTo(257);
        assertThat(c.changeWorkingDirectory("d1/sub")).isTrue();
        assertThat(c.printWorkingDirectory()).isEqualTo("/d1/sub");
        assertThat(c.sendCommand("XCUP")).isEqualTo(200);
        assertThat(c.sendCommand("XPWD")).isEqualTo(257);
        assertThat(c.getReplyString()).contains("\"/d1\"");
        assertThat(c.changeToParentDirectory()).isTrue();
        assertThat(c.sendCommand("XCWD /d1")).isEqualTo(250);
        assertThat(c.sendCommand("CWD /nope")).isEqualTo(550);
        assertThat(c.sendCommand("XRMD sub")).isEqualTo(250);
        assertThat(Files.exists(s.home.resolve("d1/sub"))).isFalse();
        assertThat(c.changeWorkingDirectory("/")).isTrue();
        Files.writeString(s.home.resolve("d1/f"), "x");
        assertThat(c.removeDirectory("d1")).isFalse();                 // not empty
        assertThat(c.getReplyCode()).isEqualTo(550);
        assertThat(c.rename("d1/f", "g")).isTrue();
        assertThat(Files.readString(s.home.resolve("g"))).isEqualTo("x");
        Files.writeString(s.home.resolve("h"), "old");
        assertThat(c.rename("g", "h")).isTrue();                         // rename onto a file replaces it
        assertThat(Files.readString(s.home.resolve("h"))).isEqualTo("x");
        assertThat(c.sendCommand("RNTO x")).isEqualTo(503);              // RNTO without RNFR
        assertThat(c.sendCommand("RNFR h")).isEqualTo(350);
        assertThat(c.sendCommand("NOOP")).isEqualTo(200);
        assertThat(c.sendCommand("RNTO y")).isEqualTo(503);              // RNFR must be followed at once
        assertThat(c.deleteFile("h")).isTrue();
        assertThat(Files.exists(s.home.resolve("h"))).isFalse();
        assertThat(c.deleteFile("d1")).isFalse();                        // DELE of a directory
        assertThat(c.removeDirectory("d1")).isTrue();
        assertThat(c.makeDirectory("a\"b")).isTrue();
        assertThat(c.getReplyString()).startsWith("257 \"/a\"\"b\"");    // RFC 959: quotes doubled
        assertThat(c.changeWorkingDirectory("a\"b")).isTrue();
        c.sendCommand("PWD");
        assertThat(c.getReplyString()).startsWith("257 \"/a\"\"b\"");
    }

    @Test
    void sizeMdtmMfmtChmod() throws Exception {
        Path f = Files.writeString(s.home.resolve("f"), "12345");
        assertThat(c.sendCommand("SIZE f")).isEqualTo(213);
        assertThat(c.getReplyString().trim()).isEqualTo("213 5");
        assertThat(c.sendCommand("MFMT 20200102030405 f")).isEqualTo(213);
        assertThat(Files.getLastModifiedTime(f).toInstant().toString()).isEqualTo("2020-01-02T03:04:05Z");
        assertThat(c.sendCommand("MDTM f")).isEqualTo(213);
        assertThat(c.getReplyString().trim()).isEqualTo("213 20200102030405");
        assertThat(c.sendCommand("SITE CHMOD 600 f")).isEqualTo(200);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
        assertThat(c.sendCommand("SIZE nope")).isEqualTo(550);
        assertThat(c.sendCommand("SIZE /")).isEqualTo(550);
        assertThat(c.sendCommand("SITE HELP")).isEqualTo(214);
        assertThat(c.sendCommand("SITE EXEC ls")).isEqualTo(502);
    }

    @Test
    void informationAndParameters() throws Exception {
        assertThat(c.sendCommand("SYST")).isEqualTo(215);
        assertThat(c.sendCommand("NOOP")).isEqualTo(200);
        assertThat(c.sendCommand("ACCT x")).isEqualTo(202);
        assertThat(c.sendCommand("ALLO 10")).isEqualTo(202);
        assertThat(c.sendCommand("MODE S")).isEqualTo(200);
        assertThat(c.sendCommand("MODE B")).isEqualTo(504);
        assertThat(c.sendCommand("STRU F")).isEqualTo(200);
        assertThat(c.sendCommand("STRU R")).isEqualTo(504);
        assertThat(c.sendCommand("TYPE E")).isEqualTo(504);
        assertThat(c.sendCommand("TYPE L 8")).isEqualTo(200);
        assertThat(c.sendCommand("HELP")).isEqualTo(214);
        assertThat(c.getReplyString()).contains("RETR").contains("MLSD");
        assertThat(c.sendCommand("HELP RETR")).isEqualTo(214);
        assertThat(c.sendCommand("FEAT")).isEqualTo(211);
        for (String f : new String[] {" UTF8", " MLST type*;size*;modify*;perm*;unique*;", " SIZE", " MDTM", " MFMT", " REST STREAM", " EPSV", " EPRT", " TVFS", " HOST"})
            assertThat(c.getReplyString()).contains(f + "\r\n");
        assertThat(c.getReplyString()).doesNotContain("AUTH");            // no certificate configured
        assertThat(c.sendCommand("OPTS UTF8 ON")).isEqualTo(200);
        assertThat(c.sendCommand("STAT")).isEqualTo(211);
        assertThat(c.getReplyString()).contains("alice");
        Files.writeString(s.home.resolve("f"), "x");
        assertThat(c.sendCommand("STAT /")).isEqualTo(212);              // RFC 959 §4.2: directory status
        assertThat(c.getReplyString()).contains(" f\r\n").startsWith("212-");
        assertThat(c.sendCommand("STAT f")).isEqualTo(213);              // file status
        assertThat(c.sendCommand("FOO")).isEqualTo(502);
        assertThat(c.sendCommand("EPSV ALL")).isEqualTo(200);
        assertThat(c.sendCommand("PASV")).isEqualTo(501);
        assertThat(c.sendCommand("PORT 127,0,0,1,200,10")).isEqualTo(501);
        assertThat(c.sendCommand("EPSV")).isEqualTo(229);
    }

    @Test
    void listingsParseAndMlstFacts() throws Exception {
        Files.write(s.home.resolve("file.bin"), new byte[1234]);
        Files.createDirectory(s.home.resolve("dir"));
        FTPFile[] list = c.listFiles();
        assertThat(list).extracting(FTPFile::getName).containsExactlyInAnyOrder("file.bin", "dir");
        for (FTPFile f : list) {
            assertThat(f.isDirectory()).isEqualTo(f.getName().equals("dir"));
            if (f.getName().equals("file.bin")) assertThat(f.getSize()).isEqualTo(1234);
        }
        assertThat(c.listNames()).containsExactlyInAnyOrder("file.bin", "dir");
        FTPFile[] ml = c.mlistDir();
        assertThat(ml).extracting(FTPFile::getName).containsExactlyInAnyOrder("file.bin", "dir");
        FTPFile one = c.mlistFile("file.bin");
        assertThat(one.getSize()).isEqualTo(1234);
        assertThat(one.getRawListing()).contains("type=file;").contains("perm=rwadf;").contains("unique=");
        assertThat(c.sendCommand("OPTS MLST type;size;")).isEqualTo(200);
        assertThat(c.sendCommand("MLST dir")).isEqualTo(250);
        assertThat(c.getReplyString()).contains(" type=dir; /dir").doesNotContain("modify=").doesNotContain("size=");   // §7.5.7
        assertThat(c.sendCommand("MLST file.bin")).isEqualTo(250);
        assertThat(c.getReplyString()).contains(" type=file;size=1234; /file.bin");
        assertThat(c.sendCommand("MLSD file.bin")).isEqualTo(501);      // RFC 3659 §7.2: not a directory
        assertThat(c.listFiles("file.bin")).extracting(FTPFile::getName).containsExactly("file.bin");
    }

    @Test
    void utf8NamesRoundTrip() throws Exception {
        String name = "héllo wörld ✓.txt";
        assertThat(c.storeFile(name, new ByteArrayInputStream("ü".getBytes(StandardCharsets.UTF_8)))).isTrue();
        assertThat(Files.readString(s.home.resolve(name))).isEqualTo("ü");
        assertThat(c.listNames()).containsExactly(name);
        assertThat(new String(download(name), StandardCharsets.UTF_8)).isEqualTo("ü");
    }

    @Test
    void loginStatesHostAndRein() throws Exception {
        try (RawClient r = s.raw()) {
            assertThat(r.reply()).startsWith("220");
            assertThat(r.cmd("PWD")).startsWith("530");
            assertThat(r.cmd("PASS x")).startsWith("503");
            assertThat(r.cmd("HOST ftp.example.com")).startsWith("220");
            assertThat(r.cmd("USER alice")).startsWith("331");
            assertThat(r.cmd("HOST ftp.example.com")).startsWith("503");
            assertThat(r.cmd("PASS secret")).startsWith("230");
            assertThat(r.cmd("PWD")).startsWith("257");
            assertThat(r.cmd("REIN")).startsWith("220");
            assertThat(r.cmd("PWD")).startsWith("530");
            assertThat(r.cmd("QUIT")).startsWith("221");
            assertThat(r.reply()).isNull();
        }
    }

    @Test
    void readOnlyUserCannotWriteAndNothingChanges() throws Exception {
        Files.writeString(s.bobHome.resolve("keep"), "k");
        FTPClient b = s.login("bob", "pw");
        assertThat(b.storeFile("new", new ByteArrayInputStream("x".getBytes()))).isFalse();
        assertThat(b.getReplyCode()).isEqualTo(550);
        assertThat(b.deleteFile("keep")).isFalse();
        assertThat(b.makeDirectory("d")).isFalse();
        assertThat(b.rename("keep", "k2")).isFalse();
        try (var files = Files.list(s.bobHome)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("keep");
        }
        assertThat(new String(retrieve(b, "keep"))).isEqualTo("k");
        b.disconnect();
    }

    static byte[] retrieve(FTPClient client, String name) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(client.retrieveFile(name, out)).isTrue();
        return out.toByteArray();
    }

    @Test
    void anonymousLoginReadsItsHome() throws Exception {
        try (TestServer a = TestServer.start(Files.createDirectory(tmp.resolve("anon")), "anonymous", "true",
                "anonymous.home", tmp.resolve("anon").toString())) {
            Files.writeString(tmp.resolve("anon/pub.txt"), "public");
            FTPClient x = a.login("anonymous", "guest@example.com");
            assertThat(new String(retrieve(x, "pub.txt"))).isEqualTo("public");
            assertThat(x.storeFile("w", new ByteArrayInputStream(new byte[1]))).isFalse();
            x.disconnect();
        }
    }

    @Test
    void noDataConnectionMeans425AndTheServerSurvivesAVanishingClient() throws Exception {
        Files.writeString(s.home.resolve("x"), "x");
        assertThat(c.sendCommand("RETR x")).isEqualTo(425);
        // vanish mid-upload of an overwrite: the old file stays whole
        Files.writeString(s.home.resolve("precious"), "old");
        try (RawClient r = s.raw().login("alice", "secret")) {
            r.cmd("TYPE I");
            String p = r.cmd("PASV");
            String[] n = p.substring(p.indexOf('(') + 1, p.indexOf(')')).split(",");
            Socket d = new Socket("127.0.0.1", Integer.parseInt(n[4]) * 256 + Integer.parseInt(n[5]));
            assertThat(r.cmd("STOR precious")).startsWith("150");
            d.getOutputStream().write(new byte[100_000]);
            d.setSoLinger(true, 0);
            d.close();                                   // RST, no orderly end
            r.socket.setSoLinger(true, 0);
        }
        assertThat(c.sendCommand("NOOP")).isEqualTo(200);
        for (int i = 0; i < 100 && Files.list(s.home).anyMatch(q -> q.getFileName().toString().startsWith(".upload.")); i++) Thread.sleep(50);
        assertThat(Files.readString(s.home.resolve("precious"))).isEqualTo("old");
        assertThat(Files.list(s.home).filter(q -> q.getFileName().toString().startsWith(".upload."))).isEmpty();
        assertThat(FTPReply.isPositiveCompletion(s.alice().sendCommand("NOOP"))).isTrue();
    }

    @Test
    void activeModeToOurselvesOnly() throws Exception {
        c.enterLocalActiveMode();
        c.setActiveExternalIPAddress(InetAddress.getLoopbackAddress().getHostAddress());
        Files.writeString(s.home.resolve("a"), "active");
        assertThat(new String(download("a"))).isEqualTo("active");
    }
}
