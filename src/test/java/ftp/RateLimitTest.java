package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.net.ftp.FTPClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * rate.download and user.NAME.rate.download on real transfers. The throttle books time strictly
 * (no bursts: ThrottleTest), so a transfer can't come out faster than its rate allows.
 */
class RateLimitTest {
    @TempDir Path tmp;

    /** rate.download=512 KiB/s: 1 MiB can't arrive in much under 2 s. */
    @Test
    void theServerRateHoldsForADownload() throws Exception {
        try (TestServer s = TestServer.start(tmp, "rate.download", "512")) {
            Files.write(s.home.resolve("m"), new byte[1 << 20]);
            FTPClient f = s.alice();
            long t0 = System.nanoTime();
            byte[] got = TestServer.retrieve(f, "m");
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertThat(got.length).isEqualTo(1 << 20);
            assertThat(seconds).isGreaterThan(1.8);
            f.disconnect();
        }
    }

    /**
     * Global 300 KiB/s, alice 200 KiB/s, 600 KiB: the lower rate gives 3.0 s; the global one alone
     * would give 2.0 s, both applied one after the other (1/(1/300+1/200) = 120 KiB/s) 5.0 s.
     * Neither wrong case can come out faster than its figure; the bounds sit just inside them and
     * leave 1.7 s for a slow machine.
     */
    @Test
    void theLowerOfTwoRatesIsTheEffectiveOne() throws Exception {
        try (TestServer s = TestServer.start(tmp, "rate.download", "300", "user.alice.rate.download", "200")) {
            Files.write(s.home.resolve("r.bin"), new byte[600 * 1024]);
            FTPClient c = s.alice();
            long t0 = System.nanoTime();
            byte[] got = TestServer.retrieve(c, "r.bin");
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertThat(got.length).isEqualTo(600 * 1024);
            assertThat(seconds).as("seconds for 600 KiB").isGreaterThanOrEqualTo(2.6).isLessThan(4.7);
            c.disconnect();
        }
    }
}
