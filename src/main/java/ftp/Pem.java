package ftp;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.SignatureException;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A certificate chain and its private key from the files an operator has: PEM as certbot writes
 * them (fullchain.pem and privkey.pem: PKCS#8, or the traditional RSA and EC forms openssl writes)
 * or one PKCS#12 file. The key must belong to the certificate, checked by signing a nonce: a
 * mismatched pair (a renewal that copied one file and not the other) would load and then fail
 * every handshake.
 */
final class Pem {
    private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----");

    /** One pair; {@code keys} names its config keys in messages ("tls" or "tls.ftp.example.com"). */
    record Pair(X509Certificate[] chain, PrivateKey key) {}

    private Pem() {}

    static Pair load(String keys, Path certificate, Path keyFile, String password) throws Keys.Bad {
        try {
            char[] pass = password.toCharArray();
            byte[] cert = Files.readAllBytes(certificate);
            Pair p;
            if (!new String(cert, StandardCharsets.ISO_8859_1).contains("-----BEGIN")) {
                KeyStore ks = KeyStore.getInstance("PKCS12");               // binary: PKCS#12
                ks.load(new ByteArrayInputStream(cert), pass);
                p = first(ks, pass, keys);
            } else {
                if (keyFile == null) throw new Keys.Bad(keys + ".key", "needed with a PEM " + keys + ".certificate");
                List<X509Certificate> chain = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(cert)).stream().map(c -> (X509Certificate) c)
                    .toList();
                if (chain.isEmpty()) throw new Keys.Bad(keys + ".certificate", "no certificate in " + certificate);
                p = new Pair(chain.toArray(X509Certificate[]::new),
                    privateKey(Files.readString(keyFile, StandardCharsets.ISO_8859_1), keyFile, keys));
            }
            if (!matching(p))
                throw new Keys.Bad(keys + ".key", "does not belong to the certificate in " + keys + ".certificate");
            return p;
        } catch (IOException e) {
            boolean badPassword = e.getCause() instanceof UnrecoverableKeyException
                || String.valueOf(e.getMessage()).contains("password");
            if (badPassword)
                throw new Keys.Bad("tls.key.password", "does not open " + certificate + ": " + e.getMessage());
            throw new Keys.Bad(keys + ".certificate", "cannot read " + certificate
                + (keyFile == null ? "" : " / " + keyFile) + ": " + e.getMessage());
        } catch (GeneralSecurityException | IllegalArgumentException | ClassCastException e) {
            throw new Keys.Bad(keys + ".certificate", "unusable certificate or key: " + e.getMessage());
        }
    }

    private static Pair first(KeyStore ks, char[] pass, String keys) throws GeneralSecurityException, Keys.Bad {
        for (String alias : Collections.list(ks.aliases())) {
            if (!ks.isKeyEntry(alias)) continue;
            Certificate[] chain = ks.getCertificateChain(alias);
            X509Certificate[] x509 = Arrays.copyOf(chain, chain.length, X509Certificate[].class);
            return new Pair(x509, (PrivateKey) ks.getKey(alias, pass));
        }
        throw new Keys.Bad(keys + ".certificate", "holds no private key");
    }

    /** Whether the key signs what the certificate's public key verifies; rare key kinds are left to the handshake. */
    private static boolean matching(Pair p) throws GeneralSecurityException {
        String alg = switch (p.key().getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "Ed448" -> p.key().getAlgorithm();
            default -> null;
        };
        if (alg == null) return true;
        byte[] nonce = new byte[32];
        new SecureRandom().nextBytes(nonce);
        Signature s = Signature.getInstance(alg);
        s.initSign(p.key());
        s.update(nonce);
        byte[] signature = s.sign();
        try {
            s.initVerify(p.chain()[0].getPublicKey());
            s.update(nonce);
            return s.verify(signature);
        } catch (InvalidKeyException | SignatureException otherKind) {
            return false;                                                     // an EC key with an RSA certificate, say
        }
    }

    /** PKCS#8 ("PRIVATE KEY"), PKCS#1 ("RSA PRIVATE KEY") or SEC1 ("EC PRIVATE KEY"). */
    static PrivateKey privateKey(String pem, Path file, String keys) throws Keys.Bad, GeneralSecurityException {
        Matcher m = BLOCK.matcher(pem);
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
                    throw new Keys.Bad(keys + ".key", "unsupported key algorithm in " + file);
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
                    throw new Keys.Bad(keys + ".key", "encrypted PEM keys are not supported; use PKCS#12");
                default -> { /* EC PARAMETERS and the like: skip */ }
            }
        }
        throw new Keys.Bad(keys + ".key", "no private key in " + file);
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
                byte[] len = BigInteger.valueOf(n).toByteArray();
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
