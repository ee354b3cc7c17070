package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.apache.commons.net.ftp.FTPClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hostile paths through a real client never touch a canary file outside the home. */
class JailScenarioTest {
    @TempDir Path tmp;

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
            for (String p : new String[] {"../canary", "/../canary", "a/../../canary", "..\\..\\canary", "../outside/canary",
                    "link/canary", "/link/canary", "../../../../../../etc/passwd"}) {
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
            ByteArrayOutputStream ok = new ByteArrayOutputStream();
            assertThat(c.retrieveFile("good/ok.txt", ok)).isTrue();
            assertThat(ok.toString()).isEqualTo("ok");
            c.disconnect();
            assertThat(Files.readString(canary)).isEqualTo("do not touch");
            assertThat(Files.getLastModifiedTime(canary)).isEqualTo(mtime);
            assertThat(Files.readString(s.root.resolve("canary"))).isEqualTo("do not touch");
            try (var l = Files.list(outside)) {
                assertThat(l.map(p -> p.getFileName().toString())).containsExactly("canary");
            }
            try (var l = Files.list(s.root)) {
                assertThat(l.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("alice", "bob", "outside", "canary");
            }
        }
    }
}
