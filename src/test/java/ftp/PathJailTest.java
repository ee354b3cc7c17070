package ftp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.commons.net.ftp.FTPClient;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The jail (PathJail): virtual paths normalised, forbidden characters, symbolic links that lead
 * out, a zip file system as a home; then hostile paths and links through the real server, which
 * never touch a canary file outside the home. Random paths are in FuzzTest.
 */
class PathJailTest {
    @TempDir Path tmp;

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "/|..|/", "/|../..|/", "/|/..|/", "/a|../../x|/x", "/|a/../../x|/x", "/|a//b|/a/b", "/|./a/./b/.|/a/b",
        "/a/b|..|/a", "/a|/|/", "/|..\\..\\x|/..\\..\\x", "/a|b|/a/b", "/|...|/..."})
    void normalisesVirtualPaths(String cwd, String arg, String expected) throws Exception {
        Files.createDirectories(tmp.resolve("home"));
        assertThat(new PathJail(tmp.resolve("home")).virtual(cwd, arg)).isEqualTo(expected);
    }

    @Test
    void forbiddenCharactersAreRefused() throws Exception {
        PathJail j = new PathJail(Files.createDirectories(tmp.resolve("home")));
        for (String bad : new String[] {"a\0b", "a\rb", "a\nb"})
            assertThatThrownBy(() -> j.virtual("/", bad)).isInstanceOf(InvalidPathException.class);
    }

    @Test
    void symbolicLinksMayNotLeadOut() throws Exception {
        Path home = Files.createDirectories(tmp.resolve("home"));
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("canary"), "c");
        Files.createDirectories(home.resolve("in"));
        Files.createSymbolicLink(home.resolve("out"), outside);
        Files.createSymbolicLink(home.resolve("good"), home.resolve("in"));
        Files.createSymbolicLink(home.resolve("dangling"), tmp.resolve("nowhere"));
        Files.createSymbolicLink(home.resolve("up"), Path.of(".."));
        PathJail j = new PathJail(home);
        Path real = home.toRealPath();
        for (String out : new String[] {"/out", "/out/canary", "/out/new-file", "/dangling", "/up/outside/canary"}) {
            assertThatThrownBy(() -> j.real(out)).as(out).isInstanceOf(AccessDeniedException.class);
            assertThatThrownBy(() -> j.attributes(out)).as(out).isInstanceOf(AccessDeniedException.class);
            assertThatThrownBy(() -> j.open(out, StandardOpenOption.READ)).as(out)
                .isInstanceOf(AccessDeniedException.class);
        }
        assertThat(j.real("/good")).isEqualTo(real.resolve("in"));
        assertThat(j.canonical("/good/new")).isEqualTo("/in/new");
        assertThat(j.real("/in/x")).isEqualTo(real.resolve("in/x"));
        List<String> names = new ArrayList<>();
        j.list("/", (name, a) -> names.add(name));
        assertThat(names).containsExactlyInAnyOrder("in", "good");          // links out and dangling ones are left out
    }

    @Test
    void aSiblingWithTheSamePrefixIsOutside() throws Exception {
        Path a = Files.createDirectories(tmp.resolve("a"));
        Path ab = Files.createDirectories(tmp.resolve("ab"));
        Files.createSymbolicLink(a.resolve("link"), ab);           // "/tmp/ab" starts with "/tmp/a" as a string
        assertThatThrownBy(() -> new PathJail(a).real("/link")).isInstanceOf(AccessDeniedException.class);
    }

    @Test
    void worksOnAZipFileSystem() throws Exception {
        Path zip = tmp.resolve("home.zip");
        try (FileSystem fs = FileSystems.newFileSystem(URI.create("jar:" + zip.toUri()), Map.of("create", "true"))) {
            Path root = fs.getPath("/srv");
            Files.createDirectories(root.resolve("d"));
            PathJail j = new PathJail(root);
            assertThat(j.real(j.virtual("/d", "../../../x"))).isEqualTo(root.resolve("x"));
            assertThat(j.canonical("/d")).isEqualTo("/d");
            j.createDirectory("/d/e");
            assertThat(j.attributes("/d/e").isDirectory()).isTrue();
        }
    }

    // ---- through the server ----

    @Test
    void escapesNeverReachTheCanary() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            Path outside = Files.createDirectory(s.root.resolve("outside"));
            Path canary = Files.writeString(outside.resolve("canary"), "do not touch");
            Files.writeString(s.root.resolve("canary"), "do not touch");
            FileTime mtime = Files.getLastModifiedTime(canary);
            Files.createSymbolicLink(s.home.resolve("link"), outside);
            Files.createDirectory(s.home.resolve("inner"));
            Files.writeString(s.home.resolve("inner/ok.txt"), "ok");
            Files.createSymbolicLink(s.home.resolve("good"), s.home.resolve("inner"));
            FTPClient c = s.alice();
            for (String p : new String[] {"../canary", "/../canary", "a/../../canary", "..\\..\\canary",
                    "../outside/canary", "link/canary", "/link/canary", "../../../../../../etc/passwd"}) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                c.retrieveFile(p, out);                    // "/../canary" is "/canary" inside the home: allowed
                assertThat(out.toString()).as(p).doesNotContain("do not touch");
                c.storeFile(p, new ByteArrayInputStream("pwned".getBytes()));
                c.deleteFile(p);
                c.rename(p, "stolen");
                c.sendCommand("MFMT 20000101000000 " + p);
                c.sendCommand("SITE CHMOD 777 " + p);
            }
            assertThat(c.changeWorkingDirectory("link")).isFalse();
            assertThat(c.listNames("link")).isNullOrEmpty();
            assertThat(c.listNames()).doesNotContain("link");              // links out of the jail are not listed
            assertThat(c.changeWorkingDirectory("../..")).isTrue();
            assertThat(c.printWorkingDirectory()).isEqualTo("/");
            assertThat(c.sendCommand("STAT ../outside")).isEqualTo(550);
            // links that stay inside work
            assertThat(new String(TestServer.retrieve(c, "good/ok.txt"))).isEqualTo("ok");
            c.disconnect();
            assertThat(Files.readString(canary)).isEqualTo("do not touch");
            assertThat(Files.getLastModifiedTime(canary)).isEqualTo(mtime);
            assertThat(Files.readString(s.root.resolve("canary"))).isEqualTo("do not touch");
            try (var l = Files.list(outside)) {
                assertThat(l.map(p -> p.getFileName().toString())).containsExactly("canary");
            }
            try (var l = Files.list(s.root)) {
                assertThat(l.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("alice", "bob", "outside", "canary");
            }
        }
    }

    @Test
    void aLinkInsideTheHomeServesAndALinkOutIs550() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("alice", "secret")) {
            Path in = Files.writeString(s.home.resolve("in.txt"), "inside");
            Path canary = Files.writeString(s.root.resolve("canary.txt"), "canary");   // outside alice's home
            Path lnk = s.home.resolve("lnk"), out = s.home.resolve("out"), outDir = s.home.resolve("outdir");
            try {
                Files.createSymbolicLink(lnk, Path.of("in.txt"));
                Files.createSymbolicLink(out, canary);
                Files.createSymbolicLink(outDir, s.bobHome);
            } catch (IOException | UnsupportedOperationException e) {
                Assumptions.abort("symbolic links not supported: " + e);
            }
            assertThat(r.cmd("TYPE I")).startsWith("200");
            // inside: the link is just another name
            assertThat(r.fetch("RETR lnk")).isEqualTo("inside");
            assertThat(r.cmd("SIZE lnk")).isEqualTo("213 6");
            assertThat(r.put("APPE", "lnk", "+more")).startsWith("226");
            assertThat(Files.readString(in)).isEqualTo("inside+more");  // appended to the target, through the link
            assertThat(Files.isSymbolicLink(lnk)).isTrue();
            assertThat(r.put("STOR", "lnk", "fresh")).startsWith("226");
            assertThat(r.fetch("RETR lnk")).isEqualTo("fresh");
            // outside: every verb refuses, whether a data connection waits or not
            for (String cmd : new String[] {"RETR out", "STOR out", "APPE out", "STOR outdir/new", "APPE outdir/new"}) {
                RawClient.epsvPort(r.cmd("EPSV"));
                assertThat(r.cmd(cmd)).as(cmd).startsWith("550");
            }
            assertThat(r.cmd("SIZE out")).startsWith("550");
            assertThat(r.cmd("NOOP")).startsWith("200");
            assertThat(Files.readString(canary)).isEqualTo("canary");
            assertThat(Files.isSymbolicLink(out)).isTrue();
            try (var l = Files.list(s.bobHome)) {
                assertThat(l.toList()).isEmpty();
            }
        }
    }
}
