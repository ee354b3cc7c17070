package ftp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.commons.net.ftp.FTPClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Running on a VPS (issue 5): socket activation, graceful stop, xferlog, rates, quotas, reload, NAT, IPv6. */
class VpsTest {
    @TempDir Path tmp;

    static String java() { return Path.of(System.getProperty("java.home"), "bin", "java").toString(); }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static boolean onPath(String tool) {
        for (String d : System.getenv("PATH").split(":")) if (Files.isExecutable(Path.of(d, tool))) return true;
        return false;
    }

    Path config(String... lines) throws IOException {
        Files.createDirectories(tmp.resolve("home"));
        String base = "address=127.0.0.1\nuser.u.password=p\nuser.u.home=" + tmp.resolve("home") + "\nuser.u.write=true\n";
        return Files.writeString(tmp.resolve("ftp.properties"), base + String.join("\n", lines) + "\n");
    }

    static FTPClient client(int port) throws IOException {
        FTPClient c = new FTPClient();
        c.setDefaultTimeout(10_000);
        for (int i = 0; ; i++) {
            try {
                c.connect("127.0.0.1", port);
                break;
            } catch (IOException notYet) {
                if (i == 100) throw notYet;
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
            }
        }
        c.setSoTimeout(10_000);
        assertThat(c.login("u", "p")).isTrue();
        c.setFileType(FTPClient.BINARY_FILE_TYPE);
        c.enterLocalPassiveMode();
        return c;
    }

