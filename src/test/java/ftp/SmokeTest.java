package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.net.ftp.FTPClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SmokeTest {
    @TempDir Path tmp;

    @Test
    void uploadListDownload() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            FTPClient c = s.alice();
            assertThat(c.storeFile("a.txt", new ByteArrayInputStream("hello".getBytes()))).isTrue();
            assertThat(Files.readString(s.home.resolve("a.txt"))).isEqualTo("hello");
            assertThat(c.listNames()).containsExactly("a.txt");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertThat(c.retrieveFile("a.txt", out)).isTrue();
            assertThat(out.toString()).isEqualTo("hello");
            c.logout();
            c.disconnect();
        }
    }
}
