package ftp;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server's settings, immutable, from {@code ftp.config.properties} (java.util.Properties
 * syntax: full-line comments only). Every key is checked here once; a bad one is one clear message
 * naming it ({@link Bad}), and nothing else in the server parses text.
 */
record Config(
    int port, InetAddress address,
    int maxConnections, int maxConnectionsPerIp,
    Duration idleTimeout, Duration loginTimeout, Duration dataTimeout,
    int passiveMin, int passiveMax, String passiveAddress,
    Path logFile,
    Duration failureDelay, int loginMaxFailures, Duration loginBan,
    long maxUploadSize,
    Account anonymous, Map<String, Account> users,
    Path tlsCertificate, Path tlsKey, String tlsKeyPassword, List<String> tlsProtocols,
    boolean tlsRequired, int tlsImplicitPort, boolean tlsRequireSessionReuse,
    Duration shutdownGrace, Path transferLog, long rateDownload, long rateUpload,
    String source) {

    /** A configuration error: {@code key} names what to fix. */
    static final class Bad extends Exception {
        Bad(String key, String problem) { super(key + ": " + problem); }
    }

    private static final Set<String> KEYS = Set.of(
        "port", "address", "max.connections", "max.connections.per.ip", "idle.timeout", "login.timeout",
        "data.timeout", "passive.ports", "passive.address", "log.file", "login.failure.delay",
        "login.max.failures", "login.ban.seconds", "max.upload.size",
        "anonymous", "anonymous.home", "anonymous.write",
        "tls.certificate", "tls.key", "tls.key.password", "tls.protocols", "tls.required", "tls.implicit.port",
        "tls.require.session.reuse", "shutdown.grace", "transfer.log", "rate.download", "rate.upload");
    private static final Pattern USER_KEY = Pattern.compile("user\\.([^.]+)\\.(password|home|write|tls\\.required|rate\\.download|rate\\.upload|quota)");

    /** The shipped ftp.config.properties, built into the jar: what runs when there is no file. */
    static Config embedded(Path root) throws Bad {
        Properties p = new Properties();
        try (InputStream in = Config.class.getResourceAsStream("/ftp.config.properties")) {
            if (in != null) p.load(new InputStreamReader(in, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new Bad("ftp.config.properties", "built-in default unreadable: " + e.getMessage());
        }
        if (root != null) p.setProperty("anonymous.home", root.toString());
        return parse(p, "built-in default (no config file)");
    }

    /** Reads {@code file}; {@code root}, when not null, replaces anonymous.home. */
    static Config load(Path file, Path root) throws Bad {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException | IllegalArgumentException e) {
            throw new Bad(file.toString(), "cannot read: " + e.getMessage());
        }
        if (root != null) p.setProperty("anonymous.home", root.toString());
        return parse(p, file.toString());
    }

    static Config parse(Properties p, String source) throws Bad {
        Map<String, Map<String, String>> userKeys = new LinkedHashMap<>();
        for (String key : new TreeSet<>(p.stringPropertyNames())) {
            Matcher m = USER_KEY.matcher(key);
            if (m.matches()) userKeys.computeIfAbsent(m.group(1), k -> new LinkedHashMap<>()).put(m.group(2), p.getProperty(key).strip());
            else if (!KEYS.contains(key)) throw new Bad(key, "unknown key (see README.md for the list)");
        }
        Values v = new Values(p);
        Map<String, Account> users = new LinkedHashMap<>();
        for (var e : userKeys.entrySet()) {
            String name = e.getKey(), prefix = "user." + name + ".";
            Map<String, String> u = e.getValue();
            if (!u.containsKey("password")) throw new Bad(prefix + "password", "missing for user " + name);
            if (!u.containsKey("home")) throw new Bad(prefix + "home", "missing for user " + name);
            if (u.get("password").startsWith("pbkdf2-") && !Accounts.isHash(u.get("password")))
                throw new Bad(prefix + "password", "a damaged hash: paste the whole line --hash-password printed");
            users.put(name, new Account(name, u.get("password"), v.directory(prefix + "home", u.get("home")),
                v.bool(prefix + "write", u.getOrDefault("write", "false")),
                v.bool(prefix + "tls.required", u.getOrDefault("tls.required", "false")),
                v.rate(prefix + "rate.download", u.get("rate.download")), v.rate(prefix + "rate.upload", u.get("rate.upload")),
                v.size(prefix + "quota", u.getOrDefault("quota", ""))));
        }
        Account anonymous = v.bool("anonymous", p.getProperty("anonymous", "false"))
            ? new Account("anonymous", null, v.directory("anonymous.home", p.getProperty("anonymous.home", ".").strip()),
                v.bool("anonymous.write", p.getProperty("anonymous.write", "false")))
            : null;
        int[] range = v.range("passive.ports");
        Path log = v.output("log.file");
        Path cert = v.file("tls.certificate"), key = v.file("tls.key");
        boolean tlsRequired = v.bool("tls.required", p.getProperty("tls.required", "false"));
        if (cert == null && (tlsRequired || !v.get("tls.implicit.port").isEmpty()))
            throw new Bad("tls.certificate", "needed by tls.required and tls.implicit.port");
        return new Config(
            v.integer("port", 2121, 0, 65535), v.address("address"),
            v.integer("max.connections", 500, 1, 1_000_000), v.integer("max.connections.per.ip", 20, 1, 1_000_000),
            v.seconds("idle.timeout", 300), v.seconds("login.timeout", 30), v.seconds("data.timeout", 60),
            range[0], range[1], p.getProperty("passive.address", "").strip(),
            log,
            v.seconds("login.failure.delay", 1), v.integer("login.max.failures", 10, 1, 1_000_000),
            v.seconds("login.ban.seconds", 600),
            v.size("max.upload.size", v.get("max.upload.size")),
            anonymous, Map.copyOf(users),
            cert, key, p.getProperty("tls.key.password", ""), v.protocols("tls.protocols", cert != null),
            tlsRequired, v.integer("tls.implicit.port", -1, 0, 65535),
            v.bool("tls.require.session.reuse", p.getProperty("tls.require.session.reuse", "false")),
            v.seconds("shutdown.grace", 30), v.output("transfer.log"),
            v.rate("rate.download", v.get("rate.download")), v.rate("rate.upload", v.get("rate.upload")),
            source);
    }

    Config withPort(int newPort) { return copy(newPort, anonymous, users); }

    /** For embedders: add or replace an account, whose home may be on any FileSystem. */
    Config withAccount(Account a) {
        if (a.name().equals("anonymous")) return copy(port, a, users);
        Map<String, Account> m = new LinkedHashMap<>(users);
        m.put(a.name(), a);
        return copy(port, anonymous, Map.copyOf(m));
    }

    /** These settings with the accounts of {@code fresh} (a reloaded config file). */
    Config withAccountsOf(Config fresh) { return copy(port, fresh.anonymous, fresh.users); }

    private Config copy(int newPort, Account anon, Map<String, Account> accounts) {
        return new Config(newPort, address, maxConnections, maxConnectionsPerIp, idleTimeout, loginTimeout, dataTimeout,
            passiveMin, passiveMax, passiveAddress, logFile, failureDelay, loginMaxFailures, loginBan, maxUploadSize,
            anon, accounts, tlsCertificate, tlsKey, tlsKeyPassword, tlsProtocols, tlsRequired, tlsImplicitPort,
            tlsRequireSessionReuse, shutdownGrace, transferLog, rateDownload, rateUpload, source);
    }

    /** Typed reads of single keys; each failure names its key. */
    private record Values(Properties p) {
        String get(String key) { return p.getProperty(key, "").strip(); }

        int integer(String key, int dflt, int min, int max) throws Bad {
            String s = get(key);
            if (s.isEmpty()) return dflt;
            try {
                int n = Integer.parseInt(s);
                if (n < min || n > max) throw new Bad(key, "must be between " + min + " and " + max + ", not " + s);
                return n;
            } catch (NumberFormatException e) {
                throw new Bad(key, "not a whole number: '" + s + "'");
            }
        }

        boolean bool(String key, String s) throws Bad {
            return switch (s.strip().toLowerCase(java.util.Locale.ROOT)) {
                case "true", "yes", "on" -> true;
                case "false", "no", "off", "" -> false;
                default -> throw new Bad(key, "must be true or false, not '" + s + "'");
            };
        }

        /** Seconds, decimals allowed (0.05 = 50 ms); 0 turns a timeout off. */
        Duration seconds(String key, double dflt) throws Bad {
            String s = get(key);
            try {
                double d = s.isEmpty() ? dflt : Double.parseDouble(s);
                if (!(d >= 0 && d <= 1e7)) throw new Bad(key, "must be between 0 and 10000000 seconds, not " + s);
                return Duration.ofMillis(Math.round(d * 1000));
            } catch (NumberFormatException e) {
                throw new Bad(key, "not a number of seconds: '" + s + "'");
            }
        }

        /** Bytes, with an optional K, M or G suffix (powers of 1024); empty or 0: no limit. */
        /** KiB/s in the file, bytes/s here; empty or 0: unlimited. */
        long rate(String key, String s) throws Bad {
            if (s == null || s.isBlank()) return 0;
            try {
                long n = Long.parseLong(s.strip());
                if (n < 0 || n > (1L << 40)) throw new Bad(key, "must be KiB/s between 0 and 2^40, not " + s);
                return n * 1024;
            } catch (NumberFormatException e) {
                throw new Bad(key, "not a whole number of KiB/s: '" + s + "'");
            }
        }

        long size(String key, String text) throws Bad {
            String s = text.strip().toUpperCase(java.util.Locale.ROOT);
            if (s.isEmpty()) return 0;
            Matcher m = Pattern.compile("([0-9]{1,15})([KMG]?)B?").matcher(s);
            if (!m.matches()) throw new Bad(key, "not a size in bytes (like 1048576 or 100M): '" + s + "'");
            int shift = switch (m.group(2)) { case "K" -> 10; case "M" -> 20; case "G" -> 30; default -> 0; };
            return Long.parseLong(m.group(1)) << shift;
        }

        int[] range(String key) throws Bad {
            String s = get(key);
            if (s.isEmpty()) return new int[] {0, 0};
            Matcher m = Pattern.compile("([0-9]{1,5})\\s*-\\s*([0-9]{1,5})").matcher(s);
            if (!m.matches()) throw new Bad(key, "must be a range like 50000-50100, not '" + s + "'");
            int lo = Integer.parseInt(m.group(1)), hi = Integer.parseInt(m.group(2));
            if (lo < 1024 || hi > 65535 || lo > hi) throw new Bad(key, "must lie within 1024-65535, low to high, not " + s);
            return new int[] {lo, hi};
        }

        InetAddress address(String key) throws Bad {
            String s = get(key);
            if (s.isEmpty()) return null;   // every interface (dual-stack where the OS allows)
            try {
                return InetAddress.getByName(s);
            } catch (UnknownHostException e) {
                throw new Bad(key, "not an address of this machine: '" + s + "'");
            }
        }

        /** A file to append to: its folder must exist (opening it is left to start-up). */
        Path output(String key) throws Bad {
            String s = get(key);
            if (s.isEmpty()) return null;
            Path f = Path.of(s).toAbsolutePath();
            if (Files.isDirectory(f) || !Files.isDirectory(f.getParent())) throw new Bad(key, "cannot write " + f + ": no such folder, or a folder");
            return f;
        }

        Path file(String key) throws Bad {
            String s = get(key);
            if (s.isEmpty()) return null;
            Path f = Path.of(s);
            if (!Files.isReadable(f)) throw new Bad(key, "cannot read " + f);
            return f;
        }

        /** Checked against the JDK's own list only when TLS is on: asking JSSE costs ~100 ms of start-up. */
        List<String> protocols(String key, boolean tls) throws Bad {
            String s = get(key);
            List<String> l = java.util.Arrays.stream((s.isEmpty() ? "TLSv1.2,TLSv1.3" : s).split("[,\\s]+")).filter(x -> !x.isEmpty()).toList();
            List<String> known = tls ? Tls.supportedProtocols() : List.of("TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1", "SSLv3");
            for (String x : l) if (!known.contains(x)) throw new Bad(key, "unknown protocol " + x + "; this JDK has " + known);
            return l;
        }

        Path directory(String key, String s) throws Bad {
            if (s.isEmpty()) throw new Bad(key, "is empty");
            Path d = Path.of(s).toAbsolutePath().normalize();
            if (!Files.isDirectory(d)) throw new Bad(key, "not a directory: " + d);
            return d;
        }
    }
}
