package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.apache.commons.net.ftp.FTPClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bytes of the control connection: line ends, Telnet sequences (RFC 959 §4.1.3, RFC 854),
 * the 4 KiB line cap, NUL and CR inside a line, random garbage, and UTF-8 names (RFC 2640) that
 * never bring a raw CR or LF into a reply.
 */
class ControlChannelTest {
    @TempDir Path tmp;

    @Test
    void bareLfAndCrlfBothEndALine() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw()) {
            r.reply();
            r.send("NOOP\n");
            assertThat(r.reply()).startsWith("200");
            r.send("NOOP\r\nNOOP\n");
            assertThat(r.reply()).startsWith("200");
            assertThat(r.reply()).startsWith("200");
        }
    }

    @Test
    void telnetSequencesAreStripped() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw()) {
            r.reply();
            // IAC IP IAC DM
            r.send(new byte[] {(byte) 255, (byte) 244, (byte) 255, (byte) 242, 'N', 'O', 'O', 'P', '\r', '\n'});
            assertThat(r.reply()).startsWith("200");
            // IAC WILL x, IAC DO y
            r.send(new byte[] {(byte) 255, (byte) 251, 1, 'N', 'O', (byte) 255, (byte) 253, 3, 'O', 'P', '\n'});
            assertThat(r.reply()).startsWith("200");
            // IAC IAC: a literal 0xFF
            r.send(new byte[] {'U', 'S', 'E', 'R', ' ', 'a', (byte) 255, (byte) 255, '\n'});
            // read as Latin-1, not UTF-8
            assertThat(r.reply()).startsWith("331").contains("a\u00ff");
        }
    }

    @Test
    void overlongLinesGet500ThenResyncAndRepeatsClose() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw()) {
            r.reply();
            r.send("NOOP " + "x".repeat(5000) + "\r\nNOOP\r\n");
            assertThat(r.reply()).startsWith("500");
            assertThat(r.reply()).startsWith("200");                       // the next line still works
            r.send("x".repeat(5000) + "\n");
            assertThat(r.reply()).startsWith("500");
            r.send("y".repeat(70_000) + "\n");
            assertThat(r.reply()).startsWith("421");
            assertThat(r.reply()).isNull();
        }
    }

    @Test
    void telnetSubnegotiationIsStripped() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("alice", "secret")) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.writeBytes(new byte[] {(byte) 255, (byte) 250, 24, 0});         // IAC SB TERMINAL-TYPE IS (RFC 1091)
            b.writeBytes("vt100".getBytes(StandardCharsets.US_ASCII));
            b.writeBytes(new byte[] {(byte) 255, (byte) 240});                 // IAC SE
            b.writeBytes("NOOP\r\n".getBytes(StandardCharsets.US_ASCII));
            r.send(b.toByteArray());
            assertThat(r.reply()).startsWith("200");
        }
    }

    /** Config.MAX_LINE: a line is answered 500 as soon as it passes the cap, not when (if ever) its end comes. */
    @Test
    void aLineOverTheCapIsAnswered500BeforeItsEnd() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw()) {
            r.reply();
            r.socket.setSoTimeout(5000);                                  // a server waiting for the LF: a timeout here
            r.send("NOOP " + "x".repeat(4995));                           // 5000 bytes, no line end
            assertThat(r.reply()).startsWith("500");
            r.send("\r\nNOOP\r\n");                                       // the rest of the long line is dropped
            assertThat(r.reply()).startsWith("200");
        }
    }

    @Test
    void nulOrCrInsideAnArgumentIs501() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw()) {
            r.reply();
            r.send("USER a\0b\r\n");
            assertThat(r.reply()).startsWith("501");
            r.send("USER a\rb\r\n");
            assertThat(r.reply()).startsWith("501");
            r.send("\r\n");
            assertThat(r.reply()).startsWith("500");                       // an empty line is no command
        }
    }

    @Test
    void binaryGarbageNeverKillsTheServer() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            Random rnd = new Random(42);
            for (int i = 0; i < 20; i++) {
                try (RawClient r = s.raw()) {
                    r.reply();
                    byte[] junk = new byte[rnd.nextInt(20_000)];
                    rnd.nextBytes(junk);
                    r.send(junk);
                    r.send("\r\nQUIT\r\n");
                    r.socket.shutdownOutput();
                    while (r.reply() != null) { /* read until the server closes */ }
                } catch (IOException closedOnUs) {
                    // the server may close first (421 after overlong lines): fine
                }
            }
            try (RawClient r = s.raw()) {
                r.login("alice", "secret");
                assertThat(r.cmd("PWD")).startsWith("257");
            }
        }
    }

    @Test
    void utf8NamesInCommandsAndRepliesAndNoRawCrLfFromNames() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("alice", "secret")) {
            assertThat(r.cmd("MKD ünïcödé ✓")).startsWith("257 \"/ünïcödé ✓\"");
            Files.createFile(s.home.resolve("evil\r\n226 fake"));
            r.send("STAT /\r\n");
            String stat = r.reply();
            assertThat(stat).startsWith("212-").endsWith("212 End of status.");   // RFC 959: 212 directory status
            assertThat(stat.split("\n")).noneMatch(l -> l.startsWith("226"));
            byte[] check = stat.getBytes(StandardCharsets.UTF_8);
            assertThat(new String(check, StandardCharsets.UTF_8)).contains("evil??226 fake");
        }
    }

    @Test
    void utf8NamesRoundTrip() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            FTPClient c = s.alice();
            String name = "héllo wörld ✓.txt";
            assertThat(c.storeFile(name, new ByteArrayInputStream("ü".getBytes(StandardCharsets.UTF_8)))).isTrue();
            assertThat(Files.readString(s.home.resolve(name))).isEqualTo("ü");
            assertThat(c.listNames()).containsExactly(name);
            assertThat(new String(TestServer.retrieve(c, name), StandardCharsets.UTF_8)).isEqualTo("ü");
            c.disconnect();
        }
    }
}
