package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.apache.commons.net.ftp.FTP;
import org.apache.commons.net.ftp.FTPClient;
import org.junit.jupiter.api.Assumptions;

/**
 * The real server on port 0 with temporary homes, for tests. Users: "alice" (password "secret",
 * home {@link #home}, read-write) and "bob" (password "pw", home {@link #bobHome}, read-only);
 * anonymous is off unless a test turns it on. Every timeout is short so tests stay quick. Also
 * what tests share around it: files to serve, its log, and ftp.Main run as a process of its own
 * (also as the user nobody).
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

    // ---- files ----

    /** Bytes from a seeded generator: the same in every run. */
    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** A sparse file: instant to make whatever its size, zeros to read. */
    static Path sparse(Path p, long size) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(size);
        }
        return p;
    }

    /** The temporary files of overwrites in {@code dir}: ".upload.HASH.RANDOM". */
    static List<String> temps(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".upload.")).toList();
        }
    }

    /** RETR through commons-net, asserted to succeed: the bytes. */
    static byte[] retrieve(FTPClient c, String name) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(c.retrieveFile(name, out)).as(c.getReplyString()).isTrue();
        return out.toByteArray();
    }

    /** PASV through commons-net, connected at once: the data socket the library would hide. */
    static Socket pasv(FTPClient c) throws IOException {
        assertThat(c.pasv()).isEqualTo(227);
        Socket d = new Socket("127.0.0.1", RawClient.pasvPort(c.getReplyString()));
        d.setSoTimeout(10_000);
        return d;
    }

    // ---- the server's log ----

    interface Body { void run() throws Exception; }

    /** The records of the "ftp" logger while {@code body} runs (System.Logger ERROR is SEVERE). */
    static List<LogRecord> logDuring(Body body) throws Exception {
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Handler h = new Handler() {
            @Override public void publish(LogRecord r) { records.add(r); }
            @Override public void flush() {}
            @Override public void close() {}
        };
        Logger ftp = Logger.getLogger("ftp");
        ftp.addHandler(h);
        try {
            body.run();
        } finally {
            ftp.removeHandler(h);
        }
        return records;
    }

    // ---- ftp.Main as a process of its own: exit codes, signals and System.exit are only real there ----

    static String java() { return Path.of(System.getProperty("java.home"), "bin", "java").toString(); }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static boolean onPath(String tool) {
        for (String d : System.getenv("PATH").split(":")) if (Files.isExecutable(Path.of(d, tool))) return true;
        return false;
    }

    /** {@code dir}/ftp.properties: user u (password p, home {@code dir}/home, read-write), then {@code lines}. */
    static Path configFile(Path dir, String... lines) throws IOException {
        Path home = Files.createDirectories(dir.resolve("home"));
        String base = "address=127.0.0.1\nlogin.failure.delay=0.05\nuser.u.password=p\nuser.u.home=" + home
            + "\nuser.u.write=true\n";
        return Files.writeString(dir.resolve("ftp.properties"), base + String.join("\n", lines) + "\n");
    }

    record Exit(int code, String out, String err) {}

    /** ftp.Main with {@code args} in its own JVM, bounded to 20 s; its output goes to a folder in {@code dir}. */
    static Exit runMain(Path dir, Map<String, String> env, String... args) throws Exception {
        return runMain(List.of(), dir, env, args);
    }

    /** The same, started through {@code prefix} (say {@link #asNobody}). */
    static Exit runMain(List<String> prefix, Path dir, Map<String, String> env, String... args) throws Exception {
        return runMain(prefix, List.of(), "target/classes", dir, env, args);
    }

    /** ftp.Main in a JVM of its own: {@code prefix} (a user switch, say), JVM options, class path, environment. */
    private static ProcessBuilder main(List<String> prefix, List<String> jvm, String classPath, Map<String, String> env,
                                       String... args) {
        ProcessBuilder b = new ProcessBuilder(new ArrayList<>(prefix));
        b.command().add(java());
        b.command().addAll(jvm);
        b.command().addAll(List.of("-cp", classPath, "ftp.Main"));
        b.command().addAll(List.of(args));
        b.environment().putAll(env);
        return b;
    }

    /** The same with JVM options and a class path of its own. */
    static Exit runMain(List<String> prefix, List<String> jvm, String classPath, Path dir, Map<String, String> env,
                        String... args) throws Exception {
        Path run = Files.createTempDirectory(dir, "run");
        ProcessBuilder b = main(prefix, jvm, classPath, env, args);
        b.redirectOutput(run.resolve("out").toFile()).redirectError(run.resolve("err").toFile());
        Process p = b.start();
        try {
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("ftp.Main ended").isTrue();
            return new Exit(p.exitValue(), Files.readString(run.resolve("out")), Files.readString(run.resolve("err")));
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * ftp.Main with {@code args} as a running server in its own JVM, started through {@code prefix}
     * (empty, or {@link #asNobody}) with {@code env} added, in the folder {@code dir} (so no
     * ./ftp.config.properties is found by chance); standard output and error go to dir/out.log.
     */
    static Process startMain(Path dir, List<String> prefix, Map<String, String> env, String... args)
            throws IOException {
        return startMain(dir, prefix, List.of(), Path.of("target/classes").toAbsolutePath().toString(), env, args);
    }

    /** The same with JVM options and a class path of its own (say the server's classes and an S3 provider's jars). */
    static Process startMain(Path dir, List<String> prefix, List<String> jvm, String classPath, Map<String, String> env,
                             String... args) throws IOException {
        return main(prefix, jvm, classPath, env, args).directory(dir.toFile()).redirectErrorStream(true)
            .redirectOutput(dir.resolve("out.log").toFile()).start();
    }

    /** The text of {@code log} once it contains {@code text}; asserted to within 15 s. */
    static String awaitLog(Path log, String text) throws Exception {
        return awaitLog(log, text, java.time.Duration.ofSeconds(15));
    }

    /** The same, asserted to within {@code within}. */
    static String awaitLog(Path log, String text, java.time.Duration within) throws Exception {
        long end = System.nanoTime() + within.toNanos();
        String s = "";
        while (System.nanoTime() < end) {
            s = Files.exists(log) ? Files.readString(log) : "";
            if (s.contains(text)) return s;
            Thread.sleep(50);
        }
        assertThat(s).as("log %s", log).contains(text);
        return s;
    }

    // ---- another user: what --check-config and the server meet when they don't run as root ----

    /**
     * The command prefix that runs a process as the user nobody: setpriv (which execs, so the PID
     * is the JVM's and signals reach it), else runuser. The test is skipped when not run as root
     * (only root can switch users) or when neither tool exists.
     */
    static List<String> asNobody() {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "not root: can't run as nobody");
        if (onPath("setpriv")) return List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups");
        Assumptions.assumeTrue(onPath("runuser"), "neither setpriv nor runuser (util-linux) is installed");
        return List.of("runuser", "-u", "nobody", "--");
    }

    /** rwxr-xr-x, so a process running as nobody can reach and read what is inside. */
    static Path openToAll(Path dir) throws IOException {
        return Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** Gives {@code p} to the user nobody (group nogroup), as chown does. */
    static Path giveToNobody(Path p) throws IOException {
        var lookup = p.getFileSystem().getUserPrincipalLookupService();
        Files.setOwner(p, lookup.lookupPrincipalByName("nobody"));
        Files.getFileAttributeView(p, java.nio.file.attribute.PosixFileAttributeView.class)
            .setGroup(lookup.lookupPrincipalByGroupName("nogroup"));
        return p;
    }

    /** A plain FTPClient connected to a server that may still be starting (waits, bounded); not logged in. */
    static FTPClient connected(int port) throws IOException {
        FTPClient c = new FTPClient();
        c.setDefaultTimeout(10_000);
        for (int i = 0; ; i++) {
            try {
                c.connect("127.0.0.1", port);
                break;
            } catch (IOException notYet) {
                if (i == 100) throw notYet;
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
            }
        }
        c.setSoTimeout(10_000);
        return c;
    }

    /** User u of {@link #configFile}, logged in, binary, passive; waits (bounded) until a starting server serves. */
    static FTPClient client(int port) throws IOException {
        FTPClient c = connected(port);
        assertThat(c.login("u", "p")).isTrue();
        c.setFileType(FTPClient.BINARY_FILE_TYPE);
        c.enterLocalPassiveMode();
        return c;
    }
}
