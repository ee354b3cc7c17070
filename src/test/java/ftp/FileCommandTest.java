package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import org.apache.commons.net.ftp.FTPClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file verbs of the control connection (Home): CWD CDUP PWD MKD RMD DELE RNFR RNTO and their X
 * aliases, SIZE MDTM (RFC 3659), MFMT, SITE CHMOD; and the home itself, which none of them may
 * remove, rename or change.
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
}
