package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The shared rate limits: a virtual clock that books n / rate seconds per chunk, gives no credit
 * for idle time, takes the longest wait of several limits, and the server's and each user's own
 * limits (Throttle.Rates). Live transfers under a rate are in RateLimitTest.
 */
class ThrottleTest {
    static final long SECOND = 1_000_000_000L;

    static Account account(String name, long download, long upload) {
        return new Account(name, "pw", Path.of("/"), false, false, download, upload, 0, true);
    }

    @Test
    void reserveBooksNOverRateSeconds() {
        Throttle t = new Throttle(1000);                                    // bytes per second
        assertThat(t.rate()).isEqualTo(1000);
        assertThat(t.reserve(100)).isEqualTo(SECOND / 10);                 // 100 bytes: 0.1 s from now
        assertThat(t.reserve(100)).as("queued behind the first").isGreaterThan(SECOND / 10)
            .isLessThanOrEqualTo(SECOND / 5);
        assertThat(new Throttle(1 << 20).reserve(1 << 20)).isEqualTo(SECOND);
    }

    @Test
    void idleTimeEarnsNoCredit() throws Exception {
        Throttle t = new Throttle(1_000_000);
        assertThat(t.reserve(1000)).isEqualTo(SECOND / 1000);
        Thread.sleep(20);                                                    // 20 ms unused: no burst of 20 KB later
        assertThat(t.reserve(1000)).isEqualTo(SECOND / 1000);
        assertThat(t.reserve(20_000)).isGreaterThan(SECOND / 1000 * 20);
    }

    @Test
    void severalLimitsWaitForTheSlowestAndAllAreBooked() {
        Throttle fast = new Throttle(1000), slow = new Throttle(500);
        assertThat(Throttle.reserve(new Throttle[] {fast, slow}, 100)).isEqualTo(SECOND / 5);   // not the sum: 0.3 s
        assertThat(fast.reserve(0)).as("fast, booked 0.1 s").isPositive().isLessThanOrEqualTo(SECOND / 10);
        assertThat(slow.reserve(0)).as("slow, booked 0.2 s").isGreaterThan(SECOND / 10).isLessThanOrEqualTo(SECOND / 5);
        assertThat(Throttle.reserve(new Throttle[0], 1 << 30)).isZero();  // no limit: at once
    }

    @Test
    void ratesGiveTheServersAndTheUsersOwnLimits() {
        Throttle.Rates rates = new Throttle.Rates(1000, 0);
        Account limited = account("a", 500, 0), free = account("b", 0, 0);
        Throttle[] down = rates.of(limited, true);
        assertThat(down).extracting(Throttle::rate).containsExactly(1000L, 500L);   // the server's, then the user's
        assertThat(rates.of(limited, false)).isEmpty();                              // no upload limit anywhere
        assertThat(rates.of(free, true)).extracting(Throttle::rate).containsExactly(1000L);
        assertThat(rates.of(free, true)[0]).as("one server limit for every user").isSameAs(down[0]);
        assertThat(rates.of(limited, true)[1]).as("one limit for all of a user's sessions").isSameAs(down[1]);
        assertThat(new Throttle.Rates(0, 0).of(free, true)).isEmpty();
    }

    @Test
    void forgetUsersResetsTheUsersLimits() {
        Throttle.Rates rates = new Throttle.Rates(1000, 2000);
        Throttle[] before = rates.of(account("a", 500, 0), true);
        Account changed = account("a", 4000, 300);                                   // the accounts file was edited
        assertThat(rates.of(changed, true)[1]).as("kept until forgotten").isSameAs(before[1]);
        rates.forgetUsers();
        Throttle[] after = rates.of(changed, true);
        assertThat(after).extracting(Throttle::rate).containsExactly(1000L, 4000L);
        assertThat(after[0]).as("the server's limit stays").isSameAs(before[0]);
        assertThat(after[1]).isNotSameAs(before[1]);
        assertThat(rates.of(changed, false)).extracting(Throttle::rate).containsExactly(2000L, 300L);
    }
}
