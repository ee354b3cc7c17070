package ftp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;

/**
 * TLS for FTPS (RFC 4217) from the JDK alone: an SSLContext built from a PEM chain and key (as
 * certbot writes them: PKCS#8, or the traditional RSA and EC forms) or from a PKCS#12 file. When
 * the files change on disk (a renewal), the next connection gets the new pair; a broken new pair
 * is logged and the old one kept.
 */
final class Tls {
    private static final Pattern PEM = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----");

    static {
        // RFC 4217 §10 leaves renegotiation open; we refuse it (a DoS lever, CVE-2011-1473). TLS 1.3 has none.
        System.setProperty("jdk.tls.rejectClientInitiatedRenegotiation", "true");
        // Without this JSSE reports a TCP close without close_notify as a normal end of stream, and
        // a truncated upload would get 226 (RFC 4217 §12.2 asks to detect truncation).
        System.setProperty("com.sun.net.ssl.requireCloseNotify", "true");
    }

    private final Config.Ftps config;
    private volatile SSLContext context;
    private volatile long stamp;

    /**
     * How one session protects its data connections (PROT P, RFC 4217 §9): with its control
     * connection's context, whose session cache is what data connections resume, even after a
     * certificate renewal; and, with tls.require.session.reuse, only when they do resume it.
     */
    record Data(Tls tls, SSLContext context, SSLSession control) {
        Socket wrap(Socket plain) throws IOException {
            SSLSocket s = tls.wrap(plain, context);
            if (tls.config.requireSessionReuse() && !resumes(s.getSession(), control)) {
                s.close();
                throw new Reply.Failure(522, "Data connection refused: it must resume the control connection's "
                    + "TLS session.", null);
            }
            return s;
        }
    }

    private Tls(Config.Ftps config, SSLContext context, long stamp) {
        this.config = config;
        this.context = context;
        this.stamp = stamp;
    }

    /** Null when no certificate is configured; throws with one clear message when it can't be used. */
    static Tls load(Config.Ftps config) throws Config.Bad {
        if (!config.on()) return null;
        SSLContext ctx = context(config);
        List<String> known = List.of(ctx.getSupportedSSLParameters().getProtocols());
        for (String p : config.protocols())
            if (!known.contains(p)) throw new Config.Bad("tls.protocols", "this JDK has no " + p + "; it has " + known);
        return new Tls(config, ctx, stamp(config));
    }

    /**
     * vsftpd's require_ssl_reuse: the data connection must resume the control connection's TLS
     * session, proof that both come from the same client. JSSE has no "resumed" flag: a resumed
     * TLS 1.2 session keeps its ID; a resumed TLS 1.3 session gets a new ID but inherits the
     * creation time (ms) of the session it resumes, which a fresh handshake would not share.
     */
    static boolean resumes(SSLSession data, SSLSession control) {
        if (Arrays.equals(data.getId(), control.getId())) return true;
        return data.getProtocol().equals("TLSv1.3") && control.getProtocol().equals("TLSv1.3")
            && data.getCreationTime() == control.getCreationTime()
            && data.getCipherSuite().equals(control.getCipherSuite());
    }

    /** The context for a new control connection: the newest pair (renewed files are picked up here). */
    SSLContext current() {
        reloadIfChanged();
        return context;
    }

    /**
     * A server-side TLS socket over {@code plain}, handshake done. A session's data connections use
     * its control connection's context: its session cache is what they resume, even after a renewal.
     */
    SSLSocket wrap(Socket plain, SSLContext context) throws IOException {
        SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket(plain, null, plain.getPort(), true);
        s.setUseClientMode(false);
        s.setEnabledProtocols(config.protocols().toArray(String[]::new));
        s.startHandshake();
        return s;
    }

    /**
     * Closes a socket; a TLS one with a lone close_notify first. JSSE's plain close() of a TLS 1.3
     * socket sends user_canceled before close_notify, which GnuTLS clients (lftp) take as fatal.
     */
    static void close(Socket s) throws IOException {
        try {
            if (s instanceof SSLSocket && !s.isClosed() && !s.isOutputShutdown()) s.shutdownOutput();
        } catch (IOException ignored) {
            // the peer is gone: close anyway
        } finally {
            s.close();
        }
    }

