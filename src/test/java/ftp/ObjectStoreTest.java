package ftp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.net.ftp.FTPClient;
import org.apache.commons.net.ftp.FTPFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Homes in an S3 bucket: the server as its own process with the S3 FileSystemProvider of
 * {@code make s3} on its class path, against S3Proxy ({@code make s3proxy}, in-memory backend) on
 * loopback. Every outcome is checked in the bucket itself, through plain HTTP requests
 * (path-style, unsigned), never through the provider: what the objects hold (SHA-256), which keys
 * a prefix lists, what HEAD says. Skipped when the jars are missing. The tests that kill the
 * store run last and start it again.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ObjectStoreTest {
    private static final Path PROVIDER = Path.of("target/s3"), S3PROXY = Path.of("target/s3proxy/s3proxy.jar");
    private static final String BUCKET = "bucket";
    private static final int BIG = 50 << 20;
    private static final Duration SLOW = Duration.ofSeconds(60);        // a 50 MB upload and its PUT on 2 busy cores

    @TempDir static Path tmp;
    private static int s3Port, ftpPort;
    private static Process s3proxy, server;
    private static Bucket bucket;
    private static Path serverLog;
    private static List<String> jvm;
    private static String classPath;
    private static Map<String, String> env;

    /** Without the jars every test is skipped, each with the reason (a class-level skip would show as none run). */
    private static final boolean JARS = Files.exists(PROVIDER.resolve(".done")) && Files.exists(S3PROXY);

    @BeforeAll
    static void start() throws Exception {
        if (!JARS) return;
        s3Port = TestServer.freePort();
        startStore();
        ftpPort = TestServer.freePort();
        String home = "s3x://127.0.0.1:" + s3Port + "/" + BUCKET + "/";
        Path cfg = Files.writeString(tmp.resolve("ftp.properties"), String.join("\n",
            "address=127.0.0.1", "port=" + ftpPort, "login.failure.delay=0.05",
            "user.u.password=p", "user.u.write=true", "user.u.home=" + home + "home/",
            "user.q.password=p", "user.q.write=true", "user.q.home=" + home + "quota/", "user.q.quota=1000000",
            "user.nb.password=p", "user.nb.home=s3x://127.0.0.1:" + s3Port + "/nobucket/home/", ""));
        Path staging = Files.createDirectories(tmp.resolve("staging"));
        classPath = Path.of("target/classes").toAbsolutePath() + ":" + PROVIDER.toAbsolutePath() + "/*";
        jvm = List.of("-Xmx1g", "-Djava.io.tmpdir=" + staging,     // the provider stages uploads there
            "-Ds3.spi.endpoint-protocol=http", "-Ds3.spi.force-path-style=true",
            "-Ds3.spi.client.custom-headers.enabled=true",      // the SDK's Netty client: CRT's multipart fails here
            "-Ds3.spi.read.max-fragment-number=2");             // 10 MiB read-ahead, not 250: an outage meets
                                                                // data not read yet
        Path dir = Files.createDirectories(tmp.resolve("server"));
        serverLog = dir.resolve("out.log");
        env = Map.of("AWS_ACCESS_KEY_ID", "x", "AWS_SECRET_ACCESS_KEY", "y", "AWS_REGION", "us-east-1",
            "LC_ALL", "C.UTF-8");
        server = TestServer.startMain(dir, List.of(), jvm, classPath, env, "-o", "-c", cfg.toString());
        TestServer.awaitLog(serverLog, "listening on", SLOW);
    }

    @BeforeEach
    void jars() { assumeTrue(JARS, "no S3 provider or S3Proxy in target/: run make s3 s3proxy"); }

    /** Both processes stopped; the server's log and what the provider left in its staging folder go to the output. */
    @AfterAll
    static void stop() throws Exception {
        for (Process p : new Process[] {server, s3proxy}) {
            if (p == null) continue;
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (serverLog != null && Files.exists(serverLog)) System.out.print(Files.readString(serverLog));
        Path staging = tmp.resolve("staging");
        if (Files.isDirectory(staging)) {
            try (var files = Files.walk(staging)) {
                files.filter(Files::isRegularFile).forEach(f -> System.out.println("left in staging: " + f));
            }
        }
    }

    // ---- uploads and downloads ----

    @Test
    void fiftyMegabytesGoInWholeAndComeBackWholeAndFromAnOffset() throws Exception {
        byte[] data = TestServer.random(BIG, 50);
        FTPClient c = client();
        assertThat(c.makeDirectory("big")).isTrue();
        assertThat(c.storeFile("big/fifty.bin", new ByteArrayInputStream(data))).as(c.getReplyString()).isTrue();
        assertThat(bucket.sha("home/big/fifty.bin")).isEqualTo(sha(data, 0));
        assertThat(bucket.keys("home/big/")).containsExactly("home/big/", "home/big/fifty.bin");   // no temporary one

        assertThat(retrieveSha(c, "big/fifty.bin", 0)).isEqualTo(sha(data, 0));
        long offset = 30_000_001;                        // inside the sixth 5 MiB fragment
        assertThat(retrieveSha(c, "big/fifty.bin", offset)).isEqualTo(sha(data, offset));
        c.disconnect();
    }

    @Test
    void ftplibUploadsAndDownloadsThroughTheBucket() throws Exception {
        assumeTrue(TestServer.onPath("python3"), "no python3");
        byte[] data = TestServer.random(6 << 20, 6);                      // more than one 5 MiB read fragment
        Path up = Files.write(tmp.resolve("six.bin"), data), down = tmp.resolve("six.back");
        FTPClient c = client();
        assertThat(c.makeDirectory("py")).isTrue();
        c.disconnect();
        String script = """
            import ftplib, sys
            port, up, down = int(sys.argv[1]), sys.argv[2], sys.argv[3]
            f = ftplib.FTP(timeout=60)
            f.connect('127.0.0.1', port)
            f.login('u', 'p')
            with open(up, 'rb') as i:
                print(f.storbinary('STOR py/six.bin', i))
            with open(down, 'wb') as o:
                print(f.retrbinary('RETR py/six.bin', o.write))
            print(f.quit())
            """;
        Path log = tmp.resolve("ftplib.out");
        Process p = new ProcessBuilder("python3", "-c", script, Integer.toString(ftpPort), up.toString(),
            down.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            assertThat(p.waitFor(SLOW.toSeconds(), TimeUnit.SECONDS)).as("ftplib done").isTrue();
        } finally {
            p.destroyForcibly();
        }
        String out = Files.readString(log);
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("226 Transfer complete.\n226 Transfer complete.\n221");
        assertThat(bucket.sha("home/py/six.bin")).isEqualTo(sha(data, 0));
        assertThat(Files.readAllBytes(down)).isEqualTo(data);
    }

    @Test
    void overwriteReplacesTheObject() throws Exception {
        bucket.put("home/ow/f.txt", "old content".getBytes());
        FTPClient c = client();
        assertThat(c.storeFile("ow/f.txt", new ByteArrayInputStream("new".getBytes()))).isTrue();
        assertThat(bucket.get("home/ow/f.txt")).asString().isEqualTo("new");
        assertThat(bucket.keys("home/ow/")).containsExactly("home/ow/f.txt");
        c.disconnect();
    }

    /** A client that resets the data connection half-way: a partial upload must never become the object. */
    @Test
    void overwriteCutByAResetLeavesTheOldObjectAndNoTemporaryOne() throws Exception {
        byte[] old = TestServer.random(1 << 20, 1);
        bucket.put("home/cut/f.bin", old);
        try (RawClient r = raw()) {
            assertThat(r.cmd("TYPE I")).startsWith("200");
            Socket d = r.pasv();
            assertThat(r.cmd("STOR cut/f.bin")).startsWith("150");
            d.getOutputStream().write(TestServer.random(3 << 20, 3));
            d.setSoLinger(true, 0);
            d.close();                                                          // RST
            assertThat(r.reply()).startsWith("426");
            assertThat(r.cmd("NOOP")).startsWith("200");
        }
        assertThat(bucket.sha("home/cut/f.bin")).isEqualTo(sha(old, 0));
        assertThat(bucket.keys("home/cut/")).containsExactly("home/cut/f.bin");
    }

    @Test
    void overwriteAbortedLeavesTheOldObjectAndNoTemporaryOne() throws Exception {
        byte[] old = TestServer.random(1 << 20, 1);
        bucket.put("home/abor/f.bin", old);
        try (RawClient r = raw()) {
            assertThat(r.cmd("TYPE I")).startsWith("200");
            try (Socket d = r.pasv()) {
                assertThat(r.cmd("STOR abor/f.bin")).startsWith("150");
                d.getOutputStream().write(TestServer.random(3 << 20, 3));
                r.socket.setSoTimeout((int) SLOW.toMillis());
                assertThat(r.cmd("ABOR")).startsWith("426");
                assertThat(r.reply()).startsWith("226");
            }
        }
        assertThat(bucket.sha("home/abor/f.bin")).isEqualTo(sha(old, 0));
        assertThat(bucket.keys("home/abor/")).containsExactly("home/abor/f.bin");
    }

    /** A name is a key as it is: spaces and UTF-8 (RFC 2640) reach the bucket unchanged, and come back. */
    @Test
    void namesWithSpacesAndUtf8AreKeysAsTheyAre() throws Exception {
        FTPClient c = client();
        assertThat(c.makeDirectory("names")).isTrue();
        assertThat(c.makeDirectory("names/a folder")).as(c.getReplyString()).isTrue();
        assertThat(c.storeFile("names/a folder/Grüße und €.txt", new ByteArrayInputStream("ü".getBytes(
            StandardCharsets.UTF_8)))).as(c.getReplyString()).isTrue();
        assertThat(bucket.keys("home/names/")).containsExactly("home/names/", "home/names/a folder/",
            "home/names/a folder/Grüße und €.txt");
        assertThat(bucket.get("home/names/a folder/Grüße und €.txt")).asString(StandardCharsets.UTF_8)
            .isEqualTo("ü");
        assertThat(c.listNames("names/a folder")).containsExactly("names/a folder/Grüße und €.txt");
        assertThat(new String(TestServer.retrieve(c, "names/a folder/Grüße und €.txt"), StandardCharsets.UTF_8))
            .isEqualTo("ü");
        c.disconnect();
    }

    // ---- folders ----

    /** Folders inferred from a key (a/b/c.txt put by someone else) and folders made by MKD (a marker "m/"). */
    @Test
    void listingsShowInferredAndMadeFoldersAndCwdEntersBoth() throws Exception {
        bucket.put("home/tree/a/b/c.txt", "c".getBytes());
        bucket.put("home/tree/top.txt", "top".getBytes());
        FTPClient c = client();
        assertThat(c.makeDirectory("tree/m")).as(c.getReplyString()).isTrue();
        assertThat(c.makeDirectory("tree/m/n")).as(c.getReplyString()).isTrue();
        assertThat(bucket.keys("home/tree/m")).containsExactly("home/tree/m/", "home/tree/m/n/");

        assertThat(c.listNames("tree")).containsExactlyInAnyOrder("tree/a", "tree/m", "tree/top.txt");
        FTPFile[] list = c.listFiles("tree");
        assertThat(list).extracting(FTPFile::getName).containsExactlyInAnyOrder("a", "m", "top.txt");
        for (FTPFile f : list)
            assertThat(f.isDirectory()).as(f.getRawListing()).isEqualTo(!f.getName().endsWith(".txt"));
        assertThat(list).filteredOn(FTPFile::isFile).extracting(FTPFile::getSize).containsExactly(3L);
        FTPFile[] mlsd = c.mlistDir("tree/a");
        assertThat(mlsd).extracting(FTPFile::getName).containsExactly("b");
        assertThat(mlsd[0].isDirectory()).as(mlsd[0].getRawListing()).isTrue();
        assertThat(c.mlistDir("tree/m")).extracting(FTPFile::getName).containsExactly("n");
        assertThat(c.listNames("tree/a/b")).containsExactly("tree/a/b/c.txt");
        for (String dir : List.of("tree/a", "tree/m")) {
            assertThat(c.mlistFile(dir).isDirectory()).as(dir).isTrue();
            assertThat(c.retrieveFile(dir, OutputStream.nullOutputStream())).as(dir).isFalse();
            assertThat(c.getReplyCode()).as(dir).isEqualTo(550);
            assertThat(c.storeFile(dir, new ByteArrayInputStream("x".getBytes()))).as(dir).isFalse();  // "a" by "a/"
            assertThat(c.getReplyCode()).as(dir).isEqualTo(550);
            assertThat(c.rename("tree/top.txt", dir)).as(dir).isFalse();
            assertThat(c.getReplyCode()).as(dir).isEqualTo(550);
        }
        assertThat(bucket.keys("home/tree/")).containsExactly("home/tree/a/b/c.txt", "home/tree/m/", "home/tree/m/n/",
            "home/tree/top.txt");

        assertThat(c.changeWorkingDirectory("tree/a/b")).as(c.getReplyString()).isTrue();       // inferred
        assertThat(c.printWorkingDirectory()).isEqualTo("/tree/a/b");
        assertThat(new String(TestServer.retrieve(c, "c.txt"))).isEqualTo("c");
        assertThat(c.listNames()).containsExactly("c.txt");
        assertThat(c.changeWorkingDirectory("/tree/m/n")).as(c.getReplyString()).isTrue();      // made by MKD
        assertThat(c.listFiles()).isEmpty();
        assertThat(c.changeToParentDirectory()).isTrue();
        assertThat(c.printWorkingDirectory()).isEqualTo("/tree/m");
        assertThat(c.changeWorkingDirectory("/tree/nope")).isFalse();
        assertThat(c.getReplyCode()).isEqualTo(550);
        assertThat(c.changeWorkingDirectory("/tree/top.txt")).isFalse();
        assertThat(c.getReplyCode()).isEqualTo(550);
        assertThat(c.printWorkingDirectory()).isEqualTo("/tree/m");
        c.disconnect();
    }

    @Test
    void mkdMakesAMarkerAndRmdRemovesIt() throws Exception {
        bucket.put("home/mk/file", "f".getBytes());
        FTPClient c = client();
        assertThat(c.makeDirectory("mk/x")).as(c.getReplyString()).isTrue();
        assertThat(bucket.keys("home/mk/")).containsExactly("home/mk/file", "home/mk/x/");
        assertThat(c.makeDirectory("mk/x")).isFalse();                                   // exists
        assertThat(c.getReplyCode()).isEqualTo(550);
        assertThat(c.makeDirectory("mk/file")).isFalse();                                // a file has the name
        assertThat(c.getReplyCode()).isEqualTo(550);
        assertThat(c.makeDirectory("mk")).isFalse();                                     // inferred from mk/file
        assertThat(c.getReplyCode()).isEqualTo(550);
        assertThat(c.makeDirectory("mk/nope/y")).isFalse();                              // no parent
        assertThat(c.getReplyCode()).isEqualTo(550);
        assertThat(bucket.keys("home/mk/")).containsExactly("home/mk/file", "home/mk/x/");

        assertThat(c.removeDirectory("mk/x")).as(c.getReplyString()).isTrue();
        assertThat(bucket.keys("home/mk/")).containsExactly("home/mk/file");
        assertThat(c.removeDirectory("mk/x")).isFalse();
        assertThat(c.getReplyCode()).isEqualTo(550);
        assertThat(c.removeDirectory("mk/file")).isFalse();                              // not a folder
        assertThat(c.getReplyCode()).isEqualTo(550);
        assertThat(bucket.keys("home/mk/")).containsExactly("home/mk/file");
        c.disconnect();
    }

    /** The provider's delete of "d/" would take every object under it. */
    @Test
    void rmdOfAFolderNotEmptyIs550AndEveryObjectStays() throws Exception {
        bucket.put("home/full/a/b.txt", "b".getBytes());
        FTPClient c = client();
        assertThat(c.makeDirectory("made")).isTrue();
        bucket.put("home/made/f.txt", "f".getBytes());
        assertThat(c.makeDirectory("made/sub")).isTrue();
        List<String> before = new ArrayList<>(bucket.keys("home/full/"));
        before.addAll(bucket.keys("home/made/"));
        assertThat(before).containsExactly("home/full/a/b.txt", "home/made/", "home/made/f.txt", "home/made/sub/");

        for (String dir : List.of("full", "full/a", "made")) {
            assertThat(c.removeDirectory(dir)).as(dir).isFalse();
            assertThat(c.getReplyString()).as(dir).startsWith("550").contains("not empty");
        }
        bucket.delete("home/made/f.txt");
        assertThat(c.removeDirectory("made")).isFalse();                           // a folder in it is enough
        assertThat(c.getReplyString()).startsWith("550").contains("not empty");
        List<String> after = new ArrayList<>(bucket.keys("home/full/"));
        after.addAll(bucket.keys("home/made/"));
        assertThat(after).containsExactly("home/full/a/b.txt", "home/made/", "home/made/sub/");
        c.disconnect();
    }

    // ---- renames and deletes ----

    @Test
    void renameMovesTheKeyReplacesATargetAndOntoItselfKeepsIt() throws Exception {
        bucket.put("home/ren/a.txt", "A".getBytes());
        bucket.put("home/ren/c.txt", "C".getBytes());
        FTPClient c = client();
        assertThat(c.rename("ren/a.txt", "ren/b.txt")).as(c.getReplyString()).isTrue();
        assertThat(bucket.keys("home/ren/")).containsExactly("home/ren/b.txt", "home/ren/c.txt");
        assertThat(bucket.get("home/ren/b.txt")).asString().isEqualTo("A");

        assertThat(c.rename("ren/b.txt", "ren/c.txt")).as(c.getReplyString()).isTrue();      // rename(2): replaces
        assertThat(bucket.keys("home/ren/")).containsExactly("home/ren/c.txt");
        assertThat(bucket.get("home/ren/c.txt")).asString().isEqualTo("A");

        assertThat(c.rename("ren/c.txt", "ren/c.txt")).as(c.getReplyString()).isTrue();      // the provider deletes it
        assertThat(bucket.keys("home/ren/")).containsExactly("home/ren/c.txt");
        assertThat(bucket.get("home/ren/c.txt")).asString().isEqualTo("A");

        assertThat(c.rename("ren/missing.txt", "ren/d.txt")).isFalse();
        assertThat(c.getReplyCode()).isEqualTo(550);
        assertThat(bucket.keys("home/ren/")).containsExactly("home/ren/c.txt");
        c.disconnect();
    }

    /** A folder's rename would be a copy and a delete of every object under it, not atomic: refused. */
    @Test
    void renameOfAFolderIs550AndCopiesNothing() throws Exception {
        bucket.put("home/rf/src/x.txt", "x".getBytes());
        FTPClient c = client();
        assertThat(c.makeDirectory("rf/made")).isTrue();
        for (String dir : List.of("rf/src", "rf/made")) {
            assertThat(c.sendCommand("RNFR", dir)).as(dir).isEqualTo(350);
            assertThat(c.sendCommand("RNTO", "rf/dst")).as(dir).isEqualTo(550);
        }
        assertThat(bucket.keys("home/rf/")).containsExactly("home/rf/made/", "home/rf/src/x.txt");
        c.disconnect();
    }

    @Test
    void deleRemovesTheKeyAndRefusesMissingFilesAndFolders() throws Exception {
        bucket.put("home/del/f.txt", "f".getBytes());
        bucket.put("home/del/inferred/g.txt", "g".getBytes());
        FTPClient c = client();
        assertThat(c.makeDirectory("del/made")).isTrue();
        assertThat(c.deleteFile("del/f.txt")).as(c.getReplyString()).isTrue();
        assertThat(bucket.head("home/del/f.txt")).isEmpty();
        assertThat(c.deleteFile("del/f.txt")).isFalse();
        assertThat(c.getReplyCode()).isEqualTo(550);
        for (String dir : List.of("del/inferred", "del/made")) {                     // the provider would empty them
            assertThat(c.deleteFile(dir)).as(dir).isFalse();
            assertThat(c.getReplyCode()).isEqualTo(550);
        }
        assertThat(bucket.keys("home/del/")).containsExactly("home/del/inferred/g.txt", "home/del/made/");
        c.disconnect();
    }

    // ---- quota ----

    /**
     * user.q.quota=1000000 over a home that holds 400,000 bytes already: the server sums the home once,
     * then moves the sum by its own uploads and deletes.
     */
    @Test
    void quotaRefusesAnUploadThatWouldPassItAndCountsOwnUploadsAndDeletes() throws Exception {
        bucket.put("quota/pre.bin", new byte[400_000]);
        FTPClient c = client("q");
        assertThat(store(c, "a.bin", 400_000)).isEqualTo(226);                  // 800,000
        assertThat(store(c, "b.bin", 400_000)).isEqualTo(552);                  // would be 1,200,000
        assertThat(bucket.keys("quota/")).containsExactly("quota/a.bin", "quota/pre.bin");
        assertThat(store(c, "pre.bin", 400_000)).isEqualTo(226);                // replacing frees the old size
        assertThat(c.deleteFile("a.bin")).isTrue();                             // 400,000
        assertThat(store(c, "b.bin", 400_000)).isEqualTo(226);                  // 800,000
        assertThat(store(c, "c.bin", 300_000)).isEqualTo(552);                  // would be 1,100,000
        assertThat(bucket.keys("quota/")).containsExactly("quota/b.bin", "quota/pre.bin");
        assertThat(bucket.head("quota/b.bin")).hasValueSatisfying(h -> assertThat(h).containsEntry("content-length",
            List.of("400000")));
        c.disconnect();
    }

    // ---- homes that can't be served ----

    @Test
    void loginToAHomeInAMissingBucketIs530AndTheLogSaysWhy() throws Exception {
        long logged = Files.size(serverLog);
        try (RawClient r = new RawClient("127.0.0.1", ftpPort)) {
            assertThat(r.reply()).startsWith("220");
            assertThat(r.cmd("USER nb")).startsWith("331");
            assertThat(r.cmd("PASS p")).startsWith("530").contains("home directory unavailable");
        }
        assertThat(logSince(logged)).contains("home of nb unavailable").contains("NoSuchBucket");
    }

    /**
     * A new user's home in a bucket has no object under it yet (uploads and MKD make it): it is
     * served, so --check-config passes it, rather than calling it unreadable.
     */
    @Test
    void checkConfigPassesAHomeNothingIsUnderYet() throws Exception {
        assertThat(bucket.keys("fresh/")).isEmpty();
        Path cfg = Files.writeString(tmp.resolve("fresh.properties"), String.join("\n", "address=127.0.0.1",
            "port=0", "user.f.password=p", "user.f.write=true",
            "user.f.home=s3x://127.0.0.1:" + s3Port + "/" + BUCKET + "/fresh/", ""));
        TestServer.Exit e = TestServer.runMain(List.of(), jvm, classPath, tmp, env, "-c", cfg.toString(),
            "--check-config");
        assertThat(e.err()).doesNotContain("user.f.home");
        assertThat(e.code()).as(e.err()).isZero();
    }

    // ---- what an object store can't do ----

    @Test
    void verbsTheStoreCantDoAre504WithAReasonAndChangeNothing() throws Exception {
        bucket.put("home/ref/f.txt", "0123456789".getBytes());
        String modified = bucket.head("home/ref/f.txt").orElseThrow().get("last-modified").get(0);
        try (RawClient r = raw()) {
            assertThat(r.cmd("TYPE I")).startsWith("200");
            assertThat(r.cmd("REST 3")).startsWith("350");
            assertThat(r.cmd("STOR ref/f.txt")).startsWith("504 REST with STOR is not supported on this storage");
            assertThat(r.cmd("APPE ref/f.txt")).startsWith("504 APPE is not supported on this storage");
            assertThat(r.cmd("MFMT 20200101000000 ref/f.txt")).startsWith("504")
                .contains("no modification time that can be set");
            assertThat(r.cmd("SITE CHMOD 600 ref/f.txt")).startsWith("504").contains("not supported");
            assertThat(r.cmd("MDTM ref/f.txt")).startsWith("213").doesNotContain("20200101000000");
        }
        assertThat(bucket.get("home/ref/f.txt")).asString().isEqualTo("0123456789");
        assertThat(bucket.head("home/ref/f.txt").orElseThrow().get("last-modified")).containsExactly(modified);
        assertThat(bucket.keys("home/ref/")).containsExactly("home/ref/f.txt");
    }

    // ---- the store goes away (last: S3Proxy keeps its objects in memory; started again after) ----

    /**
     * The provider stages an upload on local disk and sends it at close: the store is missed at the
     * end, and that failure (not the client's connection) is what the log must name.
     */
    @Test
    @Order(Order.DEFAULT + 1)
    void storeGoneDuringAnUploadIs4xxAndTheServerLivesOn() throws Exception {
        long logged = Files.size(serverLog);
        try (RawClient r = raw()) {
            r.socket.setSoTimeout((int) SLOW.toMillis());
            assertThat(r.cmd("TYPE I")).startsWith("200");
            assertThat(r.cmd("MKD gone")).startsWith("257");
            try (Socket d = r.pasv()) {
                assertThat(r.cmd("STOR gone/up.bin")).startsWith("150");
                OutputStream out = d.getOutputStream();
                byte[] chunk = TestServer.random(1 << 20, 7);
                for (int i = 0; i < 4; i++) out.write(chunk);
                killStore();
                for (int i = 0; i < 12; i++) out.write(chunk);
            }
            String reply = r.reply();
            assertThat(reply).matches("4(51|26) .*");
            assertThat(r.cmd("NOOP")).startsWith("200");
        } finally {
            startStore();
        }
        assertAlive(logged, "STOR /gone/up.bin");
        assertCauseLogged(logged, "STOR /gone/up.bin");
    }

    @Test
    @Order(Order.DEFAULT + 2)
    void storeGoneDuringADownloadIs4xxAndTheServerLivesOn() throws Exception {
        byte[] data = TestServer.random(24 << 20, 24);          // more than the read-ahead: the rest needs the store
        bucket.put("home/gone/down.bin", data);
        long logged = Files.size(serverLog);
        try (RawClient r = raw()) {
            r.socket.setSoTimeout((int) SLOW.toMillis());
            assertThat(r.cmd("TYPE I")).startsWith("200");
            long got;
            try (Socket d = r.pasv()) {
                d.setSoTimeout((int) SLOW.toMillis());
                assertThat(r.cmd("RETR gone/down.bin")).startsWith("150");
                InputStream in = d.getInputStream();
                got = in.readNBytes(1 << 20).length;
                killStore();
                got += in.transferTo(OutputStream.nullOutputStream());
            }
            assertThat(got).isLessThan(data.length);
            assertThat(r.reply()).matches("4(51|26) .*");
            assertThat(r.cmd("NOOP")).startsWith("200");
        } finally {
            startStore();
        }
        assertAlive(logged, "RETR /gone/down.bin");
        assertCauseLogged(logged, "RETR /gone/down.bin");
    }

    /** A new session is served, the log names the failed transfer, and the store serves again. */
    private static void assertAlive(long logged, String what) throws Exception {
        assertThat(server.isAlive()).isTrue();
        FTPClient c = client();
        assertThat(c.sendNoOp()).isTrue();
        assertThat(c.storeFile("again.txt", new ByteArrayInputStream("back".getBytes()))).as(c.getReplyString())
            .isTrue();
        assertThat(bucket.get("home/again.txt")).asString().isEqualTo("back");
        c.disconnect();
        assertThat(logSince(logged)).containsPattern("transfer " + Pattern.quote(what)
            + " \\d+ bytes \\d+ ms failed 4\\d\\d");
    }

    /** The log line of a failed transfer that says why: the store's error, as the provider reported it. */
    private static void assertCauseLogged(long logged, String what) throws IOException {
        assertThat(logSince(logged)).as("the cause").containsPattern(Pattern.quote(what)
            + ": .*Exception.*Connection refused");
    }

    private static String logSince(long offset) throws IOException {
        try (InputStream in = Files.newInputStream(serverLog)) {
            in.skipNBytes(offset);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    // ---- helpers ----

    private static FTPClient client() throws IOException { return client("u"); }

    /** {@code user} (password p) logged in over a UTF-8 control connection, binary, passive. */
    private static FTPClient client(String user) throws IOException {
        FTPClient c = new FTPClient();
        c.setControlEncoding("UTF-8");
        c.setDefaultTimeout(10_000);
        c.connect("127.0.0.1", ftpPort);
        c.setSoTimeout((int) SLOW.toMillis());
        assertThat(c.login(user, "p")).as(c.getReplyString()).isTrue();
        c.setFileType(FTPClient.BINARY_FILE_TYPE);
        c.enterLocalPassiveMode();
        return c;
    }

    private static RawClient raw() throws IOException {
        RawClient r = new RawClient("127.0.0.1", ftpPort);
        r.login("u", "p");
        return r;
    }

    /**
     * STOR of {@code n} zero bytes: the final reply's code. A 552 goes out as soon as the limit is
     * passed, before the transfer has dropped what else comes and removed its temporary object; PWD
     * is answered only once the transfer has ended.
     */
    private static int store(FTPClient c, String name, int n) throws IOException {
        c.storeFile(name, new ByteArrayInputStream(new byte[n]));
        int code = c.getReplyCode();
        assertThat(c.printWorkingDirectory()).isEqualTo("/");
        return code;
    }

    /** RETR from {@code offset} (REST when not 0), streamed into SHA-256. */
    private static String retrieveSha(FTPClient c, String name, long offset) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        c.setRestartOffset(offset);
        try (OutputStream out = new DigestOutputStream(OutputStream.nullOutputStream(), md)) {
            assertThat(c.retrieveFile(name, out)).as(c.getReplyString()).isTrue();
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static String sha(byte[] b, long from) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        md.update(b, (int) from, b.length - (int) from);
        return HexFormat.of().formatHex(md.digest());
    }

    /** S3Proxy on {@link #s3Port}, objects in memory, no authentication; the bucket made. */
    private static void startStore() throws Exception {
        Path props = Files.writeString(tmp.resolve("s3proxy.properties"), String.join("\n",
            "s3proxy.endpoint=http://127.0.0.1:" + s3Port, "s3proxy.authorization=none",
            "s3proxy.ignore-unknown-headers=true",               // the Netty client's X-Amz-Client-* headers
            "jclouds.provider=transient", "jclouds.identity=x", "jclouds.credential=y", ""));
        s3proxy = new ProcessBuilder(TestServer.java(), "-Xmx1g", "-jar", S3PROXY.toAbsolutePath().toString(),
            "--properties", props.toString())
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(tmp.resolve("s3proxy.log")
                .toFile())).start();
        bucket = new Bucket(URI.create("http://127.0.0.1:" + s3Port + "/" + BUCKET));
        long end = System.nanoTime() + SLOW.toNanos();
        for (int i = 0; ; i++) {
            assertThat(s3proxy.isAlive()).as("S3Proxy running; see s3proxy.log").isTrue();
            try {
                bucket.create();
                return;
            } catch (IOException notYet) {
                assertThat(System.nanoTime() < end && i < 1000).as("S3Proxy answers within " + SLOW).isTrue();
                Thread.sleep(100);
            }
        }
    }

    /** SIGKILL: the store is gone at once, connections and all (its objects with it). */
    private static void killStore() throws InterruptedException {
        s3proxy.destroyForcibly();
        assertThat(s3proxy.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }

    /** The bucket as plain HTTP sees it: path-style, unsigned (S3Proxy runs with authorization=none). */
    private record Bucket(URI base, HttpClient http) {
        private static final Pattern KEY = Pattern.compile("<Key>([^<]*)</Key>");

        Bucket(URI base) {
            this(base, HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build());
        }

        void create() throws IOException, InterruptedException {
            int code = send(HttpRequest.newBuilder(base).PUT(HttpRequest.BodyPublishers.noBody()),
                HttpResponse.BodyHandlers.discarding()).statusCode();
            if (code != 200) throw new AssertionError("PUT " + base + ": " + code);
        }

        void put(String key, byte[] content) throws IOException, InterruptedException {
            int code = send(HttpRequest.newBuilder(object(key)).PUT(HttpRequest.BodyPublishers.ofByteArray(content)),
                HttpResponse.BodyHandlers.discarding()).statusCode();
            assertThat(code).as("PUT " + key).isEqualTo(200);
        }

        void delete(String key) throws IOException, InterruptedException {
            int code = send(HttpRequest.newBuilder(object(key)).DELETE(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
            assertThat(code).as("DELETE " + key).isEqualTo(204);
        }

        /** The object's bytes; asserted to exist. */
        byte[] get(String key) throws IOException, InterruptedException {
            var r = send(HttpRequest.newBuilder(object(key)).GET(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(r.statusCode()).as("GET " + key).isEqualTo(200);
            return r.body();
        }

        /** SHA-256 of the object, streamed. */
        String sha(String key) throws Exception {
            var r = send(HttpRequest.newBuilder(object(key)).GET(), HttpResponse.BodyHandlers.ofInputStream());
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            try (InputStream in = r.body(); OutputStream out = new DigestOutputStream(OutputStream.nullOutputStream(),
                    md)) {
                assertThat(r.statusCode()).as("GET " + key).isEqualTo(200);
                in.transferTo(out);
            }
            return HexFormat.of().formatHex(md.digest());
        }

        /** HEAD: the headers (lower-case names), empty for 404. */
        Optional<Map<String, List<String>>> head(String key) throws IOException, InterruptedException {
            var r = send(HttpRequest.newBuilder(object(key)).method("HEAD", HttpRequest.BodyPublishers.noBody()),
                HttpResponse.BodyHandlers.discarding());
            if (r.statusCode() == 404) return Optional.empty();
            assertThat(r.statusCode()).as("HEAD " + key).isEqualTo(200);
            return Optional.of(r.headers().map());
        }

        /** Every key under {@code prefix}, sorted (list-objects-v2, no delimiter; fewer than 1000 here). */
        List<String> keys(String prefix) throws IOException, InterruptedException {
            var r = send(HttpRequest.newBuilder(URI.create(base + "?list-type=2&prefix=" + encode(prefix))).GET(),
                HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("list " + prefix).isEqualTo(200);
            assertThat(r.body()).contains("<IsTruncated>false</IsTruncated>");
            List<String> keys = new ArrayList<>();
            for (Matcher m = KEY.matcher(r.body()); m.find(); ) keys.add(m.group(1));
            String[] sorted = keys.toArray(String[]::new);
            Arrays.sort(sorted);
            return List.of(sorted);
        }

        private URI object(String key) { return URI.create(base + "/" + encode(key).replace("%2F", "/")); }

        /** Percent-encoded as S3 wants it: a space is %20, not '+'. */
        private static String encode(String s) {
            return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
        }

        private <T> HttpResponse<T> send(HttpRequest.Builder b, HttpResponse.BodyHandler<T> h)
                throws IOException, InterruptedException {
            return http.send(b.timeout(SLOW).build(), h);
        }
    }
}
