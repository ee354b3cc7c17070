package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * Admission control (RFC 2577 §5) without a server: the global and per-address caps and their
 * release, failed logins within login.ban.seconds that ban, the end of a ban, and the bounded
 * memory of failures. The same on the wire: ConnectionLimitTest and LoginTest.
 */
class GuardTest {
    static Guard guard(String... keysAndValues) throws Keys.Bad {
        Properties p = new Properties();
        for (int i = 0; i + 1 < keysAndValues.length; i += 2) p.setProperty(keysAndValues[i], keysAndValues[i + 1]);
        return new Guard(Config.parse(p, "test"));
    }

    static InetAddress ip(int n) throws UnknownHostException {
        return InetAddress.getByAddress(new byte[] {10, (byte) (n >> 16), (byte) (n >> 8), (byte) n});
    }

    @Test
    void theGlobalAndThePerAddressCaps() throws Exception {
        Guard g = guard("max.connections", "3", "max.connections.per.ip", "2");
        InetAddress a = ip(1), b = ip(2), c = ip(3);
        assertThat(g.admit(a)).isNull();
        assertThat(g.admit(a)).isNull();
        assertThat(g.admit(a)).isEqualTo(Guard.Refusal.ADDRESS_FULL);
        assertThat(g.admit(b)).isNull();
        assertThat(g.admit(c)).isEqualTo(Guard.Refusal.FULL);
        assertThat(g.connections()).as("refusals are not counted").isEqualTo(3);
        g.release(a);
        assertThat(g.connections()).isEqualTo(2);
        assertThat(g.admit(c)).isNull();                                     // the freed slot
        g.release(b);
        g.release(c);
        assertThat(g.admit(a)).as("a's second slot again").isNull();
        assertThat(g.admit(a)).isEqualTo(Guard.Refusal.ADDRESS_FULL);
        g.release(a);
        g.release(a);
        assertThat(g.connections()).isZero();
    }

    @Test
    void failuresWithinTheWindowBanUntilLoginBanSecondsPass() throws Exception {
        Guard g = guard("login.max.failures", "3", "login.ban.seconds", "0.2");
        InetAddress a = ip(1), b = ip(2);
        assertThat(g.failed(a)).isFalse();
        assertThat(g.failed(a)).isFalse();
        assertThat(g.banned(a)).isFalse();
        assertThat(g.failed(a)).as("the third failure").isTrue();
        assertThat(g.banned(a)).isTrue();
        assertThat(g.banned(b)).as("another address").isFalse();
        assertThat(g.admit(a)).isEqualTo(Guard.Refusal.BANNED);
        assertThat(g.connections()).isZero();
        Thread.sleep(300);
        assertThat(g.banned(a)).as("after login.ban.seconds").isFalse();
        assertThat(g.admit(a)).isNull();
    }

    @Test
    void failuresFurtherApartThanTheWindowDoNotAddUp() throws Exception {
        Guard g = guard("login.max.failures", "2", "login.ban.seconds", "0.1");
        InetAddress a = ip(1);
        assertThat(g.failed(a)).isFalse();
        Thread.sleep(150);
        assertThat(g.failed(a)).as("the window started again").isFalse();
        assertThat(g.failed(a)).as("two within the window").isTrue();
    }

    /** A flood of failures from ever new addresses costs bounded memory: the oldest are forgotten first. */
    @Test
    void atMostTrackedAddressesAreRemembered() throws Exception {
        InetAddress first = InetAddress.getByAddress(new byte[] {10, (byte) 255, (byte) 255, (byte) 255});
        for (int others : new int[] {Config.TRACKED_ADDRESSES - 1, Config.TRACKED_ADDRESSES}) {
            Guard g = guard("login.max.failures", "2", "login.ban.seconds", "600");
            g.failed(first);
            assertThat(g.failed(first)).isTrue();
            for (int i = 0; i < others; i++) assertThat(g.failed(ip(i))).isFalse();
            assertThat(g.banned(first)).as("banned after %d other addresses", others)
                .isEqualTo(others < Config.TRACKED_ADDRESSES);
        }
    }
}
