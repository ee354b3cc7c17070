package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.apache.commons.net.ftp.FTPClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Who may log in: PBKDF2 password hashes, and the accounts file reloaded while the server runs. */
class AccountsTest {
    @TempDir Path tmp;

    @Test
    void passwordHashes() {
        String h = Accounts.hash("correct horse".toCharArray());
        assertThat(h).startsWith("pbkdf2-sha256:").doesNotContain("correct");
        Account a = new Account("a", h, tmp, false);
        assertThat(Accounts.check(a, "correct horse")).isTrue();
        assertThat(Accounts.check(a, "wrong")).isFalse();
        assertThat(Accounts.check(null, "correct horse")).isFalse();
        assertThat(Accounts.check(new Account("b", "plain", tmp, false), "plain")).isTrue();
        assertThat(Accounts.check(new Account("b", "plain", tmp, false), "plain ")).isFalse();
        assertThat(Accounts.hash("x".toCharArray())).isNotEqualTo(Accounts.hash("x".toCharArray()));   // salted
    }

    @Test
    void aReloadedAccountsFileAppliesToTheVeryNextLogin() throws Exception {
        Path cfg = TestServer.configFile(tmp, "port=0");
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

    @Test
    void aReloadAddsAUserAndKeepsTheOpenSessions() throws Exception {
        Path cfg = TestServer.configFile(tmp, "port=0");
        try (FtpServer server = new FtpServer(Config.load(cfg), cfg, () -> Config.load(cfg).users()).start()) {
            FTPClient f = TestServer.client(server.port());
            // reload: a new user logs in, the old session stays
            Files.writeString(cfg, Files.readString(cfg).replace("user.u.", "user.v.")
                + "user.u.password=p\nuser.u.home=" + tmp.resolve("home") + "\n");
            Files.setLastModifiedTime(cfg, FileTime.fromMillis(System.currentTimeMillis() + 5000));
            Thread.sleep(1100);
            FTPClient v = new FTPClient();
            v.connect("127.0.0.1", server.port());
            assertThat(v.login("v", "p")).isTrue();
            v.disconnect();
            assertThat(f.sendNoOp()).isTrue();
            f.disconnect();
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
