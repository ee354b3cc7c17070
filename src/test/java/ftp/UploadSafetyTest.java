package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.commons.net.ftp.FTPClient;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Uploads that go wrong (the client vanishes, never connects, names a FIFO, races a directory
 * walk) must leave neither a stuck "busy" mark, nor a temporary file, nor a damaged old file.
 */
class UploadSafetyTest {
    @TempDir Path tmp;

    static int epsvPort(String reply) {
        assertThat(reply).startsWith("229");
        return Integer.parseInt(reply.replaceAll(".*\\|\\|\\|(\\d+)\\|.*", "$1"));   // RFC 2428 §3
    }

    static List<String> temps(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".upload.")).toList();
        }
    }

    /** Sends {@code command} until the reply is not 450: a vanished client's claim goes away soon, never stays. */
    static int untilNotBusy(FTPClient c, String command) throws IOException, InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        int code;
        for (int i = 0; (code = c.sendCommand(command)) == 450 && i < 100 && System.nanoTime() < end; i++) Thread.sleep(50);
        return code;
    }

    /** EPSV, STOR, then a TCP reset of the control connection: at once, or right after the 150. */
    static void vanishDuringStor(TestServer s, String name, boolean after150) throws IOException {
        RawClient r = s.raw().login("alice", "secret");
        r.cmd("TYPE I");
        epsvPort(r.cmd("EPSV"));
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
                // a new file: written in place, removed again as no data ever came
                vanishDuringStor(s, "new.bin", after150);
                assertThat(untilNotBusy(c, "DELE new.bin")).as("round %d: %s", i, c.getReplyString()).isEqualTo(550);
                // the server removes the empty file, then drops its claim: a STOR in between may still see 450, briefly
                boolean stored = false;
                for (int k = 0; k < 100 && !(stored = c.storeFile("new.bin", new ByteArrayInputStream(new byte[] {1, 2, 3}))); k++) {
                    assertThat(c.getReplyCode()).as(c.getReplyString()).isEqualTo(450);
                    Thread.sleep(50);
                }
                assertThat(stored).as(c.getReplyString()).isTrue();
                assertThat(c.deleteFile("new.bin")).as(c.getReplyString()).isTrue();
                // an overwrite: goes through a temporary file, which must be gone with the claim
                vanishDuringStor(s, "keep.txt", after150);
                assertThat(untilNotBusy(c, "RNFR keep.txt")).as("round %d: %s", i, c.getReplyString()).isEqualTo(350);
                assertThat(c.sendCommand("NOOP")).isEqualTo(200);      // drops the pending RNFR
                assertThat(temps(s.home)).isEmpty();
                assertThat(Files.readString(keep)).isEqualTo("old");
            }
            assertThat(c.storeFile("keep.txt", new ByteArrayInputStream("new".getBytes()))).as(c.getReplyString()).isTrue();
            assertThat(Files.readString(keep)).isEqualTo("new");
            assertThat(c.deleteFile("keep.txt")).as(c.getReplyString()).isTrue();
            c.disconnect();
        }
    }

    @Test
    void aRunningOverwriteProtectsItsTempFileTargetAndParent() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient up = s.raw().login("alice", "secret")) {
            Path dir = Files.createDirectory(s.home.resolve("dir"));
            Path target = Files.writeString(dir.resolve("f.bin"), "old");
            Files.writeString(s.home.resolve("other"), "other");
            up.cmd("TYPE I");
            try (Socket d = new Socket("127.0.0.1", epsvPort(up.cmd("EPSV")))) {
                assertThat(up.cmd("STOR dir/f.bin")).startsWith("150");
                OutputStream out = d.getOutputStream();
                out.write(new byte[1000]);
                out.flush();
                List<String> temps = temps(dir);
                assertThat(temps).hasSize(1);                   // ".upload.…", created before the 150
                String temp = "dir/" + temps.get(0);
                FTPClient c = s.alice();
                assertThat(c.listNames("dir")).containsExactly("dir/f.bin");                     // never listed
                assertThat(c.sendCommand("RNFR " + temp)).as(c.getReplyString()).isEqualTo(553);  // nor reachable
                assertThat(c.sendCommand("DELE " + temp)).as(c.getReplyString()).isEqualTo(553);
                assertThat(c.sendCommand("RNFR other")).isEqualTo(350);
                assertThat(c.sendCommand("RNTO " + temp)).as(c.getReplyString()).isEqualTo(553);   // nothing renamed over it
                assertThat(c.sendCommand("RNFR other")).isEqualTo(350);
                assertThat(c.sendCommand("RNTO dir/f.bin")).as(c.getReplyString()).isEqualTo(450);
                assertThat(c.sendCommand("DELE dir/f.bin")).as(c.getReplyString()).isEqualTo(450);
                assertThat(c.sendCommand("RNFR dir")).as(c.getReplyString()).isEqualTo(450);       // the upload would land elsewhere
                assertThat(Files.readString(s.home.resolve("other"))).isEqualTo("other");
                assertThat(Files.readString(target)).isEqualTo("old");                             // replaced only at the end
                out.write(new byte[] {7, 8, 9});
                c.disconnect();
            }
            assertThat(up.reply()).startsWith("226");
            byte[] expected = new byte[1003];
            expected[1000] = 7;
            expected[1001] = 8;
            expected[1002] = 9;
            assertThat(Files.readAllBytes(target)).isEqualTo(expected);
            assertThat(temps(dir)).isEmpty();
        }
    }

    @Test
    void aDataConnectionThatNeverComesLeavesNoEmptyFile() throws Exception {
        try (TestServer s = TestServer.start(tmp, "data.timeout", "1"); RawClient r = s.raw().login("alice", "secret")) {
            r.cmd("TYPE I");
            epsvPort(r.cmd("EPSV"));
            assertThat(r.cmd("STOR ghost.bin")).startsWith("150");
            assertThat(r.reply()).startsWith("425");           // the watchdog gave up on the listener
            assertThat(s.home.resolve("ghost.bin")).doesNotExist();
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
                epsvPort(r.cmd("EPSV"));
                assertThat(r.cmd(verb + " pipe")).startsWith("550");
                assertThat(r.cmd("NOOP")).startsWith("200");
            }
            assertThat(Files.isRegularFile(fifo)).isFalse();
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
}
