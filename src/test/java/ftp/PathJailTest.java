package ftp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The jail with real directories and real symbolic links. */
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
        assertThatThrownBy(() -> j.resolve("/out")).isInstanceOf(AccessDeniedException.class);
        assertThatThrownBy(() -> j.resolve("/out/canary")).isInstanceOf(AccessDeniedException.class);
        assertThatThrownBy(() -> j.resolve("/out/new-file")).isInstanceOf(AccessDeniedException.class);
        assertThatThrownBy(() -> j.resolve("/dangling")).isInstanceOf(AccessDeniedException.class);
        assertThatThrownBy(() -> j.resolve("/up/outside/canary")).isInstanceOf(AccessDeniedException.class);
        assertThat(j.resolve("/good")).isEqualTo(home.resolve("good"));
        assertThat(j.resolve("/good/new")).isEqualTo(home.resolve("good/new"));
        assertThat(j.resolve("/in/x")).isEqualTo(home.resolve("in/x"));
        assertThat(j.inside(home.resolve("out"))).isFalse();
        assertThat(j.inside(home.resolve("good"))).isTrue();
    }

    @Test
    void aSiblingWithTheSamePrefixIsOutside() throws Exception {
        Path a = Files.createDirectories(tmp.resolve("a"));
        Path ab = Files.createDirectories(tmp.resolve("ab"));
        Files.createSymbolicLink(a.resolve("link"), ab);           // "/tmp/ab" starts with "/tmp/a" as a string
        assertThatThrownBy(() -> new PathJail(a).resolve("/link")).isInstanceOf(AccessDeniedException.class);
    }

    @Test
    void worksOnAZipFileSystem() throws Exception {
        Path zip = tmp.resolve("home.zip");
        try (FileSystem fs = FileSystems.newFileSystem(URI.create("jar:" + zip.toUri()), Map.of("create", "true"))) {
            Path root = fs.getPath("/srv");
            Files.createDirectories(root.resolve("d"));
            PathJail j = new PathJail(root);
            assertThat(j.resolve(j.virtual("/d", "../../../x"))).isEqualTo(root.resolve("x"));
            assertThat(j.toVirtual(root.resolve("d"))).isEqualTo("/d");
        }
    }
}
