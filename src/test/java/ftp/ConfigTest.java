package ftp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The configuration: a bad value is one message naming its key (also for --check-config and at
 * start-up), defaults and the built-in file, the command line's exit codes, and the README's
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
        assertThatThrownBy(() -> Config.parse(p, "t")).isInstanceOf(Config.Bad.class)
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
        assertThatThrownBy(() -> Config.parse(transfers, "t")).isInstanceOf(Config.Bad.class)
            .hasMessageStartingWith("transfer.log:");
        assertThatThrownBy(() -> Config.parse(events, "t")).isInstanceOf(Config.Bad.class)
            .hasMessageStartingWith("log.file:");
        Path cfg = TestServer.configFile(tmp, "port=0", "transfer.log=" + missing);
        TestServer.Exit e = TestServer.runMain(tmp, Map.of(), "-c", cfg.toString());
        assertThat(e.code()).as(e.err()).isEqualTo(2);
        assertThat(e.err()).contains("transfer.log");
    }

    /**
     * README.md's configuration table (rows "| `key` | default | meaning |", several keys to a row
     * allowed) names every Config.Key, every Config.UserKey as user.NAME.key and every Config.HostKey as
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
        for (Config.Key k : Config.Key.values()) keys.add(k.name);
        for (Config.UserKey k : Config.UserKey.values()) keys.add("user.NAME." + k.name);
        for (Config.HostKey k : Config.HostKey.values()) keys.add("tls.NAME." + k.name);
        Set<String> undocumented = new TreeSet<>(keys), unknown = new TreeSet<>(documented);
        undocumented.removeAll(documented);
        unknown.removeAll(keys);
        assertThat(undocumented).as("Config keys missing from README.md's table").isEmpty();
        assertThat(unknown).as("keys in README.md's table that Config doesn't know").isEmpty();
        assertThat(documented).hasSameSizeAs(keys);
    }
}