    @Test
    void socketActivationServesTheInheritedSocket() throws Exception {
        assumeTrue(onPath("systemd-socket-activate"), "systemd-socket-activate (Debian's systemd) is not installed");
        int port = freePort();
        Path cfg = config();
        Files.writeString(tmp.resolve("home/hello.txt"), "activated");
        Process p = new ProcessBuilder("systemd-socket-activate", "-l", "127.0.0.1:" + port, "sh", "-c",
            "exec \"$0\" -cp target/classes ftp.Main -o -c \"$1\" 0<&3", java(), cfg.toString())
            .redirectErrorStream(true).redirectOutput(tmp.resolve("out.log").toFile()).start();
        try {
            FTPClient c = client(port);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertThat(c.retrieveFile("hello.txt", out)).isTrue();
            assertThat(out.toString()).isEqualTo("activated");
            c.disconnect();
            assertThat(Files.readString(tmp.resolve("out.log"))).contains("inherited from systemd");
        } finally {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void sigtermLetsTransfersFinishThenExitsZero() throws Exception {
        int port = freePort();
        Path cfg = config("port=" + port, "shutdown.grace=20");
        Files.write(tmp.resolve("home/big"), new byte[8 << 20]);
        Process p = new ProcessBuilder(java(), "-cp", "target/classes", "ftp.Main", "-o", "-c", cfg.toString())
            .redirectErrorStream(true).redirectOutput(tmp.resolve("out.log").toFile()).start();
        try {
            client(port).disconnect();                                   // wait until it listens
            RawClient idle = new RawClient("127.0.0.1", port).login("u", "p");
            try (RawClient r = new RawClient("127.0.0.1", port).login("u", "p")) {
                r.cmd("TYPE I");
                String pasv = r.cmd("PASV");
                try (Socket d = new Socket("127.0.0.1", HardeningTest.pasvPort(pasv))) {
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

    @Test
    void xferlogRatesQuotaAndReload() throws Exception {
        Path cfg = config("port=0", "transfer.log=" + tmp.resolve("xferlog"), "rate.download=512", "user.u.quota=3000");
        try (FtpServer server = new FtpServer(Config.load(cfg), cfg, () -> Config.load(cfg).users()).start()) {
            Files.write(tmp.resolve("home/one-mib"), new byte[1 << 20]);
            Files.delete(tmp.resolve("home/one-mib"));
            FTPClient f = client(server.port());
            // quota: 3000 bytes for the whole home
            assertThat(f.storeFile("a", new ByteArrayInputStream(new byte[2000]))).isTrue();
            assertThat(f.storeFile("b", new ByteArrayInputStream(new byte[2000]))).isFalse();
            assertThat(f.getReplyCode()).isEqualTo(552);
            assertThat(Files.exists(tmp.resolve("home/b"))).isFalse();
            assertThat(f.storeFile("a", new ByteArrayInputStream(new byte[2900]))).isTrue();   // replacing frees the old size
            // rate.download=512 KiB/s: 1 MiB can't arrive in much under 2 s
            Files.write(tmp.resolve("home/m"), new byte[1 << 20]);
            long t0 = System.nanoTime();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertThat(f.retrieveFile("m", out)).isTrue();
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertThat(out.size()).isEqualTo(1 << 20);
            assertThat(seconds).isGreaterThan(1.8);
            // xferlog(5): time, seconds, host, bytes, name, type, flag, direction, mode, user, service, auth, id, status
            List<String> log = Files.readAllLines(tmp.resolve("xferlog"));
            assertThat(log).anySatisfy(l -> assertThat(l).matches(
                "\\w{3} \\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\d{4} \\d+ 127\\.0\\.0\\.1 1048576 /m b _ o r u ftp 0 \\* c"));
            assertThat(log).anySatisfy(l -> assertThat(l).contains(" /a b _ i r u ftp 0 * c"));
            // reload: a new user logs in, the old session stays
            Files.writeString(cfg, Files.readString(cfg).replace("user.u.", "user.v.") + "user.u.password=p\nuser.u.home=" + tmp.resolve("home") + "\n");
            Files.setLastModifiedTime(cfg, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));
            Thread.sleep(1100);
            FTPClient v = new FTPClient();
            v.connect("127.0.0.1", server.port());
            assertThat(v.login("v", "p")).isTrue();
            v.disconnect();
            assertThat(f.sendNoOp()).isTrue();
            f.disconnect();
        }
    }

    @Test
    void passiveAddressMayBeAHostName() throws Exception {
        try (TestServer s = TestServer.start(tmp, "passive.address", "localhost"); RawClient r = s.raw().login("alice", "secret")) {
            assertThat(r.cmd("PASV")).contains("(127,0,0,1,");
        }
    }

    @Test
    void ipv6ControlAndDataConnections() throws Exception {
        InetAddress v6;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("::1"))) {
            v6 = probe.getInetAddress();
        } catch (IOException e) {
            assumeTrue(false, "no IPv6 loopback here");
            return;
        }
        try (TestServer s = TestServer.start(tmp, "address", "::")) {
            Files.writeString(s.home.resolve("six"), "over IPv6");
            FTPClient c = new FTPClient();
            c.connect(v6, s.port());
            assertThat(c.login("alice", "secret")).isTrue();
            c.enterLocalPassiveMode();                       // commons-net uses EPSV on IPv6
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertThat(c.retrieveFile("six", out)).isTrue();
            assertThat(out.toString()).isEqualTo("over IPv6");
            c.enterLocalActiveMode();                        // EPRT |2|::1|port|
            out.reset();
            assertThat(c.retrieveFile("six", out)).isTrue();
            assertThat(out.toString()).isEqualTo("over IPv6");
            assertThat(c.sendCommand("PASV")).isEqualTo(425);
            assertThat(c.sendCommand("EPSV 1")).isEqualTo(522);
            c.disconnect();
            FTPClient v4 = new FTPClient();                  // the same listener serves IPv4 (dual stack)
            v4.connect("127.0.0.1", s.port());
            assertThat(v4.login("alice", "secret")).isTrue();
            v4.enterLocalActiveMode();
            out.reset();
            assertThat(v4.retrieveFile("six", out)).isTrue();
            v4.disconnect();
        }
    }

    @Test
    void systemdUnitsVerify() throws Exception {
        assumeTrue(onPath("systemd-analyze"), "systemd-analyze (Debian's systemd) is not installed");
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
            boolean onlyLauncherMissing = !installed && !out.isBlank() && out.lines().allMatch(l -> l.endsWith(missing));
            if (!onlyLauncherMissing) assertThat(exit).as(unit + ": " + out).isZero();
            assertThat(out).as(unit).doesNotContainIgnoringCase("unknown").doesNotContainIgnoringCase("invalid");
        }
    }
}
