package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Random;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.apache.commons.net.ftp.FTP;
import org.apache.commons.net.ftp.FTPSClient;
import org.apache.commons.net.util.TrustManagerUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** FTPS (RFC 4217) through commons-net FTPSClient and raw TLS sockets, with test-only certificates. */
class TlsTest {
    @TempDir Path tmp;

    static Path res(String name) throws Exception {
        return Path.of(TlsTest.class.getResource("/tls/" + name).toURI());
    }

    private TestServer server(String... extra) throws Exception {
        String[] base = {"tls.certificate", res("rsa-a.crt").toString(), "tls.key", res("rsa-a.pkcs1.key").toString()};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return TestServer.start(tmp, all);
    }

    private static FTPSClient client(boolean implicit) {
        FTPSClient c = new FTPSClient("TLS", implicit);
        c.setTrustManager(TrustManagerUtils.getAcceptAllTrustManager());
        c.setConnectTimeout(5000);
        c.setDefaultTimeout(10_000);
        return c;
    }

    /** Connects, PBSZ 0 and PROT P, logs in as alice, binary, passive. */
    static FTPSClient login(FTPSClient c, int port) throws Exception {
        c.connect("127.0.0.1", port);
        c.setSoTimeout(10_000);
        c.execPBSZ(0);
        c.execPROT("P");
        assertThat(c.login("alice", "secret")).isTrue();
        c.setFileType(FTP.BINARY_FILE_TYPE);
        c.enterLocalPassiveMode();
        return c;
    }

