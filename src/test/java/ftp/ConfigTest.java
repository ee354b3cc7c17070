package ftp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.net.ftp.FTPClient;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The configuration: a bad value is one message naming its key (also for --check-config and at
 * start-up), defaults and the built-in file, the command line's exit codes, --check-config's checks
 * of what start-up needs (ports, log files and homes as the service's user would meet them, the
 * TLS pair; nothing created), the quick share of --root, --write and --user, and the README's
 * table of keys, which must match Config's key table both ways.
 */
class ConfigTest {
    @TempDir Path tmp;

    Properties base() {
        Properties p = new Properties();
        p.setProperty("user.a.password", "x");
        p.setProperty("user.a.home", tmp.toString());
        return p;
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "prot|1|prot", "port|abc|port", "port|70000|port", "passive.ports|10-20|passive.ports",
        "passive.ports|5-x|passive.ports",
        "idle.timeout|-1|idle.timeout", "max.connections|0|max.connections", "anonymous|maybe|anonymous",
        "max.upload.size|12Q|max.upload.size", "user.a.write|perhaps|user.a.write", "user.b.home|/tmp|user.b.password",
        "user.a.password|pbkdf2-sha256:1:zz|user.a.password", "user.a.home|/no/such/dir|user.a.home",
        "tls.required|true|tls.certificate", "tls.certificate|/no/such.pem|tls.certificate",
        "tls.protocols|SSLv2|tls.protocols",
        "rate.download|fast|rate.download", "user.a.quota|lots|user.a.quota"})
    void badValuesNameTheirKey(String key, String value, String named) {
        Properties p = base();
        p.setProperty(key, value);
        assertThatThrownBy(() -> Config.parse(p, "t")).isInstanceOf(Keys.Bad.class)
            .hasMessageStartingWith(named + ":");
    }

    @Test
    void goodValuesAndDefaults() throws Exception {
        Properties p = base();
        p.setProperty("max.upload.size", "10M");
        p.setProperty("idle.timeout", "0.5");
        p.setProperty("passive.ports", "50000-50100");
        p.setProperty("user.a.rate.download", "100");
        Config c = Config.parse(p, "t");
        assertThat(c.limits().uploadSize()).isEqualTo(10 << 20);
        assertThat(c.limits().idle().toMillis()).isEqualTo(500);
        assertThat(c.passive().min()).isEqualTo(50000);
        assertThat(c.users().named().get("a").rateDownload()).isEqualTo(102_400);
        assertThat(c.listen().port()).isEqualTo(2121);
        assertThat(c.users().anonymous()).isNull();
        Config e = Config.parse(Config.builtIn(), "built-in");
        assertThat(e.listen().port()).isEqualTo(2121);
        assertThat(e.users().anonymous()).isNotNull();
        assertThat(e.users().anonymous().write()).isFalse();
        assertThat(e.users().anonymous().home()).isEqualTo(Path.of(".").toAbsolutePath().normalize());
        assertThat(e.users().named()).isEmpty();
    }

    @Test
    void commandLine() throws Exception {
        assertThat(Main.run(new String[] {"--bogus"})).isEqualTo(2);
        assertThat(Main.run(new String[] {"-p", "abc"})).isEqualTo(2);
        assertThat(Main.run(new String[] {"-p"})).isEqualTo(2);
        assertThat(Main.run(new String[] {"-c", tmp.resolve("missing.properties").toString()})).isEqualTo(2);
        Path bad = Files.writeString(tmp.resolve("bad.properties"), "port=x\n");
        assertThat(Main.run(new String[] {"-c", bad.toString(), "--check-config"})).isEqualTo(2);
        Path good = Files.writeString(tmp.resolve("good.properties"),
            "user.a.password=topsecret\nuser.a.home=" + tmp + "\n");
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true));
        try {
            assertThat(Main.run(new String[] {"-c", good.toString(), "--check-config"})).isEqualTo(0);
            assertThat(Main.run(new String[] {"-h"})).isEqualTo(0);
        } finally {
            System.setOut(old);
        }
        assertThat(out.toString()).contains("config OK").contains("user.a.password=********")
            .doesNotContain("topsecret").contains("usage:");
    }

    @Test
    void logFilesInMissingFoldersAreConfigErrors() throws Exception {
        String missing = tmp.resolve("no-such-dir").resolve("x.log").toString();
        Properties transfers = base(), events = base();
        transfers.setProperty("transfer.log", missing);
        events.setProperty("log.file", missing);
        assertThatThrownBy(() -> Config.parse(transfers, "t")).isInstanceOf(Keys.Bad.class)
            .hasMessageStartingWith("transfer.log:");
        assertThatThrownBy(() -> Config.parse(events, "t")).isInstanceOf(Keys.Bad.class)
            .hasMessageStartingWith("log.file:");
        Path cfg = TestServer.configFile(tmp, "port=0", "transfer.log=" + missing);
        TestServer.Exit e = TestServer.runMain(tmp, Map.of(), "-c", cfg.toString());
        assertThat(e.code()).as(e.err()).isEqualTo(2);
        assertThat(e.err()).contains("transfer.log");
    }

    // ---- --check-config: what start-up would meet, one line per problem naming its key ----

    /** The lines of a --check-config that found problems, "ftp-server: config: KEY: …", without the prefix. */
    static List<String> problems(TestServer.Exit e) {
        assertThat(e.code()).as("exit code; stderr: %s", e.err()).isEqualTo(2);
        assertThat(e.out()).doesNotContain("config OK");
        List<String> lines = e.err().lines().toList();
        assertThat(lines).allSatisfy(l -> assertThat(l).startsWith("ftp-server: config: "));
        return lines.stream().map(l -> l.substring("ftp-server: config: ".length())).toList();
    }

    static TestServer.Exit check(List<String> as, Path dir, Path cfg) throws Exception {
        return TestServer.runMain(as, dir, Map.of(), "-c", cfg.toString(), "--check-config");
    }

    @Test
    void checkConfigNamesEachPortInUse() throws Exception {
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        try (ServerSocket plain = new ServerSocket(0, 1, loopback);
             ServerSocket implicit = new ServerSocket(0, 1, loopback)) {
            Path cfg = TestServer.configFile(tmp, "port=" + plain.getLocalPort(),
                "tls.implicit.port=" + implicit.getLocalPort(), "tls.certificate=" + TlsClient.res("rsa-a.crt"),
                "tls.key=" + TlsClient.res("rsa-a.key"));
            List<String> p = problems(check(List.of(), tmp, cfg));
            assertThat(p).hasSize(2);
            assertThat(p.get(0)).startsWith("port: 127.0.0.1 port " + plain.getLocalPort() + " is in use");
            assertThat(p.get(1))
                .startsWith("tls.implicit.port: 127.0.0.1 port " + implicit.getLocalPort() + " is in use");
        }
    }

    @Test
    void checkConfigNamesAnAddressThatIsNotThisMachines() throws Exception {
        Path sysctl = Path.of("/proc/sys/net/ipv4/ip_nonlocal_bind");
        Assumptions.assumeFalse(Files.exists(sysctl) && Files.readAllLines(sysctl).equals(List.of("1")),
            "ip_nonlocal_bind=1: any address can be bound here");
        Path cfg = TestServer.configFile(tmp, "port=0", "address=192.0.2.1");           // TEST-NET-1 (RFC 5737)
        assertThat(problems(check(List.of(), tmp, cfg)))
            .containsExactly("address: 192.0.2.1 is not an address of this machine");
        Files.writeString(cfg, Files.readString(cfg).replace("address=192.0.2.1", "address=no-such-host.invalid"));
        assertThat(problems(check(List.of(), tmp, cfg)))                          // RFC 6761 §6.4: never resolves
            .containsExactly("address: not an address of this machine: 'no-such-host.invalid'");
    }

    /** One problem, one line: an address that isn't this machine's is named once, not once per port on it. */
    @Test
    void checkConfigNamesAForeignAddressOnceWhateverThePortsOnIt() throws Exception {
        Path sysctl = Path.of("/proc/sys/net/ipv4/ip_nonlocal_bind");
        Assumptions.assumeFalse(Files.exists(sysctl) && Files.readAllLines(sysctl).equals(List.of("1")),
            "ip_nonlocal_bind=1: any address can be bound here");
        Path cfg = TestServer.configFile(tmp, "port=0", "address=192.0.2.1", "tls.implicit.port=0",
            "tls.certificate=" + TlsClient.res("rsa-a.crt"), "tls.key=" + TlsClient.res("rsa-a.key"));
        assertThat(problems(check(List.of(), tmp, cfg)))
            .containsExactly("address: 192.0.2.1 is not an address of this machine");
    }

    /** As the service's user would meet them: root may write anything, so this runs as nobody. */
    @Test
    void checkConfigAsAnotherUserNamesLogFilesItCantAppendTo() throws Exception {
        List<String> nobody = TestServer.asNobody();
        TestServer.openToAll(tmp);
        Path logs = Files.createDirectory(tmp.resolve("logs"));                        // root's, rwxr-xr-x
        Path events = Files.writeString(logs.resolve("ftp.log"), "kept\n");            // root's, rw-r--r--
        Path transfers = Files.writeString(logs.resolve("xferlog"), "kept\n");
        Path cfg = TestServer.configFile(tmp, "port=0", "log.file=" + events, "transfer.log=" + transfers,
            "user.u.write=false");
        List<String> p = problems(check(nobody, tmp, cfg));
        assertThat(p).hasSize(2);
        assertThat(p.get(0)).startsWith("log.file: " + events + " is not writable by this user");
        assertThat(p.get(1)).startsWith("transfer.log: " + transfers + " is not writable by this user");

        Files.delete(events);
        Files.delete(transfers);
        p = problems(check(nobody, tmp, cfg));
        assertThat(p).hasSize(2);
        assertThat(p.get(0)).startsWith("log.file: " + logs + " is not writable, so ftp.log can't be made by this");
        assertThat(p.get(1)).startsWith("transfer.log: " + logs + " is not writable, so xferlog can't be made");

        // the control: a folder nobody may write is fine, and the check makes no file in it
        Files.setPosixFilePermissions(logs, PosixFilePermissions.fromString("rwxrwxrwx"));
        TestServer.Exit ok = check(nobody, tmp, cfg);
        assertThat(ok.code()).as(ok.err()).isZero();
        try (var left = Files.list(logs)) {
            assertThat(left).isEmpty();
        }
    }

    /**
     * The first-day mistake: port 21 for a service user (here 1000, which nobody can't bind either).
     * Files.readAllLines: /proc files have size 0, and Files.readString of one may return a part.
     */
    @Test
    void checkConfigAsAnotherUserNamesAPrivilegedPort() throws Exception {
        List<String> nobody = TestServer.asNobody();
        Path start = Path.of("/proc/sys/net/ipv4/ip_unprivileged_port_start");
        Assumptions.assumeTrue(Files.exists(start) && Integer.parseInt(Files.readAllLines(start).get(0).strip()) > 1000,
            "ports below 1024 are not privileged here");
        TestServer.openToAll(tmp);
        Path cfg = TestServer.configFile(tmp, "port=1000", "user.u.write=false");
        assertThat(problems(check(nobody, tmp, cfg))).containsExactly("port: 127.0.0.1 port 1000 needs root, "
            + "CAP_NET_BIND_SERVICE or socket activation (README: Deploy on a VPS)");
    }

    @Test
    void checkConfigAsAnotherUserNamesHomesItCantReadOrWrite() throws Exception {
        List<String> nobody = TestServer.asNobody();
        TestServer.openToAll(tmp);
        Path anon = Files.createDirectory(tmp.resolve("anon"), PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rwx------")));
        Path readOnly = Files.createDirectory(tmp.resolve("w"));                        // root's, rwxr-xr-x
        Path cfg = TestServer.configFile(tmp, "port=0", "anonymous=true", "anonymous.home=" + anon,
            "user.w.password=p", "user.w.home=" + readOnly, "user.w.write=true");
        Path home = tmp.resolve("home");
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
        assertThat(problems(check(nobody, tmp, cfg))).containsExactly(
            "anonymous.home: " + anon + " can't be read by this user",
            "user.u.home: " + home + " can't be read by this user",
            "user.w.home: " + readOnly + " can't be written by this user, but user.w.write is true");
        // the control: root reads and writes them all
        TestServer.Exit asRoot = check(List.of(), tmp, cfg);
        assertThat(asRoot.code()).as(asRoot.err()).isZero();
    }

    @Test
    void checkConfigNamesAKeyThatDoesNotBelongToTheCertificate() throws Exception {
        Path cfg = TestServer.configFile(tmp, "port=0", "tls.certificate=" + TlsClient.res("rsa-a.crt"),
            "tls.key=" + TlsClient.res("rsa-b.key"));
        assertThat(problems(check(List.of(), tmp, cfg)))
            .containsExactly("tls.key: does not belong to the certificate in tls.certificate");
    }

    @Test
    void checkConfigShowsThatTheGlobalTlsRuleCoversEveryUser() throws Exception {
        Path cfg = TestServer.configFile(tmp, "port=0", "tls.certificate=" + TlsClient.res("rsa-a.crt"),
            "tls.key=" + TlsClient.res("rsa-a.key"), "tls.required=true");
        TestServer.Exit e = check(List.of(), tmp, cfg);
        assertThat(e.code()).as(e.err()).isZero();
        assertThat(e.err()).isEmpty();
        assertThat(e.out().lines()).contains("config OK: " + cfg, "tls.required=true", "user.u.tls.required=true",
            "user.u.password=********");
    }

    /** A file made by the check would belong to whoever ran it (root, say) and the service couldn't append to it. */
    @Test
    void checkConfigCreatesNothing() throws Exception {
        Path logs = Files.createDirectory(tmp.resolve("logs"));
        Path events = logs.resolve("ftp.log"), transfers = logs.resolve("xferlog");
        Path cfg = TestServer.configFile(tmp, "port=0", "log.file=" + events, "transfer.log=" + transfers);
        TestServer.Exit e = check(List.of(), tmp, cfg);
        assertThat(e.code()).as(e.err()).isZero();
        assertThat(e.out().lines()).contains("log.file=" + events, "transfer.log=" + transfers);
        assertThat(events).doesNotExist();
        assertThat(transfers).doesNotExist();
        try (var left = Files.list(logs)) {
            assertThat(left).isEmpty();
        }
    }

    // ---- a quick share from the command line ----

    /** ftp.Main serving a quick share: its process and its log (standard output). */
    record Share(Process process, Path log) implements AutoCloseable {
        @Override public void close() {
            process.destroy();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process.destroyForcibly();
        }
    }

    /**
     * ftp.Main with {@code options} over a config that holds only the built-in default's anonymous
     * share, but on loopback (the built-in listens on every interface).
     */
    Share share(int port, String... options) throws Exception {
        Path dir = Files.createTempDirectory(tmp, "share");
        Path cfg = Files.writeString(dir.resolve("ftp.properties"),
            "address=127.0.0.1\nanonymous=true\nlogin.failure.delay=0\n");
        List<String> args = new ArrayList<>(List.of("-o", "-c", cfg.toString(), "-p", Integer.toString(port)));
        args.addAll(List.of(options));
        return new Share(TestServer.startMain(dir, List.of(), Map.of(), args.toArray(String[]::new)),
            dir.resolve("out.log"));
    }

    @Test
    void rootAndWriteLetAnonymousUsersWriteAndTheLogSaysSoLoudly() throws Exception {
        Path shared = Files.createDirectory(tmp.resolve("shared"));
        int port = TestServer.freePort();
        try (Share s = share(port, "--root", shared.toString(), "--write")) {
            FTPClient c = TestServer.connected(port);
            assertThat(c.login("anonymous", "guest@example.org")).isTrue();
            c.enterLocalPassiveMode();
            assertThat(c.storeFile("up.txt", new ByteArrayInputStream("dropped".getBytes()))).as(c.getReplyString())
                .isTrue();
            c.disconnect();
            assertThat(Files.readString(shared.resolve("up.txt"))).isEqualTo("dropped");
            assertThat(TestServer.awaitLog(s.log(), "WARNING ANONYMOUS USERS MAY WRITE, DELETE AND RENAME in "
                + shared))
                .contains("anonymous users get " + shared + " (read-write)");
        }
    }

    @Test
    void rootAloneSharesReadOnly() throws Exception {
        Path shared = Files.createDirectory(tmp.resolve("shared"));
        Files.writeString(shared.resolve("pub.txt"), "public");
        int port = TestServer.freePort();
        try (Share s = share(port, "--root", shared.toString())) {
            FTPClient c = TestServer.connected(port);
            assertThat(c.login("anonymous", "guest@example.org")).isTrue();
            c.enterLocalPassiveMode();
            assertThat(new String(TestServer.retrieve(c, "pub.txt"))).isEqualTo("public");
            assertThat(c.storeFile("up.txt", new ByteArrayInputStream("x".getBytes()))).isFalse();
            assertThat(c.getReplyCode()).isEqualTo(550);
            c.disconnect();
            assertThat(TestServer.awaitLog(s.log(), "anonymous users get " + shared + " (read-only)"))
                .doesNotContain("MAY WRITE");
        }
    }

    /** --user replaces anonymous; bob writes only when --write is also given. */
    @ParameterizedTest(name = "--write {0}")
    @ValueSource(booleans = {false, true})
    void userSharesForOneNamedUserWhoWritesOnlyWithWrite(boolean write) throws Exception {
        Path shared = Files.createDirectory(tmp.resolve("shared"));
        int port = TestServer.freePort();
        List<String> options = new ArrayList<>(List.of("--user", "bob:pw", "--root", shared.toString()));
        if (write) options.add("--write");
        try (Share s = share(port, options.toArray(String[]::new))) {
            FTPClient anon = TestServer.connected(port);
            assertThat(anon.login("anonymous", "guest@example.org")).isFalse();
            assertThat(anon.getReplyCode()).isEqualTo(530);
            anon.disconnect();
            FTPClient bob = TestServer.connected(port);
            assertThat(bob.login("bob", "pw")).as(bob.getReplyString()).isTrue();
            bob.enterLocalPassiveMode();
            assertThat(bob.storeFile("bob.txt", new ByteArrayInputStream("mine".getBytes())))
                .as(bob.getReplyString()).isEqualTo(write);
            assertThat(bob.getReplyCode()).isEqualTo(write ? 226 : 550);
            bob.disconnect();
            assertThat(Files.exists(shared.resolve("bob.txt"))).isEqualTo(write);
            assertThat(TestServer.awaitLog(s.log(), "login ok: user 'bob'")).doesNotContain("ANONYMOUS");
        }
    }

    /**
     * README.md's configuration table (rows "| `key` | default | meaning |", several keys to a row
     * allowed) names every Keys.Key, every Keys.UserKey as user.NAME.key and every Keys.HostKey as
     * tls.NAME.key, and nothing else.
     */
    @Test
    void theReadmeTableNamesExactlyTheConfigKeys() throws Exception {
        List<String> readme = Files.readAllLines(Path.of("README.md"));
        int header = readme.indexOf("| key | default | meaning |");
        assertThat(header).as("the header of the configuration table in README.md").isNotNegative();
        Set<String> documented = new TreeSet<>();
        Pattern quoted = Pattern.compile("`([^`]+)`");
        for (int i = header + 2; i < readme.size() && readme.get(i).startsWith("| `"); i++) {
            Matcher m = quoted.matcher(readme.get(i).split("\\|")[1]);
            while (m.find()) documented.add(m.group(1));
        }
        Set<String> keys = new TreeSet<>();
        for (Keys.Key k : Keys.Key.values()) keys.add(k.name);
        for (Keys.UserKey k : Keys.UserKey.values()) keys.add("user.NAME." + k.name);
        for (Keys.HostKey k : Keys.HostKey.values()) keys.add("tls.NAME." + k.name);
        Set<String> undocumented = new TreeSet<>(keys), unknown = new TreeSet<>(documented);
        undocumented.removeAll(documented);
        unknown.removeAll(keys);
        assertThat(undocumented).as("Config keys missing from README.md's table").isEmpty();
        assertThat(unknown).as("keys in README.md's table that Config doesn't know").isEmpty();
        assertThat(documented).hasSameSizeAs(keys);
    }
}
