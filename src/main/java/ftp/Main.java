package ftp;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/** Command line → Config → FtpServer. Exit codes: 0 stopped, 1 could not run, 2 bad usage or config. */
public final class Main {
    static final String USAGE = """
        usage: ftp-server [options]       (or: java -jar ftp-server.jar [options], with a JDK >= 21)
          -c, --config FILE   settings file (default: ./ftp.config.properties when present,
                              else the built-in default: anonymous, read-only, current directory)
          -p, --port N        port to listen on (0: any free port; overrides the config)
              --root DIR      the folder to share: the anonymous home (overrides anonymous.home)
              --write         a quick writable share: anonymous users (or --user) may write
              --user NAME:PASSWORD
                              a quick share for one user instead of anonymous, home --root or here
          -o                  log to standard output, ignoring log.file
              --check-config  check the config and what start-up needs (ports, files, homes, TLS)
                              as this user, print the effective settings (passwords hidden)
              --hash-password read a password on standard input, print a value for user.NAME.password
              --version       print the version
          -h, --help          this text
        """;

    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** What the command line asks for; {@code overrides} replace keys of the config file. */
    private record Options(Path config, Properties overrides, boolean stdout, boolean check) {}

    static int run(String[] args) {
        Options o;
        try {
            o = options(args);
        } catch (IllegalArgumentException e) {
            System.err.println("ftp-server: " + e.getMessage());
            System.err.print(USAGE);
            return 2;
        }
        if (o == null) return 0;                                   // --help, --version
        Config config;
        try {
            config = config(o);
        } catch (Keys.Bad e) {
            System.err.println("ftp-server: config: " + e.getMessage());
            return 2;
        }
        if (o.check()) {
            List<String> problems = Preflight.problems(config);
            for (String p : problems) System.err.println("ftp-server: config: " + p);
            if (!problems.isEmpty()) return 2;
            System.out.print(describe(config));
            return 0;
        }
        try {
            Log.setUp(o.stdout() ? null : config.logs().file(), config.logs().json());
        } catch (IOException e) {
            System.err.println("ftp-server: config: log.file: cannot open: " + e.getMessage());
            return 2;
        }
        Log log = Log.SERVER;
        log.info("config: " + config.source());
        Account anonymous = config.users().anonymous();
        if (anonymous != null)
            log.info("anonymous users get " + anonymous.home()
                + (anonymous.write() ? " (read-write)" : " (read-only)"));
        if (anonymous != null && anonymous.write())
            log.warn("ANONYMOUS USERS MAY WRITE, DELETE AND RENAME in " + anonymous.home() + ": anyone who connects");
        for (String p : Preflight.homes(config)) log.warn(p);
        boolean remote = Stream.concat(Stream.ofNullable(anonymous), config.users().named().values().stream())
            .anyMatch(a -> a.home().getFileSystem() != FileSystems.getDefault());
        if (remote && Runtime.version().feature() < 24)     // JEP 491: before, waiting in synchronized pins a carrier
            log.warn("a home is on another file system (an object store?) and this JVM is "
                + Runtime.version().feature() + ": its provider waits inside synchronized blocks, which pin carrier "
                + "threads before JDK 24; run it on JDK 24 or later (the bundled runtime is)");
        if (anonymous == null && config.users().named().isEmpty()) log.warn("no accounts: nobody can log in");
        if (!PathJail.UTF8_NAMES)
            log.warn("the locale's file-name encoding is " + System.getProperty("sun.jnu.encoding")
                + ", not UTF-8: names beyond ASCII will fail; start the JVM with LANG=C.UTF-8");
        FtpServer server;
        try {
            server = o.config() == null ? new FtpServer(config)
                : new FtpServer(config, o.config(), () -> config(o).users());
        } catch (IllegalArgumentException e) {
            System.err.println("ftp-server: config: " + e.getMessage());
            return 2;
        }
        try {
            // systemd socket activation (StandardInput=socket): the listening socket arrives as stdin,
            // so the JVM never needs root or CAP_NET_BIND_SERVICE for port 21.
            if (System.inheritedChannel() instanceof ServerSocketChannel inherited) {
                log.info("using the listening socket inherited from systemd");
                server.start(inherited);
            } else if (System.getenv("LISTEN_FDS") != null) {
                // systemd's LISTEN_FDS hands sockets over from fd 3, which Java can only take as stdin
                System.err.println("ftp-server: LISTEN_FDS is set but standard input is no listening socket: "
                    + "use StandardInput=socket in the unit (as the shipped one does), "
                    + "or <&3 after systemd-socket-activate");
                return 2;
            } else {
                server.start();
            }
        } catch (IOException e) {
            System.err.println("ftp-server: cannot listen on port " + config.listen().port() + ": " + e.getMessage());
            return 1;
        }
        if (!config.passive().address().isEmpty()) log.info("PASV announces " + config.passive().address());
        Duration grace = config.limits().shutdownGrace();
        // SIGTERM and SIGINT: a graceful stop, then exit 0 (not 143), so systemd records a clean stop; a
        // second one during the grace stops at once. A signal handler rather than a shutdown hook: hooks run
        // beside JUL's own, which silences logging, and a JVM shutting down ignores a second signal.
        AtomicInteger signals = new AtomicInteger();
        SignalHandler stop = sig -> Thread.ofPlatform().start(() -> {
            if (signals.incrementAndGet() > 1) {
                log.info("SIG" + sig.getName() + " again: stopping now, cutting what still runs");
                server.hurry();
                return;
            }
            log.info("SIG" + sig.getName() + ": stopping; transfers get up to " + grace.toSeconds() + " s");
            server.stop(grace);                               // then await() below returns and main exits 0
        });
        Signal.handle(new Signal("TERM"), stop);
        Signal.handle(new Signal("INT"), stop);
        try {
            server.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /** Null when the command line was answered already (--help, --version, --hash-password's output). */
    private static Options options(String[] args) {
        Path config = null;
        Properties overrides = new Properties();
        boolean stdout = false, check = false, write = false;
        String user = null, root = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "-h", "--help" -> {
                    System.out.print(USAGE);
                    return null;
                }
                case "--version" -> {
                    System.out.println("ftp-server " + version());
                    return null;
                }
                case "--hash-password" -> {
                    if (hashPassword() != 0)
                        throw new IllegalArgumentException("--hash-password: no password on standard input");
                    return null;
                }
                case "-o" -> stdout = true;
                case "--check-config" -> check = true;
                case "-c", "--config" -> config = Path.of(value(args, ++i, a));
                case "--root" -> root = value(args, ++i, a);
                case "--write" -> write = true;
                case "--user" -> {
                    user = value(args, ++i, a);
                    if (!user.matches("[^.:\\s]+:.+")) throw new IllegalArgumentException("--user needs NAME:PASSWORD");
                }
                case "-p", "--port" -> {
                    String v = value(args, ++i, a);
                    if (!v.matches("[0-9]{1,5}") || Integer.parseInt(v) > 65535)
                        throw new IllegalArgumentException("bad port: " + v);
                    overrides.setProperty(Keys.Key.PORT.name, v);
                }
                default -> throw new IllegalArgumentException("unknown option: " + a);
            }
        }
        if (root != null) overrides.setProperty(Keys.Key.ANONYMOUS_HOME.name, root);
        if (write) overrides.setProperty(Keys.Key.ANONYMOUS_WRITE.name, "true");
        if (user != null) {                                      // like pyftpdlib -u/-P: the user instead of anonymous
            String name = user.substring(0, user.indexOf(':')), prefix = "user." + name + ".";
            overrides.setProperty(prefix + "password", user.substring(user.indexOf(':') + 1));
            overrides.setProperty(prefix + "home", root != null ? root : ".");
            overrides.setProperty(prefix + "write", Boolean.toString(write));
            overrides.setProperty(Keys.Key.ANONYMOUS.name, "false");
        }
        Path here = Path.of("ftp.config.properties");
        if (config == null && Files.isRegularFile(here)) config = here;
        return new Options(config, overrides, stdout, check);
    }

    /** The config file (or the built-in default) with the command line's overrides. */
    private static Config config(Options o) throws Keys.Bad {
        Properties p = o.config() == null ? Config.builtIn() : Config.read(o.config());
        p.putAll(o.overrides());
        return Config.parse(p, o.config() == null ? "built-in default (no config file)" : o.config().toString());
    }

    /** The build's version (the jar's manifest), or "dev" when run from classes. */
    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** The effective settings, in the order of the key table, then each user's; passwords replaced by stars. */
    static String describe(Config c) {
        StringBuilder b = new StringBuilder("config OK: " + c.source() + "\n");
        Map<String, String> rest = new LinkedHashMap<>(c.effective());
        for (Keys.Key k : Keys.Key.values()) {
            String v = rest.remove(k.name);
            if (v != null) b.append(k.name).append('=').append(v).append('\n');
        }
        rest.forEach((k, v) -> b.append(k).append('=').append(v).append('\n'));
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
        if (pw == null || pw.length == 0) return 2;
        System.out.println(Accounts.hash(pw));
        return 0;
    }
}