    /** Trusts anything: the test certificates are self-signed, and tests compare them themselves. */
    static SSLContext trustAll() throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] c, String a) {}
            public void checkServerTrusted(X509Certificate[] c, String a) {}
            public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
        }}, null);
        return ctx;
    }

    @Test
    void explicitTlsTransfersByteForByte() throws Exception {
        try (TestServer s = server()) {
            byte[] data = new byte[3 << 20];
            new Random(7).nextBytes(data);
            FTPSClient c = login(client(false), s.port());
            assertThat(c.storeFile("big.bin", new ByteArrayInputStream(data))).isTrue();
            assertThat(Files.readAllBytes(s.home.resolve("big.bin"))).isEqualTo(data);
            ByteArrayOutputStream back = new ByteArrayOutputStream();
            assertThat(c.retrieveFile("big.bin", back)).isTrue();
            assertThat(back.toByteArray()).isEqualTo(data);
            assertThat(c.listNames()).containsExactly("big.bin");
            assertThat(c.sendCommand("FEAT")).isEqualTo(211);
            assertThat(c.getReplyString()).contains("AUTH TLS").contains("PBSZ").contains("PROT");
            org.assertj.core.api.Assertions.assertThatThrownBy(c::execCCC).hasMessageContaining("534");
            c.disconnect();
        }
    }

    @Test
    void implicitTlsProtectsDataByDefault() throws Exception {
        try (TestServer s = server("tls.implicit.port", "0")) {
            Files.writeString(s.home.resolve("x.txt"), "implicit");
            FTPSClient c = client(true);
            c.connect("127.0.0.1", s.server.implicitPort());
            assertThat(c.login("alice", "secret")).isTrue();
            c.execPROT("P");   // commons-net must know; the server's default is P already
            c.enterLocalPassiveMode();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertThat(c.retrieveFile("x.txt", out)).isTrue();
            assertThat(out.toString()).isEqualTo("implicit");
            c.disconnect();
        }
    }

    @Test
    void pemKeysInEveryFormAndPkcs12Load() throws Exception {
        String[][] forms = {
            {"tls.certificate", res("rsa-a.crt").toString(), "tls.key", res("rsa-a.key").toString()},
            {"tls.certificate", res("ec.crt").toString(), "tls.key", res("ec.sec1.key").toString()},
            {"tls.certificate", res("ec.crt").toString(), "tls.key", res("ec.pkcs8.key").toString()},
            {"tls.certificate", res("rsa-a.p12").toString(), "tls.key.password", "changeit"},
        };
        for (String[] f : forms) {
            Path dir = Files.createTempDirectory(tmp, "f");
            try (TestServer s = TestServer.start(dir, f)) {
                FTPSClient c = login(client(false), s.port());
                assertThat(c.listNames()).isEmpty();
                c.disconnect();
            }
        }
    }

    @Test
    void anUnreadableCertificateStopsStartUpNamingTheKey() throws Exception {
        Path bad = Files.writeString(tmp.resolve("bad.crt"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TestServer.start(tmp, "tls.certificate", bad.toString(),
                "tls.key", res("rsa-a.key").toString()))
            .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("tls.certificate:");
    }

    /** CVE-2011-1575: commands pipelined after AUTH TLS in the same packet must never run. */
    @Test
    void bytesPipelinedAfterAuthAreDiscarded() throws Exception {
        try (TestServer s = server(); RawClient r = s.raw()) {
            r.reply();
            r.send("AUTH TLS\r\nSYST\r\n");
            assertThat(r.reply()).startsWith("234");
            SSLSocket tls = (SSLSocket) trustAll().getSocketFactory().createSocket(r.socket, "127.0.0.1", s.port(), true);
            tls.setSoTimeout(5000);
            tls.startHandshake();
            OutputStream out = tls.getOutputStream();
            InputStream in = tls.getInputStream();
            out.write("NOOP\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String first = new String(readLine(in), StandardCharsets.US_ASCII);
            assertThat(first).startsWith("200");   // the NOOP's reply, not SYST's 215
            tls.close();
        }
    }

    private static byte[] readLine(InputStream in) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') b.write(c);
        return b.toByteArray();
    }

    @Test
    void requiredTlsRefusesClearLoginsAndClearData() throws Exception {
        try (TestServer s = server("tls.required", "true"); RawClient r = s.raw()) {
            r.reply();
            assertThat(r.cmd("USER alice")).startsWith("530");
            assertThat(r.cmd("PASS secret")).startsWith("530");
            FTPSClient c = client(false);
            c.connect("127.0.0.1", s.port());
            assertThat(c.login("alice", "secret")).isTrue();
            assertThat(c.sendCommand("PBSZ", "0")).isEqualTo(200);
            assertThat(c.sendCommand("PROT", "C")).isEqualTo(534);
            c.enterLocalPassiveMode();
            assertThat(c.sendCommand("PASV")).isEqualTo(227);
            assertThat(c.sendCommand("LIST")).isEqualTo(521);
            c.disconnect();
        }
    }

    @Test
    void perUserRequiredTls() throws Exception {
        try (TestServer s = server("user.carol.password", "c", "user.carol.home", tmp.toString(), "user.carol.tls.required", "true");
             RawClient r = s.raw()) {
            r.reply();
            assertThat(r.cmd("USER carol")).startsWith("331");
            assertThat(r.cmd("PASS c")).startsWith("530");
            assertThat(r.cmd("USER alice")).startsWith("331");
            assertThat(r.cmd("PASS secret")).startsWith("230");   // others may still use plain FTP
        }
    }

    /** An upload whose TLS stream ends without close_notify is truncated: never a 226. */
    @Test
    void truncatedTlsUploadIsNotComplete() throws Exception {
        try (TestServer s = server(); RawClient r = s.raw()) {
            r.reply();
            r.send("AUTH TLS\r\n");
            assertThat(r.reply()).startsWith("234");
            SSLContext ctx = trustAll();
            SSLSocket tls = (SSLSocket) ctx.getSocketFactory().createSocket(r.socket, "127.0.0.1", s.port(), true);
            tls.setSoTimeout(10_000);
            tls.startHandshake();
            var ctl = new Object() {
                String cmd(String line) throws Exception {
                    tls.getOutputStream().write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    return reply();
                }
                String reply() throws Exception { return new String(readLine(tls.getInputStream()), StandardCharsets.US_ASCII); }
            };
            assertThat(ctl.cmd("USER alice")).startsWith("331");
            assertThat(ctl.cmd("PASS secret")).startsWith("230");
            assertThat(ctl.cmd("PBSZ 0")).startsWith("200");
            assertThat(ctl.cmd("PROT P")).startsWith("200");
            String pasv = ctl.cmd("EPSV");
            int port = Integer.parseInt(pasv.trim().replaceAll(".*\\|\\|\\|(\\d+)\\|.*", "$1"));
            Socket plain = new Socket();
            plain.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            assertThat(ctl.cmd("STOR cut.bin")).startsWith("150");
            SSLSocket data = (SSLSocket) ctx.getSocketFactory().createSocket(plain, "127.0.0.1", port, false);
            data.startHandshake();
            data.getOutputStream().write(new byte[100_000]);
            data.getOutputStream().flush();
            plain.close();                    // TCP FIN without a TLS close_notify
            assertThat(ctl.reply()).doesNotStartWith("226").startsWith("4");
            assertThat(ctl.cmd("NOOP")).startsWith("200");
        }
    }

    @Test
    void renewedCertificateIsUsedWithoutRestart() throws Exception {
        Path cert = tmp.resolve("fullchain.pem"), key = tmp.resolve("privkey.pem");
        Files.copy(res("rsa-a.crt"), cert);
        Files.copy(res("rsa-a.key"), key);
        Path dir = Files.createDirectory(tmp.resolve("srv"));
        try (TestServer s = TestServer.start(dir, "tls.certificate", cert.toString(), "tls.key", key.toString())) {
            assertThat(serverCertificate(s)).contains("test-only-a");
            Files.copy(res("rsa-b.crt"), cert, StandardCopyOption.REPLACE_EXISTING);
            Files.copy(res("rsa-b.key"), key, StandardCopyOption.REPLACE_EXISTING);
            Files.setLastModifiedTime(cert, FileTime.from(Instant.now().plusSeconds(5)));
            assertThat(serverCertificate(s)).contains("test-only-b");
            Files.writeString(key, "broken");    // a broken renewal keeps the pair in use
            Files.setLastModifiedTime(key, FileTime.from(Instant.now().plusSeconds(10)));
            assertThat(serverCertificate(s)).contains("test-only-b");
        }
    }

    private String serverCertificate(TestServer s) throws Exception {
        try (RawClient r = s.raw()) {
            r.reply();
            r.send("AUTH TLS\r\n");
            assertThat(r.reply()).startsWith("234");
            SSLSocket tls = (SSLSocket) trustAll().getSocketFactory().createSocket(r.socket, "127.0.0.1", s.port(), true);
            tls.startHandshake();
            String dn = ((X509Certificate) tls.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
            tls.close();
            return dn;
        }
    }

    @Test
    void sessionReuseCheck() throws Exception {
        assertThat(Tls.resumes(new FakeSession(new byte[] {1}, "TLSv1.2", 5), new FakeSession(new byte[] {1}, "TLSv1.2", 5))).isTrue();
        assertThat(Tls.resumes(new FakeSession(new byte[] {2}, "TLSv1.3", 5), new FakeSession(new byte[] {1}, "TLSv1.3", 5))).isTrue();
        assertThat(Tls.resumes(new FakeSession(new byte[] {2}, "TLSv1.3", 6), new FakeSession(new byte[] {1}, "TLSv1.3", 5))).isFalse();
        assertThat(Tls.resumes(new FakeSession(new byte[] {2}, "TLSv1.2", 5), new FakeSession(new byte[] {1}, "TLSv1.2", 5))).isFalse();
    }

    private record FakeSession(byte[] getId, String getProtocol, long getCreationTime) implements javax.net.ssl.SSLSession {
        public String getCipherSuite() { return "TLS_AES_128_GCM_SHA256"; }
        public javax.net.ssl.SSLSessionContext getSessionContext() { return null; }
        public long getLastAccessedTime() { return 0; }
        public void invalidate() {}
        public boolean isValid() { return true; }
        public void putValue(String n, Object v) {}
        public Object getValue(String n) { return null; }
        public void removeValue(String n) {}
        public String[] getValueNames() { return new String[0]; }
        public java.security.cert.Certificate[] getPeerCertificates() { return null; }
        public java.security.cert.Certificate[] getLocalCertificates() { return null; }
        public java.security.Principal getPeerPrincipal() { return null; }
        public java.security.Principal getLocalPrincipal() { return null; }
        public String getPeerHost() { return null; }
        public int getPeerPort() { return 0; }
        public int getPacketBufferSize() { return 0; }
        public int getApplicationBufferSize() { return 0; }
    }
}
