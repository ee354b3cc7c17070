package ftp;

import java.util.List;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SNIHostName;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Map;
import javax.net.SocketFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.apache.commons.net.ftp.FTPSClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FTPS (RFC 4217): explicit (AUTH TLS) and implicit, PBSZ, PROT, CCC, REIN under TLS, tls.required
 * globally and per user, certificates in every form, renewals without a restart (and half ones),
 * TLS session reuse on data connections, and uploads whose TLS stream is cut. Through commons-net
 * FTPSClient and raw TLS sockets, with test-only certificates.
 */
class TlsTest {
    @TempDir Path tmp;

    private TestServer server(String... extra) throws Exception {
        return TestServer.start(tmp, TlsClient.settings(extra));
    }

    static X509Certificate certificate(String name) throws Exception {
        try (InputStream in = Files.newInputStream(TlsClient.res(name))) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    /** The certificate a fresh explicit-FTPS connection is shown. */
    static X509Certificate presented(int port) throws Exception {
        try (RawClient r = new RawClient("127.0.0.1", port)) {
            r.reply();
            RawClient tls = TlsClient.auth(r, port);
            X509Certificate c = (X509Certificate) ((SSLSocket) tls.socket).getSession().getPeerCertificates()[0];
            tls.close();
            return c;
        }
    }

    /** Replaces {@code to} with a copy of the resource and moves its mtime on, as a renewal would. */
    static void install(String resource, Path to, int secondsAhead) throws Exception {
        Files.copy(TlsClient.res(resource), to, StandardCopyOption.REPLACE_EXISTING);
        Files.setLastModifiedTime(to, FileTime.from(Instant.now().plusSeconds(secondsAhead)));
    }

    /**
     * commons-net's FTPSClient, but its data connections can resume the control connection's TLS
     * session. The JDK's client session cache is keyed by host and the socket's remote port, and a
     * data connection goes to another port than the control connection, so stock FTPSClient never
     * resumes (the usual workaround patches JSSE's cache by reflection, which needs --add-opens).
     * Here the data socket is a plain one that reports the control port as its remote port, with
     * TLS layered on it from the control connection's own SSLContext: the cache lookup then finds
     * the control session, through public API only.
     */
    static final class ResumingClient extends FTPSClient {
        private final SSLContext context;

        ResumingClient(SSLContext context) {
            super(false, context);
            this.context = context;
        }

        @Override
        protected Socket _openDataConnection_(String command, String arg) throws IOException {
            int controlPort = getRemotePort();
            setSocketFactory(new SocketFactory() {        // after PROT P FTPSClient would make a TLS socket itself
                @Override public Socket createSocket() {
                    return new Socket() {
                        @Override public int getPort() { return controlPort; }
                    };
                }
                @Override public Socket createSocket(String h, int p) { throw new UnsupportedOperationException(); }
                @Override public Socket createSocket(String h, int p, java.net.InetAddress l, int lp) {
                    throw new UnsupportedOperationException();
                }
                @Override public Socket createSocket(java.net.InetAddress h, int p) {
                    throw new UnsupportedOperationException();
                }
                @Override public Socket createSocket(java.net.InetAddress h, int p, java.net.InetAddress l, int lp) {
                    throw new UnsupportedOperationException();
                }
            });
            Socket plain = super._openDataConnection_(command, arg);
            if (plain == null) return null;
            SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(plain, "127.0.0.1", controlPort, true);
            tls.setUseClientMode(true);
            tls.setSoTimeout(10_000);
            tls.startHandshake();
            return tls;
        }
    }

    // ---- explicit and implicit FTPS ----

    @Test
    void explicitTlsTransfersByteForByte() throws Exception {
        try (TestServer s = server()) {
            byte[] data = TestServer.random(3 << 20, 7);
            FTPSClient c = TlsClient.login(TlsClient.client(false), s.port());
            assertThat(c.storeFile("big.bin", new ByteArrayInputStream(data))).isTrue();
            assertThat(Files.readAllBytes(s.home.resolve("big.bin"))).isEqualTo(data);
            assertThat(TestServer.retrieve(c, "big.bin")).isEqualTo(data);
            assertThat(c.listNames()).containsExactly("big.bin");
            assertThat(c.sendCommand("FEAT")).isEqualTo(211);
            assertThat(c.getReplyString()).contains("AUTH TLS").contains("PBSZ").contains("PROT");
            assertThatThrownBy(c::execCCC).hasMessageContaining("534");
            c.disconnect();
        }
    }

    @Test
    void implicitTlsProtectsDataByDefault() throws Exception {
        try (TestServer s = server("tls.implicit.port", "0")) {
            Files.writeString(s.home.resolve("x.txt"), "implicit");
            FTPSClient c = TlsClient.client(true);
            c.connect("127.0.0.1", s.server.implicitPort());
            assertThat(c.login("alice", "secret")).isTrue();
            c.execPROT("P");   // commons-net must know; the server's default is P already
            c.enterLocalPassiveMode();
            assertThat(new String(TestServer.retrieve(c, "x.txt"))).isEqualTo("implicit");
            c.disconnect();
        }
    }

    /** CVE-2011-1575: commands pipelined after AUTH TLS in the same packet must never run. */
    @Test
    void bytesPipelinedAfterAuthAreDiscarded() throws Exception {
        try (TestServer s = server(); RawClient r = s.raw()) {
            r.reply();
            r.send("AUTH TLS\r\nSYST\r\n");
            assertThat(r.reply()).startsWith("234");
            RawClient tls = TlsClient.handshake(r, TlsClient.trustAll(), s.port());
            assertThat(tls.cmd("NOOP")).startsWith("200");   // the NOOP's reply, not SYST's 215
            tls.close();
        }
    }

    @Test
    void authAfterLoginLogsOutAndReinUnderTlsIsRefused() throws Exception {
        try (TestServer t = server(); RawClient plain = t.raw().login("alice", "secret")) {
            assertThat(plain.cmd("PWD")).startsWith("257");
            RawClient c = TlsClient.auth(plain, t.port());
            // RFC 2228 §3: a new security context means a new login; the clear one does not carry over
            assertThat(c.cmd("PWD")).startsWith("530");
            assertThat(c.cmd("USER alice")).startsWith("331");
            assertThat(c.cmd("PASS secret")).startsWith("230");
            assertThat(c.cmd("CCC")).startsWith("534");
            assertThat(c.cmd("REIN")).startsWith("534");                       // would fall back to clear text
            assertThat(c.cmd("PWD")).startsWith("257");                        // still logged in
            c.close();
        }
    }

    // ---- tls.required ----

    @Test
    void requiredTlsRefusesClearLoginsAndClearData() throws Exception {
        try (TestServer s = server("tls.required", "true"); RawClient r = s.raw()) {
            r.reply();
            assertThat(r.cmd("USER alice")).startsWith("530");
            assertThat(r.cmd("PASS secret")).startsWith("530");
            FTPSClient c = TlsClient.client(false);
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
        try (TestServer s = server("user.carol.password", "c", "user.carol.home", tmp.toString(),
                "user.carol.tls.required", "true");
             RawClient r = s.raw()) {
            r.reply();
            assertThat(r.cmd("USER carol")).startsWith("331");
            assertThat(r.cmd("PASS c")).startsWith("530");
            assertThat(r.cmd("USER alice")).startsWith("331");
            assertThat(r.cmd("PASS secret")).startsWith("230");   // others may still use plain FTP
        }
    }

    // ---- data connections ----

    /** An upload whose TLS stream ends without close_notify is truncated: never a 226. */
    @Test
    void truncatedTlsUploadIsNotComplete() throws Exception {
        try (TestServer s = server(); RawClient r = s.raw()) {
            r.reply();
            r.send("AUTH TLS\r\n");
            assertThat(r.reply()).startsWith("234");
            SSLContext ctx = TlsClient.trustAll();
            RawClient ctl = TlsClient.handshake(r, ctx, s.port());
            assertThat(ctl.cmd("USER alice")).startsWith("331");
            assertThat(ctl.cmd("PASS secret")).startsWith("230");
            assertThat(ctl.cmd("PBSZ 0")).startsWith("200");
            assertThat(ctl.cmd("PROT P")).startsWith("200");
            int port = RawClient.epsvPort(ctl.cmd("EPSV"));
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
    void sessionReuseCheck() throws Exception {
        FakeSession control12 = new FakeSession(new byte[] {1}, "TLSv1.2", 5);
        FakeSession control13 = new FakeSession(new byte[] {1}, "TLSv1.3", 5);
        assertThat(Tls.resumes(new FakeSession(new byte[] {1}, "TLSv1.2", 5), control12)).isTrue();
        assertThat(Tls.resumes(new FakeSession(new byte[] {2}, "TLSv1.3", 5), control13)).isTrue();
        assertThat(Tls.resumes(new FakeSession(new byte[] {2}, "TLSv1.3", 6), control13)).isFalse();
        // a TLS 1.2 session resumed from an RFC 5077 ticket: a new ID, the control session's creation time
        assertThat(Tls.resumes(new FakeSession(new byte[] {2}, "TLSv1.2", 5), control12)).isTrue();
        assertThat(Tls.resumes(new FakeSession(new byte[] {2}, "TLSv1.2", 6), control12)).isFalse();
        assertThat(Tls.resumes(new FakeSession(new byte[] {2}, "TLSv1.2", 5), control13)).isFalse();
    }

    @Test
    void aDataConnectionThatDoesNotResumeGets522() throws Exception {
        try (TestServer s = TestServer.start(tmp, "tls.certificate", TlsClient.res("rsa-a.crt").toString(),
                "tls.key", TlsClient.res("rsa-a.key").toString(), "tls.require.session.reuse", "true")) {
            Files.writeString(s.home.resolve("f.txt"), "data");
            FTPSClient c = TlsClient.login(new FTPSClient(false, TlsClient.trustAll()), s.port());
            assertThat(c.sendCommand("EPSV")).isEqualTo(229);
            int port = RawClient.epsvPort(c.getReplyString().trim());
            try (Socket plain = new Socket()) {
                plain.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                plain.setSoTimeout(5000);
                assertThat(c.sendCommand("RETR", "f.txt")).isEqualTo(150);
                // another SSLContext: an empty session cache, so only a full handshake is possible
                SSLSocket data = (SSLSocket) TlsClient.trustAll().getSocketFactory()
                    .createSocket(plain, "127.0.0.1", port, true);
                try {
                    data.startHandshake();
                    data.getInputStream().read();              // the server drops it after its check
                } catch (IOException expected) {
                    // either way the data connection is refused
                }
                assertThat(c.getReply()).as(c.getReplyString()).isEqualTo(522);
            }
            assertThat(c.sendNoOp()).isTrue();                 // the session itself goes on
            c.disconnect();
        }
    }

    @Test
    void requiredSessionReuseSurvivesACertificateRenewal() throws Exception {
        Path cert = tmp.resolve("fullchain.pem"), key = tmp.resolve("privkey.pem");
        Files.copy(TlsClient.res("rsa-a.crt"), cert);
        Files.copy(TlsClient.res("rsa-a.key"), key);
        try (TestServer s = TestServer.start(Files.createDirectory(tmp.resolve("srv")),
                "tls.certificate", cert.toString(), "tls.key", key.toString(), "tls.require.session.reuse", "true")) {
            Files.write(s.home.resolve("before.bin"), new byte[50_000]);
            FTPSClient c = TlsClient.login(new ResumingClient(TlsClient.trustAll()), s.port());
            ByteArrayOutputStream back = new ByteArrayOutputStream();
            assertThat(c.retrieveFile("before.bin", back)).as(c.getReplyString()).isTrue();
            assertThat(back.size()).isEqualTo(50_000);

            install("rsa-b.crt", cert, 5);
            install("rsa-b.key", key, 5);
            // a new connection proves the server picked the renewal up ...
            assertThat(presented(s.port())).isEqualTo(certificate("rsa-b.crt"));
            // ... while the old session's data connections still resume from the context its control connection used
            back.reset();
            assertThat(c.retrieveFile("before.bin", back)).as(c.getReplyString()).isTrue();
            assertThat(back.size()).isEqualTo(50_000);
            assertThat(c.listNames()).as(c.getReplyString()).containsExactly("before.bin");
            // The upload comes last because of the client, not the server: JSSE's client uses a TLS 1.3
            // ticket once, and each data connection lives on the ticket the previous one received. An
            // upload's data connection gets no ticket (a client never reads it), so a transfer after
            // it would find no session to resume (522).
            assertThat(c.storeFile("after.bin", new ByteArrayInputStream(new byte[1000]))).as(c.getReplyString())
                .isTrue();
            assertThat(Files.size(s.home.resolve("after.bin"))).isEqualTo(1000);
            c.disconnect();
        }
    }

    // ---- certificates: forms, errors, renewal ----

    @Test
    void pemKeysInEveryFormAndPkcs12Load() throws Exception {
        String[][] forms = {
            {"tls.certificate", TlsClient.res("rsa-a.crt").toString(), "tls.key",
                TlsClient.res("rsa-a.key").toString()},
            {"tls.certificate", TlsClient.res("ec.crt").toString(), "tls.key", TlsClient.res("ec.sec1.key").toString()},
            {"tls.certificate", TlsClient.res("ec.crt").toString(), "tls.key",
                TlsClient.res("ec.pkcs8.key").toString()},
            {"tls.certificate", TlsClient.res("rsa-a.p12").toString(), "tls.key.password", "changeit"},
        };
        for (String[] f : forms) {
            Path dir = Files.createTempDirectory(tmp, "f");
            try (TestServer s = TestServer.start(dir, f)) {
                FTPSClient c = TlsClient.login(TlsClient.client(false), s.port());
                assertThat(c.listNames()).isEmpty();
                c.disconnect();
            }
        }
    }

    @Test
    void anUnreadableCertificateStopsStartUpNamingTheKey() throws Exception {
        Path bad = Files.writeString(tmp.resolve("bad.crt"),
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        assertThatThrownBy(() -> TestServer.start(tmp, "tls.certificate", bad.toString(),
                "tls.key", TlsClient.res("rsa-a.key").toString()))
            .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("tls.certificate:");
    }

    @Test
    void aKeyOfAnotherPairIsRefusedAtStartUpAndByCheckConfig() throws Exception {
        Path cfg = TestServer.configFile(tmp, "port=0",
            "tls.certificate=" + TlsClient.res("rsa-a.crt"), "tls.key=" + TlsClient.res("rsa-b.key"));
        Config c = Config.load(cfg);                     // both files are readable: only loading them can tell
        assertThatThrownBy(() -> new FtpServer(c)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageStartingWith("tls.key:");

        TestServer.Exit e = TestServer.runMain(tmp, Map.of(), "--check-config", "-c", cfg.toString());
        assertThat(e.code()).isEqualTo(2);
        assertThat(e.err().lines().toList()).as(e.err()).singleElement().asString().contains("tls.key");
        assertThat(e.out()).doesNotContain("config OK");
    }

    /**
     * An upload's TLS 1.3 data connection carries nothing from the server, not even a session ticket:
     * a client that never reads it (Go's, so rclone) would close it with the ticket unread, and its
     * TCP would then reset the connection and drop the upload's tail.
     */
    @Test
    void anUploadsDataConnectionGetsNoSessionTicket() throws Exception {
        try (TestServer s = server(); RawClient plain = s.raw()) {
            plain.reply();
            SSLContext ctx = TlsClient.trustAll();
            assertThat(plain.cmd("AUTH TLS")).startsWith("234");
            RawClient c = TlsClient.handshake(plain, ctx, s.port());
            assertThat(c.cmd("USER alice")).startsWith("331");
            assertThat(c.cmd("PASS secret")).startsWith("230");
            assertThat(c.cmd("PBSZ 0")).startsWith("200");
            assertThat(c.cmd("PROT P")).startsWith("200");
            assertThat(c.cmd("TYPE I")).startsWith("200");
            int port = RawClient.epsvPort(c.cmd("EPSV"));
            byte[] upload = new byte[100_000];
            new java.util.Random(3).nextBytes(upload);
            try (Socket raw = new Socket()) {
                raw.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                assertThat(c.cmd("STOR up.bin")).startsWith("150");
                SSLSocket data = (SSLSocket) ctx.getSocketFactory().createSocket(raw, "127.0.0.1", port, false);
                data.setEnabledProtocols(new String[] {"TLSv1.3"});
                data.startHandshake();
                Thread.sleep(300);                         // a ticket would follow the handshake at once
                assertThat(raw.getInputStream().available()).isZero();
                data.getOutputStream().write(upload);
                data.close();
            }
            assertThat(c.reply()).startsWith("226");
            assertThat(Files.readAllBytes(s.home.resolve("up.bin"))).isEqualTo(upload);
            c.close();
        }
    }

    @Test
    void renewedCertificateIsUsedWithoutRestart() throws Exception {
        Path cert = tmp.resolve("fullchain.pem"), key = tmp.resolve("privkey.pem");
        Files.copy(TlsClient.res("rsa-a.crt"), cert);
        Files.copy(TlsClient.res("rsa-a.key"), key);
        Path dir = Files.createDirectory(tmp.resolve("srv"));
        try (TestServer s = TestServer.start(dir, "tls.certificate", cert.toString(), "tls.key", key.toString())) {
            assertThat(subject(s)).contains("test-only-a");
            Files.copy(TlsClient.res("rsa-b.crt"), cert, StandardCopyOption.REPLACE_EXISTING);
            Files.copy(TlsClient.res("rsa-b.key"), key, StandardCopyOption.REPLACE_EXISTING);
            Files.setLastModifiedTime(cert, FileTime.from(Instant.now().plusSeconds(5)));
            assertThat(subject(s)).contains("test-only-b");
            Files.writeString(key, "broken");    // a broken renewal keeps the pair in use
            Files.setLastModifiedTime(key, FileTime.from(Instant.now().plusSeconds(10)));
            assertThat(subject(s)).contains("test-only-b");
        }
    }

    private static String subject(TestServer s) throws Exception {
        return presented(s.port()).getSubjectX500Principal().getName();
    }

    @Test
    void aMismatchedRenewalKeepsTheOldPairUntilTheKeyMatches() throws Exception {
        Path cert = tmp.resolve("fullchain.pem"), key = tmp.resolve("privkey.pem");
        Files.copy(TlsClient.res("rsa-a.crt"), cert);
        Files.copy(TlsClient.res("rsa-a.key"), key);
        X509Certificate a = certificate("rsa-a.crt"), b = certificate("rsa-b.crt");
        assertThat(a).isNotEqualTo(b);
        try (TestServer s = TestServer.start(Files.createDirectory(tmp.resolve("srv")),
                "tls.certificate", cert.toString(), "tls.key", key.toString())) {
            assertThat(presented(s.port())).isEqualTo(a);
            install("rsa-b.crt", cert, 5);                // half a renewal: rsa-b's certificate, rsa-a's key
            assertThat(presented(s.port())).as("a mismatched pair must not replace a working one").isEqualTo(a);
            install("rsa-b.key", key, 10);                // the other half: now a matching pair
            assertThat(presented(s.port())).isEqualTo(b);
        }
    }

    private record FakeSession(byte[] getId, String getProtocol, long getCreationTime)
            implements javax.net.ssl.SSLSession {
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

    /**
     * One certificate per host name: a client naming a.test (SNI) gets a.test's, b.test gets its own,
     * a client naming none gets the default; HOST b.test before AUTH TLS picks b.test's for a client
     * that sends no SNI (RFC 7151). STAT then names the protocol and cipher.
     */
    @Test
    void eachHostNameGetsItsOwnCertificate() throws Exception {
        try (TestServer s = TestServer.start(tmp, "tls.certificate", TlsClient.res("ec.crt").toString(),
                "tls.key", TlsClient.res("ec.pkcs8.key").toString(),
                "tls.a.test.certificate", TlsClient.res("rsa-a.crt").toString(),
                "tls.a.test.key", TlsClient.res("rsa-a.key").toString(),
                "tls.b.test.certificate", TlsClient.res("rsa-b.crt").toString(),
                "tls.b.test.key", TlsClient.res("rsa-b.key").toString())) {
            assertThat(servedTo(s, "a.test", null)).isEqualTo("CN=test-only-a");
            assertThat(servedTo(s, "b.test", null)).isEqualTo("CN=test-only-b");
            assertThat(servedTo(s, "c.test", null)).isEqualTo("CN=test-only-ec");
            assertThat(servedTo(s, null, null)).isEqualTo("CN=test-only-ec");
            assertThat(servedTo(s, null, "b.test")).isEqualTo("CN=test-only-b");
            assertThat(servedTo(s, "a.test", "b.test")).as("SNI comes first").isEqualTo("CN=test-only-a");
        }
    }

    /** The subject of the certificate the server shows after AUTH TLS with this SNI and this HOST (null: none). */
    private static String servedTo(TestServer s, String sni, String host) throws Exception {
        try (RawClient plain = s.raw()) {
            plain.reply();
            if (host != null) assertThat(plain.cmd("HOST " + host)).startsWith("220");
            assertThat(plain.cmd("AUTH TLS")).startsWith("234");
            SSLSocket tls = (SSLSocket) TlsClient.trustAll().getSocketFactory()
                .createSocket(plain.socket, "127.0.0.1", s.port(), true);
            SSLParameters p = tls.getSSLParameters();
            p.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
            tls.setSSLParameters(p);
            tls.setSoTimeout(10_000);
            tls.startHandshake();
            var served = (X509Certificate) tls.getSession().getPeerCertificates()[0];
            String subject = served.getSubjectX500Principal().getName();
            RawClient c = new RawClient(tls);
            c.cmd("USER alice");
            assertThat(c.cmd("PASS secret")).startsWith("230");
            assertThat(c.cmd("STAT")).contains("Control connection: " + tls.getSession().getProtocol() + ", "
                + tls.getSession().getCipherSuite());
            c.close();
            return subject;
        }
    }
}
