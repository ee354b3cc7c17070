package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.LogRecord;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.net.ftp.FTPClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Login (RFC 959 §4.1.1): USER PASS REIN HOST, anonymous, and no oracles or loopholes for brute
 * force (RFC 2577 §5): the same replies and delay for unknown users and wrong passwords, three
 * failures close a connection, repeated failures ban the address, and the fail2ban log line.
 * The login timer is in TimeoutTest; the caps at connect in ConnectionLimitTest.
 */
class LoginTest {
    @TempDir Path tmp;

    @Test
    void loginStatesHostAndRein() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw()) {
            assertThat(r.reply()).startsWith("220");
            assertThat(r.cmd("PWD")).startsWith("530");
            assertThat(r.cmd("PASS x")).startsWith("503");
            assertThat(r.cmd("HOST ftp.example.com")).startsWith("220");
            assertThat(r.cmd("USER alice")).startsWith("331");
            assertThat(r.cmd("HOST ftp.example.com")).startsWith("503");
            assertThat(r.cmd("PASS secret")).startsWith("230");
            assertThat(r.cmd("PWD")).startsWith("257");
            assertThat(r.cmd("REIN")).startsWith("220");
            assertThat(r.cmd("PWD")).startsWith("530");
            assertThat(r.cmd("QUIT")).startsWith("221");
            assertThat(r.reply()).isNull();
        }
    }

    @Test
    void anonymousLoginReadsItsHome() throws Exception {
        Path anon = Files.createDirectory(tmp.resolve("anon"));
        try (TestServer a = TestServer.start(anon, "anonymous", "true", "anonymous.home", anon.toString())) {
            Files.writeString(anon.resolve("pub.txt"), "public");
            FTPClient x = a.login("anonymous", "guest@example.com");
            assertThat(new String(TestServer.retrieve(x, "pub.txt"))).isEqualTo("public");
            assertThat(x.storeFile("w", new ByteArrayInputStream(new byte[1]))).isFalse();
            x.disconnect();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "0.05"})
    void anUnknownUserAndAWrongPasswordGetTheSameReplies(String delay) throws Exception {
        try (TestServer s = TestServer.start(tmp, "login.failure.delay", delay); RawClient r = s.raw()) {
            r.reply();
            String userKnown = r.cmd("USER alice"), passKnown = r.cmd("PASS wrong");
            String userUnknown = r.cmd("USER nobody"), passUnknown = r.cmd("PASS wrong");
            assertThat(userKnown).startsWith("331");
            assertThat(userKnown.replace("alice", "NAME")).isEqualTo(userUnknown.replace("nobody", "NAME"));
            assertThat(passKnown).startsWith("530").isEqualTo(passUnknown);
        }
    }

    @Test
    void unknownUserAndWrongPasswordLookTheSameAndTheThirdFailureCloses() throws Exception {
        try (TestServer s = TestServer.start(tmp, "login.failure.delay", "0.3"); RawClient r = s.raw()) {
            r.reply();
            String u1 = r.cmd("USER alice"), u2 = r.cmd("USER nobody");
            assertThat(u1.replace("alice", "X")).isEqualTo(u2.replace("nobody", "X"));
            long t0 = System.nanoTime();
            String wrong = r.cmd("PASS nope");
            long t1 = System.nanoTime();
            r.cmd("USER nobody");
            String unknown = r.cmd("PASS nope");
            assertThat(wrong).isEqualTo(unknown).startsWith("530");
            assertThat((t1 - t0) / 1_000_000).isGreaterThanOrEqualTo(290);          // the failure delay is there
            r.cmd("USER alice");
            // as vsftpd and pyftpdlib: 530, then
            assertThat(r.cmd("PASS nope")).startsWith("530");
            assertThat(r.reply()).isNull();                                          // closed
        }
    }

    /** Config.FAILURES_PER_CONNECTION: the third failure still gets its 530, then the close; no ban yet. */
    @Test
    void theThirdFailedLoginOnOneConnectionAnswers530AndCloses() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw()) {
            r.reply();
            for (int i = 1; i <= 3; i++) {
                assertThat(r.cmd("USER alice")).as("USER after failure %d", i - 1).startsWith("331");
                assertThat(r.cmd("PASS wrong" + i)).as("failure %d", i).startsWith("530");
            }
            assertThat(r.reply()).as("closed by the server").isNull();
            try (RawClient again = s.raw().login("alice", "secret")) {           // login.max.failures is 10: not banned
                assertThat(again.cmd("NOOP")).startsWith("200");
            }
        }
    }

    @Test
    void aTlsOnlyAccountInClearTextFailsAlikeForTheRightAndAWrongPassword() throws Exception {
        try (TestServer s = TestServer.start(tmp, TlsClient.settings("user.alice.tls.required", "true"));
             RawClient r = s.raw()) {
            r.reply();
            assertThat(r.cmd("USER alice")).startsWith("331");
            String right = r.cmd("PASS secret");
            assertThat(right).startsWith("530");
            assertThat(r.cmd("PWD")).startsWith("530");              // not logged in
            assertThat(r.cmd("USER alice")).startsWith("331");
            String wrong = r.cmd("PASS wrong");
            assertThat(right).isEqualTo(wrong);                      // no oracle for the password (RFC 2577 §5)
        }
    }

    // ---- bans ----

    @Test
    void repeatedFailuresBanTheAddressAndTheLogLineNamesOnlyIt() throws Exception {
        List<LogRecord> records = TestServer.logDuring(() -> {
            try (TestServer s = TestServer.start(tmp, "login.max.failures", "4", "login.ban.seconds", "60")) {
                for (int i = 0; i < 2; i++) {
                    try (RawClient r = s.raw()) {
                        r.reply();
                        r.cmd("USER x' from 10.9.8.7");                                 // log injection attempts
                        assertThat(r.cmd("PASS a")).startsWith("530");
                        r.cmd("USER ] login failed: 10.9.8.7 \u0085 [#1 10.9.8.7]");
                        assertThat(r.cmd("PASS b")).startsWith(i == 0 ? "530" : "421");    // the 4th failure bans
                    }
                }
                try (RawClient r = s.raw()) {
                    assertThat(r.reply()).startsWith("421");                             // banned: refused at once
                    assertThat(r.reply()).isNull();
                }
                // other addresses still welcome
                FTPClient other = new FTPClient();
                other.connect(InetAddress.getByName("127.0.0.1"), s.port(), InetAddress.getByName("127.0.0.3"), 0);
                assertThat(other.getReplyCode()).isEqualTo(220);
                other.disconnect();
            }
        });
        Pattern fail2ban = Pattern.compile("^\\[#\\d+ (\\S+)\\] login failed");
        List<String> failures = records.stream().map(LogRecord::getMessage)
            .filter(l -> l.contains("login failed")).toList();
        assertThat(failures).isNotEmpty();
        for (String l : failures) {
            for (String physical : l.split("[\\r\\n]")) {
                Matcher m = fail2ban.matcher(physical);
                if (m.find()) assertThat(m.group(1)).isEqualTo("127.0.0.1");
            }
            assertThat(l).doesNotContain("\n").doesNotContain("\r");
        }
    }

    @Test
    void aBanReachesAConnectionOpenedBeforeIt() throws Exception {
        try (TestServer s = TestServer.start(tmp, "login.max.failures", "3", "login.ban.seconds", "60");
             RawClient early = s.raw()) {
            assertThat(early.reply()).startsWith("220");
            assertThat(early.cmd("USER alice")).startsWith("331");
            for (int i = 0; i < 3; i++) {                            // other connections from the same address fail
                try (RawClient r = s.raw()) {
                    r.reply();
                    r.cmd("USER alice");
                    assertThat(r.cmd("PASS guess" + i)).startsWith(i < 2 ? "530" : "421");   // the 3rd bans
                }
            }
            // the right password no longer helps: the address is banned, whichever connection it uses
            assertThat(early.cmd("PASS secret")).startsWith("421");
            assertThat(early.reply()).isNull();
        }
    }

    /**
     * A home checked at start-up can be gone or replaced by a file by the time someone logs in: 530,
     * not a login that then fails every command, and the log says why.
     */
    @Test
    void aHomeGoneOrNoLongerAFolderRefusesTheLogin() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            Path home = tmp.toRealPath().resolve("alice");
            Files.delete(home);
            List<LogRecord> gone = TestServer.logDuring(() -> {
                try (RawClient r = s.raw()) {
                    r.reply();
                    assertThat(r.cmd("USER alice")).startsWith("331");
                    assertThat(r.cmd("PASS secret")).startsWith("530").contains("home directory unavailable");
                }
            });
            assertThat(gone).extracting(LogRecord::getMessage).anyMatch(m -> m.contains("home of alice unavailable"));
            Files.writeString(home, "a file where the home was");
            try (RawClient r = s.raw()) {
                r.reply();
                assertThat(r.cmd("USER alice")).startsWith("331");
                assertThat(r.cmd("PASS secret")).startsWith("530").contains("home directory unavailable");
            }
        }
    }
}
