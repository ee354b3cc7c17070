package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control connection during a transfer (RFC 959 §4.1.3): ABOR (426, then 226), STAT's
 * progress, urgent verbs answered at once, the others queued behind it, QUIT letting it finish.
 */
class AbortTest {
    @TempDir Path tmp;

    @Test
    void aborDuringRetrAnswers426Then226AndTheSessionGoesOn() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("alice", "secret")) {
            TestServer.sparse(s.home.resolve("big"), 256L << 20);   // far too big to flush through a stalled reader
            r.cmd("TYPE I");
            try (Socket d = r.pasv()) {
                assertThat(r.cmd("RETR big")).startsWith("150");
                d.getInputStream().readNBytes(1000);     // some bytes flow, then the client stops reading
                assertThat(r.cmd("NOOP")).startsWith("200");           // urgent verbs are answered at once
                assertThat(r.cmd("STAT")).startsWith("213").contains("bytes so far");
                r.send(new byte[] {(byte) 255, (byte) 244, (byte) 255, (byte) 242});   // Telnet IP, Synch
                assertThat(r.cmd("ABOR")).startsWith("426");
                assertThat(r.reply()).startsWith("226");
                InputStream in = d.getInputStream();
                byte[] sink = new byte[1 << 16];
                while (in.read(sink) >= 0) { /* drain until the server closed it */ }
            }
            assertThat(r.cmd("NOOP")).startsWith("200");
            assertThat(r.cmd("ABOR")).startsWith("225");               // nothing to abort
        }
    }

    @Test
    void otherVerbsWaitForTheTransferAndQuitLetsItFinish() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("alice", "secret")) {
            Files.write(s.home.resolve("f"), new byte[3 << 20]);
            r.cmd("TYPE I");
            Socket d = r.pasv();
            assertThat(r.cmd("RETR f")).startsWith("150");
            r.send("PWD\r\n");                         // not urgent: answered after the transfer's 226
            r.send("QUIT\r\n");
            Thread reader = Thread.ofVirtual().start(() -> {
                try (d) {
                    d.getInputStream().readAllBytes();
                } catch (Exception ignored) {
                    // done
                }
            });
            assertThat(r.reply()).startsWith("226");
            assertThat(r.reply()).startsWith("257");
            assertThat(r.reply()).startsWith("221");
            reader.join(10_000);
        }
    }

    @Test
    void statRightAfterA226IsTheSessionStatus() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("alice", "secret")) {
            Files.writeString(s.home.resolve("f"), "x");
            // the transfer thread may still be finishing
            for (int i = 0; i < 20; i++) {
                assertThat(r.fetch("RETR f")).isEqualTo("x");
                assertThat(r.cmd("STAT")).as("round %d", i).startsWith("211-").contains("Logged in as alice");
            }
        }
    }
}
