package ftp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.commons.net.ftp.FTPClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Stopping: the graceful stop (421 to idle sessions, running transfers get shutdown.grace, then are
 * cut and logged incomplete), a stop that meets a client that never reads (in clear and under TLS),
 * SIGTERM to the process (a second one ends the grace at once), and running under systemd: socket
 * activation and its misuse, the units.
 */
class StopTest {
    @TempDir Path tmp;

    /** server.stop on a thread of its own, so a test can bound how long it takes. */
    static Thread stop(TestServer s, Duration grace) {
        return Thread.ofPlatform().daemon().name("test-stop").start(() -> s.server.stop(grace));
    }

    /**
     * The rude client floods HELP and never reads, so the server's control thread ends up parked
     * in a reply write that can't complete. A graceful stop must close that session at once rather
     * than queue a 421 behind the stuck write, and still send the polite client its 421. The grace
     * is for running transfers: with 30 s of it, a stop that waited on the stuck session would
     * still be running when the 10 s join gives up (the watchdog's own stalled-write limit is
     * data.timeout, 60 s, so it can't rescue the stop either).
     */
    @ParameterizedTest(name = "grace {0} s")
    @ValueSource(ints = {1, 30})
    void aGracefulStopDoesNotHangOnAClientThatNeverReads(int grace) throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient polite = s.raw().login("alice", "secret");
             SocketChannel rude = SocketChannel.open()) {
            rude.setOption(StandardSocketOptions.SO_RCVBUF, 4096);   // before connect: the window stays small
            rude.connect(new InetSocketAddress("127.0.0.1", s.port()));
            // a full buffer shows as a 0-byte write, never a hang
            rude.configureBlocking(false);
            ByteBuffer helps = ByteBuffer.wrap("HELP\r\n".repeat(1000).getBytes(StandardCharsets.US_ASCII));
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(8), blockedSince = 0;
            boolean stuck = false;
            for (int i = 0; i < 200_000 && System.nanoTime() < end; i++) {
                if (!helps.hasRemaining()) helps.rewind();
                if (rude.write(helps) > 0) {
                    blockedSince = 0;
                    continue;
                }
                // nothing more fits: the server no longer reads commands, since it is stuck writing replies
                long now = System.nanoTime();
                if (blockedSince == 0) blockedSince = now;
                else if (now - blockedSince > TimeUnit.MILLISECONDS.toNanos(300)) {
                    stuck = true;
                    break;
                }
                Thread.sleep(10);
            }
            assertThat(stuck).as("the server stopped reading the flood").isTrue();

            Thread stopper = stop(s, Duration.ofSeconds(grace));
            stopper.join(10_000);
            assertThat(stopper.isAlive()).as("stop() still running after 10 s").isFalse();
            assertThat(s.server.sessions()).isZero();
            assertThat(polite.reply()).startsWith("421");            // the graceful part still happened
        }
    }

    /**
     * As in the clear-text case above, but over AUTH TLS: the server's control thread is parked in
     * an SSLSocket write, holding JSSE's lock, so a close that first sends close_notify would wait
     * behind it for ever. The stop must close the TCP socket under it instead.
     */
    @Test
    void aStopDoesNotHangOnATlsClientThatNeverReads() throws Exception {
        try (TestServer s = TestServer.start(tmp, TlsClient.settings())) {
            Socket plain = new Socket();
            Thread writer = null;
            try {
                plain.setReceiveBufferSize(4096);                    // before connect: the window stays small
                plain.connect(new InetSocketAddress("127.0.0.1", s.port()), 5000);
                RawClient r = new RawClient(plain);
                assertThat(r.reply()).startsWith("220");
                RawClient c = TlsClient.auth(r, s.port());
                assertThat(c.cmd("USER alice")).startsWith("331");
                assertThat(c.cmd("PASS secret")).startsWith("230");

                byte[] helps = "HELP\r\n".repeat(1000).getBytes(StandardCharsets.US_ASCII);
                AtomicLong lastWrite = new AtomicLong(System.nanoTime());
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
                writer = Thread.ofPlatform().daemon().name("test-flood").start(() -> {
                    try {
                        OutputStream out = c.socket.getOutputStream();
                        for (int i = 0; i < 20_000 && System.nanoTime() < end; i++) {
                            out.write(helps);                        // blocks once the server stops reading
                            out.flush();
                            lastWrite.set(System.nanoTime());
                        }
                    } catch (IOException closed) {
                        // the server (or the test, at the end) closed the connection
                    }
                });
                // A short stall may only mean the server is slow (cold JIT, TLS, 2 CPUs) and still working
                // through buffered HELPs; it then is not yet parked in a write and the stop takes the easy
                // path. A stuck server never recovers, so wait for a stall long enough to be sure.
                boolean stuck = false;
                while (writer.isAlive() && System.nanoTime() < end) {
                    if (System.nanoTime() - lastWrite.get() > TimeUnit.SECONDS.toNanos(1)) {
                        stuck = true;
                        break;
                    }
                    Thread.sleep(20);
                }
                assertThat(stuck).as("the server stopped reading the flood").isTrue();

                Thread stopper = stop(s, Duration.ofSeconds(30));
                stopper.join(10_000);
                assertThat(stopper.isAlive()).as("stop() still running after 10 s").isFalse();
                assertThat(s.server.sessions()).isZero();
            } finally {
                // the TCP socket: SSLSocket.close could wait on our own stuck write
                plain.close();
                if (writer != null) writer.join(2000);
            }
        }
    }

    /**
     * A command queued behind a running transfer parks the control thread in join(), where closing
     * the control socket doesn't reach it: the end of the grace must abort the transfer itself, or
     * it would outlive the stop (no xferlog line, its temporary file left behind).
     */
    @Test
    void aStopCutsATransferWhoseClientQueuedACommand() throws Exception {
        Path log = tmp.resolve("xferlog");
        try (TestServer s = TestServer.start(tmp, "user.alice.rate.upload", "64", "transfer.log", log.toString());
             RawClient r = s.raw().login("alice", "secret")) {
            Path f = Files.writeString(s.home.resolve("f.bin"), "the old content");
            assertThat(r.cmd("TYPE I")).startsWith("200");
            try (Socket d = r.epsv()) {
                assertThat(r.cmd("STOR f.bin")).startsWith("150");
                d.getOutputStream().write(new byte[50_000]);        // ~0.8 s at 64 KiB/s, and the connection stays open
                d.getOutputStream().flush();
                // queued: the control thread now waits for the transfer
                r.send("PWD\r\n");
                assertThat(TestServer.temps(s.home)).as("the overwrite's temporary file").hasSize(1);

                Thread stopper = stop(s, Duration.ofMillis(500));
                stopper.join(10_000);
                assertThat(stopper.isAlive()).as("stop() still running after 10 s").isFalse();
                List<String> lines = Files.readAllLines(log).stream().filter(l -> l.contains(" /f.bin ")).toList();
                assertThat(lines).as("xferlog lines for /f.bin").hasSize(1);
                assertThat(lines.get(0)).endsWith(" i");             // incomplete
                assertThat(TestServer.temps(s.home)).isEmpty();
                assertThat(Files.readString(f)).isEqualTo("the old content");
            }
        }
    }

    /**
     * The grace (0.5 s) ends long before the file (10 s at the rate) is sent, so the stop cuts it.
     * 64 KiB/s throttles in 50 ms steps; 4 KiB/s in 250 ms steps (a 1 KiB chunk per sleep), which
     * leaves a cut transfer longer between its session's end and its own xferlog line.
     */
    @ParameterizedTest(name = "rate.download={0} KiB/s")
    @ValueSource(ints = {64, 4})
    void aTransferCutByStopIsLoggedIncomplete(int kibPerSecond) throws Exception {
        Path xferlog = tmp.resolve("xferlog");
        Path dir = Files.createDirectory(tmp.resolve("srv"));
        int size = kibPerSecond * 1024 * 10;
        try (TestServer s = TestServer.start(dir, "rate.download", Integer.toString(kibPerSecond),
                "transfer.log", xferlog.toString());
             RawClient r = s.raw().login("alice", "secret")) {
            Files.write(s.home.resolve("slow.bin"), new byte[size]);
            r.cmd("TYPE I");
            try (Socket d = r.pasv()) {
                assertThat(r.cmd("RETR slow.bin")).startsWith("150");
                assertThat(d.getInputStream().readNBytes(1024)).hasSize(1024);   // under way
                s.server.stop(Duration.ofMillis(500));
                int rest;
                try {
                    rest = d.getInputStream().readAllBytes().length;
                } catch (IOException reset) {
                    rest = 0;                                  // a reset data connection is a cut too
                }
                assertThat(1024 + rest).as("bytes received").isLessThan(size);
            }
            List<String> lines = Files.readAllLines(xferlog).stream().filter(l -> l.contains(" /slow.bin ")).toList();
            assertThat(lines).as("xferlog lines for the cut transfer; the whole log: %s", Files.readAllLines(xferlog))
                .hasSize(1);
            String[] f = lines.get(0).split("\\s+");
            assertThat(f[f.length - 1]).isEqualTo("i");
        }
    }

    // ---- the process: SIGTERM ----

    @Test
    void sigtermLetsTransfersFinishThenExitsZero() throws Exception {
        int port = TestServer.freePort();
        Path cfg = TestServer.configFile(tmp, "port=" + port, "shutdown.grace=20");
        Files.write(tmp.resolve("home/big"), new byte[8 << 20]);
        Process p = new ProcessBuilder(TestServer.java(), "-cp", "target/classes", "ftp.Main", "-o", "-c",
                cfg.toString())
            .redirectErrorStream(true).redirectOutput(tmp.resolve("out.log").toFile()).start();
        try {
            TestServer.client(port).disconnect();                        // wait until it listens
            RawClient idle = new RawClient("127.0.0.1", port).login("u", "p");
            try (RawClient r = new RawClient("127.0.0.1", port).login("u", "p")) {
                r.cmd("TYPE I");
                try (Socket d = r.pasv()) {
                    assertThat(r.cmd("RETR big")).startsWith("150");
                    d.getInputStream().readNBytes(1 << 20);             // the transfer is under way
                    p.destroy();                                         // SIGTERM
                    Thread.sleep(500);
                    assertThat(idle.reply()).startsWith("421");          // idle sessions are told and closed
                    assertThat(d.getInputStream().readAllBytes().length).isEqualTo((8 << 20) - (1 << 20));
                }
                assertThat(r.reply()).startsWith("226");                 // the running transfer finished
            }
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isZero();
            assertThat(Files.readString(tmp.resolve("out.log"))).contains("SIGTERM").contains("stopped");
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * An operator who can't wait out the grace sends SIGTERM again: the stop ends now, the running
     * transfer (20 s at rate.download, well inside a 30 s grace) is cut and logged incomplete, and
     * the exit code is still 0.
     */
    @Test
    void aSecondSigtermCutsTheGraceShortAndStillExitsZero() throws Exception {
        int port = TestServer.freePort();
        Path xferlog = tmp.resolve("xferlog"), out = tmp.resolve("out.log");
        Path cfg = TestServer.configFile(tmp, "port=" + port, "shutdown.grace=30", "rate.download=50",
            "transfer.log=" + xferlog);
        Files.write(tmp.resolve("home/slow.bin"), new byte[1000 << 10]);            // 20 s at 50 KiB/s
        Process p = TestServer.startMain(tmp, List.of(), Map.of(), "-o", "-c", cfg.toString());
        try {
            TestServer.connected(port).disconnect();                                  // waits until it serves
            try (RawClient r = new RawClient("127.0.0.1", port).login("u", "p")) {
                assertThat(r.cmd("TYPE I")).startsWith("200");
                try (Socket d = r.pasv()) {
                    assertThat(r.cmd("RETR slow.bin")).startsWith("150");
                    assertThat(d.getInputStream().readNBytes(1024)).hasSize(1024);   // under way
                    p.destroy();                                                      // SIGTERM
                    TestServer.awaitLog(out, "SIGTERM: stopping; transfers get up to 30 s");
                    p.destroy();                                                      // SIGTERM again
                    assertThat(p.waitFor(10, TimeUnit.SECONDS)).as("exited after the second SIGTERM").isTrue();
                    assertThat(p.exitValue()).isZero();
                }
            }
            assertThat(Files.readString(out)).contains("SIGTERM again: stopping now, cutting what still runs")
                .contains("stopped");
            List<String> lines = Files.readAllLines(xferlog).stream().filter(l -> l.contains(" /slow.bin ")).toList();
            assertThat(lines).as("xferlog lines for /slow.bin").hasSize(1);
            assertThat(lines.get(0)).endsWith(" i");                                 // incomplete
        } finally {
            p.destroyForcibly();
        }
    }

    // ---- systemd: socket activation and the units ----

    @Test
    void socketActivationServesTheInheritedSocket() throws Exception {
        assumeTrue(TestServer.onPath("systemd-socket-activate"), "no systemd-socket-activate (Debian's systemd)");
        int port = TestServer.freePort();
        Path cfg = TestServer.configFile(tmp);
        Files.writeString(tmp.resolve("home/hello.txt"), "activated");
        Process p = new ProcessBuilder("systemd-socket-activate", "-l", "127.0.0.1:" + port, "sh", "-c",
            "exec \"$0\" -cp target/classes ftp.Main -o -c \"$1\" 0<&3", TestServer.java(), cfg.toString())
            .redirectErrorStream(true).redirectOutput(tmp.resolve("out.log").toFile()).start();
        try {
            FTPClient c = TestServer.client(port);
            assertThat(new String(TestServer.retrieve(c, "hello.txt"))).isEqualTo("activated");
            c.disconnect();
            assertThat(Files.readString(tmp.resolve("out.log"))).contains("inherited from systemd");
        } finally {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Logging outlives the inherited socket: the stop is logged, and the exit code is 0. */
    @Test
    void socketActivatedServerLogsItsStopAndExitsZero() throws Exception {
        assumeTrue(TestServer.onPath("systemd-socket-activate"), "no systemd-socket-activate (Debian's systemd)");
        int port = TestServer.freePort();
        Path cfg = TestServer.configFile(tmp, "shutdown.grace=2");
        Path out = tmp.resolve("out.log");
        Process p = new ProcessBuilder("systemd-socket-activate", "-l", "127.0.0.1:" + port, "sh", "-c",
            "exec \"$0\" -cp target/classes ftp.Main -o -c \"$1\" 0<&3", TestServer.java(), cfg.toString())
            .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            FTPClient c = TestServer.client(port);          // waits (bounded) until it serves
            assertThat(c.sendNoOp()).isTrue();
            c.disconnect();
            assertThat(Files.readString(out)).contains("inherited from systemd");
            // SIGTERM (systemd-socket-activate exec'd sh, sh exec'd java)
            p.destroy();
            assertThat(p.waitFor(15, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(Files.readString(out)).isZero();
            assertThat(Files.readString(out)).contains("SIGTERM").contains("stopped");
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void listenFdsWithoutASocketOnStdinIsAUsageError() throws Exception {
        Path cfg = TestServer.configFile(tmp, "port=0");
        TestServer.Exit e = TestServer.runMain(tmp, Map.of("LISTEN_FDS", "1"), "-o", "-c", cfg.toString());
        assertThat(e.code()).as(e.err()).isEqualTo(2);
        assertThat(e.err()).contains("StandardInput=socket");
    }

    @Test
    void systemdUnitsVerify() throws Exception {
        assumeTrue(TestServer.onPath("systemd-analyze"), "systemd-analyze (Debian's systemd) is not installed");
        // The units run the installed launcher: where it isn't installed, that it is missing is all
        // systemd-analyze may say (src/test/package/run.sh verifies the installed units).
        String launcher = "/opt/ftp-server/bin/ftp-server";
        boolean installed = Files.isExecutable(Path.of(launcher));
        for (String unit : new String[] {"ftp-server.service", "ftp-server.socket", "ftp-server-activated.service"}) {
            Process p = new ProcessBuilder("systemd-analyze", "verify", "--man=no", "src/main/systemd/" + unit)
                .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            int exit = p.waitFor();
            String missing = "Command " + launcher + " is not executable: No such file or directory";
            boolean onlyLauncherMissing = !installed && !out.isBlank()
                && out.lines().allMatch(l -> l.endsWith(missing));
            if (!onlyLauncherMissing) assertThat(exit).as(unit + ": " + out).isZero();
            assertThat(out).as(unit).doesNotContainIgnoringCase("unknown").doesNotContainIgnoringCase("invalid");
        }
    }
}
