package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.LogRecord;
import org.apache.commons.net.ftp.FTPClient;
import org.apache.commons.net.ftp.FTPReply;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * STOR APPE STOU: new files in place, overwrites through a temporary file and an atomic rename,
 * resuming (REST + STOR, APPE), TYPE A, busy marks by real path, max.upload.size and quotas (the
 * 552 as clients that send first and read later meet it, the log line), upload.mode and
 * folder.mode, names the locale can't encode, and uploads that go wrong (the client vanishes or
 * resets, never connects, names a FIFO or a missing folder, races a directory walk): never a stuck
 * busy mark, a temporary file left, or a damaged old file.
 */
class UploadTest {
    @TempDir Path tmp;

    @Test
    void uploadListDownload() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            FTPClient c = s.alice();
            assertThat(c.storeFile("a.txt", new ByteArrayInputStream("hello".getBytes()))).isTrue();
            assertThat(Files.readString(s.home.resolve("a.txt"))).isEqualTo("hello");
            assertThat(c.listNames()).containsExactly("a.txt");
            assertThat(new String(TestServer.retrieve(c, "a.txt"))).isEqualTo("hello");
            c.logout();
            c.disconnect();
        }
    }

    @Test
    void overwriteReplacesAndStouCreatesUniqueFiles() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            FTPClient c = s.alice();
            Files.writeString(s.home.resolve("f.txt"), "old content");
            assertThat(c.storeFile("f.txt", new ByteArrayInputStream("new".getBytes()))).isTrue();
            assertThat(Files.readString(s.home.resolve("f.txt"))).isEqualTo("new");
            assertThat(c.storeUniqueFile(new ByteArrayInputStream("u".getBytes()))).isTrue();
            try (var files = Files.list(s.home)) {
                assertThat(files.map(p -> p.getFileName().toString())).contains("f.txt")
                    .anyMatch(n -> n.startsWith("ftp-"));
            }
            assertThat(TestServer.temps(s.home)).isEmpty();
            c.disconnect();
        }
    }

    @Test
    void resumeUpload() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            FTPClient c = s.alice();
            byte[] data = TestServer.random(3 << 20, 2);
            // an interrupted upload: the first 1 MB arrived; REST + STOR sends the rest
            Files.write(s.home.resolve("up.bin"), Arrays.copyOf(data, 1_000_000));
            c.setRestartOffset(1_000_000);
            assertThat(c.storeFile("up.bin", new ByteArrayInputStream(data, 1_000_000, data.length))).isTrue();
            assertThat(Files.readAllBytes(s.home.resolve("up.bin"))).isEqualTo(data);
            // APPE resumes too
            Files.write(s.home.resolve("ap.bin"), Arrays.copyOf(data, 777));
            assertThat(c.appendFile("ap.bin", new ByteArrayInputStream(data, 777, data.length))).isTrue();
            assertThat(Files.readAllBytes(s.home.resolve("ap.bin"))).isEqualTo(data);
            c.disconnect();
        }
    }

    @Test
    void asciiStorStoresLfAndKeepsALoneCr() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            FTPClient c = s.alice();
            // the client sends CRLF, the file gets LF; a lone CR survives
            assertThat(c.sendCommand("TYPE A")).isEqualTo(200);
            try (Socket d = TestServer.pasv(c); var out = d.getOutputStream()) {
                assertThat(c.sendCommand("STOR dos.txt")).isEqualTo(150);
                out.write("x\r\ny\rz\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            assertThat(c.getReply()).isEqualTo(226);
            assertThat(Files.readString(s.home.resolve("dos.txt"))).isEqualTo("x\ny\rz\n");
            c.disconnect();
        }
    }

    @Test
    void storIntoAMissingFolderSaysNoSuchFile() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("alice", "secret")) {
            RawClient.epsvPort(r.cmd("EPSV"));
            assertThat(r.cmd("STOR nosuchdir/x.txt")).startsWith("550").contains("No such file")
                .doesNotContain("Permission denied");
            assertThat(Files.exists(s.home.resolve("nosuchdir"))).isFalse();
            assertThat(r.cmd("NOOP")).startsWith("200");
        }
    }

    @Test
    void uploadsOntoAFifoAreRefusedAtOnce() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("alice", "secret")) {
            Path fifo = s.home.resolve("pipe");
            int rc;
            try {
                Process p = new ProcessBuilder("mkfifo", fifo.toString()).redirectErrorStream(true).start();
                rc = p.waitFor(5, TimeUnit.SECONDS) ? p.exitValue() : -1;
            } catch (IOException e) {
                rc = -1;
            }
            Assumptions.assumeTrue(rc == 0 && Files.exists(fifo), "mkfifo not available");
            // open(2) of a FIFO for writing blocks until a reader comes: the server must not try
            for (String verb : new String[] {"STOR", "APPE"}) {
                RawClient.epsvPort(r.cmd("EPSV"));
                assertThat(r.cmd(verb + " pipe")).startsWith("550");
                assertThat(r.cmd("NOOP")).startsWith("200");
            }
            assertThat(Files.isRegularFile(fifo)).isFalse();
        }
    }

    // ---- busy marks ----

    @Test
    void aFileBeingUploadedIsBusyForOthers() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient up = s.raw().login("alice", "secret")) {
            up.cmd("TYPE I");
            Socket d = up.pasv();
            assertThat(up.cmd("STOR growing.bin")).startsWith("150");
            d.getOutputStream().write(new byte[50_000]);
            FTPClient other = s.alice();
            assertThat(other.deleteFile("growing.bin")).isFalse();
            assertThat(other.getReplyCode()).isEqualTo(450);
            assertThat(other.sendCommand("RNFR growing.bin")).isEqualTo(450);
            assertThat(other.sendCommand("MKD growing.bin")).isEqualTo(450);     // not a folder where it lands
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
    void aRunningOverwriteProtectsItsTempFileTargetAndParent() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient up = s.raw().login("alice", "secret")) {
            Path dir = Files.createDirectory(s.home.resolve("dir"));
            Path target = Files.writeString(dir.resolve("f.bin"), "old");
            Files.writeString(s.home.resolve("other"), "other");
            up.cmd("TYPE I");
            try (Socket d = up.epsv()) {
                assertThat(up.cmd("STOR dir/f.bin")).startsWith("150");
                OutputStream out = d.getOutputStream();
                out.write(new byte[1000]);
                out.flush();
                List<String> temps = TestServer.temps(dir);
                assertThat(temps).hasSize(1);                   // ".upload.…", created before the 150
                String temp = "dir/" + temps.get(0);
                FTPClient c = s.alice();
                assertThat(c.listNames("dir")).containsExactly("dir/f.bin");                     // never listed
                assertThat(c.sendCommand("RNFR " + temp)).as(c.getReplyString()).isEqualTo(553);  // nor reachable
                assertThat(c.sendCommand("DELE " + temp)).as(c.getReplyString()).isEqualTo(553);
                assertThat(c.sendCommand("RNFR other")).isEqualTo(350);
                // nothing renamed over it
                assertThat(c.sendCommand("RNTO " + temp)).as(c.getReplyString()).isEqualTo(553);
                assertThat(c.sendCommand("RNFR other")).isEqualTo(350);
                assertThat(c.sendCommand("RNTO dir/f.bin")).as(c.getReplyString()).isEqualTo(450);
                assertThat(c.sendCommand("DELE dir/f.bin")).as(c.getReplyString()).isEqualTo(450);
                // the upload would land elsewhere
                assertThat(c.sendCommand("RNFR dir")).as(c.getReplyString()).isEqualTo(450);
                assertThat(Files.readString(s.home.resolve("other"))).isEqualTo("other");
                // replaced only at the end
                assertThat(Files.readString(target)).isEqualTo("old");
                out.write(new byte[] {7, 8, 9});
                c.disconnect();
            }
            assertThat(up.reply()).startsWith("226");
            byte[] expected = new byte[1003];
            expected[1000] = 7;
            expected[1001] = 8;
            expected[1002] = 9;
            assertThat(Files.readAllBytes(target)).isEqualTo(expected);
            assertThat(TestServer.temps(dir)).isEmpty();
        }
    }

    /**
     * An overwrite through a link to a folder claims the real file: the same file, named through
     * the real folder, is busy for RNFR, DELE and APPE, and the folder can't be renamed from under it.
     */
    @Test
    void busyMarksFollowRealPathsThroughALinkedFolder() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient up = s.raw().login("alice", "secret");
             RawClient other = s.raw().login("alice", "secret")) {
            Path rd = Files.createDirectory(s.home.resolve("rd"));
            Path x = Files.writeString(rd.resolve("x"), "old");
            Path alias = s.home.resolve("alias");
            try {
                Files.createSymbolicLink(alias, Path.of("rd"));
            } catch (IOException | UnsupportedOperationException e) {
                Assumptions.abort("symbolic links not supported: " + e);
            }
            byte[] first = "first part;".getBytes(StandardCharsets.US_ASCII);
            byte[] second = "second part".getBytes(StandardCharsets.US_ASCII);
            assertThat(up.cmd("TYPE I")).startsWith("200");
            try (Socket d = up.epsv()) {
                assertThat(up.cmd("STOR alias/x")).startsWith("150");
                OutputStream out = d.getOutputStream();
                out.write(first);
                out.flush();
                assertThat(other.cmd("RNFR rd")).as("RNFR rd").startsWith("450");
                assertThat(other.cmd("RNFR rd/x")).as("RNFR rd/x").startsWith("450");
                assertThat(other.cmd("DELE rd/x")).as("DELE rd/x").startsWith("450");
                assertThat(other.cmd("TYPE I")).startsWith("200");
                RawClient.epsvPort(other.cmd("EPSV"));
                assertThat(other.cmd("APPE rd/x")).as("APPE rd/x").startsWith("450");
                assertThat(other.cmd("STOR rd/x")).as("STOR rd/x").startsWith("450");
                assertThat(other.cmd("NOOP")).startsWith("200");
                assertThat(Files.readString(x)).isEqualTo("old");   // replaced only at the end
                out.write(second);
            }
            assertThat(up.reply()).startsWith("226");
            assertThat(Files.readAllBytes(x)).isEqualTo((new String(first, StandardCharsets.US_ASCII)
                + new String(second, StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII));
            assertThat(TestServer.temps(rd)).isEmpty();
            assertThat(TestServer.temps(s.home)).isEmpty();
            assertThat(Files.isSymbolicLink(alias)).isTrue();
            assertThat(other.cmd("RNFR rd")).startsWith("350");     // the claims went with the upload
            assertThat(other.cmd("NOOP")).startsWith("200");
        }
    }

    // ---- size limits and quotas ----

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

    @Test
    void quotaCountsTheWholeHomeAndAReplacedFileIsFreed() throws Exception {
        try (TestServer s = TestServer.start(tmp, "user.alice.quota", "3000")) {
            Files.write(s.home.resolve("one-mib"), new byte[1 << 20]);
            Files.delete(s.home.resolve("one-mib"));
            FTPClient f = s.alice();
            // quota: 3000 bytes for the whole home
            assertThat(f.storeFile("a", new ByteArrayInputStream(new byte[2000]))).isTrue();
            assertThat(f.storeFile("b", new ByteArrayInputStream(new byte[2000]))).isFalse();
            assertThat(f.getReplyCode()).isEqualTo(552);
            assertThat(Files.exists(s.home.resolve("b"))).isFalse();
            // replacing frees the old size
            assertThat(f.storeFile("a", new ByteArrayInputStream(new byte[2900]))).isTrue();
            f.disconnect();
        }
    }

    @Test
    void quotaUploadsSurviveDirectoriesComingAndGoing() throws Exception {
        try (TestServer s = TestServer.start(tmp, "user.alice.quota", "10M")) {
            FTPClient c = s.alice();
            List<Throwable> churnErrors = new CopyOnWriteArrayList<>();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            // the quota walk (Files.walkFileTree) meets directories vanishing under it
            Thread churn = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 1_000_000 && System.nanoTime() < end; i++) {
                    Path d = s.home.resolve("d" + (i % 4)), sub = d.resolve("sub");
                    try {
                        Files.createDirectories(sub);
                        Files.writeString(sub.resolve("x"), "x");
                        Files.delete(sub.resolve("x"));
                        Files.delete(sub);
                        Files.delete(d);
                    } catch (IOException e) {
                        churnErrors.add(e);
                        return;
                    }
                }
            });
            int uploads = 0;
            try {
                for (int i = 0; i < 10_000 && System.nanoTime() < end; i++, uploads++) {
                    boolean ok = c.storeFile("q" + (i % 3), new ByteArrayInputStream(new byte[100]));
                    assertThat(c.getReplyCode()).as("upload %d: %s", i, c.getReplyString()).isEqualTo(226);
                    assertThat(ok).isTrue();
                }
            } finally {
                churn.join(5000);
            }
            assertThat(churnErrors).isEmpty();
            assertThat(uploads).isPositive();
            c.disconnect();
        }
    }

    /** The log line of a refusal over a size limit names the limit, and for a quota the bytes used and allowed. */
    @Test
    void sizeLimitRefusalsLogTheLimitWithUsedAndAllowedBytes() throws Exception {
        try (TestServer s = TestServer.start(tmp, "max.upload.size", "1000", "user.alice.quota", "3000")) {
            List<LogRecord> records = TestServer.logDuring(() -> {
                FTPClient c = s.alice();
                // over max.upload.size: the quota leaves more room
                assertThat(c.storeFile("big", new ByteArrayInputStream(new byte[1500]))).isFalse();
                assertThat(c.getReplyCode()).isEqualTo(552);
                // 500 bytes of the quota left, fewer than max.upload.size
                Files.write(s.home.resolve("had"), new byte[2500]);
                assertThat(c.storeFile("over", new ByteArrayInputStream(new byte[800]))).isFalse();
                assertThat(c.getReplyCode()).isEqualTo(552);
                // the quota used up: refused before any data moves
                Files.write(s.home.resolve("more"), new byte[600]);
                assertThat(c.storeFile("full", new ByteArrayInputStream(new byte[1]))).isFalse();
                assertThat(c.getReplyCode()).isEqualTo(552);
                c.disconnect();
            });
            assertThat(FileCommandTest.about(records, "STOR /big")).singleElement().asString()
                .matches(FileCommandTest.line("alice", "STOR /big: refused, over max.upload.size 1000 bytes"));
            assertThat(FileCommandTest.about(records, "STOR /over")).singleElement().asString()
                .matches(FileCommandTest.line("alice",
                    "STOR /over: refused, over user.alice.quota 3000 bytes, 2500 used"));
            assertThat(FileCommandTest.about(records, "STOR /full")).singleElement().asString()
                .matches(FileCommandTest.line("alice", "STOR /full: refused, user.alice.quota 3000 bytes, 3100 used"));
            assertThat(s.home.resolve("big")).doesNotExist();
            assertThat(s.home.resolve("over")).doesNotExist();
            assertThat(s.home.resolve("full")).doesNotExist();
        }
    }

    /**
     * A client that sends the whole file before it reads the control connection (commons-net,
     * curl, ftplib all do) must meet the 552, not an exception from a reset data connection: the
     * server answers at the limit, then reads and drops the rest before it closes.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"max.upload.size", "user.alice.quota"})
    void tenMegabytesOverAOneMegabyteLimitGet552NotAReset(String limit) throws Exception {
        try (TestServer s = TestServer.start(tmp, limit, "1M")) {
            FTPClient c = s.alice();
            Files.writeString(s.home.resolve("old.bin"), "the old content");
            byte[] ten = new byte[10 << 20];
            assertThat(c.storeFile("new.bin", new ByteArrayInputStream(ten))).as(c.getReplyString()).isFalse();
            assertThat(c.getReplyCode()).isEqualTo(552);
            assertThat(c.storeFile("old.bin", new ByteArrayInputStream(ten))).as(c.getReplyString()).isFalse();
            assertThat(c.getReplyCode()).isEqualTo(552);
            assertThat(c.sendNoOp()).isTrue();
            c.disconnect();

            try (RawClient r = s.raw().login("alice", "secret")) {
                assertThat(r.cmd("TYPE I")).startsWith("200");
                try (Socket d = r.epsv()) {
                    assertThat(r.cmd("STOR raw.bin")).startsWith("150");
                    OutputStream out = d.getOutputStream();
                    byte[] chunk = new byte[64 << 10];
                    for (int i = 0; i < 160; i++) out.write(chunk);            // 10 MiB, all of it, before any reply
                    d.shutdownOutput();
                }
                assertThat(r.reply()).startsWith("552");
                assertThat(r.cmd("NOOP")).startsWith("200");
            }
            assertThat(s.home.resolve("new.bin")).doesNotExist();
            assertThat(s.home.resolve("raw.bin")).doesNotExist();
            assertThat(Files.readString(s.home.resolve("old.bin"))).isEqualTo("the old content");
            assertThat(TestServer.temps(s.home)).isEmpty();
        }
    }

    // ---- the modes of new files and folders ----

    static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    /** upload.mode and folder.mode, exactly: a new file, a file replaced through its temporary file, a new folder. */
    @Test
    void uploadModeAndFolderModeAreExact() throws Exception {
        try (TestServer s = TestServer.start(tmp, "upload.mode", "640", "folder.mode", "0750")) {
            Path old = Files.writeString(s.home.resolve("old.txt"), "old");
            Files.setPosixFilePermissions(old, PosixFilePermissions.fromString("rw-------"));
            FTPClient c = s.alice();
            assertThat(c.storeFile("new.txt", new ByteArrayInputStream("new".getBytes()))).isTrue();
            assertThat(c.storeFile("old.txt", new ByteArrayInputStream("replaced".getBytes()))).isTrue();
            assertThat(c.makeDirectory("d")).isTrue();
            assertThat(c.storeFile("d/in.txt", new ByteArrayInputStream("in".getBytes()))).isTrue();
            c.disconnect();
            assertThat(mode(s.home.resolve("new.txt"))).isEqualTo("rw-r-----");      // umask 022 gives rw-r--r--
            assertThat(mode(old)).isEqualTo("rw-r-----");
            assertThat(Files.readString(old)).isEqualTo("replaced");
            assertThat(mode(s.home.resolve("d"))).isEqualTo("rwxr-x---");               // the umask gives rwxr-xr-x
            assertThat(mode(s.home.resolve("d/in.txt"))).isEqualTo("rw-r-----");
        }
    }

    /** Modes wider than the umask allows: they are set, not left to the umask (here 077). */
    @Test
    void uploadModeAndFolderModeOverrideANarrowUmask() throws Exception {
        int port = TestServer.freePort();
        Path cfg = TestServer.configFile(tmp, "port=" + port, "upload.mode=664", "folder.mode=775");
        List<String> umask = List.of("sh", "-c", "umask 077; exec \"$0\" \"$@\"");
        Process p = TestServer.startMain(tmp, umask, Map.of(), "-o", "-c", cfg.toString());
        try {
            FTPClient c = TestServer.client(port);
            Files.writeString(tmp.resolve("home/old.txt"), "old");
            assertThat(c.storeFile("new.txt", new ByteArrayInputStream("new".getBytes()))).isTrue();
            assertThat(c.storeFile("old.txt", new ByteArrayInputStream("replaced".getBytes()))).isTrue();
            assertThat(c.makeDirectory("d")).isTrue();
            c.disconnect();
            assertThat(mode(tmp.resolve("home/new.txt"))).isEqualTo("rw-rw-r--");
            assertThat(mode(tmp.resolve("home/old.txt"))).isEqualTo("rw-rw-r--");
            assertThat(mode(tmp.resolve("home/d"))).isEqualTo("rwxrwxr-x");
        } finally {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
            p.destroyForcibly();
        }
    }

    // ---- a name the JVM's file-name encoding can't represent ----

    /**
     * Under LANG=C the JVM names files in ASCII (sun.jnu.encoding ANSI_X3.4-1968, fixed at start):
     * FEAT offers no UTF8 (RFC 2640 §3.2), start-up names the cure, and a non-ASCII name is refused
     * with a reply and a log line that say why, never a file with a mangled name.
     */
    @Test
    void underTheCLocaleANonAsciiNameIs553AndStartUpNamesTheCure() throws Exception {
        int port = TestServer.freePort();
        Path cfg = TestServer.configFile(tmp, "port=" + port);
        Process p = TestServer.startMain(tmp, List.of(), Map.of("LC_ALL", "C", "LANG", "C", "LC_CTYPE", "C"), "-o",
            "-c", cfg.toString());
        try {
            TestServer.connected(port).disconnect();                                  // waits until it serves
            try (RawClient r = new RawClient("127.0.0.1", port).login("u", "p")) {
                String feat = r.cmd("FEAT");
                assertThat(feat).startsWith("211").contains("MLST").doesNotContain("UTF8");
                RawClient.epsvPort(r.cmd("EPSV"));
                assertThat(r.cmd("STOR \u00e9.txt")).startsWith("553").contains("can't represent");
                assertThat(r.put("STOR", "ascii.txt", "fine")).startsWith("226");         // the control
            }
            String log = TestServer.awaitLog(tmp.resolve("out.log"), "STOR \u00e9.txt: refused");
            assertThat(log).contains("LANG=C.UTF-8").contains("ANSI_X3.4-1968")
                .contains("STOR \u00e9.txt: refused, \u00e9.txt is not representable in the file-name encoding");
            try (var names = Files.list(tmp.resolve("home"))) {
                assertThat(names.map(n -> n.getFileName().toString())).containsExactly("ascii.txt");
            }
        } finally {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
            p.destroyForcibly();
        }
    }

    // ---- uploads that go wrong ----

    /** Sends {@code command} until the reply is not 450: a vanished client's claim goes away soon, never stays. */
    static int untilNotBusy(FTPClient c, String command) throws IOException, InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        int code;
        for (int i = 0; (code = c.sendCommand(command)) == 450 && i < 100 && System.nanoTime() < end; i++)
            Thread.sleep(50);
        return code;
    }

    /** EPSV, STOR, then a TCP reset of the control connection: at once, or right after the 150. */
    static void vanishDuringStor(TestServer s, String name, boolean after150) throws IOException {
        RawClient r = s.raw().login("alice", "secret");
        r.cmd("TYPE I");
        RawClient.epsvPort(r.cmd("EPSV"));
        r.send("STOR " + name + "\r\n");
        if (after150) assertThat(r.reply()).startsWith("150");
        r.socket.setSoLinger(true, 0);     // close sends RST, not FIN
        r.close();
    }

    @Test
    void aClientResetAroundThe150LeavesNoClaimNoTempFileAndTheOldFileWhole() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            FTPClient c = s.alice();
            Path keep = Files.writeString(s.home.resolve("keep.txt"), "old");
            for (int i = 0; i < 8; i++) {                      // a race: a few rounds, both timings
                boolean after150 = i % 2 == 1;
                // a new file: its temporary file removed again as no data ever came
                vanishDuringStor(s, "new.bin", after150);
                assertThat(untilNotBusy(c, "DELE new.bin")).as("round %d: %s", i, c.getReplyString()).isEqualTo(550);
                // the server removes the empty file, then drops its claim: a STOR in between may still see 450, briefly
                boolean stored = false;
                byte[] three = {1, 2, 3};
                for (int k = 0; k < 100 && !(stored = c.storeFile("new.bin", new ByteArrayInputStream(three))); k++) {
                    assertThat(c.getReplyCode()).as(c.getReplyString()).isEqualTo(450);
                    Thread.sleep(50);
                }
                assertThat(stored).as(c.getReplyString()).isTrue();
                assertThat(c.deleteFile("new.bin")).as(c.getReplyString()).isTrue();
                // an overwrite: goes through a temporary file, which must be gone with the claim
                vanishDuringStor(s, "keep.txt", after150);
                assertThat(untilNotBusy(c, "RNFR keep.txt")).as("round %d: %s", i, c.getReplyString()).isEqualTo(350);
                assertThat(c.sendCommand("NOOP")).isEqualTo(200);      // drops the pending RNFR
                // before the 150, the reset may come before the server reads the STOR: then its claim and its
                // temporary file may come after our RNFR; once that session has ended, both are gone
                for (int k = 0; k < 100 && s.server.sessions() > 1; k++) Thread.sleep(50);
                assertThat(TestServer.temps(s.home)).isEmpty();
                assertThat(Files.readString(keep)).isEqualTo("old");
            }
            assertThat(c.storeFile("keep.txt", new ByteArrayInputStream("new".getBytes()))).as(c.getReplyString())
                .isTrue();
            assertThat(Files.readString(keep)).isEqualTo("new");
            assertThat(c.deleteFile("keep.txt")).as(c.getReplyString()).isTrue();
            c.disconnect();
        }
    }

    /**
     * A new file is written under a hidden temporary name: no one lists, sizes or downloads it half
     * written. When its upload breaks, the part that came is kept under its name, to be resumed.
     */
    @Test
    void aNewFileAppearsOnlyWholeAndABrokenOneIsKeptForResume() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            FTPClient c = s.alice();
            byte[] data = TestServer.random(300_000, 7);
            try (RawClient r = s.raw().login("alice", "secret")) {
                r.cmd("TYPE I");
                Socket d = r.pasv();
                assertThat(r.cmd("STOR new.bin")).startsWith("150");
                d.getOutputStream().write(data, 0, 100_000);
                d.getOutputStream().flush();
                Path temp = null;
                for (int i = 0; i < 100 && (temp == null || Files.size(temp) < 100_000); i++, Thread.sleep(20))
                    temp = TestServer.temps(s.home).stream().map(s.home::resolve).findFirst().orElse(null);
                assertThat(temp).isNotNull();
                assertThat(c.listNames()).doesNotContain("new.bin");
                assertThat(c.sendCommand("SIZE new.bin")).isEqualTo(550);
                assertThat(c.retrieveFile("new.bin", new ByteArrayOutputStream())).isFalse();
                d.setSoLinger(true, 0);
                d.close();                                   // RST: the upload breaks
                assertThat(r.reply()).startsWith("426");
            }
            for (int i = 0; i < 100 && !TestServer.temps(s.home).isEmpty(); i++) Thread.sleep(20);
            assertThat(TestServer.temps(s.home)).isEmpty();
            assertThat(Files.readAllBytes(s.home.resolve("new.bin"))).isEqualTo(Arrays.copyOf(data, 100_000));
            c.setRestartOffset(100_000);
            assertThat(c.storeFile("new.bin", new ByteArrayInputStream(data, 100_000, data.length))).isTrue();
            assertThat(Files.readAllBytes(s.home.resolve("new.bin"))).isEqualTo(data);
            c.disconnect();
        }
    }

    @Test
    void aClientVanishingMidOverwriteLeavesTheOldFileWhole() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            FTPClient c = s.alice();
            Files.writeString(s.home.resolve("precious"), "old");
            try (RawClient r = s.raw().login("alice", "secret")) {
                r.cmd("TYPE I");
                Socket d = r.pasv();
                assertThat(r.cmd("STOR precious")).startsWith("150");
                d.getOutputStream().write(new byte[100_000]);
                d.setSoLinger(true, 0);
                d.close();                                   // RST, no orderly end
                r.socket.setSoLinger(true, 0);
            }
            assertThat(c.sendCommand("NOOP")).isEqualTo(200);
            for (int i = 0; i < 100 && !TestServer.temps(s.home).isEmpty(); i++) Thread.sleep(50);
            assertThat(Files.readString(s.home.resolve("precious"))).isEqualTo("old");
            assertThat(TestServer.temps(s.home)).isEmpty();
            assertThat(FTPReply.isPositiveCompletion(s.alice().sendCommand("NOOP"))).isTrue();
            c.disconnect();
        }
    }

    @Test
    void aDataConnectionThatNeverComesLeavesNoEmptyFile() throws Exception {
        try (TestServer s = TestServer.start(tmp, "data.timeout", "1");
             RawClient r = s.raw().login("alice", "secret")) {
            r.cmd("TYPE I");
            RawClient.epsvPort(r.cmd("EPSV"));
            assertThat(r.cmd("STOR ghost.bin")).startsWith("150");
            assertThat(r.reply()).startsWith("425");           // the watchdog gave up on the listener
            assertThat(s.home.resolve("ghost.bin")).doesNotExist();
            assertThat(r.cmd("NOOP")).startsWith("200");
        }
    }

    /** REST + STOR cuts the file only once data comes. */
    @Test
    void restStorWhoseDataConnectionNeverComesLeavesTheFileUntouched() throws Exception {
        try (TestServer s = TestServer.start(tmp, "data.timeout", "1");
             RawClient r = s.raw().login("alice", "secret")) {
            Path f = Files.writeString(s.home.resolve("f"), "0123456789AB");
            FileTime mtime = Files.getLastModifiedTime(f);
            assertThat(r.cmd("TYPE I")).startsWith("200");
            assertThat(r.cmd("REST 3")).startsWith("350");
            RawClient.epsvPort(r.cmd("EPSV"));                       // REST survives EPSV (a transfer parameter)
            assertThat(r.cmd("STOR f")).startsWith("150");
            assertThat(r.reply()).startsWith("425");                 // the watchdog gave up on the listener
            assertThat(Files.readString(f)).isEqualTo("0123456789AB");
            assertThat(Files.getLastModifiedTime(f)).isEqualTo(mtime);
            assertThat(TestServer.temps(s.home)).isEmpty();
            assertThat(r.cmd("NOOP")).startsWith("200");
            // the control: when data does come, the same resume cuts at the offset
            assertThat(r.cmd("REST 3")).startsWith("350");
            assertThat(r.put("STOR", "f", "xyz")).startsWith("226");
            assertThat(Files.readString(f)).isEqualTo("012xyz");
        }
    }

    @Test
    void aNameAtTheFileSystemsLimitCanBeReplaced() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            String name = "\u4e00".repeat(85);                     // 85 CJK characters: 255 bytes in UTF-8
            FTPClient c = s.alice();
            assertThat(c.storeFile(name, new ByteArrayInputStream("first".getBytes()))).as(c.getReplyString()).isTrue();
            assertThat(c.storeFile(name, new ByteArrayInputStream("second".getBytes()))).as(c.getReplyString())
                .isTrue();
            assertThat(Files.readString(s.home.resolve(name))).isEqualTo("second");
            assertThat(TestServer.temps(s.home)).isEmpty();
        }
    }

    @Test
    void aStaleTemporaryFileIsNeverListedAndTheNextListingRemovesIt() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            Path stale = Files.write(s.home.resolve(".upload.0123abcd.0123456789ab"), new byte[1 << 20]);
            Files.setLastModifiedTime(stale, FileTime.fromMillis(System.currentTimeMillis() - 2 * 86_400_000L));
            Path fresh = Files.write(s.home.resolve(".upload.0123abcd.ba9876543210"), new byte[10]);   // running
            FTPClient c = s.alice();
            assertThat(c.listNames()).isNullOrEmpty();
            assertThat(stale).doesNotExist();                                          // killed mid-upload: swept
            assertThat(fresh).exists();                                                 // running: kept, still hidden
        }
    }
}
