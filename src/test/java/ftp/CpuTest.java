package ftp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CPU-heavy work (PBKDF2 for every failed login, counting line ends for SIZE in TYPE A) runs off the
 * carriers, so floods of it never hold a bystander's NOOP for long; a full queue is refused with 421.
 * The latency bound is loose on purpose (no test times anything): make bench measures it.
 */
class CpuTest {
    @TempDir java.nio.file.Path tmp;

    @Test
    void aFullQueueRefusesInsteadOfGrowing() throws Exception {
        try (Cpu cpu = Cpu.of(1, 1)) {
            CountDownLatch release = new CountDownLatch(1);
            List<Thread> waiting = new ArrayList<>();
            for (int i = 0; i < 2; i++)                                       // one running, one queued
                waiting.add(Thread.ofVirtual().start(() -> {
                    try {
                        cpu.run(() -> {
                            try {
                                return release.await(10, java.util.concurrent.TimeUnit.SECONDS);
                            } catch (InterruptedException e) {
                                throw new java.io.InterruptedIOException();
                            }
                        });
                    } catch (Exception ignored) {
                        // released
                    }
                }));
            Thread.sleep(200);
            assertThatThrownBy(() -> cpu.run(() -> 1)).isInstanceOf(Cpu.Full.class);
            release.countDown();
            for (Thread t : waiting) t.join(5_000);
            assertThat(cpu.run(() -> 42)).isEqualTo(42);
        }
    }

    @Test
    void failedLoginsFromManyAddressesDoNotHoldABystander() throws Exception {
        try (TestServer s = TestServer.start(tmp, "login.failure.delay", "0", "login.max.failures", "100000")) {
            RawClient bystander = s.raw().login("alice", "secret");
            List<Thread> flood = new ArrayList<>();
            for (int i = 0; i < 80; i++) {
                InetAddress from = InetAddress.getByName("127.0.1." + (i + 1));   // no address reaches a ban
                flood.add(Thread.ofVirtual().start(() -> {
                    try (Socket c = new Socket(InetAddress.getByName("127.0.0.1"), s.port(), from, 0)) {
                        c.setSoTimeout(30_000);
                        OutputStream out = c.getOutputStream();
                        String lines = "USER nobody\r\nPASS x\r\nUSER nobody\r\nPASS y\r\nQUIT\r\n";
                        out.write(lines.getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                        InputStream in = c.getInputStream();
                        while (in.read() >= 0) { /* until the server closes */ }
                    } catch (IOException ignored) {
                        // a refusal (421) or a close: either way the flood went on
                    }
                }));
            }
            long worst = worstNoop(bystander, 3_000);
            for (Thread t : flood) t.join(60_000);
            assertThat(worst).as("the bystander's slowest NOOP, ms").isLessThan(1_000);
            bystander.close();
        }
    }

    @Test
    void sizeInTypeAFloodsDoNotHoldABystander() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            byte[] text = new byte[16_000_000];
            for (int i = 0; i < text.length; i++) text[i] = (byte) (i % 80 == 79 ? '\n' : 'x');
            Files.write(s.home.resolve("big.txt"), text);
            RawClient bystander = s.raw().login("alice", "secret");
            List<Thread> flood = new ArrayList<>();
            AtomicLong sizes = new AtomicLong();
            for (int i = 0; i < 4; i++) {
                flood.add(Thread.ofVirtual().start(() -> {
                    try (RawClient c = s.raw().login("alice", "secret")) {
                        c.socket.setSoTimeout(60_000);
                        StringBuilder b = new StringBuilder("TYPE A\r\n");
                        for (int k = 0; k < 500; k++) b.append("SIZE big.txt\r\n");
                        c.send(b.toString());
                        c.reply();
                        for (int k = 0; k < 500; k++) {
                            String r = c.reply();
                            if (r == null || !r.startsWith("213")) break;
                            if (r.equals("213 " + (text.length + text.length / 80))) sizes.incrementAndGet();
                        }
                    } catch (IOException ignored) {
                        // refused (421) when the queue is full: fine
                    }
                }));
            }
            long worst = worstNoop(bystander, 3_000);
            for (Thread t : flood) t.join(60_000);
            assertThat(worst).as("the bystander's slowest NOOP, ms").isLessThan(1_000);
            assertThat(sizes.get()).as("SIZE answers, each with CRLF counted").isPositive();
            bystander.close();
        }
    }

    /** The slowest of the NOOPs sent every 20 ms for {@code ms}. */
    static long worstNoop(RawClient c, long ms) throws IOException, InterruptedException {
        long worst = 0, end = System.nanoTime() + ms * 1_000_000;
        while (System.nanoTime() < end) {
            long t = System.nanoTime();
            assertThat(c.cmd("NOOP")).startsWith("200");
            worst = Math.max(worst, (System.nanoTime() - t) / 1_000_000);
            Thread.sleep(20);
        }
        return worst;
    }
}
