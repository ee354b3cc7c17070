package bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A server under test: a jar this bench starts as its own process with its own home and config (ours,
 * and BENCH_JAR_B), or a peer already running (BENCH_PEER=host:port:user:password:home), whose process
 * is found through its listening socket so that its memory can be read too.
 */
final class Server implements AutoCloseable {
    /** Every jar the bench starts runs with a small heap and the serial collector, as on a small VM. */
    static final List<String> JVM = List.of("-Xmx256m", "-XX:+UseSerialGC");
    final String label, host, user, password;
    final int port;
    final Path home;
    /** A user whose failed logins cost what they cost in a deployment: a PBKDF2 hash for our jars. */
    final String floodUser;
    private final String java;
    private final Path jar, work, cfg;                  // null for a peer
    private Process process;
    private long pid;
    private int starts;

    private Server(String label, String host, int port, String user, String password, Path home, String floodUser,
                   String java, Path jar, Path work, Path cfg) {
        this.label = label;
        this.host = host;
        this.port = port;
        this.user = user;
        this.password = password;
        this.home = home;
        this.floodUser = floodUser;
        this.java = java;
        this.jar = jar;
        this.work = work;
        this.cfg = cfg;
    }

    /**
     * Starts the jar on a free loopback port with a plain-text user b and a PBKDF2-hashed user h; its
     * config and logs are in {@code work}. Two jars share one home: on this VM's ext4, creating files
     * under one folder was 5-20 times slower than under its sibling, which would pass for a difference
     * between two builds. The home is kept between runs (1 GiB files and 100,000 entries are slow to
     * make and to delete).
     */
    static Server jar(String label, Path jar, String java, Path work, Path home) throws Exception {
        if (!Files.isRegularFile(jar)) throw new IOException("no jar at " + jar);
        Files.createDirectories(work);
        home = Files.createDirectories(home).toAbsolutePath();
        int port = freePort();
        Path cfg = Files.writeString(work.resolve("bench.properties"), String.join("\n",
            "port=" + port, "address=127.0.0.1",
            "user.b.password=b", "user.b.home=" + home, "user.b.write=true",
            "user.h.password=" + hash(java, jar, "h"), "user.h.home=" + home,
            "max.connections=20000", "max.connections.per.ip=20000", "idle.timeout=600", "login.timeout=600",
            // the floods fail logins on purpose, from 80 addresses: no delay, no ban
            "login.failure.delay=0", "login.max.failures=1000000", "shutdown.grace=2", ""));
        Server s = new Server(label, "127.0.0.1", port, "b", "b", home, "h", java, jar.toAbsolutePath(), work, cfg);
        s.start();
        return s;
    }

    static Server peer(String spec) throws IOException {
        String[] f = spec.split(":", 5);
        if (f.length < 5) throw new IllegalArgumentException("BENCH_PEER=host:port:user:password:home");
        int port = Integer.parseInt(f[1]);
        String banner;
        try (Socket c = new Socket(f[0], port)) {
            c.setSoTimeout(5000);
            byte[] b = new byte[200];
            int n = c.getInputStream().read(b);
            banner = n <= 0 ? "" : new String(b, 0, n, StandardCharsets.ISO_8859_1).lines().findFirst().orElse("");
        }
        // its banner names it: "220 (vsFTPd 3.0.3)", "220 pyftpdlib ready."
        String name = banner.replaceFirst("^220[- ]", "").replaceAll("[()]", "").strip();
        Server s = new Server(name.isEmpty() ? "peer " + f[0] + ":" + port : name, f[0], port, f[2], f[3],
            Path.of(f[4]), f[2], null, null, null, null);
        s.pid = listener(port);
        return s;
    }

    /**
     * Another account of a process started elsewhere (the s3 row starts its own server, with two users):
     * {@link #close} leaves the process alone. {@code home}: null when it is not on this machine's disk.
     */
    static Server account(String label, int port, String user, String password, Path home, long pid) {
        Server s = new Server(label, "127.0.0.1", port, user, password, home, user, null, null, null, null);
        s.pid = pid;
        return s;
    }

    boolean isJar() { return jar != null; }

    /** The jar this server runs; null for a peer or an account of another process. */
    Path jarFile() { return jar; }

    long pid() { return pid; }

    /** Starts (or starts again) the jar; the time from the process start to its first banner, in ms. */
    double start() throws Exception {
        stop();
        long t0 = System.nanoTime();
        process = java(cfg, work.resolve("server-" + starts++ + ".log"));
        pid = process.pid();
        waitForBanner(host, port, process);
        return (System.nanoTime() - t0) / 1e6;
    }

