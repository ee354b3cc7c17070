package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.logging.LogRecord;
import java.util.regex.Pattern;
import org.apache.commons.net.ftp.FTPClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file verbs of the control connection (Home): CWD CDUP PWD MKD RMD DELE RNFR RNTO and their X
 * aliases, SIZE MDTM (RFC 3659), MFMT, SITE CHMOD; the home itself, which none of them may
 * remove, rename or change; and the audit trail: one log line per change, done or refused with its
 * cause (the jail's, the operating system's).
 */
class FileCommandTest {
    @TempDir Path tmp;

    @Test
    void directoriesAndRenames() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            FTPClient c = s.alice();
            assertThat(c.makeDirectory("d1")).isTrue();
            assertThat(c.getReplyString()).startsWith("257 \"/d1\"");
            assertThat(Files.isDirectory(s.home.resolve("d1"))).isTrue();
            assertThat(c.sendCommand("XMKD d1/sub")).isEqualTo(257);
            assertThat(c.changeWorkingDirectory("d1/sub")).isTrue();
            assertThat(c.printWorkingDirectory()).isEqualTo("/d1/sub");
            assertThat(c.sendCommand("XCUP")).isEqualTo(200);
            assertThat(c.sendCommand("XPWD")).isEqualTo(257);
            assertThat(c.getReplyString()).contains("\"/d1\"");
            assertThat(c.changeToParentDirectory()).isTrue();
            assertThat(c.sendCommand("XCWD /d1")).isEqualTo(250);
            assertThat(c.sendCommand("CWD /nope")).isEqualTo(550);
            assertThat(c.sendCommand("XRMD sub")).isEqualTo(250);
            assertThat(Files.exists(s.home.resolve("d1/sub"))).isFalse();
            assertThat(c.changeWorkingDirectory("/")).isTrue();
            Files.writeString(s.home.resolve("d1/f"), "x");
            assertThat(c.removeDirectory("d1")).isFalse();                 // not empty
            assertThat(c.getReplyCode()).isEqualTo(550);
            assertThat(c.rename("d1/f", "g")).isTrue();
            assertThat(Files.readString(s.home.resolve("g"))).isEqualTo("x");
            Files.writeString(s.home.resolve("h"), "old");
            assertThat(c.rename("g", "h")).isTrue();                         // rename onto a file replaces it
            assertThat(Files.readString(s.home.resolve("h"))).isEqualTo("x");
            assertThat(c.sendCommand("RNTO x")).isEqualTo(503);              // RNTO without RNFR
            assertThat(c.sendCommand("RNFR h")).isEqualTo(350);
            assertThat(c.sendCommand("NOOP")).isEqualTo(200);
            assertThat(c.sendCommand("RNTO y")).isEqualTo(503);              // RNFR must be followed at once
            assertThat(c.deleteFile("h")).isTrue();
            assertThat(Files.exists(s.home.resolve("h"))).isFalse();
            assertThat(c.deleteFile("d1")).isFalse();                        // DELE of a directory
            assertThat(c.removeDirectory("d1")).isTrue();
            assertThat(c.makeDirectory("a\"b")).isTrue();
            assertThat(c.getReplyString()).startsWith("257 \"/a\"\"b\"");    // RFC 959: quotes doubled
            assertThat(c.changeWorkingDirectory("a\"b")).isTrue();
            c.sendCommand("PWD");
            assertThat(c.getReplyString()).startsWith("257 \"/a\"\"b\"");
            c.disconnect();
        }
    }

    @Test
    void sizeMdtmMfmtChmod() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            FTPClient c = s.alice();
            Path f = Files.writeString(s.home.resolve("f"), "12345");
            assertThat(c.sendCommand("SIZE f")).isEqualTo(213);
            assertThat(c.getReplyString().trim()).isEqualTo("213 5");
            assertThat(c.sendCommand("MFMT 20200102030405 f")).isEqualTo(213);
            assertThat(Files.getLastModifiedTime(f).toInstant().toString()).isEqualTo("2020-01-02T03:04:05Z");
            assertThat(c.sendCommand("MDTM f")).isEqualTo(213);
            assertThat(c.getReplyString().trim()).isEqualTo("213 20200102030405");
            assertThat(c.sendCommand("SITE CHMOD 600 f")).isEqualTo(200);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
            assertThat(c.sendCommand("SIZE nope")).isEqualTo(550);
            assertThat(c.sendCommand("SIZE /")).isEqualTo(550);
            assertThat(c.sendCommand("SITE HELP")).isEqualTo(214);
            assertThat(c.sendCommand("SITE EXEC ls")).isEqualTo(502);
            c.disconnect();
        }
    }

    /** RFC 3659 §3 gives MDTM for files; a folder gets 550, as vsftpd and pyftpdlib answer. */
    @Test
    void mdtmOfAFolderIs550() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("alice", "secret")) {
            Files.createDirectory(s.home.resolve("sub"));
            Files.writeString(s.home.resolve("sub/f"), "x");
            assertThat(r.cmd("MDTM sub")).startsWith("550");
            assertThat(r.cmd("MDTM /")).startsWith("550");
            assertThat(r.cmd("MDTM sub/f")).matches("213 \\d{14}");     // the control: a file inside has one
        }
    }

    @Test
    void mfmtTakesOnlyRealTimes() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("alice", "secret")) {
            Path f = Files.writeString(s.home.resolve("f"), "x");
            assertThat(r.cmd("MFMT 20200230000000 f")).startsWith("501");         // 30 February
            assertThat(r.cmd("MFMT +123450101000000 f")).startsWith("501");       // RFC 3659 §2.3: 14 digits, no sign
            assertThat(r.cmd("MFMT 20200102030405 f")).startsWith("213");
            assertThat(Files.getLastModifiedTime(f).toInstant().toString()).isEqualTo("2020-01-02T03:04:05Z");
        }
    }

    @Test
    void chmodAndMfmtOfTheHomeAre550AndChangeNothing() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("alice", "secret")) {
            Files.createDirectory(s.home.resolve("sub"));            // before the snapshot: it changes the home's mtime
            boolean posix = Files.getFileStore(s.home).supportsFileAttributeView(PosixFileAttributeView.class);
            Set<PosixFilePermission> mode = posix ? Files.getPosixFilePermissions(s.home) : null;
            FileTime mtime = Files.getLastModifiedTime(s.home);
            for (String home : new String[] {"/", ".", "..", "/..", "sub/..", "//"}) {
                assertThat(r.cmd("SITE CHMOD 000 " + home)).as("SITE CHMOD 000 %s", home).startsWith("550");
                assertThat(r.cmd("MFMT 19700101000000 " + home)).as("MFMT %s", home).startsWith("550");
            }
            assertThat(r.cmd("CWD sub")).startsWith("250");
            assertThat(r.cmd("SITE CHMOD 000 ..")).startsWith("550");   // the home named from below
            assertThat(r.cmd("MFMT 19700101000000 ..")).startsWith("550");
            // the controls: below the home both work, and don't touch the home either
            assertThat(r.cmd("MFMT 20200101000000 /sub")).startsWith("213");
            if (posix) assertThat(r.cmd("SITE CHMOD 700 /sub")).startsWith("200");
            assertThat(Files.getLastModifiedTime(s.home)).isEqualTo(mtime);
            if (posix) assertThat(Files.getPosixFilePermissions(s.home)).isEqualTo(mode);
            assertThat(r.cmd("CWD /")).startsWith("250");            // the home still usable
            assertThat(r.cmd("NOOP")).startsWith("200");
        }
    }

    @Test
    void controlCharactersFromClientsAreEscapedInTheLog() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            Files.writeString(s.home.resolve("f"), "x");
            var records = TestServer.logDuring(() -> {
                try (RawClient r = s.raw().login("alice", "secret")) {
                    r.cmd("RNFR f");
                    r.cmd("RNTO g\u001b]0;pwned\u0007\u001b[2J\u0085.txt");        // retitle and clear a terminal, NEL
                }
            });
            List<String> lines = records.stream().map(java.util.logging.LogRecord::getMessage).toList();
            assertThat(lines).anyMatch(l -> l.contains("RNTO") && l.contains("\\x1b]0;pwned\\x07\\x1b[2J\\x85"));
            assertThat(lines).noneMatch(l -> l.chars().anyMatch(ch -> ch < 0x20 || ch >= 0x7f && ch <= 0x9f));
        }
    }

    // ---- the audit trail: one line per change, with who, from where, what and how it ended ----

    /** The messages of {@code records} that are about {@code verb} ("MKD ", "RNFR "…) . */
    static List<String> about(List<LogRecord> records, String verb) {
        return records.stream().map(LogRecord::getMessage).filter(m -> m.contains("] " + verb)).toList();
    }

    /** "[#12 127.0.0.1 alice] " then {@code rest}, as a pattern. */
    static String line(String user, String rest) {
        return "\\[#\\d+ 127\\.0\\.0\\.1 " + user + "\\] " + Pattern.quote(rest);
    }

    @Test
    void eachFileChangeLogsOneLineWithTheUserTheAddressThePathsAndTheResult() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            Files.writeString(s.home.resolve("f"), "x");
            List<LogRecord> records = TestServer.logDuring(() -> {
                try (RawClient r = s.raw().login("alice", "secret")) {
                    assertThat(r.cmd("MKD d")).startsWith("257");
                    assertThat(r.cmd("SITE CHMOD 750 d")).startsWith("200");
                    assertThat(r.cmd("MFMT 20200102030405 f")).startsWith("213");
                    assertThat(r.cmd("RNFR f")).startsWith("350");
                    assertThat(r.cmd("RNTO d/g")).startsWith("250");
                    assertThat(r.cmd("DELE d/g")).startsWith("250");
                    assertThat(r.cmd("RMD d")).startsWith("250");
                }
            });
            assertThat(about(records, "MKD ")).singleElement().asString().matches(line("alice", "MKD /d: created"));
            assertThat(about(records, "SITE CHMOD ")).singleElement().asString()
                .matches(line("alice", "SITE CHMOD 750 /d: done"));
            assertThat(about(records, "MFMT ")).singleElement().asString()
                .matches(line("alice", "MFMT /f: modified time set to 2020-01-02T03:04:05Z"));
            assertThat(about(records, "RNFR ")).singleElement().asString()
                .matches(line("alice", "RNFR /f RNTO /d/g: renamed"));
            assertThat(about(records, "DELE ")).singleElement().asString().matches(line("alice", "DELE /d/g: deleted"));
            assertThat(about(records, "RMD ")).singleElement().asString().matches(line("alice", "RMD /d: removed"));
        }
    }

    /**
     * Home's contract, "every change is logged, done or refused, with its cause", also where the
     * file system says no: a name that exists, a folder not empty, a file that isn't there.
     */
    @Test
    void aChangeTheFileSystemRefusesLogsOneLineWithItsCause() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            Files.createDirectory(s.home.resolve("d"));
            Files.writeString(s.home.resolve("d/f"), "x");
            List<LogRecord> records = TestServer.logDuring(() -> {
                try (RawClient r = s.raw().login("alice", "secret")) {
                    assertThat(r.cmd("MKD d")).startsWith("550");
                    assertThat(r.cmd("RMD d")).startsWith("550");
                    assertThat(r.cmd("DELE nope")).startsWith("550");
                    assertThat(r.cmd("RNFR nope")).startsWith("550");
                }
            });
            assertThat(about(records, "MKD ")).singleElement().asString().matches(line("alice", "MKD d: ") + ".+");
            assertThat(about(records, "RMD ")).singleElement().asString().matches(line("alice", "RMD d: ") + ".+");
            assertThat(about(records, "DELE ")).singleElement().asString().matches(line("alice", "DELE nope: ") + ".+");
            assertThat(about(records, "RNFR ")).singleElement().asString().matches(line("alice", "RNFR nope: ") + ".+");
        }
    }

    /** The jail's refusal of a link that leads out of the home is logged with that cause, one line each. */
    @Test
    void aRefusalByTheJailLogsItsCause() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            Path outside = Files.createDirectory(s.root.resolve("outside"));
            Files.writeString(outside.resolve("f"), "not yours");
            Files.createSymbolicLink(s.home.resolve("out"), outside);
            List<LogRecord> records = TestServer.logDuring(() -> {
                try (RawClient r = s.raw().login("alice", "secret")) {
                    assertThat(r.cmd("MKD out/x")).startsWith("550");
                    assertThat(r.cmd("DELE out/f")).startsWith("550");
                    assertThat(r.cmd("SITE CHMOD 777 out/f")).startsWith("550");
                    assertThat(r.cmd("MFMT 20200102030405 out/f")).startsWith("550");
                    assertThat(r.cmd("RNFR out/f")).startsWith("550");
                }
            });
            String cause = ": refused, permission denied (a link leads out of the home)";
            assertThat(about(records, "MKD ")).singleElement().asString().matches(line("alice", "MKD out/x" + cause));
            assertThat(about(records, "DELE ")).singleElement().asString().matches(line("alice", "DELE out/f" + cause));
            assertThat(about(records, "SITE CHMOD ")).singleElement().asString()
                .matches(line("alice", "SITE CHMOD out/f" + cause));
            assertThat(about(records, "MFMT ")).singleElement().asString().matches(line("alice", "MFMT out/f" + cause));
            assertThat(about(records, "RNFR ")).singleElement().asString().matches(line("alice", "RNFR out/f" + cause));
            assertThat(outside.resolve("x")).doesNotExist();
            assertThat(Files.readString(outside.resolve("f"))).isEqualTo("not yours");
        }
    }

    /**
     * What the operating system refuses (a folder of mode r-xr-xr-x, a file of another owner) is
     * logged with its cause. Root ignores modes, so the server runs as nobody, in its own JVM.
     */
    @Test
    void aRefusalByTheOperatingSystemLogsItsCause() throws Exception {
        List<String> nobody = TestServer.asNobody();
        TestServer.openToAll(tmp);
        int port = TestServer.freePort();
        Path cfg = TestServer.configFile(tmp, "port=" + port);
        Path home = TestServer.giveToNobody(tmp.resolve("home"));
        Path ro = TestServer.giveToNobody(Files.createDirectory(home.resolve("ro")));
        TestServer.giveToNobody(Files.createDirectory(ro.resolve("sub")));
        TestServer.giveToNobody(Files.writeString(ro.resolve("f"), "kept"));
        Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-xr-xr-x"));
        Path roots = Files.writeString(home.resolve("roots"), "root's");             // root's, rw-r--r--
        Process p = TestServer.startMain(tmp, nobody, Map.of(), "-o", "-c", cfg.toString());
        try {
            TestServer.connected(port).disconnect();                                  // waits until it serves
            RawClient r = new RawClient("127.0.0.1", port).login("u", "p");
            assertThat(r.cmd("MKD ro/x")).startsWith("550");
            assertThat(r.cmd("RMD ro/sub")).startsWith("550");
            assertThat(r.cmd("DELE ro/f")).startsWith("550");
            assertThat(r.cmd("RNFR ro/f")).startsWith("350");
            assertThat(r.cmd("RNTO g")).startsWith("550");
            assertThat(r.cmd("SITE CHMOD 600 roots")).startsWith("550");
            assertThat(r.cmd("MFMT 20200102030405 roots")).startsWith("550");
            assertThat(r.cmd("QUIT")).startsWith("221");
            r.close();
            String log = TestServer.awaitLog(tmp.resolve("out.log"), "MFMT roots");
            String user = " 127.0.0.1 u] ";
            assertThat(log).contains(user + "MKD ro/x: refused, permission denied")
                .contains(user + "RMD ro/sub: refused, permission denied")
                .contains(user + "DELE ro/f: refused, permission denied")
                .contains(user + "RNFR /ro/f RNTO g: refused, permission denied");
            assertThat(log.lines().filter(l -> l.contains(user + "SITE CHMOD roots: failed, ")))
                .singleElement().asString().contains("Operation not permitted");
            assertThat(log.lines().filter(l -> l.contains(user + "MFMT roots: failed, ")))
                .singleElement().asString().contains("Operation not permitted");
            assertThat(ro.resolve("x")).doesNotExist();
            assertThat(ro.resolve("sub")).isDirectory();
            assertThat(Files.readString(ro.resolve("f"))).isEqualTo("kept");
            assertThat(home.resolve("g")).doesNotExist();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(roots))).isEqualTo("rw-r--r--");
        } finally {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
            p.destroyForcibly();
        }
    }

    /**
     * A login keeps its home open (every file command walks from it); the end of the login, by REIN,
     * another USER or the end of the connection, closes it: no descriptor of the home stays behind.
     */
    @Test
    void aLoginsOpenHomeIsClosedWhenTheLoginEnds() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            Files.writeString(s.home.resolve("f"), "x");
            Path real = s.home.toRealPath();
            for (String end : new String[] {"REIN", "USER bob", "QUIT"}) {
                try (RawClient r = s.raw().login("alice", "secret")) {
                    assertThat(r.cmd("SIZE f")).startsWith("213");
                    assertThat(openOn(real)).as("while logged in").isPositive();
                    assertThat(r.cmd(end)).matches("(220|331|221).*");
                }
                for (int i = 0; i < 100 && openOn(real) > 0; i++) Thread.sleep(20);
                assertThat(openOn(real)).as("after " + end).isZero();
            }
        }
    }

    /** This process's descriptors open on {@code dir}. */
    private static long openOn(Path dir) throws Exception {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).equals(dir);
                } catch (Exception e) {
                    return false;                              // closed meanwhile
                }
            }).count();
        }
    }
}
