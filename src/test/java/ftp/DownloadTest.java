package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.logging.Level;
import org.apache.commons.net.ftp.FTPClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * RETR: resuming with REST (RFC 3659 §5; REST's rules for uploads too), TYPE A as the default and its CRLF on the wire
 * (RFC 959 §3.1.1.1), SIZE as the octets a RETR would send, and a file that shrinks under a
 * zero-copy transfer. Data connections themselves are in DataChannelTest.
 */
class DownloadTest {
    @TempDir Path tmp;

    @Test
    void resumeDownload() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            FTPClient c = s.alice();
            byte[] data = TestServer.random(3 << 20, 2);
            Files.write(s.home.resolve("r.bin"), data);
            c.setRestartOffset(1_000_000);
            assertThat(TestServer.retrieve(c, "r.bin")).isEqualTo(Arrays.copyOfRange(data, 1_000_000, data.length));
            // REST is cleared after a transfer: the next RETR starts at 0
            assertThat(TestServer.retrieve(c, "r.bin")).isEqualTo(data);
            c.disconnect();
        }
    }

    /** REST past the end is refused at the transfer (554), for a download and an upload alike. */
    @ParameterizedTest
    @ValueSource(strings = {"RETR", "STOR"})
    void restPastTheEndIsRefused(String verb) throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            FTPClient c = s.alice();
            Files.write(s.home.resolve("small"), new byte[10]);
            assertThat(c.sendCommand("REST 11")).isEqualTo(350);
            c.pasv();
            assertThat(c.sendCommand(verb + " small")).isEqualTo(554);
            assertThat(Files.size(s.home.resolve("small"))).isEqualTo(10);
            c.disconnect();
        }
    }

    @Test
    void restSurvivesTransferParametersOnly() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("alice", "secret")) {
            Files.writeString(s.home.resolve("f"), "0123456789");
            assertThat(r.cmd("TYPE I")).startsWith("200");                  // RFC 959: TYPE A is the default
            // RFC 3659 §5.3: REST must come right before the transfer; other commands cancel it
            assertThat(r.cmd("REST 5")).startsWith("350");
            assertThat(r.cmd("PWD")).startsWith("257");
            assertThat(r.fetch("RETR f")).isEqualTo("0123456789");
            // …but transfer parameters (PASV, EPSV, TYPE, …) may come in between (RFC 959 §4.1.2)
            assertThat(r.cmd("REST 5")).startsWith("350");
            try (Socket d = r.epsv()) {
                assertThat(r.cmd("TYPE I")).startsWith("200");
                assertThat(r.cmd("RETR f")).startsWith("150");
                assertThat(new String(d.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("56789");
            }
            assertThat(r.reply()).startsWith("226");
        }
    }

    /** REST 4, then a REST refused in TYPE A: the transfer must not resume at 4 (the client took that as cancelled). */
    @Test
    void aRefusedRestClearsAnEarlierOne() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("alice", "secret")) {
            Files.writeString(s.home.resolve("f"), "0123456789");
            assertThat(r.cmd("TYPE I")).startsWith("200");
            assertThat(r.cmd("REST 4")).startsWith("350");
            assertThat(r.cmd("TYPE A")).startsWith("200");
            assertThat(r.cmd("REST 2")).startsWith("504");
            assertThat(r.cmd("TYPE I")).startsWith("200");
            assertThat(r.fetch("RETR f")).isEqualTo("0123456789");
        }
    }

    // ---- TYPE A ----

    @Test
    void asciiRetrSendsCrlf() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            FTPClient c = s.alice();
            Files.writeString(s.home.resolve("unix.txt"), "a\nb\r\nc\n");
            assertThat(c.sendCommand("TYPE A")).isEqualTo(200);
            try (Socket d = TestServer.pasv(c); InputStream in = d.getInputStream()) {
                assertThat(c.sendCommand("RETR unix.txt")).isEqualTo(150);
                assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("a\r\nb\r\nc\r\n");
            }
            assertThat(c.getReply()).isEqualTo(226);
            c.disconnect();
        }
    }

    @Test
    void typeASizeCountsCrlfAndRestIsRefused() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("alice", "secret")) {
            Files.writeString(s.home.resolve("t.txt"), "a\nb\n");
            assertThat(r.cmd("TYPE A")).startsWith("200");
            // RFC 3659 §4: the octets TYPE A sends (CRLF)
            assertThat(r.cmd("SIZE t.txt")).isEqualTo("213 6");
            assertThat(r.cmd("REST 2")).startsWith("504");                  // a file offset has no meaning in TYPE A
            assertThat(r.cmd("TYPE I")).startsWith("200");
            assertThat(r.cmd("REST 2")).startsWith("350");
            // REST survives TYPE, but is refused at the transfer
            assertThat(r.cmd("TYPE A")).startsWith("200");
            RawClient.epsvPort(r.cmd("EPSV"));
            assertThat(r.cmd("RETR t.txt")).startsWith("550");
            assertThat(r.fetch("RETR t.txt")).isEqualTo("a\r\nb\r\n");      // RFC 959 §3.1.1.1: CRLF on the wire
            assertThat(r.opening).doesNotContain("bytes");
            assertThat(r.cmd("TYPE I")).startsWith("200");
            assertThat(r.cmd("SIZE t.txt")).isEqualTo("213 4");
            assertThat(r.fetch("RETR t.txt")).isEqualTo("a\nb\n");
            assertThat(r.opening).contains("(4 bytes)");
        }
    }

    /** RFC 959 §3.1.1.1: until TYPE I, SIZE and RETR count and send CRLF; a new login is in TYPE A again. */
    @Test
    void typeAIsTheDefaultForSizeRetrAndRest() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("alice", "secret")) {
            Files.writeString(s.home.resolve("f"), "a\nb\n");
            TestServer.sparse(s.home.resolve("big.txt"), (16L << 20) + 1);   // one byte over the TYPE A SIZE limit
            assertThat(r.cmd("SIZE f")).isEqualTo("213 6");
            assertThat(r.cmd("STAT")).contains("TYPE: ASCII");
            assertThat(r.fetch("RETR f")).isEqualTo("a\r\nb\r\n");
            assertThat(r.opening).contains("ASCII");
            assertThat(r.cmd("REST 2")).startsWith("504");
            assertThat(r.cmd("REST 0")).startsWith("350");           // nothing to miscount at 0
            assertThat(r.cmd("SIZE big.txt")).startsWith("550");     // counting CRLFs would read it all
            assertThat(r.cmd("TYPE I")).startsWith("200");
            assertThat(r.cmd("SIZE f")).isEqualTo("213 4");
            assertThat(r.cmd("SIZE big.txt")).isEqualTo("213 " + ((16L << 20) + 1));
            assertThat(r.cmd("REIN")).startsWith("220");
            assertThat(r.cmd("USER alice")).startsWith("331");
            assertThat(r.cmd("PASS secret")).startsWith("230");
            assertThat(r.cmd("SIZE f")).isEqualTo("213 6");          // the new login is in TYPE A again
        }
    }

    // ---- a file that changes under a transfer ----

    /**
     * A reads slowly, so its RETR is parked mid-file when B truncates the file in place (REST 10 +
     * STOR). sendfile then finds nothing at its offset: the transfer must end with an error reply,
     * not a 226 for a file it never finished, and without an ERROR in the log.
     */
    @Test
    void aFileThatShrinksDuringABinaryRetrEndsItWithAnErrorNot226() throws Exception {
        int mib = 64;
        String[] endOfA = new String[2];
        List<String> severe = TestServer.logDuring(() -> {
            try (TestServer s = TestServer.start(tmp); RawClient a = s.raw().login("alice", "secret");
                 RawClient b = s.raw().login("alice", "secret")) {
                Path big = TestServer.sparse(s.home.resolve("big.bin"), (long) mib << 20);
                assertThat(a.cmd("TYPE I")).startsWith("200");
                int port = RawClient.epsvPort(a.cmd("EPSV"));
                long received;
                try (Socket d = new Socket()) {
                    d.setReceiveBufferSize(64 * 1024);               // a small window: the server soon waits on A
                    d.connect(new InetSocketAddress("127.0.0.1", port));
                    d.setSoTimeout(10_000);
                    assertThat(a.cmd("RETR big.bin")).startsWith("150");
                    received = d.getInputStream().readNBytes(64 * 1024).length;   // under way, then A pauses
                    Thread.sleep(200);
                    assertThat(b.cmd("TYPE I")).startsWith("200");
                    assertThat(b.cmd("REST 10")).startsWith("350");
                    assertThat(b.put("STOR", "big.bin", "0123456789")).startsWith("226");
                    assertThat(Files.size(big)).isEqualTo(20);       // cut at 10, then 10 bytes: rewritten in place
                    try {
                        received += d.getInputStream().readAllBytes().length;   // what was in flight, then the end
                    } catch (IOException reset) {
                        // a reset data connection ends it as well
                    }
                }
                assertThat(received).isLessThan((long) mib << 20);
                endOfA[0] = a.reply();
                endOfA[1] = a.cmd("NOOP");
            }
        }).stream().filter(r -> r.getLevel().intValue() >= Level.SEVERE.intValue()).map(r -> r.getMessage()).toList();
        assertThat(endOfA[0]).as("A's final reply").matches("^(451|426) .*");
        assertThat(endOfA[1]).startsWith("200");                    // A's session survives its failed transfer
        assertThat(severe).as("ERROR log lines").isEmpty();
    }
}