    private void reloadIfChanged() {
        long now = stamp(config);
        if (now == stamp) return;
        stamp = now;
        try {
            context = context(config);
            Log.SERVER.info("TLS certificate reloaded from " + config.certificate());
        } catch (Config.Bad e) {
            Log.SERVER.warn("TLS certificate changed but is unusable; keeping the old one: " + e.getMessage());
        }
    }

    private static long stamp(Config.Ftps c) {
        long s = 0;
        for (Path p : new Path[] {c.certificate(), c.key()}) {
            try {
                if (p != null) s = s * 31 + Files.getLastModifiedTime(p).toMillis() * 17 + Files.size(p);
            } catch (IOException e) {
                // missing right now (mid-renewal): the next connection looks again
            }
        }
        return s;
    }

    private static SSLContext context(Config.Ftps c) throws Config.Bad {
        try {
            KeyStore ks;
            char[] pass = c.keyPassword().toCharArray();
            byte[] cert = Files.readAllBytes(c.certificate());
            if (!new String(cert, StandardCharsets.ISO_8859_1).contains("-----BEGIN")) {
                ks = KeyStore.getInstance("PKCS12");                  // binary: PKCS#12
                ks.load(new java.io.ByteArrayInputStream(cert), pass);
            } else {
                if (c.key() == null) throw new Config.Bad("tls.key", "needed with a PEM tls.certificate");
                List<Certificate> chain = List.copyOf(CertificateFactory.getInstance("X.509")
                    .generateCertificates(new java.io.ByteArrayInputStream(cert)));
                if (chain.isEmpty()) throw new Config.Bad("tls.certificate", "no certificate in " + c.certificate());
                PrivateKey key = privateKey(Files.readString(c.key(), StandardCharsets.ISO_8859_1), c.key());
                ks = KeyStore.getInstance("PKCS12");
                ks.load(null, null);
                ks.setKeyEntry("server", key, pass, chain.toArray(Certificate[]::new));
            }
            matching(ks, pass);
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, pass);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), null, null);
            return ctx;
        } catch (IOException e) {
            boolean password = e.getCause() instanceof UnrecoverableKeyException
                || String.valueOf(e.getMessage()).contains("password");
            if (password)
                throw new Config.Bad("tls.key.password", "does not open " + c.certificate() + ": " + e.getMessage());
            throw new Config.Bad("tls.certificate", "cannot read " + c.certificate()
                + (c.key() == null ? "" : " / " + c.key()) + ": " + e.getMessage());
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new Config.Bad("tls.certificate", "unusable certificate or key: " + e.getMessage());
        }
    }

    /**
     * The key must belong to the certificate: a mismatched pair (a renewal that copied one file
     * but not the other) would load fine and then fail every handshake. Signs a nonce and checks it.
     */
    private static void matching(KeyStore ks, char[] pass) throws GeneralSecurityException, Config.Bad {
        for (String alias : java.util.Collections.list(ks.aliases())) {
            if (!ks.isKeyEntry(alias)) continue;
            PrivateKey key = (PrivateKey) ks.getKey(alias, pass);
            String alg = switch (key.getAlgorithm()) {
                case "RSA" -> "SHA256withRSA";
                case "EC" -> "SHA256withECDSA";
                case "Ed25519", "Ed448" -> key.getAlgorithm();
                default -> null;                                            // rare kinds: left to the handshake
            };
            if (alg == null) return;
            byte[] nonce = new byte[32];
            new java.security.SecureRandom().nextBytes(nonce);
            java.security.Signature s = java.security.Signature.getInstance(alg);
            s.initSign(key);
            s.update(nonce);
            byte[] signature = s.sign();
            try {
                s.initVerify(ks.getCertificate(alias).getPublicKey());
                s.update(nonce);
                if (s.verify(signature)) return;
            } catch (java.security.InvalidKeyException | java.security.SignatureException otherKind) {
                // an EC key with an RSA certificate, say
            }
            throw new Config.Bad("tls.key", "does not belong to the certificate in tls.certificate");
        }
        throw new Config.Bad("tls.certificate", "holds no private key");
    }

    /** PKCS#8 ("PRIVATE KEY"), PKCS#1 ("RSA PRIVATE KEY") or SEC1 ("EC PRIVATE KEY"). */
    static PrivateKey privateKey(String pem, Path file) throws Config.Bad, GeneralSecurityException {
        Matcher m = PEM.matcher(pem);
        while (m.find()) {
            String type = m.group(1);
            byte[] der = Base64.getMimeDecoder().decode(m.group(2));
            switch (type) {
                case "PRIVATE KEY" -> {
                    for (String alg : new String[] {"RSA", "EC", "Ed25519", "Ed448"}) {
                        try {
                            return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
                        } catch (GeneralSecurityException tryNext) {
                            // not this algorithm
                        }
                    }
                    throw new Config.Bad("tls.key", "unsupported key algorithm in " + file);
                }
                case "RSA PRIVATE KEY" -> {
                    byte[] alg = Der.seq(Der.oid(new byte[] {42, -122, 72, -122, -9, 13, 1, 1, 1}), new byte[] {5, 0});
                    return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Der.pkcs8(alg, der)));
                }
                case "EC PRIVATE KEY" -> {
                    byte[] curve = Der.curveOf(der);
                    byte[] alg = Der.seq(Der.oid(new byte[] {42, -122, 72, -50, 61, 2, 1}), curve);
                    return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Der.pkcs8(alg, der)));
                }
                case "ENCRYPTED PRIVATE KEY" ->
                    throw new Config.Bad("tls.key", "encrypted PEM keys are not supported; use PKCS#12");
                default -> { /* EC PARAMETERS and the like: skip */ }
            }
        }
        throw new Config.Bad("tls.key", "no private key in " + file);
    }

    /** Just enough DER to wrap a traditional key into PKCS#8. */
    private static final class Der {
        static byte[] tlv(int tag, byte[]... parts) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            for (byte[] p : parts) body.writeBytes(p);
            int n = body.size();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(tag);
            if (n < 128) out.write(n);
            else {
                byte[] len = java.math.BigInteger.valueOf(n).toByteArray();
                int skip = len[0] == 0 ? 1 : 0;
                out.write(0x80 | (len.length - skip));
                out.write(len, skip, len.length - skip);
            }
            out.writeBytes(body.toByteArray());
            return out.toByteArray();
        }

        static byte[] seq(byte[]... parts) { return tlv(0x30, parts); }

        static byte[] oid(byte[] body) { return tlv(0x06, body); }

        /** PrivateKeyInfo: version 0, the algorithm, the traditional key as an OCTET STRING. */
        static byte[] pkcs8(byte[] algorithm, byte[] key) {
            return seq(new byte[] {2, 1, 0}, algorithm, tlv(0x04, key));
        }

        /** The named-curve OID inside an ECPrivateKey's [0] parameters (RFC 5915). */
        static byte[] curveOf(byte[] sec1) {
            int[] pos = {0};
            header(sec1, pos);                              // SEQUENCE
            while (pos[0] < sec1.length) {
                int tag = sec1[pos[0]] & 0xff, start = pos[0];
                int len = header(sec1, pos);
                if (tag == 0xA0) return Arrays.copyOfRange(sec1, pos[0], pos[0] + len);
                pos[0] += len;
                if (pos[0] <= start) break;
            }
            throw new IllegalArgumentException("EC key without a named curve");
        }

        /** Skips tag and length at pos; returns the length. */
        private static int header(byte[] b, int[] pos) {
            pos[0]++;
            int n = b[pos[0]++] & 0xff;
            if (n < 128) return n;
            int len = 0;
            for (int i = 0; i < (n & 0x7f); i++) len = (len << 8) | (b[pos[0]++] & 0xff);
            return len;
        }
    }

}
