package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The session's silence limits: login.timeout (from the connect, and again from each logout) and
 * idle.timeout (after login, never during a transfer). data.timeout is with the data connection
 * (DataChannelTest) and with uploads whose data connection never comes (UploadTest).
 */
class TimeoutTest {
    @TempDir Path tmp;

    @Test
    void silentAndSlowClientsAreDroppedButNotDuringATransfer() throws Exception {
        try (TestServer s = TestServer.start(tmp, "login.timeout", "1", "idle.timeout", "1.5", "data.timeout", "10")) {
            try (RawClient r = s.raw()) {                                           // never logs in
                r.reply();
                long t0 = System.nanoTime();
                assertThat(r.reply()).startsWith("421");
                assertThat((System.nanoTime() - t0) / 1_000_000_000.0).isLessThan(5);
            }
            try (RawClient r = s.raw()) {                                           // one byte a second
                r.reply();
                for (byte b : "USER alice\r\n".getBytes()) {
                    try {
                        r.send(new byte[] {b});
                        Thread.sleep(400);
                    } catch (IOException e) {
                        break;
                    }
                }
                assertThat(r.reply()).startsWith("421");
            }
            try (RawClient r = s.raw().login("alice", "secret")) {                  // idle after login
                assertThat(r.reply()).startsWith("421");
            }
            Files.write(s.home.resolve("f"), new byte[8 << 20]);
            try (RawClient r = s.raw().login("alice", "secret")) {                  // slow transfer: not idle
                r.cmd("TYPE I");
                try (Socket d = r.pasv()) {
                    assertThat(r.cmd("RETR f")).startsWith("150");
                    InputStream in = d.getInputStream();
                    long end = System.nanoTime() + 3_000_000_000L;                  // longer than idle.timeout
                    byte[] buf = new byte[16384];
                    while (System.nanoTime() < end) {
                        in.read(buf);
                        Thread.sleep(20);
                    }
                    assertThat(r.socket.getInputStream().available()).isZero();    // no 421 arrived meanwhile
                    in.readAllBytes();
                }
                assertThat(r.reply()).startsWith("226");
                assertThat(r.cmd("NOOP")).startsWith("200");
            }
        }
    }

    /**
     * REIN before any login logs nobody out, so it must not buy a fresh login.timeout: a client
     * could otherwise hold a connection slot for ever without a password.
     */
    @Test
    void reinWithoutALoginDoesNotRestartTheLoginTimer() throws Exception {
        try (TestServer s = TestServer.start(tmp, "login.timeout", "1.5", "idle.timeout", "60")) {
            long connected = System.nanoTime();                      // before the connect: errs on the strict side
            try (RawClient r = s.raw()) {
                assertThat(r.reply()).startsWith("220");
                // a REIN every 0.5 s, and the 421 noticed as it comes
                r.socket.setSoTimeout(500);
                String last = "220";
                for (int i = 0; i < 20 && last != null && last.startsWith("220")
                        && System.nanoTime() - connected < TimeUnit.SECONDS.toNanos(6); i++) {
                    try {
                        last = r.cmd("REIN");
                        if (last != null && last.startsWith("220")) last = r.reply();   // wait up to 0.5 s for a 421
                    } catch (SocketTimeoutException quiet) {
                        last = "220";                                // nothing within 0.5 s: still open, REIN again
                    } catch (IOException reset) {
                        last = null;                                 // closed under our write
                    }
                }
                long elapsed = System.nanoTime() - connected;
                assertThat(last).as("the last reply").satisfiesAnyOf(
                    l -> assertThat(l).isNull(), l -> assertThat(l).startsWith("421"));
                assertThat(elapsed).as("ns from connect to close").isLessThan(TimeUnit.MILLISECONDS.toNanos(3500));
            }
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