    /**
     * A second process of the jar with the same config on another port, started, timed to its first
     * banner and stopped again: start-up is measured beside the running server, which stays warm.
     */
    double launch() throws Exception {
        int other = freePort();
        Path c = work.resolve("launch.properties");
        Files.writeString(c, Files.readString(cfg).replace("port=" + port + "\n", "port=" + other + "\n"));
        long t0 = System.nanoTime();
        Process p = java(c, work.resolve("launch.log"));
        try {
            waitForBanner(host, other, p);
            return (System.nanoTime() - t0) / 1e6;
        } finally {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /**
     * The jar as the bench runs it: {@link #JVM}. A jar of an install (make dist: lib/ftp-server.jar
     * beside runtime/) runs as its launcher runs it, on the bundled runtime with the ahead-of-time
     * cache trained for it.
     */
    private Process java(Path config, Path log) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(JVM);
        Path lib = jar.toAbsolutePath().getParent(), bundled = lib.resolveSibling("runtime/bin/java");
        if (Files.isExecutable(bundled)) {
            cmd.set(0, bundled.toString());
            Path aot = lib.resolve("ftp-server.aot");
            if (Files.isRegularFile(aot)) cmd.add("-XX:AOTCache=" + aot);
        }
        cmd.addAll(List.of("-jar", jar.toString(), "-c", config.toString(), "-o"));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    void stop() throws InterruptedException {
        if (process == null) return;
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        process = null;
    }

    @Override public void close() throws IOException {
        if (jar == null) return;
        try {
            stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- memory, read from /proc ----

    /**
     * The server's memory in KiB: VmRSS when it is one process; when it forks (vsftpd), PSS summed over
     * its process tree, so pages its processes share are counted once. -1 when unknown.
     */
    long memoryKib() {
        if (pid <= 0) return -1;
        List<Long> tree = tree(pid);
        if (tree.size() <= 1) return procField(pid, "status", "VmRSS:");
        long sum = 0;
        for (long p : tree) sum += Math.max(0, procField(p, "smaps_rollup", "Pss:"));
        return sum;
    }

    /** How many processes the server is now (1 for a JVM or pyftpdlib; a forking server has more). */
    int processes() { return pid <= 0 ? 0 : tree(pid).size(); }

    static long procField(long pid, String file, String field) {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/" + file)))
                if (l.startsWith(field)) return Long.parseLong(l.replaceAll("\\D", ""));
        } catch (IOException | RuntimeException e) {
            // the process ended meanwhile
        }
        return -1;
    }

    /** The process and its descendants, from the parent ids in /proc/N/stat. */
    static List<Long> tree(long root) {
        Map<Long, List<Long>> children = new HashMap<>();
        try (var ds = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : ds) {
                try {
                    String st = Files.readString(p.resolve("stat"));
                    String[] f = st.substring(st.lastIndexOf(')') + 2).split(" ");
                    children.computeIfAbsent(Long.parseLong(f[1]), k -> new ArrayList<>())
                        .add(Long.parseLong(p.getFileName().toString()));
                } catch (IOException | RuntimeException e) {
                    // gone meanwhile
                }
            }
        } catch (IOException e) {
            return List.of(root);
        }
        List<Long> out = new ArrayList<>(List.of(root));
        for (int i = 0; i < out.size(); i++) out.addAll(children.getOrDefault(out.get(i), List.of()));
        return out;
    }

    /** The process that listens on the loopback port: the topmost holder of the socket's inode; 0 if none. */
    static long listener(int port) {
        String hex = String.format(":%04X", port);
        Set<String> inodes = new HashSet<>();
        for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            try {
                for (String l : Files.readAllLines(Path.of(table))) {
                    String[] f = l.strip().split("\\s+");
                    if (f.length > 9 && f[1].endsWith(hex) && f[3].equals("0A")) inodes.add("socket:[" + f[9] + "]");
                }
            } catch (IOException e) {
                // no IPv6
            }
        }
        Set<Long> holders = new HashSet<>();
        try (var ds = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : ds) {
                try (var fds = Files.newDirectoryStream(p.resolve("fd"))) {
                    for (Path fd : fds) {
                        if (inodes.contains(Files.readSymbolicLink(fd).toString())) {
                            holders.add(Long.parseLong(p.getFileName().toString()));
                            break;
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    // not ours to read, or gone
                }
            }
        } catch (IOException e) {
            return 0;
        }
        for (long h : holders) {
            long parent = procField(h, "status", "PPid:");
            if (!holders.contains(parent)) return h;
        }
        return 0;
    }

    // ---- plumbing ----

    static String hash(String java, Path jar, String password) throws Exception {
        Process p = new ProcessBuilder(java, "-jar", jar.toString(), "--hash-password").redirectErrorStream(true)
            .start();
        p.getOutputStream().write((password + "\n").getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0 || !out.startsWith("pbkdf2"))
            throw new IOException("--hash-password: " + out);
        return out;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static void waitForBanner(String host, int port, Process p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline && (p == null || p.isAlive())) {
            try (Socket s = new Socket(host, port)) {
                if (s.getInputStream().read() >= 0) return;
            } catch (IOException e) {
                Thread.sleep(2);
            }
        }
        throw new IOException("the server on port " + port + " did not start");
    }
}
