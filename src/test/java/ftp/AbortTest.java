package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.RandomAccessFile;
import java.net.Socket;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control connection stays responsive during a transfer (RFC 959 §4.1.3). */
class AbortTest {
    @TempDir Path tmp;

    static Socket pasv(RawClient r) throws Exception {
        String p = r.cmd("PASV");
        String[] n = p.substring(p.indexOf('(') + 1, p.indexOf(')')).split(",");
        Socket d = new Socket("127.0.0.1", Integer.parseInt(n[4]) * 256 + Integer.parseInt(n[5]));
        d.setSoTimeout(10_000);
        return d;
    }

    static void bigFile(Path p) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(p.toString(), "rw")) {
            f.setLength(256L << 20);                     // sparse: instant to make, far too big to flush through a stalled reader
        }
    }

    @Test
    void aborDuringRetrAnswers426Then226AndTheSessionGoesOn() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("alice", "secret")) {
            bigFile(s.home.resolve("big"));
            r.cmd("TYPE I");
            try (Socket d = pasv(r)) {
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
            java.nio.file.Files.write(s.home.resolve("f"), new byte[3 << 20]);
            r.cmd("TYPE I");
            Socket d = pasv(r);
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
}
