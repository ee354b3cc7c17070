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
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
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
        Path real = home.toRealPath();
        for (String out : new String[] {"/out", "/out/canary", "/out/new-file", "/dangling", "/up/outside/canary"}) {
            assertThatThrownBy(() -> j.real(out)).as(out).isInstanceOf(AccessDeniedException.class);
            assertThatThrownBy(() -> j.attributes(out)).as(out).isInstanceOf(AccessDeniedException.class);
            assertThatThrownBy(() -> j.open(out, StandardOpenOption.READ)).as(out).isInstanceOf(AccessDeniedException.class);
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
}
