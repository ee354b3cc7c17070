package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.net.ftp.FTPClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * max.connections and max.connections.per.ip on the wire (RFC 2577 §5, floods): 421 before any
 * session thread exists, and a burst of connects that all get their banner. The bookkeeping
 * itself is in GuardTest; bans after failed logins in LoginTest.
 */
class ConnectionLimitTest {
    @TempDir Path tmp;

    @Test
    void connectionCapsAnswer421BeforeAnySession() throws Exception {
        try (TestServer s = TestServer.start(tmp, "max.connections", "3", "max.connections.per.ip", "2")) {
            List<RawClient> held = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    RawClient r = s.raw();
                    assertThat(r.reply()).startsWith("220");
                    held.add(r);
                }
                try (RawClient third = s.raw()) {
                    assertThat(third.reply()).startsWith("421").contains("your address");
                }
                try (RawClient other = RawClient.from("127.0.0.4", s.port());
                     RawClient fourth = RawClient.from("127.0.0.5", s.port())) {
                    // the 3rd slot, another address
                    assertThat(other.reply()).startsWith("220");
                    assertThat(fourth.reply()).startsWith("421").contains("Too many connections");   // the global cap
                }
            } finally {
                for (RawClient r : held) r.close();
            }
        }
    }

    @Test
    void threeHundredSimultaneousConnectsGetABannerOr421() throws Exception {
        try (TestServer s = TestServer.start(tmp, "max.connections", "1000", "max.connections.per.ip", "1000")) {
            List<Socket> socks = new ArrayList<>();
            try {
                for (int i = 0; i < 300; i++) socks.add(new Socket("127.0.0.1", s.port()));
                int ok = 0;
                for (Socket x : socks) {
                    x.setSoTimeout(10_000);
                    byte[] b = x.getInputStream().readNBytes(3);
                    String code = new String(b, StandardCharsets.US_ASCII);
                    assertThat(code).isIn("220", "421");
                    if (code.equals("220")) ok++;
                }
                assertThat(ok).isEqualTo(300);
            } finally {
                for (Socket x : socks) x.close();
            }
            FTPClient c = s.alice();
            assertThat(c.sendNoOp()).isTrue();
            c.disconnect();
        }
    }
}
