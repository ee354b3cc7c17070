import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * make dist's training run for the JDK's ahead-of-time cache (JEP 483, 514, 515): starts the
 * server with {@code -XX:AOTCacheOutput}, drives the work a server does in its first minutes
 * (logins, FTPS, listings, uploads, downloads, file commands), then stops it with SIGTERM; at exit
 * the JVM writes the classes it loaded and linked, and the profiles of its hot methods, into the
 * cache. Started with that cache, the server skips that loading and warms up sooner.
 * Run with a JDK's source launcher: {@code java src/aot/Train.java JAVA JAR CACHE KEYTOOL}.
 */
public final class Train {
    private static final String USER = "t";

    public static void main(String[] a) throws Exception {
        String java = a[0], jar = a[1], cache = a[2], keytool = a[3];
        Path dir = Files.createTempDirectory("ftp-aot");
        Path home = Files.createDirectories(dir.resolve("home"));
        Files.createDirectories(home.resolve("many"));
        for (int i = 0; i < 2000; i++) Files.writeString(home.resolve("many").resolve("f" + i), "x");
        Path p12 = dir.resolve("tls.p12");
        run(keytool, "-genkeypair", "-alias", "a", "-keyalg", "EC", "-dname", "CN=localhost", "-validity", "2",
            "-keystore", p12.toString(), "-storetype", "PKCS12", "-storepass", "training");
        Path config = Files.writeString(dir.resolve("ftp.properties"), String.join("\n", "port=0",
            "address=127.0.0.1", "user." + USER + ".password=" + USER, "user." + USER + ".home=" + home,
            "user." + USER + ".write=true", "tls.certificate=" + p12, "tls.key.password=training",
            "transfer.log=" + dir.resolve("xferlog"), ""));
        Path log = dir.resolve("server.log");
        Process server = new ProcessBuilder(java, "-XX:AOTCacheOutput=" + cache, "-Xmx256m", "-XX:+UseSerialGC",
            "-jar", jar, "-c", config.toString(), "-o").redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            int port = port(log);
            long t0 = System.nanoTime();
            for (int i = 0; i < 3000; i++) login(port).quit();
            for (int round = 0; round < 20; round++) work(port, round, false);
            for (int round = 0; round < 5; round++) work(port, round, true);
            System.out.printf("aot training: %.1f s of work%n", (System.nanoTime() - t0) / 1e9);
        } finally {
            server.destroy();                                          // SIGTERM: a graceful stop, then the cache
        }
        if (!server.waitFor(120, TimeUnit.SECONDS)) {
            server.destroyForcibly();
            throw new IOException("the server did not stop");
        }
        if (server.exitValue() != 0) throw new IOException("the server's exit code: " + server.exitValue());
        // At exit the JVM writes what it saw to CACHE.config and starts another JVM that makes the cache of it
        Path made = Path.of(cache), recorded = Path.of(cache + ".config");
        for (int i = 0; i < 1200 && !(Files.isRegularFile(made) && !Files.exists(recorded)); i++) Thread.sleep(100);
        if (!Files.isRegularFile(made) || Files.exists(recorded))
            throw new IOException("no cache written in 2 minutes: " + Files.readString(log));
        try (var all = Files.walk(dir)) {                                 // the home, the key, the logs
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    /** One session of everyday work; over TLS when {@code tls}. */
    private static void work(int port, int round, boolean tls) throws Exception {
        Client c = login(port);
        if (tls) c = c.tls(port);
        c.cmd("TYPE I", "200");
        for (String s : List.of("FEAT", "SYST", "PWD", "HELP", "STAT", "NOOP", "OPTS UTF8 ON")) c.cmd(s, "2");
        String dir = (tls ? "tls" : "d") + round;
        c.cmd("MKD " + dir, "257");
        c.cmd("CWD " + dir, "250");
        for (int i = 0; i < 20; i++) c.put("f" + i, new byte[4096 * (1 + i % 3)]);
        for (int i = 0; i < 20; i++) c.get("RETR f" + i);
        c.cmd("SIZE f1", "213");
        c.cmd("MDTM f1", "213");
        c.cmd("MLST f1", "250");
        c.cmd("RNFR f1", "350");
        c.cmd("RNTO g1", "250");
        c.cmd("DELE g1", "250");
        c.cmd("CDUP", "200");
        c.get("LIST many");
        c.get("NLST many");
        c.get("MLSD many");
        c.cmd("TYPE A", "200");
        c.get("RETR " + dir + "/f2");
        c.quit();
    }

    private static Client login(int port) throws IOException {
        Client c = new Client(new Socket("127.0.0.1", port));
        c.reply("220");
        c.cmd("USER " + USER, "331");
        c.cmd("PASS " + USER, "230");
        return c;
    }

    /** A control connection, and the data connections it opens with EPSV. */
    private record Client(Socket s, BufferedReader in, OutputStream out, SSLContext tls) {
        Client(Socket s) throws IOException { this(s, reader(s), s.getOutputStream(), null); }

        Client tls(int port) throws Exception {
            cmd("AUTH TLS", "234");
            SSLContext ctx = trustAll();
            SSLSocket t = (SSLSocket) ctx.getSocketFactory().createSocket(s, "127.0.0.1", port, true);
            t.startHandshake();
            Client c = new Client(t, reader(t), t.getOutputStream(), ctx);
            c.cmd("USER " + USER, "331");
            c.cmd("PASS " + USER, "230");
            c.cmd("PBSZ 0", "200");
            c.cmd("PROT P", "200");
            return c;
        }

        String cmd(String line, String expect) throws IOException {
            out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
            return reply(expect);
        }

        /** A reply; a multi-line one (RFC 959 §4.2) ends at the line with its code and a space. */
        String reply(String expect) throws IOException {
            String l = in.readLine();
            if (l != null && l.length() > 3 && l.charAt(3) == '-') {
                String end = l.substring(0, 3) + " ";
                while (l != null && !l.startsWith(end)) l = in.readLine();
            }
            if (l == null || !l.startsWith(expect)) throw new IOException("expected " + expect + ", got " + l);
            return l;
        }

        Socket data() throws IOException {
            Matcher m = Pattern.compile("\\|\\|\\|(\\d+)\\|").matcher(cmd("EPSV", "229"));
            if (!m.find()) throw new IOException("no EPSV port");
            Socket d = new Socket("127.0.0.1", Integer.parseInt(m.group(1)));
            return tls == null ? d : tls.getSocketFactory().createSocket(d, "127.0.0.1", d.getPort(), true);
        }

        void put(String name, byte[] bytes) throws IOException {
            try (Socket d = data()) {
                cmd("STOR " + name, "150");
                d.getOutputStream().write(bytes);
            }
            reply("226");
        }

        void get(String command) throws IOException {
            try (Socket d = data()) {
                cmd(command, "150");
                d.getInputStream().transferTo(OutputStream.nullOutputStream());
            }
            reply("226");
        }

        void quit() throws IOException {
            cmd("QUIT", "221");
            s.close();
        }
    }

    private static BufferedReader reader(Socket s) throws IOException {
        return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
    }

    private static SSLContext trustAll() throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] c, String t) {}
            public void checkServerTrusted(X509Certificate[] c, String t) {}
            public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
        }}, null);
        return ctx;
    }

    /** The port from the server's start-up line ("listening on 127.0.0.1 port N"), within a minute. */
    private static int port(Path log) throws Exception {
        Pattern p = Pattern.compile("listening on \\S+ port (\\d+)");
        for (int i = 0; i < 600; i++, Thread.sleep(100)) {
            Matcher m = p.matcher(Files.readString(log));
            if (m.find()) return Integer.parseInt(m.group(1));
        }
        throw new IOException("the server did not start: " + Files.readString(log));
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IOException(String.join(" ", command) + ": " + out);
    }
}
