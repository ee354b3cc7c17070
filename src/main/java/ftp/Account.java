package ftp;

import java.nio.file.Path;

/**
 * One user: a name, a password (plain text, or a PBKDF2 value from --hash-password; null for
 * anonymous, which takes any password), a home directory on any FileSystem, the write right, and
 * whether it may log in only over TLS (user.NAME.tls.required); rates in bytes/s and the quota in
 * bytes (0: none); whether it sees and may use names that start with a dot.
 */
record Account(String name, String password, Path home, boolean write, boolean tlsRequired,
               long rateDownload, long rateUpload, long quota, boolean dotFiles) {
    Account(String name, String password, Path home, boolean write) {
        this(name, password, home, write, false, 0, 0, 0, true);
    }

    /** Anonymous: any password opens it, and what was given is only an id (xferlog's user field). */
    boolean anonymous() { return password == null; }

    @Override public String toString() { return "Account[" + name + ", home=" + home + ", write=" + write + "]"; }
}
