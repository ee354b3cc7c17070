package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Seeded fuzzing: parse never throws; no resolved path leaves the home. */
class FuzzTest {
    @TempDir Path tmp;
    static final String[] SEEDS = {"USER anonymous", "PASS x", "PORT 127,0,0,1,4,1", "EPRT |2|::1|2000|", "REST 100",
        "MFMT 20200101000000 a", "SITE CHMOD 755 a", "TYPE A N", "OPTS MLST type;size;", "LIST -la /x",
        "RETR ../../etc/passwd"};

    @Test
    void parseNeverThrows() {
        Random r = new Random(20261124);
        for (int i = 0; i < 120_000; i++) {
            String line = switch (i % 3) {
                case 0 -> randomString(r, r.nextInt(60));
                case 1 -> mutate(r, SEEDS[r.nextInt(SEEDS.length)]);
                default -> SEEDS[r.nextInt(SEEDS.length)].split(" ")[0] + " " + randomString(r, r.nextInt(40));
            };
            assertThat(Command.parse(line)).isNotNull();
        }
    }

    static String randomString(Random r, int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append(switch (r.nextInt(6)) {
                case 0 -> (char) r.nextInt(32);
                case 1 -> "|,./\\ -".charAt(r.nextInt(7));
                case 2 -> (char) ('0' + r.nextInt(10));
                case 3 -> (char) (0x80 + r.nextInt(0x3000));
                default -> (char) ('A' + r.nextInt(26));
            });
        }
        return b.toString();
    }

    static String mutate(Random r, String s) {
        StringBuilder b = new StringBuilder(s);
        for (int k = 0, n = 1 + r.nextInt(4); k < n && b.length() > 0; k++) {
            int at = r.nextInt(b.length());
            switch (r.nextInt(4)) {
                case 0 -> b.setCharAt(at, (char) r.nextInt(0x100));
                case 1 -> b.deleteCharAt(at);
                case 2 -> b.insert(at, randomString(r, r.nextInt(5)));
                default -> b.setLength(at);
            }
        }
        return b.toString();
    }

    @Test
    void noPathLeavesTheHome() throws Exception {
        Path home = Files.createDirectories(tmp.resolve("home"));
        Files.createDirectories(home.resolve("a/b"));
        Files.createDirectories(tmp.resolve("outside"));
        Files.createSymbolicLink(home.resolve("a/out"), tmp.resolve("outside"));
        Files.createSymbolicLink(home.resolve("in"), home.resolve("a"));
        Path realHome = home.toRealPath();
        PathJail j = new PathJail(home);
        String[] parts = {"..", ".", "", "a", "b", "out", "in", "x", "\\", "..\\..", "é", "/", "//", "\0", "~", "*"};
        Random r = new Random(7);
        int resolved = 0;
        for (int i = 0; i < 100_000; i++) {
            StringBuilder p = new StringBuilder(r.nextBoolean() ? "/" : "");
            for (int k = 0, n = r.nextInt(8); k < n; k++)
                p.append(parts[r.nextInt(parts.length)]).append(r.nextInt(4) == 0 ? "" : "/");
            String cwd = r.nextBoolean() ? "/" : "/a/b";
            try {
                Path real = j.real(j.virtual(cwd, p.toString()));
                Path q = real;
                while (!Files.exists(q, LinkOption.NOFOLLOW_LINKS)) q = q.getParent();
                assertThat(q.toRealPath().startsWith(realHome)).as(p.toString()).isTrue();
                resolved++;
            } catch (InvalidPathException | IOException refused) {
                // refused is fine
            }
        }
        assertThat(resolved).isGreaterThan(10_000);
    }
}
