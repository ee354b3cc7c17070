package bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The s3 row's processes: S3Proxy on loopback, its objects in files under {@code work}, and our jar as
 * its own process with the S3 provider of make s3 on its class path and two users, one whose home is in
 * S3Proxy's bucket and one whose home is a folder on local disk. One server for both, so that the two
 * homes differ in their storage only. The settings are ObjectStoreTest's and the README's: plain HTTP,
 * path-style, the SDK's Netty client, no authentication. Every wait is bounded; close() stops both
 * processes and removes the objects, also after a failed start.
 */
final class S3 implements AutoCloseable {
    static final Path PROVIDER = Path.of("target", "s3"), S3PROXY = Path.of("target", "s3proxy", "s3proxy.jar");
    static final String BUCKET = "bench";
    private static final Duration START = Duration.ofSeconds(60);       // it answers after ~2 s on 2 quiet cores

    private final Path work, store, staging;
    private Process proxy, server;
    /** The two users of the one server: set once it has started. */
    Server bucketHome, diskHome;

    /** Why the row can't run here, or null. */
    static String missing() {
        if (!Files.isRegularFile(PROVIDER.resolve(".done"))) return "no S3 provider in " + PROVIDER;
        if (!Files.isRegularFile(S3PROXY)) return "no " + S3PROXY;
        return null;
    }

    private S3(Path work) throws IOException {
        this.work = Files.createDirectories(work).toAbsolutePath();
        store = this.work.resolve("store");
        staging = this.work.resolve("staging");
        remove(store);                                                  // what a cut run left
        remove(staging);
        Files.createDirectories(store);
        Files.createDirectories(staging);
    }

    /** Both processes started, the bucket made; {@code disk} is the local home (made if missing). */
    static S3 start(String java, Path jar, Path work, Path disk) throws Exception {
        S3 s = new S3(work);
        try {
            int s3Port = Server.freePort();
            s.proxy = s.startProxy(java, s3Port);
            createBucket(s.proxy, URI.create("http://127.0.0.1:" + s3Port + "/" + BUCKET));
            disk = Files.createDirectories(disk).toAbsolutePath();
            int port = Server.freePort();
            Path cfg = Files.writeString(s.work.resolve("ftp.properties"), String.join("\n",
                "port=" + port, "address=127.0.0.1",
                "user.s.password=s", "user.s.write=true", "user.s.home=s3x://127.0.0.1:" + s3Port + "/" + BUCKET
                    + "/home/",
                "user.d.password=d", "user.d.write=true", "user.d.home=" + disk,
                "idle.timeout=600", "login.timeout=600", "shutdown.grace=2", ""));
            s.server = s.startServer(java, jar, cfg);
            Server.waitForBanner("127.0.0.1", port, s.server);
            long pid = s.server.pid();
            s.bucketHome = Server.account("S3 home", port, "s", "s", null, pid);
            s.diskHome = Server.account("local home", port, "d", "d", disk, pid);
            return s;
        } catch (Exception e) {
            s.close();
            throw e;
        }
    }

    /**
     * The filesystem backend, not the in-memory one ObjectStoreTest uses: during an upload the store
     * holds the 256 MiB temporary object and its copy, more than a heap of 512 MiB would keep.
     */
    private Process startProxy(String java, int port) throws IOException {
        Path props = Files.writeString(work.resolve("s3proxy.properties"), String.join("\n",
            "s3proxy.endpoint=http://127.0.0.1:" + port, "s3proxy.authorization=none",
            "s3proxy.ignore-unknown-headers=true",               // the Netty client's X-Amz-Client-* headers
            "jclouds.provider=filesystem", "jclouds.filesystem.basedir=" + store,
            "jclouds.identity=x", "jclouds.credential=y", ""));
        return new ProcessBuilder(java, "-Xmx512m", "-jar", S3PROXY.toAbsolutePath().toString(),
            "--properties", props.toString())
            .redirectErrorStream(true).redirectOutput(work.resolve("s3proxy.log").toFile()).start();
    }

    /** PUT of the bucket, again until S3Proxy answers (it listens a few seconds after its start). */
    private static void createBucket(Process proxy, URI bucket) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
        long end = System.nanoTime() + START.toNanos();
        while (true) {
            if (!proxy.isAlive()) throw new IOException("S3Proxy ended at its start: see its log");
            try {
                int code = http.send(HttpRequest.newBuilder(bucket).timeout(Duration.ofSeconds(10))
                    .PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode();
                if (code == 200) return;
                throw new IOException("PUT " + bucket + ": " + code);
            } catch (IOException notYet) {
                if (System.nanoTime() > end) throw new IOException("S3Proxy did not answer within " + START, notYet);
                Thread.sleep(100);
            }
        }
    }

    /**
     * Our jar as the other rows run it, with the provider's jars on its class path, the JVM settings
     * the README gives for an S3 API server on plain HTTP, and uploads staged under {@code work}.
     */
    private Process startServer(String java, Path jar, Path cfg) throws IOException {
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(Server.JVM);
        command.addAll(List.of("-Djava.io.tmpdir=" + staging,
            "-Ds3.spi.endpoint-protocol=http", "-Ds3.spi.force-path-style=true",
            "-Ds3.spi.client.custom-headers.enabled=true",      // the SDK's Netty client, as the tests use
            "-Ds3.spi.read.max-fragment-number=4",              // 4 x 5 MiB read-ahead: the default is 250 MiB
            "-cp", jar.toAbsolutePath() + ":" + PROVIDER.toAbsolutePath() + "/*", "ftp.Main",
            "-c", cfg.toString(), "-o"));
        ProcessBuilder b = new ProcessBuilder(command);
        b.environment().putAll(Map.of("AWS_REGION", "us-east-1", "AWS_ACCESS_KEY_ID", "x",
            "AWS_SECRET_ACCESS_KEY", "y"));
        return b.redirectErrorStream(true).redirectOutput(work.resolve("server.log").toFile()).start();
    }

    /** Our server first (its uploads may still be on the way to S3Proxy), then S3Proxy; then their files. */
    @Override public void close() throws IOException {
        try {
            for (Process p : new Process[] {server, proxy}) {
                if (p == null) continue;
                p.destroy();
                if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            for (Process p : new Process[] {server, proxy}) if (p != null) p.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            remove(store);
            remove(staging);
        }
    }

    static void remove(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (var w = Files.walk(dir)) {
            for (Path p : w.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
