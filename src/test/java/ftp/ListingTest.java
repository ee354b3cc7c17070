package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Set;
import org.apache.commons.net.ftp.FTPClient;
import org.apache.commons.net.ftp.FTPFile;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * LIST NLST MLSD MLST and STAT path: the lines (ls dates, MLST facts, RFC 3659 §7), names as the
 * client named the folder, no recursion and no globs (RFC 2577), 100,000 entries streamed,
 * control characters in names that never reach a reply raw, and dot files, which anonymous users
 * neither see nor use unless anonymous.dotfiles allows it.
 */
class ListingTest {
    @TempDir Path tmp;

    static String ls(Path f) throws Exception {
        PosixFileAttributes a = Files.readAttributes(f, PosixFileAttributes.class);
        return Listing.ls(a, f.getFileName().toString(), new Listing.Clock());
    }

    /** A LIST or NLST through commons-net on a PASV connection of its own: what came (150 and 226 asserted). */
    static String listing(FTPClient c, String cmd) throws Exception {
        try (Socket d = TestServer.pasv(c)) {
            assertThat(c.sendCommand(cmd)).isEqualTo(150);
            String out = new String(d.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(c.getReply()).isEqualTo(226);
            return out;
        }
    }

    // ---- the lines ----

    @Test
    void lsDatesAreRecentWithTimeAndOldWithYear() throws Exception {
        Path f = Files.writeString(tmp.resolve("f"), "12345");
        Instant recent = Instant.now().minus(3, ChronoUnit.DAYS).truncatedTo(ChronoUnit.MINUTES);
        Files.setLastModifiedTime(f, FileTime.from(recent));
        String expected = DateTimeFormatter.ofPattern("MMM dd HH:mm", Locale.ROOT)
            .format(recent.atZone(ZoneId.systemDefault()));
        assertThat(ls(f)).startsWith("-rw").endsWith(" 5 " + expected + " f");
        Instant old = LocalDateTime.of(2019, 3, 7, 8, 9).atZone(ZoneId.systemDefault()).toInstant();
        Files.setLastModifiedTime(f, FileTime.from(old));
        assertThat(ls(f)).endsWith(" 5 Mar 07  2019 f");
        // a clock far ahead: the year, as ls shows it
        Instant future = Instant.now().plus(400, ChronoUnit.DAYS);
        Files.setLastModifiedTime(f, FileTime.from(future));
        assertThat(ls(f)).endsWith("  " + future.atZone(ZoneId.systemDefault()).getYear() + " f");
    }

    @Test
    void mdtmIsUtcTimeVal() {
        assertThat(Listing.mdtm(Instant.parse("2020-01-02T03:04:05.678Z"))).isEqualTo("20200102030405");
        assertThat(Listing.mdtm(Instant.parse("0999-12-31T23:59:59Z"))).isEqualTo("09991231235959");
        assertThat(Listing.mdtm(Instant.EPOCH)).isEqualTo("19700101000000");
    }

    @Test
    void factsGiveSizeForFilesOnly() throws Exception {
        Path d = Files.createDirectory(tmp.resolve("d"));
        BasicFileAttributes a = Files.readAttributes(d, BasicFileAttributes.class);
        String facts = Listing.facts("/d", a, true, false, Set.copyOf(Listing.FACTS));
        assertThat(facts).startsWith("type=dir;").doesNotContain("size=").contains("perm=elcmpdf;");
        assertThat(Listing.facts("/", a, true, true, Set.copyOf(Listing.FACTS))).contains("perm=elcmp;");
    }

    // ---- the verbs ----

    @Test
    void listingsParseAndMlstFacts() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            FTPClient c = s.alice();
            Files.write(s.home.resolve("file.bin"), new byte[1234]);
            Files.createDirectory(s.home.resolve("dir"));
            FTPFile[] list = c.listFiles();
            assertThat(list).extracting(FTPFile::getName).containsExactlyInAnyOrder("file.bin", "dir");
            for (FTPFile f : list) {
                assertThat(f.isDirectory()).isEqualTo(f.getName().equals("dir"));
                if (f.getName().equals("file.bin")) assertThat(f.getSize()).isEqualTo(1234);
            }
            assertThat(c.listNames()).containsExactlyInAnyOrder("file.bin", "dir");
            FTPFile[] ml = c.mlistDir();
            assertThat(ml).extracting(FTPFile::getName).containsExactlyInAnyOrder("file.bin", "dir");
            FTPFile one = c.mlistFile("file.bin");
            assertThat(one.getSize()).isEqualTo(1234);
            assertThat(one.getRawListing()).contains("type=file;").contains("perm=rwadf;").contains("unique=");
            assertThat(c.sendCommand("OPTS MLST type;size;")).isEqualTo(200);
            assertThat(c.sendCommand("MLST dir")).isEqualTo(250);
            assertThat(c.getReplyString()).contains(" type=dir; /dir").doesNotContain("modify=")
                .doesNotContain("size=");   // §7.5.7
            assertThat(c.sendCommand("MLST file.bin")).isEqualTo(250);
            assertThat(c.getReplyString()).contains(" type=file;size=1234; /file.bin");
            assertThat(c.sendCommand("MLSD file.bin")).isEqualTo(501);      // RFC 3659 §7.2: not a directory
            assertThat(c.listFiles("file.bin")).extracting(FTPFile::getName).containsExactly("file.bin");
            c.disconnect();
        }
    }

    @Test
    void mlstFactsAndOptsMlst() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("alice", "secret")) {
            Files.createDirectories(s.home.resolve("sub"));
            Files.writeString(s.home.resolve("f"), "12345");
            // RFC 3659 §7.5.7
            assertThat(r.cmd("MLST sub")).startsWith("250-").contains("type=dir;").doesNotContain("size=");
            assertThat(r.cmd("MLST f")).contains("size=5;");
            // §7.5.5: the home can be neither deleted (d) nor renamed (f), even by a read-write user
            String home = r.cmd("MLST /");
            String perm = home.replaceAll("(?s).*perm=([a-z]*);.*", "$1");
            assertThat(perm).startsWith("el").doesNotContain("d").doesNotContain("f");
            assertThat(r.cmd("MLST sub")).contains("perm=elcmpdf;");
            // §7.9: the reply lists the facts now selected; none selected leaves no trailing space
            assertThat(r.cmd("OPTS MLST")).isEqualTo("200 MLST OPTS");
            assertThat(r.cmd("OPTS MLST size;type;")).isEqualTo("200 MLST OPTS type;size;");
        }
    }

    @Test
    void nlstNamesEntriesAsTheClientNamedTheDirectory() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("alice", "secret")) {
            Files.createDirectories(s.home.resolve("sub"));
            Files.writeString(s.home.resolve("sub/a"), "a");
            Files.writeString(s.home.resolve("sub/b"), "b");
            Files.writeString(s.home.resolve("top.txt"), "t");
            assertThat(r.fetch("NLST sub").split("\r\n")).containsExactlyInAnyOrder("sub/a", "sub/b");
            assertThat(r.fetch("NLST sub/a")).isEqualTo("sub/a\r\n");
            assertThat(r.fetch("NLST").split("\r\n")).containsExactlyInAnyOrder("sub", "top.txt");
        }
    }

    @Test
    void listingsNeitherRecurseNorGlob() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            Files.createDirectories(s.home.resolve("sub/deeper"));
            Files.writeString(s.home.resolve("sub/inner.txt"), "x");
            Files.writeString(s.home.resolve("a.txt"), "x");
            FTPClient c = s.alice();
            String list = listing(c, "LIST -R");
            assertThat(list).contains("sub").contains("a.txt").doesNotContain("inner.txt").doesNotContain("deeper");
            assertThat(c.listNames("*.txt")).isNullOrEmpty();
            c.disconnect();
        }
    }

    @Test
    void aHundredThousandEntriesStream() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            Path big = Files.createDirectory(s.home.resolve("big"));
            for (int i = 0; i < 100_000; i++) Files.createFile(big.resolve("f" + i));
            FTPClient c = s.alice();
            assertThat(listing(c, "NLST big").lines().count()).isEqualTo(100_000);
            c.disconnect();
        }
    }

    // ---- STAT path: a listing over the control connection ----

    @Test
    void statOfADirectoryIs212AndOfAFile213() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("alice", "secret")) {
            Files.createDirectories(s.home.resolve("sub"));
            Files.writeString(s.home.resolve("sub/a"), "a");
            // RFC 959 §4.2: 212 directory, 213 file status
            String dir = r.cmd("STAT sub");
            assertThat(dir).startsWith("212-").contains(" a\n").endsWith("\n212 End of status.");
            String file = r.cmd("STAT sub/a");
            assertThat(file).startsWith("213-").contains(" a\n").endsWith("\n213 End of status.");
        }
    }

    /** lftp sends "STAT -a dir": the options are dropped, the folder listed. */
    @Test
    void statWithLsOptionsListsTheDirectory() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("alice", "secret")) {
            Files.createDirectories(s.home.resolve("sub"));
            Files.writeString(s.home.resolve("sub/a"), "a");
            Files.writeString(s.home.resolve("sub/b"), "b");
            for (String cmd : new String[] {"STAT -a sub", "STAT -la sub", "STAT -a  -l sub"}) {
                assertThat(r.cmd(cmd)).as(cmd).startsWith("212-").contains(" a\n").contains(" b\n")
                    .endsWith("\n212 End of status.");
            }
            assertThat(r.cmd("STAT -a")).as("options alone: the server status").startsWith("211-");
            assertThat(r.cmd("NOOP")).startsWith("200");
        }
    }

    @Test
    void c1ControlCharactersInNamesNeverReachAReplyRaw() throws Exception {
        Assumptions.assumeTrue(PathJail.UTF8_NAMES, "file names are not UTF-8 in this locale");
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("alice", "secret")) {
            Files.writeString(s.home.resolve("n\u0085l"), "x");                // NEL: a line end to some clients
            Files.writeString(s.home.resolve("c\u009bi"), "x");                // CSI: a terminal escape
            String stat = r.cmd("STAT /");
            assertThat(stat).startsWith("212-").contains(" n?l\n").contains(" c?i\n")
                .doesNotContain("\u0085").doesNotContain("\u009b").doesNotContain("\ufffd");
            String mlst = r.cmd("MLST n\u0085l");                              // the client names it exactly
            assertThat(mlst).startsWith("250-").contains(" /n?l\n").doesNotContain("\u0085");
            String mlsd = r.fetch("MLSD");
            assertThat(mlsd).contains("; n?l\r\n").contains("; c?i\r\n").doesNotContain("\u0085")
                .doesNotContain("\u009b");
        }
    }

    // ---- dot files ----

    /**
     * A web root shared anonymously holds .git and .env: anonymous users neither see nor use dot
     * files (553, RFC 959 §4.2: file name not allowed) unless anonymous.dotfiles is true; named
     * users see and use them.
     */
    @ParameterizedTest(name = "{0}, anonymous.dotfiles={1}")
    @CsvSource({"anonymous, false, false", "anonymous, true, true", "alice, false, true"})
    void dotFilesAreForNamedUsersAndForAnonymousOnlyWhenAllowed(String user, boolean allowed, boolean shown)
            throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("srv"));
        try (TestServer s = TestServer.start(dir, "anonymous", "true", "anonymous.write", "true",
                "anonymous.dotfiles", Boolean.toString(allowed),
                "anonymous.home", dir.toRealPath().resolve("alice").toString());
             RawClient r = s.raw().login(user, user.equals("alice") ? "secret" : "guest@example.org")) {
            Files.createDirectories(s.home.resolve(".git"));
            Files.writeString(s.home.resolve(".git/config"), "[remote]");
            Files.writeString(s.home.resolve(".env"), "SECRET=1");
            Files.writeString(s.home.resolve("index.html"), "<p>");
            Set<String> names = Set.of(".git", ".env");
            for (String listing : new String[] {"LIST", "NLST", "MLSD", "LIST -a", "LIST -la", "NLST -a", "STAT ."}) {
                String body = listing.startsWith("STAT") ? r.cmd(listing) : r.fetch(listing);
                assertThat(body).as(listing).contains("index.html");
                for (String n : names)
                    assertThat(body.lines().anyMatch(l -> l.endsWith(" " + n) || l.endsWith(";" + n) || l.equals(n)))
                        .as("%s shows %s: %s", listing, n, body).isEqualTo(shown);
            }
            if (shown) {
                assertThat(r.fetch("RETR .git/config")).isEqualTo("[remote]");
                assertThat(r.cmd("CWD .git")).startsWith("250");
                assertThat(r.cmd("CWD /")).startsWith("250");
                assertThat(r.put("STOR", ".htaccess", "Deny from all")).startsWith("226");
                assertThat(r.cmd("RNFR .htaccess")).startsWith("350");
                assertThat(r.cmd("RNTO .htaccess2")).startsWith("250");
                assertThat(s.home.resolve(".htaccess2")).hasContent("Deny from all");
            } else {
                RawClient.epsvPort(r.cmd("EPSV"));
                assertThat(r.cmd("RETR .git/config")).startsWith("553");
                assertThat(r.cmd("RETR .env")).startsWith("553");
                assertThat(r.cmd("CWD .git")).startsWith("553");
                assertThat(r.cmd("LIST .git")).startsWith("553");
                assertThat(r.cmd("MLST .env")).startsWith("553");
                assertThat(r.cmd("SIZE .env")).startsWith("553");
                assertThat(r.cmd("STOR .htaccess")).startsWith("553");
                assertThat(r.cmd("MKD .ssh")).startsWith("553");
                assertThat(r.cmd("RNFR index.html")).startsWith("350");
                assertThat(r.cmd("RNTO .htaccess")).startsWith("553");
                assertThat(r.cmd("DELE .env")).startsWith("553");
                assertThat(r.cmd("NOOP")).startsWith("200");
                assertThat(s.home.resolve(".htaccess")).doesNotExist();
                assertThat(s.home.resolve(".ssh")).doesNotExist();
                assertThat(s.home.resolve(".env")).hasContent("SECRET=1");
                assertThat(s.home.resolve("index.html")).hasContent("<p>");
            }
        }
    }
}
