package ftp;

import java.nio.file.Path;

/**
 * One user: a name, a password (plain text, or a PBKDF2 value from --hash-password; null for
 * anonymous, which takes any password), a home directory on any FileSystem, and the write right.
 */
record Account(String name, String password, Path home, boolean write) {
    @Override public String toString() { return "Account[" + name + ", home=" + home + ", write=" + write + "]"; }
}
