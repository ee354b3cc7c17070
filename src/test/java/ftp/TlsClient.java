package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.apache.commons.net.ftp.FTP;
import org.apache.commons.net.ftp.FTPSClient;
import org.apache.commons.net.util.TrustManagerUtils;

/**
 * The client side of FTPS (RFC 4217) for tests: the test-only certificates of src/test/resources/tls,
 * a context that trusts them, a logged-in commons-net FTPSClient, and AUTH TLS on a {@link RawClient}.
 */
final class TlsClient {
    private TlsClient() {}

    static Path res(String name) throws Exception {
        return Path.of(TlsClient.class.getResource("/tls/" + name).toURI());
    }

    /** Server settings for FTPS with the certificate rsa-a, then {@code extra} (key, value, …). */
    static String[] settings(String... extra) throws Exception {
        String[] base = {"tls.certificate", res("rsa-a.crt").toString(), "tls.key", res("rsa-a.pkcs1.key").toString()};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
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

    /** An FTPSClient, explicit or implicit, that trusts the test certificates. */
    static FTPSClient client(boolean implicit) {
        FTPSClient c = new FTPSClient("TLS", implicit);
        c.setTrustManager(TrustManagerUtils.getAcceptAllTrustManager());
        return timeouts(c);
    }

    private static <C extends FTPSClient> C timeouts(C c) {
        c.setConnectTimeout(5000);
        c.setDefaultTimeout(10_000);
        c.setDataTimeout(Duration.ofSeconds(10));
        return c;
    }

    /** Connects, PBSZ 0 and PROT P, logs in as alice, binary, passive. */
    static <C extends FTPSClient> C login(C c, int port) throws Exception {
        timeouts(c).connect("127.0.0.1", port);
        c.setSoTimeout(10_000);
        c.execPBSZ(0);
        c.execPROT("P");
        assertThat(c.login("alice", "secret")).isTrue();
        c.setFileType(FTP.BINARY_FILE_TYPE);
        c.enterLocalPassiveMode();
        return c;
    }

    /** AUTH TLS (234 asserted) and the handshake: the control connection from then on. */
    static RawClient auth(RawClient plain, int port) throws Exception {
        assertThat(plain.cmd("AUTH TLS")).startsWith("234");
        return handshake(plain, trustAll(), port);
    }

    /** The client's handshake on a connection whose AUTH TLS got its 234. */
    static RawClient handshake(RawClient plain, SSLContext ctx, int port) throws IOException {
        SSLSocket tls = (SSLSocket) ctx.getSocketFactory().createSocket(plain.socket, "127.0.0.1", port, true);
        tls.setSoTimeout(10_000);
        tls.startHandshake();
        return new RawClient(tls);
    }
}
