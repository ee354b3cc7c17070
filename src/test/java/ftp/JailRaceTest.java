package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.commons.net.ftp.FTP;
import org.apache.commons.net.ftp.FTPClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A local user who can write in a home swaps a folder for a link to the outside, over and over,
 * while a client works on files in that folder. Every command walks from the home's open folder and
 * acts relative to an open parent, so whatever the timing, nothing outside the home is read,
 * written, removed or changed.
 */
class JailRaceTest {
    @TempDir Path tmp;

    @Test
    void swappingAFolderForALinkOutsideNeverReachesIt() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            Path outside = Files.createDirectory(s.root.resolve("outside"));
            Files.writeString(outside.resolve("f"), "CANARY CANARY CANARY");                 // 20 bytes
            Files.writeString(outside.resolve("victim"), "canary");
            Files.setLastModifiedTime(outside.resolve("f"), FileTime.fromMillis(1_000_000_000_000L));
            Map<String, String> before = snapshot(outside);
            Path race = Files.createDirectory(s.home.resolve("race")), aside = s.home.resolve("race.aside");
            Files.writeString(race.resolve("f"), "inside");
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger swaps = new AtomicInteger();
            Thread swapper = Thread.ofPlatform().start(() -> {
                while (!stop.get()) {
                    try {                                             // each state held a moment, as an exchange would
                        Files.move(race, aside, StandardCopyOption.ATOMIC_MOVE);
                        Files.createSymbolicLink(race, outside);
                        hold();
                        Files.delete(race);
                        Files.move(aside, race, StandardCopyOption.ATOMIC_MOVE);
                        hold();
                        swaps.incrementAndGet();
                    } catch (Exception e) {
                        // a client's file may sit in the way for an instant: try again
                    }
                }
            });
            List<Thread> clients = new ArrayList<>();
            List<String> leaks = java.util.Collections.synchronizedList(new ArrayList<>());
            long end = System.nanoTime() + 3_000_000_000L;
            for (int t = 0; t < 3; t++) {
                int id = t;
                clients.add(Thread.ofPlatform().start(() -> {
                    try {
                        FTPClient c = s.alice();
                        c.setFileType(FTP.BINARY_FILE_TYPE);
                        for (int i = 0; i < 2_000 && System.nanoTime() < end; i++) {
                            ByteArrayOutputStream got = new ByteArrayOutputStream();
                            c.retrieveFile("race/f", got);
                            if (got.toString(StandardCharsets.UTF_8).contains("CANARY")) leaks.add("RETR");
                            if (c.sendCommand("SIZE race/f") == 213 && c.getReplyString().contains(" 20"))
                                leaks.add("SIZE");
                            c.storeFile("race/planted-" + id + "-" + i, new ByteArrayInputStream("x".getBytes()));
                            c.deleteFile("race/victim");
                            c.sendCommand("SITE CHMOD 777 race/f");
                            c.sendCommand("MFMT 20000101000000 race/f");
                            c.rename("race/f", "race/f");
                            c.makeDirectory("race/made-" + id + "-" + i);
                        }
                        c.disconnect();
                    } catch (Exception e) {
                        leaks.add("client failed: " + e);
                    }
                }));
            }
            for (Thread c : clients) c.join(30_000);
            stop.set(true);
            swapper.join(5_000);
            assertThat(swaps.get()).as("swaps done").isGreaterThan(100);
            assertThat(leaks).isEmpty();
            assertThat(snapshot(outside)).isEqualTo(before);
        }
    }

    private static void hold() {
        for (long until = System.nanoTime() + 50_000; System.nanoTime() < until; ) Thread.onSpinWait();
    }

    /** Names, bytes, permissions and times of everything in {@code dir}. */
    static Map<String, String> snapshot(Path dir) throws Exception {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
                m.put(p.getFileName().toString(), (Files.isDirectory(p) ? "dir" : Files.readString(p)) + " " + perms
                    + " " + Files.getLastModifiedTime(p));
            }
        }
        return m;
    }
}
