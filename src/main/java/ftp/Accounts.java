package ftp;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Who may log in. The accounts come from the config file and are read again when it changes (the
 * next login sees the edit; sessions keep theirs). Passwords are checked in constant time; an
 * unknown name costs the same work as a known one with a wrong password, so neither replies nor
 * timing tell which names exist (RFC 2577 §5).
 */
final class Accounts {
    static final Set<String> ANONYMOUS_NAMES = Set.of("anonymous", "ftp");
    private static final String PREFIX = "pbkdf2-sha256";
    private static final int ITERATIONS = 210_000;                     // OWASP 2023 floor for PBKDF2-HMAC-SHA256
    /** A hash to spend the same work on for an unknown name; made on first need, not at start-up. */
    private static final class Dummy { static final String HASH = hash("not a password".toCharArray()); }

    /** The accounts of one reading of the config: the anonymous one (null: off) and the named ones. */
    record Users(Account anonymous, Map<String, Account> named) {
        /** The account a USER name would log in as, or null. */
        Account find(String name) {
            Account a = named.get(name);
            boolean anonymousName = ANONYMOUS_NAMES.contains(name.toLowerCase(Locale.ROOT));
            return a == null && anonymous != null && anonymousName ? anonymous : a;
        }
    }

    /** Reads the accounts again (the config file, parsed and checked); a failure keeps the old ones. */
    interface Loader { Users load() throws Exception; }

    private final Path file;                    // watched for changes; null: never reloaded
    private final Loader loader;
    private final Runnable reloaded;            // what else must forget the old accounts (per-user rates)
    private final ReentrantLock lock = new ReentrantLock();
    private volatile Users users;
    private long stamp;

    Accounts(Users users, Path file, Loader loader, Runnable reloaded) {
        this.users = users;
        this.file = file;
        this.loader = loader;
        this.reloaded = reloaded;
        this.stamp = file == null ? 0 : stamp(file);
    }

    /** A fixed set of accounts, never reloaded. */
    Accounts(Users users) { this(users, null, null, () -> {}); }

    /** The account for a USER name (or null), after one stat of the config file: an edit counts at the next login. */
    Account find(String name) {
        if (file != null) reloadIfChanged();
        return users.find(name);
    }

    Users users() { return users; }

    private void reloadIfChanged() {
        lock.lock();
        try {
            long st = stamp(file);
            if (st == stamp) return;
            stamp = st;
            try {
                users = loader.load();
                reloaded.run();
                Log.SERVER.info("config reloaded: " + users.named().size() + " users"
                    + (users.anonymous() != null ? " and anonymous" : ""));
            } catch (Exception e) {
                Log.SERVER.warn("config changed but is invalid; keeping the old accounts: " + e.getMessage());
            }
        } finally {
            lock.unlock();
        }
    }

    private static long stamp(Path f) {
        try {
            var a = Files.readAttributes(f, BasicFileAttributes.class);
            return a.lastModifiedTime().toMillis() * 31 + a.size();
        } catch (IOException e) {
            return 0;
        }
    }

    /**
     * True when {@code password} opens {@code account}. Every failure costs one PBKDF2 run: a null
     * account and a wrong plain-text password do the dummy one, so timing never tells them apart
     * even with a short login.failure.delay. PBKDF2 runs on {@code cpu}, never on a carrier; a
     * right plain-text password (cheap) is checked where it is.
     */
    static boolean check(Account account, String password, Cpu cpu) throws IOException {
        if (account != null && account.password() == null) return true;                 // anonymous
        if (account != null && !isHash(account.password())) {
            if (MessageDigest.isEqual(sha256(account.password()), sha256(password))) return true;
            cpu.run(() -> verify(Dummy.HASH, password));
            return false;
        }
        if (account == null) {
            cpu.run(() -> verify(Dummy.HASH, password));
            return false;
        }
        return cpu.run(() -> verify(account.password(), password));
    }

    /** The same, all on the caller's thread (tools and tests). */
    static boolean check(Account account, String password) {
        try {
            return check(account, password, Cpu.INLINE);
        } catch (IOException e) {
            throw new IllegalStateException("inline work never waits", e);
        }
    }

    /** A value for user.NAME.password: pbkdf2-sha256:ITERATIONS:SALT:HASH (Base64). */
    static String hash(char[] password) {
        byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        var b64 = Base64.getEncoder().withoutPadding();
        return PREFIX + ":" + ITERATIONS + ":" + b64.encodeToString(salt) + ":"
            + b64.encodeToString(pbkdf2(password, salt, ITERATIONS));
    }

    static boolean isHash(String s) { return s.startsWith(PREFIX + ":") && s.split(":").length == 4; }

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
