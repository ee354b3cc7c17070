package ftp;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Who may log in. Passwords are checked in constant time; an unknown name costs the same work as a
 * known one with a wrong password, so neither replies nor timing tell which names exist
 * (RFC 2577 §5).
 */
final class Accounts {
    static final Set<String> ANONYMOUS_NAMES = Set.of("anonymous", "ftp");
    private static final String PREFIX = "pbkdf2-sha256";
    private static final int ITERATIONS = 210_000;                     // OWASP 2023 floor for PBKDF2-HMAC-SHA256
    /** A hash to spend the same work on for an unknown name; made on first need, not at start-up. */
    private static final class Dummy { static final String HASH = hash("not a password".toCharArray()); }

    private Accounts() {}

    /** The account a USER name would log in as, or null; null too for an unknown name. */
    static Account find(Config config, String name) {
        Account a = config.users().get(name);
        if (a == null && config.anonymous() != null && ANONYMOUS_NAMES.contains(name.toLowerCase(java.util.Locale.ROOT)))
            return config.anonymous();
        return a;
    }

    /**
     * True when {@code password} opens {@code account}. Every failure costs one PBKDF2 run: a null
     * account and a wrong plain-text password do the dummy one, so timing never tells them apart
     * even with a short login.failure.delay.
     */
    static boolean check(Account account, String password) {
        if (account == null) {
            verify(Dummy.HASH, password);
            return false;
        }
        if (account.password() == null) return true;
        boolean ok = verify(account.password(), password);
        if (!ok && !isHash(account.password())) verify(Dummy.HASH, password);
        return ok;
    }

    /** A value for user.NAME.password: pbkdf2-sha256:ITERATIONS:SALT:HASH (Base64). */
    static String hash(char[] password) {
        byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        var b64 = Base64.getEncoder().withoutPadding();
        return PREFIX + ":" + ITERATIONS + ":" + b64.encodeToString(salt) + ":" + b64.encodeToString(pbkdf2(password, salt, ITERATIONS));
    }

    private static boolean verify(String stored, String password) {
        if (!stored.startsWith(PREFIX + ":")) {
            // Plain text in the config: compare digests so the time does not depend on where they differ.
            return MessageDigest.isEqual(sha256(stored), sha256(password));
        }
        String[] p = stored.split(":");
        try {
            int iterations = Integer.parseInt(p[1]);
            byte[] salt = Base64.getDecoder().decode(p[2]), expected = Base64.getDecoder().decode(p[3]);
            return MessageDigest.isEqual(expected, pbkdf2(password.toCharArray(), salt, iterations));
        } catch (RuntimeException e) {
            return false;    // a damaged hash never opens the account
        }
    }

    static boolean isHash(String s) { return s.startsWith(PREFIX + ":") && s.split(":").length == 4; }

    private static byte[] pbkdf2(char[] password, byte[] salt, int iterations) {
        try {
            var spec = new PBEKeySpec(password, salt, iterations, 256);
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is part of every JDK", e);
        }
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
