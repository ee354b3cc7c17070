package ftp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import javax.net.SocketFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.apache.commons.net.ftp.FTP;
import org.apache.commons.net.ftp.FTPClient;
import org.apache.commons.net.ftp.FTPSClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Running it for real: mismatched certificate pairs at start-up and at renewal, TLS session reuse
 * across a renewal, unusable log paths, a graceful stop that cuts a transfer, socket activation
 * and its misuse, combined rate limits, xferlog byte counts in TYPE A, and account reloads.
 */
class OperationsTest {
    @TempDir Path tmp;

    // ---- helpers ----

    static Path res(String name) throws Exception { return TlsTest.res(name); }

    static X509Certificate certificate(String name) throws Exception {
        try (InputStream in = Files.newInputStream(res(name))) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    /** The certificate a fresh explicit-FTPS connection is shown. */
    static X509Certificate presented(int port) throws Exception {
        try (RawClient r = new RawClient("127.0.0.1", port)) {
            r.reply();
            assertThat(r.cmd("AUTH TLS")).startsWith("234");
            SSLSocket tls = (SSLSocket) TlsTest.trustAll().getSocketFactory().createSocket(r.socket, "127.0.0.1", port, true);
            tls.setSoTimeout(5000);
            tls.startHandshake();
            X509Certificate c = (X509Certificate) tls.getSession().getPeerCertificates()[0];
            tls.close();
            return c;
        }
    }

    /** Replaces {@code to} with a copy of the resource and moves its mtime on, as a renewal would. */
    static void install(String resource, Path to, int secondsAhead) throws Exception {
        Files.copy(res(resource), to, StandardCopyOption.REPLACE_EXISTING);
        Files.setLastModifiedTime(to, FileTime.from(Instant.now().plusSeconds(secondsAhead)));
    }

    record Exit(int code, String out, String err) {}

    /** ftp.Main in its own JVM (exit codes and System.exit are only real there), bounded to 20 s. */
    Exit main(Map<String, String> env, String... args) throws Exception {
        Path dir = Files.createTempDirectory(tmp, "run");
        ProcessBuilder b = new ProcessBuilder(VpsTest.java(), "-cp", "target/classes", "ftp.Main");
        b.command().addAll(List.of(args));
        b.environment().putAll(env);
        b.redirectOutput(dir.resolve("out").toFile()).redirectError(dir.resolve("err").toFile());
        Process p = b.start();
        try {
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("ftp.Main ended").isTrue();
            return new Exit(p.exitValue(), Files.readString(dir.resolve("out")), Files.readString(dir.resolve("err")));
        } finally {
            p.destroyForcibly();
        }
    }

    /** A config file with user u/p; extra lines are appended. */
    Path configFile(String... lines) throws IOException {
        Path home = Files.createDirectories(tmp.resolve("home"));
        String base = "address=127.0.0.1\nlogin.failure.delay=0.05\nuser.u.password=p\nuser.u.home=" + home + "\nuser.u.write=true\n";
        return Files.writeString(tmp.resolve("ftp.properties"), base + String.join("\n", lines) + "\n");
    }

    Properties props(String... kv) throws IOException {
        Properties p = new Properties();
        p.setProperty("user.u.password", "p");
        p.setProperty("user.u.home", Files.createDirectories(tmp.resolve("home")).toString());
        for (int i = 0; i + 1 < kv.length; i += 2) p.setProperty(kv[i], kv[i + 1]);
        return p;
    }

    static FTPSClient ftps(FTPSClient c, int port) throws Exception {
        c.setConnectTimeout(5000);
        c.setDefaultTimeout(10_000);
        c.setDataTimeout(Duration.ofSeconds(10));
        return TlsTest.login(c, port);
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
                @Override public Socket createSocket(String h, int p, java.net.InetAddress l, int lp) { throw new UnsupportedOperationException(); }
                @Override public Socket createSocket(java.net.InetAddress h, int p) { throw new UnsupportedOperationException(); }
                @Override public Socket createSocket(java.net.InetAddress h, int p, java.net.InetAddress l, int lp) { throw new UnsupportedOperationException(); }
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

    // ---- 1. a key that is not the certificate's ----

    @Test
    void aKeyOfAnotherPairIsRefusedAtStartUpAndByCheckConfig() throws Exception {
        Properties p = props("port", "0", "address", "127.0.0.1",
            "tls.certificate", res("rsa-a.crt").toString(), "tls.key", res("rsa-b.key").toString());
        Config c = Config.parse(p, "t");                 // both files are readable: only loading them can tell
        assertThatThrownBy(() -> new FtpServer(c)).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("tls.key:");

        Path cfg = configFile("tls.certificate=" + res("rsa-a.crt"), "tls.key=" + res("rsa-b.key"));
        Exit e = main(Map.of(), "--check-config", "-c", cfg.toString());
        assertThat(e.code()).isEqualTo(2);
        assertThat(e.err().lines().toList()).as(e.err()).singleElement().asString().contains("tls.key");
        assertThat(e.out()).doesNotContain("config OK");
    }

    // ---- 2. a renewal that replaced only the certificate ----

    @Test
    void aMismatchedRenewalKeepsTheOldPairUntilTheKeyMatches() throws Exception {
        Path cert = tmp.resolve("fullchain.pem"), key = tmp.resolve("privkey.pem");
        Files.copy(res("rsa-a.crt"), cert);
        Files.copy(res("rsa-a.key"), key);
        X509Certificate a = certificate("rsa-a.crt"), b = certificate("rsa-b.crt");
        assertThat(a).isNotEqualTo(b);
        try (TestServer s = TestServer.start(Files.createDirectory(tmp.resolve("srv")), "tls.certificate", cert.toString(), "tls.key", key.toString())) {
            assertThat(presented(s.port())).isEqualTo(a);
            install("rsa-b.crt", cert, 5);                // half a renewal: rsa-b's certificate, rsa-a's key
            assertThat(presented(s.port())).as("a mismatched pair must not replace a working one").isEqualTo(a);
            install("rsa-b.key", key, 10);                // the other half: now a matching pair
            assertThat(presented(s.port())).isEqualTo(b);
        }
    }

    // ---- 3. session reuse across a renewal ----

    @Test
    void requiredSessionReuseSurvivesACertificateRenewal() throws Exception {
        Path cert = tmp.resolve("fullchain.pem"), key = tmp.resolve("privkey.pem");
        Files.copy(res("rsa-a.crt"), cert);
        Files.copy(res("rsa-a.key"), key);
        try (TestServer s = TestServer.start(Files.createDirectory(tmp.resolve("srv")),
                "tls.certificate", cert.toString(), "tls.key", key.toString(), "tls.require.session.reuse", "true")) {
            Files.write(s.home.resolve("before.bin"), new byte[50_000]);
            FTPSClient c = ftps(new ResumingClient(TlsTest.trustAll()), s.port());
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
            // upload's data connection is never read, so the ticket the server sends on it is never
            // taken in, and a transfer after it would find no session to resume (522).
            assertThat(c.storeFile("after.bin", new ByteArrayInputStream(new byte[1000]))).as(c.getReplyString()).isTrue();
            assertThat(Files.size(s.home.resolve("after.bin"))).isEqualTo(1000);
            c.disconnect();
        }
    }

    // ---- 4. a data connection that does not resume ----

    @Test
    void aDataConnectionThatDoesNotResumeGets522() throws Exception {
        try (TestServer s = TestServer.start(tmp, "tls.certificate", res("rsa-a.crt").toString(), "tls.key", res("rsa-a.key").toString(),
                "tls.require.session.reuse", "true")) {
            Files.writeString(s.home.resolve("f.txt"), "data");
            FTPSClient c = new FTPSClient(false, TlsTest.trustAll());
            ftps(c, s.port());
            assertThat(c.sendCommand("EPSV")).isEqualTo(229);
            int port = Integer.parseInt(c.getReplyString().trim().replaceAll(".*\\|\\|\\|(\\d+)\\|.*", "$1"));
            try (Socket plain = new Socket()) {
                plain.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                plain.setSoTimeout(5000);
                assertThat(c.sendCommand("RETR", "f.txt")).isEqualTo(150);
                // another SSLContext: an empty session cache, so only a full handshake is possible
                SSLSocket data = (SSLSocket) TlsTest.trustAll().getSocketFactory().createSocket(plain, "127.0.0.1", port, true);
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

    // ---- 5. log paths into folders that don't exist ----

    @Test
    void logFilesInMissingFoldersAreConfigErrors() throws Exception {
        String missing = tmp.resolve("no-such-dir").resolve("x.log").toString();
        assertThatThrownBy(() -> Config.parse(props("transfer.log", missing), "t"))
            .isInstanceOf(Config.Bad.class).hasMessageStartingWith("transfer.log:");
        assertThatThrownBy(() -> Config.parse(props("log.file", missing), "t"))
            .isInstanceOf(Config.Bad.class).hasMessageStartingWith("log.file:");
        Path cfg = configFile("port=0", "transfer.log=" + missing);
        Exit e = main(Map.of(), "-c", cfg.toString());
        assertThat(e.code()).as(e.err()).isEqualTo(2);
        assertThat(e.err()).contains("transfer.log");
    }

    // ---- 6. a graceful stop whose grace runs out ----

    /**
     * The grace (0.5 s) ends long before the file (10 s at the rate) is sent, so the stop cuts it.
     * 64 KiB/s throttles in 50 ms steps; 4 KiB/s in 250 ms steps (a 1 KiB chunk per sleep), which
     * leaves a cut transfer longer between its session's end and its own xferlog line.
     */
    @ParameterizedTest(name = "rate.download={0} KiB/s")
    @ValueSource(ints = {64, 4})
    void aTransferCutByStopIsLoggedIncomplete(int kibPerSecond) throws Exception {
        Path xferlog = tmp.resolve("xferlog");
        Path dir = Files.createDirectory(tmp.resolve("srv"));
        int size = kibPerSecond * 1024 * 10;
        try (TestServer s = TestServer.start(dir, "rate.download", Integer.toString(kibPerSecond), "transfer.log", xferlog.toString());
             RawClient r = s.raw().login("alice", "secret")) {
            Files.write(s.home.resolve("slow.bin"), new byte[size]);
            r.cmd("TYPE I");
            try (Socket d = new Socket("127.0.0.1", HardeningTest.pasvPort(r.cmd("PASV")))) {
                d.setSoTimeout(10_000);
                assertThat(r.cmd("RETR slow.bin")).startsWith("150");
                assertThat(d.getInputStream().readNBytes(1024)).hasSize(1024);   // under way
                s.server.stop(Duration.ofMillis(500));
                int rest;
                try {
                    rest = d.getInputStream().readAllBytes().length;
                } catch (IOException reset) {
                    rest = 0;                                  // a reset data connection is a cut too
                }
                assertThat(1024 + rest).as("bytes received").isLessThan(size);
            }
            List<String> lines = Files.readAllLines(xferlog).stream().filter(l -> l.contains(" /slow.bin ")).toList();
            assertThat(lines).as("xferlog lines for the cut transfer; the whole log: %s", Files.readAllLines(xferlog)).hasSize(1);
            String[] f = lines.get(0).split("\\s+");
            assertThat(f[f.length - 1]).isEqualTo("i");
        }
    }

    // ---- 7. socket activation: logging outlives the inherited socket ----

    @Test
    void socketActivatedServerLogsItsStopAndExitsZero() throws Exception {
        assumeTrue(VpsTest.onPath("systemd-socket-activate"), "systemd-socket-activate (Debian's systemd) is not installed");
        int port = VpsTest.freePort();
        Path cfg = configFile("shutdown.grace=2");
        Path out = tmp.resolve("out.log");
        Process p = new ProcessBuilder("systemd-socket-activate", "-l", "127.0.0.1:" + port, "sh", "-c",
            "exec \"$0\" -cp target/classes ftp.Main -o -c \"$1\" 0<&3", VpsTest.java(), cfg.toString())
            .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            FTPClient c = VpsTest.client(port);          // waits (bounded) until it serves
            assertThat(c.sendNoOp()).isTrue();
            c.disconnect();
            assertThat(Files.readString(out)).contains("inherited from systemd");
            p.destroy();                                   // SIGTERM (systemd-socket-activate exec'd sh, sh exec'd java)
            assertThat(p.waitFor(15, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(Files.readString(out)).isZero();
            assertThat(Files.readString(out)).contains("SIGTERM").contains("stopped");
        } finally {
            p.destroyForcibly();
        }
    }

    // ---- 8. LISTEN_FDS without the socket on stdin ----

    @Test
    void listenFdsWithoutASocketOnStdinIsAUsageError() throws Exception {
        Path cfg = configFile("port=0");
        Exit e = main(Map.of("LISTEN_FDS", "1"), "-o", "-c", cfg.toString());
        assertThat(e.code()).as(e.err()).isEqualTo(2);
        assertThat(e.err()).contains("StandardInput=socket");
    }

    // ---- 9. a global and a per-user rate ----

    /**
     * Global 300 KiB/s, alice 200 KiB/s, 600 KiB: the lower rate gives 3.0 s; the global one alone
     * would give 2.0 s, both applied one after the other (the old bug, 1/(1/300+1/200) = 120 KiB/s)
     * 5.0 s. The throttle books time strictly (no bursts), so neither wrong case can come out
     * faster than its figure; the bounds sit just inside them and leave 1.7 s for a slow machine.
     */
    @Test
    void theLowerOfTwoRatesIsTheEffectiveOne() throws Exception {
        try (TestServer s = TestServer.start(tmp, "rate.download", "300", "user.alice.rate.download", "200")) {
            Files.write(s.home.resolve("r.bin"), new byte[600 * 1024]);
            FTPClient c = s.alice();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            long t0 = System.nanoTime();
            assertThat(c.retrieveFile("r.bin", out)).isTrue();
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertThat(out.size()).isEqualTo(600 * 1024);
            assertThat(seconds).as("seconds for 600 KiB").isGreaterThanOrEqualTo(2.6).isLessThan(4.7);
            c.disconnect();
        }
    }

    // ---- 10. xferlog in TYPE A ----

    @Test
    void xferlogCountsAsciiWireBytesAndNamesAnonymousByTheirPassword() throws Exception {
        Path xferlog = tmp.resolve("xferlog");
        Path dir = Files.createDirectory(tmp.resolve("srv"));
        try (TestServer s = TestServer.start(dir, "transfer.log", xferlog.toString(),
                "anonymous", "true", "anonymous.home", dir.toRealPath().resolve("alice").toString())) {
            FTPClient c = s.alice();
            c.setFileType(FTP.ASCII_FILE_TYPE);
            assertThat(c.storeFile("lines.txt", new ByteArrayInputStream("a\nb\nc\n".getBytes(StandardCharsets.US_ASCII)))).isTrue();
            assertThat(Files.readString(s.home.resolve("lines.txt"))).isEqualTo("a\nb\nc\n");   // stored with LF
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertThat(c.retrieveFile("lines.txt", out)).isTrue();
            c.disconnect();
            FTPClient anon = s.login("anonymous", "guest@example.org");
            anon.setFileType(FTP.ASCII_FILE_TYPE);
            out.reset();
            assertThat(anon.retrieveFile("lines.txt", out)).isTrue();
            assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo("a\nb\nc\n");
            anon.disconnect();

            // xferlog(5), split on blanks: 0-4 date, 5 seconds, 6 host, 7 bytes, 8 name, 9 type, 10 action,
            // 11 direction, 12 access mode, 13 user, 14 service, 15 auth, 16 auth user, 17 status
            List<String[]> log = Files.readAllLines(xferlog).stream().map(l -> l.split("\\s+")).toList();
            assertThat(log).hasSize(3);
            for (String[] f : log) {
                assertThat(f).hasSize(18);
                assertThat(f[7]).as("wire bytes: 3 lines with CRLF").isEqualTo("9");
                assertThat(f[8]).isEqualTo("/lines.txt");
                assertThat(f[9]).isEqualTo("a");
                assertThat(f[17]).isEqualTo("c");
            }
            assertThat(log.get(0)[11]).isEqualTo("i");
            assertThat(log.get(0)[13]).isEqualTo("alice");
            assertThat(log.get(1)[11]).isEqualTo("o");
            assertThat(log.get(2)[11]).isEqualTo("o");
            assertThat(log.get(2)[12]).isEqualTo("a");
            assertThat(log.get(2)[13]).isEqualTo("guest@example.org");
        }
    }

    // ---- 11. accounts reload ----

    @Test
    void aReloadedAccountsFileAppliesToTheVeryNextLogin() throws Exception {
        Path cfg = configFile("port=0");
        try (FtpServer server = new FtpServer(Config.load(cfg), cfg, () -> Config.load(cfg).users()).start()) {
            String original = Files.readString(cfg);
            // each edit changes the file's size, so the server's change stamp (mtime, size) moves even
            // when the edit lands within the file system's timestamp granularity of the previous one
            Files.writeString(cfg, original + "user.w.password=new-user\nuser.w.home=" + tmp.resolve("home") + "\n");
            assertThat(login(server.port(), "w", "new-user")).as("a user added a moment ago").isTrue();
            Files.writeString(cfg, Files.readString(cfg).replace("user.u.password=p\n", "user.u.password=p-changed\n"));
            assertThat(login(server.port(), "u", "p")).as("the old password, just replaced").isFalse();
            assertThat(login(server.port(), "u", "p-changed")).isTrue();
        }
    }

    private static boolean login(int port, String user, String password) throws IOException {
        FTPClient c = new FTPClient();
        c.setDefaultTimeout(10_000);
        c.connect("127.0.0.1", port);
        c.setSoTimeout(10_000);
        try {
            return c.login(user, password);
        } finally {
            c.disconnect();
        }
    }
}
