package ftp;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.commons.net.ftp.FTP;
import org.apache.commons.net.ftp.FTPClient;

/**
 * The real server on port 0 with temporary homes, for tests. Users: "alice" (password "secret",
 * home {@link #home}, read-write) and "bob" (password "pw", home {@link #bobHome}, read-only);
 * anonymous is off unless a test turns it on. Every timeout is short so tests stay quick.
 */
final class TestServer implements AutoCloseable {
    final Path root;       // holds the homes and, outside them, canary files
    final Path home;
    final Path bobHome;
    final FtpServer server;

    private TestServer(Path root, Config config) throws IOException {
        this.root = root;
        this.home = root.resolve("alice");
        this.bobHome = root.resolve("bob");
        this.server = new FtpServer(config).start();
    }

    static TestServer start(Path tmp, String... extra) throws Exception {
        Path root = tmp.toRealPath();
        Files.createDirectories(root.resolve("alice"));
        Files.createDirectories(root.resolve("bob"));
        Properties p = new Properties();
        p.setProperty("port", "0");
        p.setProperty("address", "127.0.0.1");
        p.setProperty("user.alice.password", "secret");
        p.setProperty("user.alice.home", root.resolve("alice").toString());
        p.setProperty("user.alice.write", "true");
        p.setProperty("user.bob.password", "pw");
        p.setProperty("user.bob.home", root.resolve("bob").toString());
        p.setProperty("login.failure.delay", "0.05");
        for (int i = 0; i + 1 < extra.length; i += 2) p.setProperty(extra[i], extra[i + 1]);
        return new TestServer(root, Config.parse(p, "test"));
    }

    int port() { return server.port(); }

    /** A commons-net client logged in as alice, binary, passive. */
    FTPClient alice() throws IOException { return login("alice", "secret"); }

    FTPClient login(String user, String password) throws IOException {
        FTPClient c = connect();
        if (!c.login(user, password)) throw new IOException("login failed: " + c.getReplyString());
        c.setFileType(FTP.BINARY_FILE_TYPE);
        c.enterLocalPassiveMode();
        return c;
    }

    FTPClient connect() throws IOException {
        FTPClient c = new FTPClient();
        c.setConnectTimeout(5000);
        c.setDefaultTimeout(10_000);
        c.setDataTimeout(java.time.Duration.ofSeconds(10));
        c.setControlEncoding("UTF-8");
        c.connect("127.0.0.1", port());
        c.setSoTimeout(10_000);
        return c;
    }

    RawClient raw() throws IOException { return new RawClient("127.0.0.1", port()); }

    @Override
    public void close() { server.close(); }
}
