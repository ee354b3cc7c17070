package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.net.ftp.FTPClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The login and write-right gates: every record of the sealed Command type (found by walking the
 * permitted subclasses) passes the same checks, and a read-only user changes nothing. A new
 * record without a sample line here fails the test.
 */
class RightsTest {
    @TempDir Path tmp;

    static final Map<String, String> SAMPLES = Map.ofEntries(
        Map.entry("User", "USER x"), Map.entry("Pass", "PASS x"), Map.entry("Acct", "ACCT x"), Map.entry("Rein", "REIN"),
        Map.entry("Quit", "QUIT"), Map.entry("Host", "HOST h"), Map.entry("Auth", "AUTH TLS"), Map.entry("Pbsz", "PBSZ 0"),
        Map.entry("Prot", "PROT P"), Map.entry("Ccc", "CCC"), Map.entry("Cwd", "CWD d"), Map.entry("Cdup", "CDUP"),
        Map.entry("Pwd", "PWD"), Map.entry("Mkd", "MKD newdir"), Map.entry("Rmd", "RMD d"), Map.entry("Dele", "DELE f"),
        Map.entry("Rnfr", "RNFR f"), Map.entry("Rnto", "RNTO g"), Map.entry("Size", "SIZE f"), Map.entry("Mdtm", "MDTM f"),
        Map.entry("Mfmt", "MFMT 20000101000000 f"), Map.entry("SiteChmod", "SITE CHMOD 777 f"), Map.entry("SiteHelp", "SITE HELP"),
        Map.entry("Type", "TYPE I"), Map.entry("Mode", "MODE S"), Map.entry("Stru", "STRU F"), Map.entry("Allo", "ALLO 1"),
        Map.entry("Rest", "REST 0"), Map.entry("Pasv", "PASV"), Map.entry("Epsv", "EPSV"), Map.entry("Port", "PORT 127,0,0,1,200,1"),
        Map.entry("Retr", "RETR f"), Map.entry("Stor", "STOR f"), Map.entry("Stou", "STOU"), Map.entry("ListDir", "LIST"),
        Map.entry("Nlst", "NLST"), Map.entry("Mlsd", "MLSD"), Map.entry("Mlst", "MLST f"), Map.entry("Abor", "ABOR"),
        Map.entry("Noop", "NOOP"), Map.entry("Syst", "SYST"), Map.entry("Stat", "STAT"), Map.entry("StatPath", "STAT /"), Map.entry("Help", "HELP"),
        Map.entry("Feat", "FEAT"), Map.entry("OptsUtf8", "OPTS UTF8 ON"), Map.entry("OptsMlst", "OPTS MLST type;"),
        Map.entry("Unknown", "XYZ"), Map.entry("Malformed", "RETR"), Map.entry("Refused", "TYPE E"));

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
