package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Login (RFC 959 §4.1.1) without oracles or loopholes (RFC 2577 §5), checked on raw replies. */
class LoginTest {
    @TempDir Path tmp;

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

    @Test
    void aTlsOnlyAccountInClearTextFailsAlikeForTheRightAndAWrongPassword() throws Exception {
        try (TestServer s = TestServer.start(tmp, "tls.certificate", TlsTest.res("rsa-a.crt").toString(),
                "tls.key", TlsTest.res("rsa-a.pkcs1.key").toString(), "user.alice.tls.required", "true");
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

    /**
     * login.timeout counts from the last logout, not from the connect: a session logged in for
     * longer than it, then logged out (REIN, or USER while logged in), gets a full login.timeout.
     * The 1.1 s pause is longer than a watchdog round (1 s) and shorter than login.timeout.
     */
    @Test
    void theLoginTimerRestartsAtLogout() throws Exception {
        try (TestServer s = TestServer.start(tmp, "login.timeout", "1.5", "idle.timeout", "60");
             RawClient rein = s.raw().login("alice", "secret"); RawClient user = s.raw().login("alice", "secret")) {
            Thread.sleep(2000);                                     // logged in longer than login.timeout
            assertThat(rein.cmd("REIN")).startsWith("220");
            assertThat(user.cmd("USER alice")).startsWith("331");  // USER while logged in logs out too
            Thread.sleep(1100);
            assertThat(rein.cmd("USER alice")).startsWith("331");
            assertThat(rein.cmd("PASS secret")).startsWith("230");
            assertThat(user.cmd("PASS secret")).startsWith("230");
            assertThat(rein.cmd("NOOP")).startsWith("200");
            assertThat(user.cmd("NOOP")).startsWith("200");
        }
    }
}
