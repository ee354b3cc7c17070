package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.net.ftp.FTPClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The login and write-right gates: every record of the sealed Command type (found by walking the
 * permitted subclasses) passes the same checks, and a read-only user changes nothing. A new
 * record without a sample line (CommandTest.SAMPLES) fails the test.
 */
class RightsTest {
    @TempDir Path tmp;

    /** A line for every record: the first of CommandTest.SAMPLES that makes it, and three lines that are no command. */
    static final Map<String, String> SAMPLES = samples();

    private static Map<String, String> samples() {
        Map<String, String> m = new HashMap<>(Map.of("Unknown", "XYZ", "Malformed", "RETR", "Refused", "TYPE E"));
        for (String line : CommandTest.SAMPLES) m.putIfAbsent(Command.parse(line).getClass().getSimpleName(), line);
        return m;
    }

    static List<Class<?>> all() { return CommandTest.records(); }

    @Test
    void everyRecordHasASample() {
        assertThat(all()).hasSizeGreaterThan(45);
        for (Class<?> r : all()) {
            assertThat(SAMPLES).as("sample line for " + r.getSimpleName()).containsKey(r.getSimpleName());
            assertThat(Command.parse(SAMPLES.get(r.getSimpleName()))).as(r.getSimpleName()).isInstanceOf(r);
        }
    }

    @Test
    void loggedOutEveryVerbThatNeedsLoginGets530() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw()) {
            r.reply();
            for (Class<?> rec : all()) {
                if (rec == Command.Quit.class || rec == Command.Rein.class) continue;
                Command c = Command.parse(SAMPLES.get(rec.getSimpleName()));
                String reply = r.cmd(SAMPLES.get(rec.getSimpleName()));
                if (c.needsLogin()) assertThat(reply).as(rec.getSimpleName()).startsWith("530");
                else assertThat(reply).as(rec.getSimpleName()).doesNotStartWith("530");
                if (rec == Command.User.class) r.cmd("REIN");                // leave no pending USER
            }
        }
    }

    @Test
    void readOnlyUserGets550ForEveryWriteVerbAndNothingChanges() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("bob", "pw")) {
            Files.writeString(s.bobHome.resolve("f"), "f");
            Files.createDirectory(s.bobHome.resolve("d"));
            Map<String, String> before = snapshot(s.bobHome);
            List<String> writes = new ArrayList<>();
            for (Class<?> rec : all()) {
                if (!Command.Write.class.isAssignableFrom(rec)) continue;
                writes.add(rec.getSimpleName());
                r.cmd("PASV");
                assertThat(r.cmd(SAMPLES.get(rec.getSimpleName()))).as(rec.getSimpleName()).startsWith("550");
            }
            assertThat(writes).contains("Stor", "Stou", "Dele", "Mkd", "Rmd", "Rnfr", "Rnto", "Mfmt", "SiteChmod");
            assertThat(snapshot(s.bobHome)).isEqualTo(before);
        }
    }

    @Test
    void readOnlyUserCannotWriteAndNothingChanges() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            Files.writeString(s.bobHome.resolve("keep"), "k");
            FTPClient b = s.login("bob", "pw");
            assertThat(b.storeFile("new", new ByteArrayInputStream("x".getBytes()))).isFalse();
            assertThat(b.getReplyCode()).isEqualTo(550);
            assertThat(b.deleteFile("keep")).isFalse();
            assertThat(b.makeDirectory("d")).isFalse();
            assertThat(b.rename("keep", "k2")).isFalse();
            try (var files = Files.list(s.bobHome)) {
                assertThat(files.map(p -> p.getFileName().toString())).containsExactly("keep");
            }
            assertThat(new String(TestServer.retrieve(b, "keep"))).isEqualTo("k");
            b.disconnect();
        }
    }

    static Map<String, String> snapshot(Path root) throws Exception {
        Map<String, String> m = new TreeMap<>();
        try (var files = Files.walk(root)) {
            for (Path p : files.toList())
                m.put(root.relativize(p).toString(), Files.isDirectory(p) ? "dir" : Files.readString(p)
                    + "@" + Files.getLastModifiedTime(p) + Files.getPosixFilePermissions(p));
        }
        return m;
    }
}
