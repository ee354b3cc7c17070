package ftp;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Command line → Config → FtpServer. Exit codes: 0 stopped, 1 could not run, 2 bad usage or config. */
public final class Main {
    static final String USAGE = """
        usage: java -jar ftp-server.jar [options]
          -c, --config FILE   settings file (default: ./ftp.config.properties when present,
                              else the built-in default: anonymous, read-only, current directory)
          -p, --port N        port to listen on (0: any free port; overrides the config)
              --root DIR      the anonymous home (overrides anonymous.home)
          -o                  log to standard output, ignoring log.file
              --check-config  check the config, print the effective settings (passwords hidden)
              --hash-password read a password on standard input, print a value for user.NAME.password
          -h, --help          this text
        """;

    /**
     * Whether the JVM can name files in UTF-8 (RFC 2640). It takes the file-name encoding from the
     * locale at start-up (sun.jnu.encoding, not settable later): under LANG=C it is ASCII.
     */
    static final boolean UTF8_NAMES = "UTF-8".equalsIgnoreCase(System.getProperty("sun.jnu.encoding", "UTF-8"));

    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        Path configFile = null, root = null;
        Integer port = null;
        boolean stdout = false, check = false;
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "-h", "--help" -> {
                        System.out.print(USAGE);
                        return 0;
                    }
                    case "--hash-password" -> {
                        return hashPassword();
                    }
                    case "-o" -> stdout = true;
                    case "--check-config" -> check = true;
                    case "-c", "--config" -> configFile = Path.of(value(args, ++i, a));
                    case "--root" -> root = Path.of(value(args, ++i, a));
                    case "-p", "--port" -> {
                        String v = value(args, ++i, a);
                        if (!v.matches("[0-9]{1,5}") || Integer.parseInt(v) > 65535) throw new IllegalArgumentException("bad port: " + v);
                        port = Integer.parseInt(v);
                    }
                    default -> throw new IllegalArgumentException("unknown option: " + a);
                }
            }
        } catch (IllegalArgumentException e) {
            System.err.println("ftp-server: " + e.getMessage());
            System.err.print(USAGE);
            return 2;
        }
        Config config;
        try {
            if (configFile == null && Files.isRegularFile(Path.of("ftp.config.properties"))) configFile = Path.of("ftp.config.properties");
            if (configFile != null && !Files.isRegularFile(configFile)) throw new Config.Bad(configFile.toString(), "no such file");
            config = configFile == null ? Config.embedded(root) : Config.load(configFile, root);
            if (port != null) config = config.withPort(port);
        } catch (Config.Bad e) {
            System.err.println("ftp-server: config: " + e.getMessage());
            return 2;
        }
        if (check) {
            try {
                Tls.load(config);                                 // a certificate that can't be read is a config error too
            } catch (Config.Bad e) {
                System.err.println("ftp-server: config: " + e.getMessage());
                return 2;
            }
            System.out.print(describe(config));
            return 0;
        }
        try {
            setUpLogging(stdout ? null : config.logFile());
        } catch (IOException e) {
            System.err.println("ftp-server: config: log.file: cannot open: " + e.getMessage());
            return 2;
        }
        var log = System.getLogger("ftp");
        log.log(System.Logger.Level.INFO, "config: " + config.source());
        if (config.anonymous() != null)
            log.log(System.Logger.Level.INFO, "anonymous users get " + config.anonymous().home() + (config.anonymous().write() ? " (read-write)" : " (read-only)"));
        if (config.anonymous() == null && config.users().isEmpty()) log.log(System.Logger.Level.WARNING, "no accounts: nobody can log in");
        if (!UTF8_NAMES)
            log.log(System.Logger.Level.WARNING, "the locale's file-name encoding is " + System.getProperty("sun.jnu.encoding")
                + ", not UTF-8: names beyond ASCII will fail; start the JVM with LANG=C.UTF-8");
        FtpServer server;
        try {
            server = new FtpServer(config);
        } catch (IllegalArgumentException e) {
            System.err.println("ftp-server: config: " + e.getMessage());
            return 2;
        }
        try {
            // systemd socket activation (StandardInput=socket): the listening socket arrives as stdin,
            // so the JVM never needs root or CAP_NET_BIND_SERVICE for port 21.
            if (System.inheritedChannel() instanceof java.nio.channels.ServerSocketChannel inherited) {
                log.log(System.Logger.Level.INFO, "using the listening socket inherited from systemd");
                server.start(inherited);
            } else if (System.getenv("LISTEN_FDS") != null) {
                // systemd's LISTEN_FDS hands sockets over from fd 3, which Java can only take as stdin
                System.err.println("ftp-server: LISTEN_FDS is set but standard input is no listening socket: "
                    + "use StandardInput=socket in the unit (as the shipped one does), or <&3 after systemd-socket-activate");
                return 2;
            } else {
                server.start();
            }
        } catch (IOException e) {
            System.err.println("ftp-server: cannot listen on port " + config.port() + ": " + e.getMessage());
            return 1;
        }
        if (configFile != null) server.reloadFrom(configFile);
        if (!config.passiveAddress().isEmpty()) log.log(System.Logger.Level.INFO, "PASV announces " + config.passiveAddress());
        Config c = config;
        // SIGTERM and SIGINT: a graceful stop, then exit 0 (not 143), so systemd records a clean stop.
        // A signal handler rather than a shutdown hook: hooks run beside JUL's own, which silences logging.
        sun.misc.SignalHandler stop = sig -> Thread.ofPlatform().start(() -> {
            log.log(System.Logger.Level.INFO, "SIG" + sig.getName() + ": stopping; transfers get up to " + c.shutdownGrace().toSeconds() + " s");
            server.stop(c.shutdownGrace());                   // then await() below returns and main exits 0
        });
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), stop);
        sun.misc.Signal.handle(new sun.misc.Signal("INT"), stop);
        try {
            server.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /** The effective settings, passwords replaced by stars, for --check-config. */
    static String describe(Config c) {
        StringBuilder b = new StringBuilder("config OK: " + c.source() + "\n");
        java.util.function.BiConsumer<String, Object> line = (k, v) -> b.append(k).append('=').append(v == null ? "" : v).append('\n');
        line.accept("port", c.port());
        line.accept("address", c.address() == null ? "" : c.address().getHostAddress());
        line.accept("max.connections", c.maxConnections());
        line.accept("max.connections.per.ip", c.maxConnectionsPerIp());
        line.accept("idle.timeout", c.idleTimeout().toMillis() / 1000.0);
        line.accept("login.timeout", c.loginTimeout().toMillis() / 1000.0);
        line.accept("data.timeout", c.dataTimeout().toMillis() / 1000.0);
        line.accept("passive.ports", c.passiveMin() == 0 ? "" : c.passiveMin() + "-" + c.passiveMax());
        line.accept("passive.address", c.passiveAddress());
        line.accept("log.file", c.logFile());
        line.accept("transfer.log", c.transferLog());
        line.accept("login.failure.delay", c.failureDelay().toMillis() / 1000.0);
        line.accept("login.max.failures", c.loginMaxFailures());
        line.accept("login.ban.seconds", c.loginBan().toSeconds());
        line.accept("max.upload.size", c.maxUploadSize());
        line.accept("rate.download", c.rateDownload() / 1024);
        line.accept("rate.upload", c.rateUpload() / 1024);
        line.accept("shutdown.grace", c.shutdownGrace().toSeconds());
        line.accept("tls.certificate", c.tlsCertificate());
        line.accept("tls.key", c.tlsKey());
        line.accept("tls.key.password", c.tlsKeyPassword().isEmpty() ? "" : "********");
        line.accept("tls.protocols", String.join(",", c.tlsProtocols()));
        line.accept("tls.required", c.tlsRequired());
        line.accept("tls.implicit.port", c.tlsImplicitPort() < 0 ? "" : c.tlsImplicitPort());
        line.accept("tls.require.session.reuse", c.tlsRequireSessionReuse());
        line.accept("anonymous", c.anonymous() != null);
        if (c.anonymous() != null) {
            line.accept("anonymous.home", c.anonymous().home());
            line.accept("anonymous.write", c.anonymous().write());
        }
        for (Account a : new java.util.TreeMap<>(c.users()).values()) {
            String p = "user." + a.name() + ".";
            line.accept(p + "password", "********");
            line.accept(p + "home", a.home());
            line.accept(p + "write", a.write());
            line.accept(p + "tls.required", a.tlsRequired());
            line.accept(p + "rate.download", a.rateDownload() / 1024);
            line.accept(p + "rate.upload", a.rateUpload() / 1024);
            line.accept(p + "quota", a.quota());
        }
        return b.toString();
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) throw new IllegalArgumentException(option + " needs a value");
        return args[i];
    }

    private static int hashPassword() {
        char[] pw;
        if (System.console() != null) {
            pw = System.console().readPassword("password: ");
        } else {
            try {
                String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                pw = line == null ? null : line.toCharArray();
            } catch (IOException e) {
                pw = null;
            }
        }
        if (pw == null || pw.length == 0) {
            System.err.println("ftp-server: --hash-password: no password on standard input");
            return 2;
        }
        System.out.println(Accounts.hash(pw));
        return 0;
    }

    /** One line per event: "2026-01-01T10:00:00.123Z INFO [#12 203.0.113.9] message". */
    static void setUpLogging(Path file) throws IOException {
        OutputStream os = file == null ? System.out
            : Files.newOutputStream(file, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        PrintStream out = new PrintStream(os, true, StandardCharsets.UTF_8);
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        root.setLevel(Level.INFO);
        root.addHandler(new Handler() {
            private final Formatter f = new Formatter() {
                @Override public String format(LogRecord r) {
                    return Instant.ofEpochMilli(r.getMillis()) + " " + r.getLevel().getName() + " " + formatMessage(r) + System.lineSeparator();
                }
            };
            @Override public void publish(LogRecord r) { if (isLoggable(r)) out.print(f.format(r)); }
            @Override public void flush() { out.flush(); }
            @Override public void close() { out.flush(); }
        });
    }
}
