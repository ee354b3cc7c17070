package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import org.apache.commons.net.util.TrustManagerUtils;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A stop that meets a client that never reads, timers that must not restart, transfers whose file
 * or data connection goes wrong under them, and symbolic links: what the second hardening round
 * fixed, pinned down on raw replies so a regression shows as a wrong code, not a hang.
 */
class StopAndRaceTest {
    @TempDir Path tmp;

    static int epsvPort(String reply) { return UploadSafetyTest.epsvPort(reply); }

    /** A data connection to a fresh EPSV listener. */
    static Socket epsv(RawClient r) throws IOException {
        Socket d = new Socket("127.0.0.1", epsvPort(r.cmd("EPSV")));
        d.setSoTimeout(10_000);
        return d;
    }

    /** RETR over EPSV: the bytes, after asserting 150 and 226. */
    static byte[] get(RawClient r, String path) throws IOException {
        try (Socket d = epsv(r)) {
            assertThat(r.cmd("RETR " + path)).startsWith("150");
            byte[] b = d.getInputStream().readAllBytes();
            assertThat(r.reply()).startsWith("226");
            return b;
        }
    }

    /** STOR or APPE over EPSV; returns the final reply (150 asserted). */
    static String put(RawClient r, String verb, String path, String content) throws IOException {
        try (Socket d = epsv(r)) {
            assertThat(r.cmd(verb + " " + path)).startsWith("150");
            d.getOutputStream().write(content.getBytes(StandardCharsets.UTF_8));
        }
        return r.reply();
    }

    /** Log records of the "ftp" logger at SEVERE (System.Logger ERROR) while {@code body} runs. */
    interface Body { void run() throws Exception; }

    static List<String> severeDuring(Body body) throws Exception {
        List<String> severe = new CopyOnWriteArrayList<>();
        Handler h = new Handler() {
            @Override public void publish(LogRecord r) { if (r.getLevel().intValue() >= Level.SEVERE.intValue()) severe.add(r.getMessage()); }
            @Override public void flush() {}
            @Override public void close() {}
        };
        Logger.getLogger("ftp").addHandler(h);
        try {
            body.run();
        } finally {
            Logger.getLogger("ftp").removeHandler(h);
        }
        return severe;
    }

    // 1. stop() must never block on one client's socket

