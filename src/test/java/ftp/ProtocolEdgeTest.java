package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import org.apache.commons.net.util.TrustManagerUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exact replies at the edges of RFC 959, 2428, 3659 and 4217, on raw control bytes. */
class ProtocolEdgeTest {
    @TempDir Path tmp;
    TestServer s;
    RawClient r;

    @BeforeEach
    void start() throws Exception {
        s = TestServer.start(tmp);
        r = s.raw().login("alice", "secret");
    }

    @AfterEach
    void stop() throws Exception {
        r.close();
        s.close();
    }

    /** EPSV (RFC 2428 §3), connected at once. */
    Socket epsv() throws IOException {
        String reply = r.cmd("EPSV");
        assertThat(reply).startsWith("229");
        return new Socket("127.0.0.1", Integer.parseInt(reply.replaceAll(".*\\|\\|\\|(\\d+)\\|.*", "$1")));
    }

    /** A transfer command on a fresh EPSV connection: what came over it; {@code opening} gets the 150. */
    String transfer(String command, String[] opening) throws IOException {
        try (Socket d = epsv()) {
            String first = r.cmd(command);
            assertThat(first).startsWith("150");
            if (opening != null) opening[0] = first;
            String body = new String(d.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(r.reply()).startsWith("226");
            return body;
        }
    }

    String transfer(String command) throws IOException { return transfer(command, null); }

    @Test
    void restSurvivesTransferParametersOnly() throws Exception {
        Files.writeString(s.home.resolve("f"), "0123456789");
        assertThat(r.cmd("TYPE I")).startsWith("200");                  // RFC 959: TYPE A is the default
        // RFC 3659 §5.3: REST must come right before the transfer; other commands cancel it
        assertThat(r.cmd("REST 5")).startsWith("350");
        assertThat(r.cmd("PWD")).startsWith("257");
        assertThat(transfer("RETR f")).isEqualTo("0123456789");
        // …but transfer parameters (PASV, EPSV, TYPE, …) may come in between (RFC 959 §4.1.2)
        assertThat(r.cmd("REST 5")).startsWith("350");
        try (Socket d = epsv()) {
            assertThat(r.cmd("TYPE I")).startsWith("200");
            assertThat(r.cmd("RETR f")).startsWith("150");
            assertThat(new String(d.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("56789");
        }
        assertThat(r.reply()).startsWith("226");
    }

    @Test
    void typeASizeCountsCrlfAndRestIsRefused() throws Exception {
        Files.writeString(s.home.resolve("t.txt"), "a\nb\n");
        assertThat(r.cmd("TYPE A")).startsWith("200");
        assertThat(r.cmd("SIZE t.txt")).isEqualTo("213 6");             // RFC 3659 §4: the octets TYPE A sends (CRLF)
        assertThat(r.cmd("REST 2")).startsWith("504");                  // a file offset has no meaning in TYPE A
        assertThat(r.cmd("TYPE I")).startsWith("200");
        assertThat(r.cmd("REST 2")).startsWith("350");
        assertThat(r.cmd("TYPE A")).startsWith("200");                  // REST survives TYPE, but is refused at the transfer
        try (Socket d = epsv()) {
            assertThat(r.cmd("RETR t.txt")).startsWith("550");
        }
        String[] opening = new String[1];
        assertThat(transfer("RETR t.txt", opening)).isEqualTo("a\r\nb\r\n");   // RFC 959 §3.1.1.1: CRLF on the wire
        assertThat(opening[0]).doesNotContain("bytes");
        assertThat(r.cmd("TYPE I")).startsWith("200");
        assertThat(r.cmd("SIZE t.txt")).isEqualTo("213 4");
        assertThat(transfer("RETR t.txt", opening)).isEqualTo("a\nb\n");
        assertThat(opening[0]).contains("(4 bytes)");
    }

    @Test
    void nlstNamesEntriesAsTheClientNamedTheDirectory() throws Exception {
        Files.createDirectories(s.home.resolve("sub"));
        Files.writeString(s.home.resolve("sub/a"), "a");
        Files.writeString(s.home.resolve("sub/b"), "b");
        Files.writeString(s.home.resolve("top.txt"), "t");
        assertThat(transfer("NLST sub").split("\r\n")).containsExactlyInAnyOrder("sub/a", "sub/b");
        assertThat(transfer("NLST sub/a")).isEqualTo("sub/a\r\n");
        assertThat(transfer("NLST").split("\r\n")).containsExactlyInAnyOrder("sub", "top.txt");
    }

    @Test
    void statOfADirectoryIs212AndOfAFile213() throws Exception {
        Files.createDirectories(s.home.resolve("sub"));
        Files.writeString(s.home.resolve("sub/a"), "a");
        String dir = r.cmd("STAT sub");                               // RFC 959 §4.2: 212 directory, 213 file status
        assertThat(dir).startsWith("212-").contains(" a\n").endsWith("\n212 End of status.");
        String file = r.cmd("STAT sub/a");
        assertThat(file).startsWith("213-").contains(" a\n").endsWith("\n213 End of status.");
    }

    @Test
    void mlstFactsAndOptsMlst() throws Exception {
        Files.createDirectories(s.home.resolve("sub"));
        Files.writeString(s.home.resolve("f"), "12345");
        assertThat(r.cmd("MLST sub")).startsWith("250-").contains("type=dir;").doesNotContain("size=");   // RFC 3659 §7.5.7
        assertThat(r.cmd("MLST f")).contains("size=5;");
        // §7.5.5: the home can be neither deleted (d) nor renamed (f), even by a read-write user
        String home = r.cmd("MLST /");
        String perm = home.replaceAll("(?s).*perm=([a-z]*);.*", "$1");
        assertThat(perm).startsWith("el").doesNotContain("d").doesNotContain("f");
        assertThat(r.cmd("MLST sub")).contains("perm=elcmpdf;");
        // §7.9: the reply lists the facts now selected; none selected leaves no trailing space
        assertThat(r.cmd("OPTS MLST")).isEqualTo("200 MLST OPTS");
        assertThat(r.cmd("OPTS MLST size;type;")).isEqualTo("200 MLST OPTS type;size;");
    }

    @Test
    void mfmtTakesOnlyRealTimes() throws Exception {
        Path f = Files.writeString(s.home.resolve("f"), "x");
        assertThat(r.cmd("MFMT 20200230000000 f")).startsWith("501");         // 30 February
        assertThat(r.cmd("MFMT +123450101000000 f")).startsWith("501");       // RFC 3659 §2.3: 14 digits, no sign
        assertThat(r.cmd("MFMT 20200102030405 f")).startsWith("213");
        assertThat(Files.getLastModifiedTime(f).toInstant().toString()).isEqualTo("2020-01-02T03:04:05Z");
    }

    @Test
    void malformedAndUnknownCommands() throws Exception {
        assertThat(r.cmd("EPSV foo")).startsWith("501");
        assertThat(r.cmd("EPSV 3")).startsWith("522");                       // RFC 2428 §3: unknown network protocol
        assertThat(r.cmd("")).startsWith("500");
        assertThat(r.cmd("HELP FOO")).startsWith("504");
        assertThat(r.cmd("EPRT |2|.:|5000|")).startsWith("501");             // not a literal: never looked up as a name
        assertThat(r.cmd("CCC")).startsWith("533");                          // RFC 2228: no protected connection to clear
        assertThat(r.cmd("NOOP")).startsWith("200");
    }

    @Test
    void telnetSubnegotiationIsStripped() throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(new byte[] {(byte) 255, (byte) 250, 24, 0});         // IAC SB TERMINAL-TYPE IS (RFC 1091)
        b.writeBytes("vt100".getBytes(StandardCharsets.US_ASCII));
        b.writeBytes(new byte[] {(byte) 255, (byte) 240});                 // IAC SE
        b.writeBytes("NOOP\r\n".getBytes(StandardCharsets.US_ASCII));
        r.send(b.toByteArray());
        assertThat(r.reply()).startsWith("200");
    }

    @Test
    void c1ControlCharactersInNamesNeverReachAReplyRaw() throws Exception {
        Assumptions.assumeTrue(PathJail.UTF8_NAMES, "file names are not UTF-8 in this locale");
        Files.writeString(s.home.resolve("n\u0085l"), "x");                // NEL: a line end to some clients
        Files.writeString(s.home.resolve("c\u009bi"), "x");                // CSI: a terminal escape
        String stat = r.cmd("STAT /");
        assertThat(stat).startsWith("212-").contains(" n?l\n").contains(" c?i\n").doesNotContain("\u0085").doesNotContain("\u009b").doesNotContain("\ufffd");
        String mlst = r.cmd("MLST n\u0085l");                              // the client names it exactly
        assertThat(mlst).startsWith("250-").contains(" /n?l\n").doesNotContain("\u0085");
        String mlsd = transfer("MLSD");
        assertThat(mlsd).contains("; n?l\r\n").contains("; c?i\r\n").doesNotContain("\u0085").doesNotContain("\u009b");
    }

    @Test
    void statRightAfterA226IsTheSessionStatus() throws Exception {
        Files.writeString(s.home.resolve("f"), "x");
        for (int i = 0; i < 20; i++) {                                       // the transfer thread may still be finishing
            assertThat(transfer("RETR f")).isEqualTo("x");
            assertThat(r.cmd("STAT")).as("round %d", i).startsWith("211-").contains("Logged in as alice");
        }
    }

    /** The control connection after AUTH TLS, line by line. */
    record Tls(SSLSocket socket) {
        String cmd(String line) throws IOException {
            OutputStream out = socket.getOutputStream();
            out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (int c; (c = in.read()) >= 0 && c != '\n'; ) b.write(c);
            return b.toString(StandardCharsets.UTF_8).strip();
        }
    }

    @Test
    void authAfterLoginLogsOutAndReinUnderTlsIsRefused() throws Exception {
        try (TestServer t = TestServer.start(Files.createDirectory(tmp.resolve("tls")),
                "tls.certificate", TlsTest.res("rsa-a.crt").toString(), "tls.key", TlsTest.res("rsa-a.pkcs1.key").toString());
             RawClient plain = t.raw().login("alice", "secret")) {
            assertThat(plain.cmd("PWD")).startsWith("257");
            assertThat(plain.cmd("AUTH TLS")).startsWith("234");
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {TrustManagerUtils.getAcceptAllTrustManager()}, null);
            SSLSocket ssl = (SSLSocket) ctx.getSocketFactory().createSocket(plain.socket, "127.0.0.1", t.port(), true);
            ssl.setSoTimeout(10_000);
            ssl.startHandshake();
            Tls c = new Tls(ssl);
            // RFC 2228 §3: a new security context means a new login; the clear one does not carry over
            assertThat(c.cmd("PWD")).startsWith("530");
            assertThat(c.cmd("USER alice")).startsWith("331");
            assertThat(c.cmd("PASS secret")).startsWith("230");
            assertThat(c.cmd("CCC")).startsWith("534");
            assertThat(c.cmd("REIN")).startsWith("534");                       // would fall back to clear text
            assertThat(c.cmd("PWD")).startsWith("257");                        // still logged in
            ssl.close();
        }
    }
}