    /**
     * The rude client floods HELP and never reads, so the server's control thread ends up parked
     * in a reply write that can't complete. A graceful stop must close that session at once rather
     * than queue a 421 behind the stuck write, and still send the polite client its 421. The grace
     * is for running transfers: with 30 s of it, a stop that waited on the stuck session would
     * still be running when the 10 s join gives up (the watchdog's own stalled-write limit is
     * data.timeout, 60 s, so it can't rescue the stop either).
     */
    @ParameterizedTest(name = "grace {0} s")
    @ValueSource(ints = {1, 30})
    void aGracefulStopDoesNotHangOnAClientThatNeverReads(int grace) throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient polite = s.raw().login("alice", "secret");
             SocketChannel rude = SocketChannel.open()) {
            rude.setOption(StandardSocketOptions.SO_RCVBUF, 4096);   // before connect: the window stays small
            rude.connect(new InetSocketAddress("127.0.0.1", s.port()));
            rude.configureBlocking(false);                           // a full buffer shows as a 0-byte write, never a hang
            ByteBuffer helps = ByteBuffer.wrap("HELP\r\n".repeat(1000).getBytes(StandardCharsets.US_ASCII));
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(8), blockedSince = 0;
            boolean stuck = false;
            for (int i = 0; i < 200_000 && System.nanoTime() < end; i++) {
                if (!helps.hasRemaining()) helps.rewind();
                if (rude.write(helps) > 0) {
                    blockedSince = 0;
                    continue;
                }
                // nothing more fits: the server no longer reads commands, since it is stuck writing replies
                long now = System.nanoTime();
                if (blockedSince == 0) blockedSince = now;
                else if (now - blockedSince > TimeUnit.MILLISECONDS.toNanos(300)) {
                    stuck = true;
                    break;
                }
                Thread.sleep(10);
            }
            assertThat(stuck).as("the server stopped reading the flood").isTrue();

            Thread stopper = Thread.ofPlatform().daemon().name("test-stop").start(() -> s.server.stop(Duration.ofSeconds(grace)));
            stopper.join(10_000);
            assertThat(stopper.isAlive()).as("stop() still running after 10 s").isFalse();
            assertThat(s.server.sessions()).isZero();
            assertThat(polite.reply()).startsWith("421");            // the graceful part still happened
        }
    }

    // 2. login.timeout counts from the connect, whatever is sent before a login

    /**
     * REIN before any login logs nobody out, so it must not buy a fresh login.timeout: a client
     * could otherwise hold a connection slot for ever without a password.
     */
    @Test
    void reinWithoutALoginDoesNotRestartTheLoginTimer() throws Exception {
        try (TestServer s = TestServer.start(tmp, "login.timeout", "1.5", "idle.timeout", "60")) {
            long connected = System.nanoTime();                      // before the connect: errs on the strict side
            try (RawClient r = s.raw()) {
                assertThat(r.reply()).startsWith("220");
                r.socket.setSoTimeout(500);                          // a REIN every 0.5 s, and the 421 noticed as it comes
                String last = "220";
                for (int i = 0; i < 20 && last != null && last.startsWith("220")
                        && System.nanoTime() - connected < TimeUnit.SECONDS.toNanos(6); i++) {
                    try {
                        last = r.cmd("REIN");
                        if (last != null && last.startsWith("220")) last = r.reply();   // wait up to 0.5 s for a 421
                    } catch (SocketTimeoutException quiet) {
                        last = "220";                                // nothing within 0.5 s: still open, REIN again
                    } catch (IOException reset) {
                        last = null;                                 // closed under our write
                    }
                }
                long elapsed = System.nanoTime() - connected;
                assertThat(last).as("the last reply").satisfiesAnyOf(
                    l -> assertThat(l).isNull(), l -> assertThat(l).startsWith("421"));
                assertThat(elapsed).as("ns from connect to close").isLessThan(TimeUnit.MILLISECONDS.toNanos(3500));
            }
        }
    }

    /**
     * A PASV that no transfer command follows holds its port only for data.timeout: otherwise
     * idle sessions could keep every port of passive.ports (RFC 2577 §8). The watchdog closes it.
     */
    @Test
    void anUnusedPassiveListenerClosesAfterTheDataTimeout() throws Exception {
        try (TestServer s = TestServer.start(tmp, "data.timeout", "1", "idle.timeout", "60");
             RawClient r = s.raw().login("alice", "secret")) {
            assertThat(r.cmd("EPSV")).startsWith("229");
            assertThat(r.cmd("STAT")).contains("Data connection ready");
            String status = "";
            for (int i = 0; i < 50 && !status.contains("No data connection"); i++) {   // the watchdog looks once a second: ≤ 5 s
                Thread.sleep(100);
                status = r.cmd("STAT");
            }
            assertThat(status).contains("No data connection");
            assertThat(r.cmd("RETR nothing-pending")).startsWith("550");   // the file check comes first…
            Files.writeString(s.home.resolve("f"), "x");
            assertThat(r.cmd("RETR f")).startsWith("425");                   // …then: no data connection set up any more
            assertThat(r.cmd("NOOP")).startsWith("200");
        }
    }

    // 3. REST + STOR cuts the file only once data comes

    @Test
    void restStorWhoseDataConnectionNeverComesLeavesTheFileUntouched() throws Exception {
        try (TestServer s = TestServer.start(tmp, "data.timeout", "1"); RawClient r = s.raw().login("alice", "secret")) {
            Path f = Files.writeString(s.home.resolve("f"), "0123456789AB");
            FileTime mtime = Files.getLastModifiedTime(f);
            assertThat(r.cmd("TYPE I")).startsWith("200");
            assertThat(r.cmd("REST 3")).startsWith("350");
            epsvPort(r.cmd("EPSV"));                                 // REST survives EPSV (a transfer parameter)
            assertThat(r.cmd("STOR f")).startsWith("150");
            assertThat(r.reply()).startsWith("425");                 // the watchdog gave up on the listener
            assertThat(Files.readString(f)).isEqualTo("0123456789AB");
            assertThat(Files.getLastModifiedTime(f)).isEqualTo(mtime);
            assertThat(UploadSafetyTest.temps(s.home)).isEmpty();
            assertThat(r.cmd("NOOP")).startsWith("200");
            // the control: when data does come, the same resume cuts at the offset
            assertThat(r.cmd("REST 3")).startsWith("350");
            assertThat(put(r, "STOR", "f", "xyz")).startsWith("226");
            assertThat(Files.readString(f)).isEqualTo("012xyz");
        }
    }

    // 4. the home's own attributes are not the client's

    @Test
    void chmodAndMfmtOfTheHomeAre550AndChangeNothing() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("alice", "secret")) {
            Files.createDirectory(s.home.resolve("sub"));            // before the snapshot: it changes the home's mtime
            boolean posix = Files.getFileStore(s.home).supportsFileAttributeView(PosixFileAttributeView.class);
            Set<PosixFilePermission> mode = posix ? Files.getPosixFilePermissions(s.home) : null;
            FileTime mtime = Files.getLastModifiedTime(s.home);
            for (String home : new String[] {"/", ".", "..", "/..", "sub/..", "//"}) {
                assertThat(r.cmd("SITE CHMOD 000 " + home)).as("SITE CHMOD 000 %s", home).startsWith("550");
                assertThat(r.cmd("MFMT 19700101000000 " + home)).as("MFMT %s", home).startsWith("550");
            }
            assertThat(r.cmd("CWD sub")).startsWith("250");
            assertThat(r.cmd("SITE CHMOD 000 ..")).startsWith("550");   // the home named from below
            assertThat(r.cmd("MFMT 19700101000000 ..")).startsWith("550");
            // the controls: below the home both work, and don't touch the home either
            assertThat(r.cmd("MFMT 20200101000000 /sub")).startsWith("213");
            if (posix) assertThat(r.cmd("SITE CHMOD 700 /sub")).startsWith("200");
            assertThat(Files.getLastModifiedTime(s.home)).isEqualTo(mtime);
            if (posix) assertThat(Files.getPosixFilePermissions(s.home)).isEqualTo(mode);
            assertThat(r.cmd("CWD /")).startsWith("250");            // the home still usable
            assertThat(r.cmd("NOOP")).startsWith("200");
        }
    }

    // 5. a file that shrinks under a zero-copy RETR

    /**
     * A reads slowly, so its RETR is parked mid-file when B truncates the file in place (REST 10 +
     * STOR). sendfile then finds nothing at its offset: the transfer must end with an error reply,
     * not a 226 for a file it never finished, and not with a bug logged at ERROR.
     */
    @Test
    void aFileThatShrinksDuringABinaryRetrEndsItWithAnErrorNot226() throws Exception {
        int mib = 64;
        String[] endOfA = new String[2];
        List<String> severe = severeDuring(() -> {
            try (TestServer s = TestServer.start(tmp); RawClient a = s.raw().login("alice", "secret");
                 RawClient b = s.raw().login("alice", "secret")) {
                Path big = s.home.resolve("big.bin");
                try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
                    f.setLength((long) mib << 20);                    // sparse: quick to make, zeros to read
                }
                assertThat(a.cmd("TYPE I")).startsWith("200");
                int port = epsvPort(a.cmd("EPSV"));
                long received;
                try (Socket d = new Socket()) {
                    d.setReceiveBufferSize(64 * 1024);               // a small window: the server soon waits on A
                    d.connect(new InetSocketAddress("127.0.0.1", port));
                    d.setSoTimeout(10_000);
                    assertThat(a.cmd("RETR big.bin")).startsWith("150");
                    received = d.getInputStream().readNBytes(64 * 1024).length;   // under way, then A pauses
                    Thread.sleep(200);
                    assertThat(b.cmd("TYPE I")).startsWith("200");
                    assertThat(b.cmd("REST 10")).startsWith("350");
                    assertThat(put(b, "STOR", "big.bin", "0123456789")).startsWith("226");
                    assertThat(Files.size(big)).isEqualTo(20);       // cut at 10, then 10 bytes: rewritten in place
                    try {
                        received += d.getInputStream().readAllBytes().length;   // what was in flight, then the end
                    } catch (IOException reset) {
                        // a reset data connection ends it as well
                    }
                }
                assertThat(received).isLessThan((long) mib << 20);
                endOfA[0] = a.reply();
                endOfA[1] = a.cmd("NOOP");
            }
        });
        assertThat(endOfA[0]).as("A's final reply").matches("^(451|426) .*");
        assertThat(endOfA[1]).startsWith("200");                    // A's session survives its failed transfer
        assertThat(severe).as("ERROR log lines").isEmpty();
    }

    // 6. busy marks by real path

    /**
     * An overwrite through a link to a folder claims the real file: the same file, named through
     * the real folder, is busy for RNFR, DELE and APPE, and the folder can't be renamed from under it.
     */
    @Test
    void busyMarksFollowRealPathsThroughALinkedFolder() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient up = s.raw().login("alice", "secret");
             RawClient other = s.raw().login("alice", "secret")) {
            Path rd = Files.createDirectory(s.home.resolve("rd"));
            Path x = Files.writeString(rd.resolve("x"), "old");
            Path alias = s.home.resolve("alias");
            try {
                Files.createSymbolicLink(alias, Path.of("rd"));
            } catch (IOException | UnsupportedOperationException e) {
                Assumptions.abort("symbolic links not supported: " + e);
            }
            byte[] first = "first part;".getBytes(StandardCharsets.US_ASCII), second = "second part".getBytes(StandardCharsets.US_ASCII);
            assertThat(up.cmd("TYPE I")).startsWith("200");
            try (Socket d = epsv(up)) {
                assertThat(up.cmd("STOR alias/x")).startsWith("150");
                OutputStream out = d.getOutputStream();
                out.write(first);
                out.flush();
                assertThat(other.cmd("RNFR rd")).as("RNFR rd").startsWith("450");
                assertThat(other.cmd("RNFR rd/x")).as("RNFR rd/x").startsWith("450");
                assertThat(other.cmd("DELE rd/x")).as("DELE rd/x").startsWith("450");
                assertThat(other.cmd("TYPE I")).startsWith("200");
                epsvPort(other.cmd("EPSV"));
                assertThat(other.cmd("APPE rd/x")).as("APPE rd/x").startsWith("450");
                assertThat(other.cmd("STOR rd/x")).as("STOR rd/x").startsWith("450");
                assertThat(other.cmd("NOOP")).startsWith("200");
                assertThat(Files.readString(x)).isEqualTo("old");   // replaced only at the end
                out.write(second);
            }
            assertThat(up.reply()).startsWith("226");
            assertThat(Files.readAllBytes(x)).isEqualTo((new String(first, StandardCharsets.US_ASCII)
                + new String(second, StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII));
            assertThat(UploadSafetyTest.temps(rd)).isEmpty();
            assertThat(UploadSafetyTest.temps(s.home)).isEmpty();
            assertThat(Files.isSymbolicLink(alias)).isTrue();
            assertThat(other.cmd("RNFR rd")).startsWith("350");     // the claims went with the upload
            assertThat(other.cmd("NOOP")).startsWith("200");
        }
    }

    // 7. links inside serve, links out are refused

    @Test
    void aLinkInsideTheHomeServesAndALinkOutIs550() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("alice", "secret")) {
            Path in = Files.writeString(s.home.resolve("in.txt"), "inside");
            Path canary = Files.writeString(s.root.resolve("canary.txt"), "canary");   // outside alice's home
            Path lnk = s.home.resolve("lnk"), out = s.home.resolve("out"), outDir = s.home.resolve("outdir");
            try {
                Files.createSymbolicLink(lnk, Path.of("in.txt"));
                Files.createSymbolicLink(out, canary);
                Files.createSymbolicLink(outDir, s.bobHome);
            } catch (IOException | UnsupportedOperationException e) {
                Assumptions.abort("symbolic links not supported: " + e);
            }
            assertThat(r.cmd("TYPE I")).startsWith("200");
            // inside: the link is just another name
            assertThat(new String(get(r, "lnk"), StandardCharsets.UTF_8)).isEqualTo("inside");
            assertThat(r.cmd("SIZE lnk")).isEqualTo("213 6");
            assertThat(put(r, "APPE", "lnk", "+more")).startsWith("226");
            assertThat(Files.readString(in)).isEqualTo("inside+more");  // appended to the target, through the link
            assertThat(Files.isSymbolicLink(lnk)).isTrue();
            assertThat(put(r, "STOR", "lnk", "fresh")).startsWith("226");
            assertThat(new String(get(r, "lnk"), StandardCharsets.UTF_8)).isEqualTo("fresh");
            // outside: every verb refuses, whether a data connection waits or not
            for (String cmd : new String[] {"RETR out", "STOR out", "APPE out", "STOR outdir/new", "APPE outdir/new"}) {
                epsvPort(r.cmd("EPSV"));
                assertThat(r.cmd(cmd)).as(cmd).startsWith("550");
            }
            assertThat(r.cmd("SIZE out")).startsWith("550");
            assertThat(r.cmd("NOOP")).startsWith("200");
            assertThat(Files.readString(canary)).isEqualTo("canary");
            assertThat(Files.isSymbolicLink(out)).isTrue();
            try (var l = Files.list(s.bobHome)) {
                assertThat(l.toList()).isEmpty();
            }
        }
    }

    // 8. TYPE A is the default

    /** RFC 959 §3.1.1.1: until TYPE I, SIZE and RETR are in ASCII, CRLF on the wire; a new login starts in TYPE A again. */
    @Test
    void typeAIsTheDefaultForSizeRetrAndRest() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("alice", "secret")) {
            Files.writeString(s.home.resolve("f"), "a\nb\n");
            Path big = s.home.resolve("big.txt");
            try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
                f.setLength((16L << 20) + 1);                        // one byte over the TYPE A SIZE limit; sparse
            }
            assertThat(r.cmd("SIZE f")).isEqualTo("213 6");
            assertThat(r.cmd("STAT")).contains("TYPE: ASCII");
            try (Socket d = epsv(r)) {
                assertThat(r.cmd("RETR f")).startsWith("150").contains("ASCII");
                assertThat(new String(d.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("a\r\nb\r\n");
            }
            assertThat(r.reply()).startsWith("226");
            assertThat(r.cmd("REST 2")).startsWith("504");
            assertThat(r.cmd("REST 0")).startsWith("350");           // nothing to miscount at 0
            assertThat(r.cmd("SIZE big.txt")).startsWith("550");     // counting CRLFs would read it all
            assertThat(r.cmd("TYPE I")).startsWith("200");
            assertThat(r.cmd("SIZE f")).isEqualTo("213 4");
            assertThat(r.cmd("SIZE big.txt")).isEqualTo("213 " + ((16L << 20) + 1));
            assertThat(r.cmd("REIN")).startsWith("220");
            assertThat(r.cmd("USER alice")).startsWith("331");
            assertThat(r.cmd("PASS secret")).startsWith("230");
            assertThat(r.cmd("SIZE f")).isEqualTo("213 6");          // the new login is in TYPE A again
        }
    }

    // 9. STAT takes ls options as lftp sends them

    @Test
    void statWithLsOptionsListsTheDirectory() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("alice", "secret")) {
            Files.createDirectories(s.home.resolve("sub"));
            Files.writeString(s.home.resolve("sub/a"), "a");
            Files.writeString(s.home.resolve("sub/b"), "b");
            for (String cmd : new String[] {"STAT -a sub", "STAT -la sub", "STAT -a  -l sub"}) {
                assertThat(r.cmd(cmd)).as(cmd).startsWith("212-").contains(" a\n").contains(" b\n").endsWith("\n212 End of status.");
            }
            assertThat(r.cmd("STAT -a")).as("options alone: the server status").startsWith("211-");
            assertThat(r.cmd("NOOP")).startsWith("200");
        }
    }

    // 10. a stop cuts a transfer whose control thread waits for it

    /**
     * A command queued behind a running transfer parks the control thread in join(), where closing
     * the control socket doesn't reach it: the end of the grace must abort the transfer itself, or
     * it would outlive the stop (no xferlog line, its temporary file left behind).
     */
    @Test
    void aStopCutsATransferWhoseClientQueuedACommand() throws Exception {
        Path log = tmp.resolve("xferlog");
        try (TestServer s = TestServer.start(tmp, "user.alice.rate.upload", "64", "transfer.log", log.toString());
             RawClient r = s.raw().login("alice", "secret")) {
            Path f = Files.writeString(s.home.resolve("f.bin"), "the old content");
            assertThat(r.cmd("TYPE I")).startsWith("200");
            try (Socket d = epsv(r)) {
                assertThat(r.cmd("STOR f.bin")).startsWith("150");
                d.getOutputStream().write(new byte[50_000]);        // ~0.8 s at 64 KiB/s, and the connection stays open
                d.getOutputStream().flush();
                r.send("PWD\r\n");                                   // queued: the control thread now waits for the transfer
                assertThat(UploadSafetyTest.temps(s.home)).as("the overwrite's temporary file").hasSize(1);

                Thread stopper = Thread.ofPlatform().daemon().name("test-stop").start(() -> s.server.stop(Duration.ofMillis(500)));
                stopper.join(10_000);
                assertThat(stopper.isAlive()).as("stop() still running after 10 s").isFalse();
                List<String> lines = Files.readAllLines(log).stream().filter(l -> l.contains(" /f.bin ")).toList();
                assertThat(lines).as("xferlog lines for /f.bin").hasSize(1);
                assertThat(lines.get(0)).endsWith(" i");             // incomplete
                assertThat(UploadSafetyTest.temps(s.home)).isEmpty();
                assertThat(Files.readString(f)).isEqualTo("the old content");
            }
        }
    }

    // 11. a forced close under TLS never waits on JSSE's lock

    /** One line from {@code in}, CR and LF stripped; byte by byte, so nothing past it is taken from the stream. */
    static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c; (c = in.read()) >= 0 && c != '\n'; ) b.append((char) c);
        return b.toString().strip();
    }

    /**
     * As in the clear-text case above, but over AUTH TLS: the server's control thread is parked in
     * an SSLSocket write, holding JSSE's lock, so a close that first sends close_notify would wait
     * behind it for ever. The stop must close the TCP socket under it instead.
     */
    @Test
    void aStopDoesNotHangOnATlsClientThatNeverReads() throws Exception {
        try (TestServer s = TestServer.start(tmp, "tls.certificate", TlsTest.res("rsa-a.crt").toString(),
                 "tls.key", TlsTest.res("rsa-a.pkcs1.key").toString());
             Socket plain = new Socket()) {
            plain.setReceiveBufferSize(4096);                        // before connect: the window stays small
            plain.connect(new InetSocketAddress("127.0.0.1", s.port()), 5000);
            plain.setSoTimeout(10_000);
            InputStream in = plain.getInputStream();
            assertThat(line(in)).startsWith("220");
            plain.getOutputStream().write("AUTH TLS\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(line(in)).startsWith("234");
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {TrustManagerUtils.getAcceptAllTrustManager()}, null);
            SSLSocket ssl = (SSLSocket) ctx.getSocketFactory().createSocket(plain, "127.0.0.1", s.port(), true);
            ssl.setSoTimeout(10_000);
            ssl.startHandshake();
            ProtocolEdgeTest.Tls c = new ProtocolEdgeTest.Tls(ssl);
            assertThat(c.cmd("USER alice")).startsWith("331");
            assertThat(c.cmd("PASS secret")).startsWith("230");

            byte[] helps = "HELP\r\n".repeat(1000).getBytes(StandardCharsets.US_ASCII);
            AtomicLong lastWrite = new AtomicLong(System.nanoTime());
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
            Thread writer = Thread.ofPlatform().daemon().name("test-flood").start(() -> {
                try {
                    OutputStream out = ssl.getOutputStream();
                    for (int i = 0; i < 20_000 && System.nanoTime() < end; i++) {
                        out.write(helps);                            // blocks once the server stops reading
                        out.flush();
                        lastWrite.set(System.nanoTime());
                    }
                } catch (IOException closed) {
                    // the server (or the test, at the end) closed the connection
                }
            });
            try {
                // A short stall may only mean the server is slow (cold JIT, TLS, 2 CPUs) and still working
                // through buffered HELPs; it then is not yet parked in a write and the stop takes the easy
                // path. A stuck server never recovers, so wait for a stall long enough to be sure.
                boolean stuck = false;
                while (writer.isAlive() && System.nanoTime() < end) {
                    if (System.nanoTime() - lastWrite.get() > TimeUnit.SECONDS.toNanos(1)) {
                        stuck = true;
                        break;
                    }
                    Thread.sleep(20);
                }
                assertThat(stuck).as("the server stopped reading the flood").isTrue();

                Thread stopper = Thread.ofPlatform().daemon().name("test-stop").start(() -> s.server.stop(Duration.ofSeconds(30)));
                stopper.join(10_000);
                assertThat(stopper.isAlive()).as("stop() still running after 10 s").isFalse();
                assertThat(s.server.sessions()).isZero();
            } finally {
                plain.close();                                       // the TCP socket: SSLSocket.close could wait on our own stuck write
                writer.join(2000);
            }
        }
    }

    // 12. a missing folder is not a permission problem

    @Test
    void storIntoAMissingFolderSaysNoSuchFile() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("alice", "secret")) {
            epsvPort(r.cmd("EPSV"));
            assertThat(r.cmd("STOR nosuchdir/x.txt")).startsWith("550").contains("No such file").doesNotContain("Permission denied");
            assertThat(Files.exists(s.home.resolve("nosuchdir"))).isFalse();
            assertThat(r.cmd("NOOP")).startsWith("200");
        }
    }

    // 13. a refused REST takes an earlier one with it

    /** REST 4, then a REST refused in TYPE A: the transfer must not resume at 4 (the client thinks it cancelled that). */
    @Test
    void aRefusedRestClearsAnEarlierOne() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("alice", "secret")) {
            Files.writeString(s.home.resolve("f"), "0123456789");
            assertThat(r.cmd("TYPE I")).startsWith("200");
            assertThat(r.cmd("REST 4")).startsWith("350");
            assertThat(r.cmd("TYPE A")).startsWith("200");
            assertThat(r.cmd("REST 2")).startsWith("504");
            assertThat(r.cmd("TYPE I")).startsWith("200");
            assertThat(new String(get(r, "f"), StandardCharsets.US_ASCII)).isEqualTo("0123456789");
        }
    }
}
