package ftp;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.net.URI;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.ProviderNotFoundException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server's settings, immutable, from {@code ftp.config.properties} (java.util.Properties
 * syntax: full-line comments only). {@link Key} and {@link UserKey} are the one table of keys: it
 * drives parsing, --check-config's output and (checked by a test) the README's table. Every key is
 * checked here once; a bad one is one clear message naming it ({@link Bad}). The hard limits, which
 * no key changes, are named constants at the end.
 */
record Config(Listen listen, Limits limits, Logins logins, Passive passive, Logs logs, Ftps ftps, Rates rates,
              Modes modes, Proxy proxy, Http admin, Accounts.Users users, String source,
              Map<String, String> effective) {

    /** A configuration error: {@code key} names what to fix. */
    static final class Bad extends Exception {
        Bad(String key, String problem) { super(key + ": " + problem); }
    }

    record Listen(InetAddress address, int port, int implicitTlsPort) {}       // address null: every interface
    record Limits(int connections, int connectionsPerAddress, Duration idle, Duration login, Duration data,
                  long uploadSize, Duration shutdownGrace) {}
    record Logins(Duration failureDelay, int maxFailures, Duration ban) {}
    record Passive(int min, int max, String address) {}                         // min 0: any port
    record Logs(Path file, Path transfers, boolean json) {}                     // null: standard output, none
    /** The load balancers allowed to send a PROXY protocol header (empty: none). */
    record Proxy(AddressBlocks trusted) {}
    /** The admin HTTP listener (null address: off) and its bearer token (empty: none). */
    record Http(InetSocketAddress address, String token) {}
    /** FTPS: the default pair, and a pair per host name for clients that ask for it (SNI, or HOST before AUTH). */
    record Ftps(Path certificate, Path key, String keyPassword, List<String> protocols, boolean required,
                boolean requireSessionReuse, Map<String, Host> hosts) {
        boolean on() { return certificate != null; }
    }

    /** tls.NAME.certificate and tls.NAME.key: the pair served to clients asking for NAME (a host or *.domain). */
    record Host(Path certificate, Path key) {}
    record Rates(long download, long upload) {}                                 // bytes/s, 0: unlimited
    /** The permissions of uploaded files and new folders (null: as the process's umask makes them). */
    record Modes(Set<PosixFilePermission> file, Set<PosixFilePermission> folder) {
        static final Modes UMASK = new Modes(null, null);
    }

    /** Every global key with its default, as text; parsed like a value from the file. */
    enum Key {
        PORT("port", "2121"), ADDRESS("address", ""),
        MAX_CONNECTIONS("max.connections", "500"), MAX_CONNECTIONS_PER_IP("max.connections.per.ip", "20"),
        IDLE_TIMEOUT("idle.timeout", "300"), LOGIN_TIMEOUT("login.timeout", "30"), DATA_TIMEOUT("data.timeout", "60"),
        PASSIVE_PORTS("passive.ports", ""), PASSIVE_ADDRESS("passive.address", ""),
        LOG_FILE("log.file", ""), TRANSFER_LOG("transfer.log", ""),
        LOGIN_FAILURE_DELAY("login.failure.delay", "1"), LOGIN_MAX_FAILURES("login.max.failures", "10"),
        LOGIN_BAN_SECONDS("login.ban.seconds", "600"),
        MAX_UPLOAD_SIZE("max.upload.size", "0"), RATE_DOWNLOAD("rate.download", "0"), RATE_UPLOAD("rate.upload", "0"),
        SHUTDOWN_GRACE("shutdown.grace", "30"), UPLOAD_MODE("upload.mode", ""), FOLDER_MODE("folder.mode", ""),
        ANONYMOUS("anonymous", "false"), ANONYMOUS_HOME("anonymous.home", "."),
        ANONYMOUS_WRITE("anonymous.write", "false"), ANONYMOUS_DOTFILES("anonymous.dotfiles", "false"),
        TLS_CERTIFICATE("tls.certificate", ""), TLS_KEY("tls.key", ""), TLS_KEY_PASSWORD("tls.key.password", "", true),
        TLS_PROTOCOLS("tls.protocols", "TLSv1.2,TLSv1.3"), TLS_REQUIRED("tls.required", "false"),
        TLS_IMPLICIT_PORT("tls.implicit.port", ""), TLS_REQUIRE_SESSION_REUSE("tls.require.session.reuse", "false"),
        PROXY_TRUSTED("proxy.trusted", ""), ADMIN_ADDRESS("admin.address", ""), ADMIN_TOKEN("admin.token", "", true),
        LOG_FORMAT("log.format", "text");

        final String name, dflt;
        final boolean secret;

        Key(String name, String dflt) { this(name, dflt, false); }

        Key(String name, String dflt, boolean secret) {
            this.name = name;
            this.dflt = dflt;
            this.secret = secret;
        }
    }

    /** The keys of one named user: user.NAME.password and so on. */
    enum UserKey {
        PASSWORD("password", null, true), HOME("home", null, false), WRITE("write", "false", false),
        TLS_REQUIRED("tls.required", "false", false), RATE_DOWNLOAD("rate.download", "0", false),
        RATE_UPLOAD("rate.upload", "0", false), QUOTA("quota", "0", false);

        final String name, dflt;                       // dflt null: required
        final boolean secret;

        UserKey(String name, String dflt, boolean secret) {
            this.name = name;
            this.dflt = dflt;
            this.secret = secret;
        }
    }

    /** The keys of one TLS host name: tls.NAME.certificate and tls.NAME.key. */
    enum HostKey {
        CERTIFICATE("certificate"), KEY("key");

        final String name;

        HostKey(String name) { this.name = name; }
    }

    private static final Pattern USER = Pattern.compile("user\\.([^.]+)\\.(.+)");
    private static final Pattern HOST = Pattern.compile("tls\\.(.+)\\.(certificate|key)");
    private static final Pattern HOST_NAME =
        Pattern.compile("(\\*\\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*");

    /** The shipped ftp.config.properties, built into the jar: what runs when there is no file. */
    static Properties builtIn() throws Bad {
        Properties p = new Properties();
        try (InputStream in = Config.class.getResourceAsStream("/ftp.config.properties")) {
            if (in != null) p.load(new InputStreamReader(in, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new Bad("ftp.config.properties", "built-in default unreadable: " + e.getMessage());
        }
        return p;
    }

    static Properties read(Path file) throws Bad {
        Properties p = new Properties();
        if (!Files.isRegularFile(file)) throw new Bad(file.toString(), "no such file");
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException | IllegalArgumentException e) {
            throw new Bad(file.toString(), "cannot read: " + e.getMessage());
        }
        return p;
    }

    static Config load(Path file) throws Bad { return parse(read(file), file.toString()); }

    static Config parse(Properties p, String source) throws Bad {
        Values v = new Values(p);
        Map<String, Map<UserKey, String>> userKeys = new LinkedHashMap<>();
        Map<String, Host> hosts = new LinkedHashMap<>();
        for (String key : new TreeSet<>(p.stringPropertyNames())) {
            Matcher m = USER.matcher(key), h = HOST.matcher(key);
            UserKey u = m.matches() ? Arrays.stream(UserKey.values()).filter(k -> k.name.equals(m.group(2))).findFirst()
                .orElse(null) : null;
            if (u != null)
                userKeys.computeIfAbsent(m.group(1), k -> new LinkedHashMap<>()).put(u, p.getProperty(key).strip());
            else if (Arrays.stream(Key.values()).anyMatch(k -> k.name.equals(key))) continue;
            else if (h.matches() && h.group(2).equals("certificate")) hosts.put(h.group(1), host(v, h.group(1)));
            else if (!h.matches()) throw new Bad(key, "unknown key (see README.md for the list)");
            else if (!p.containsKey("tls." + h.group(1) + ".certificate"))
                throw new Bad("tls." + h.group(1) + ".certificate", "missing beside tls." + h.group(1) + ".key");
        }
        Path cert = v.file(Key.TLS_CERTIFICATE), key = v.file(Key.TLS_KEY);
        if (cert == null && !hosts.isEmpty())
            throw new Bad(Key.TLS_CERTIFICATE.name, "needed by tls.NAME.certificate (for clients naming no host)");
        boolean tlsRequired = v.bool(Key.TLS_REQUIRED);
        if (cert == null && (tlsRequired || !v.text(Key.TLS_IMPLICIT_PORT).isEmpty()))
            throw new Bad(Key.TLS_CERTIFICATE.name, "needed by tls.required and tls.implicit.port");
        int[] range = v.range(Key.PASSIVE_PORTS);
        return new Config(
            new Listen(v.address(Key.ADDRESS), v.integer(Key.PORT, 0, 65535),
                v.integer(Key.TLS_IMPLICIT_PORT, 0, 65535)),
            new Limits(v.integer(Key.MAX_CONNECTIONS, 1, 1_000_000),
                v.integer(Key.MAX_CONNECTIONS_PER_IP, 1, 1_000_000),
                v.seconds(Key.IDLE_TIMEOUT), v.seconds(Key.LOGIN_TIMEOUT), v.seconds(Key.DATA_TIMEOUT),
                v.size(Key.MAX_UPLOAD_SIZE.name, v.text(Key.MAX_UPLOAD_SIZE)), v.seconds(Key.SHUTDOWN_GRACE)),
            new Logins(v.seconds(Key.LOGIN_FAILURE_DELAY), v.integer(Key.LOGIN_MAX_FAILURES, 1, 1_000_000),
                v.seconds(Key.LOGIN_BAN_SECONDS)),
            new Passive(range[0], range[1], v.text(Key.PASSIVE_ADDRESS)),
            new Logs(v.output(Key.LOG_FILE), v.output(Key.TRANSFER_LOG),
                v.choice(Key.LOG_FORMAT, "text", "json").equals("json")),
            new Ftps(cert, key, v.text(Key.TLS_KEY_PASSWORD), v.protocols(Key.TLS_PROTOCOLS), tlsRequired,
                v.bool(Key.TLS_REQUIRE_SESSION_REUSE), Map.copyOf(hosts)),
            new Rates(v.rate(Key.RATE_DOWNLOAD.name, v.text(Key.RATE_DOWNLOAD)),
                v.rate(Key.RATE_UPLOAD.name, v.text(Key.RATE_UPLOAD))),
            new Modes(v.mode(Key.UPLOAD_MODE), v.mode(Key.FOLDER_MODE)),
            new Proxy(v.blocks(Key.PROXY_TRUSTED)), admin(v),
            new Accounts.Users(v.bool(Key.ANONYMOUS) ? new Account("anonymous", null,
                v.directory(Key.ANONYMOUS_HOME.name, v.text(Key.ANONYMOUS_HOME)), v.bool(Key.ANONYMOUS_WRITE), false,
                0, 0, 0, v.bool(Key.ANONYMOUS_DOTFILES)) : null, users(v, userKeys, tlsRequired)),
            source, Collections.unmodifiableMap(v.effective));
    }

    /**
     * admin.address as HOST:PORT ([v6]:PORT); a token is needed unless it listens on loopback only:
     * sessions, bans and kicks must not be open to the network.
     */
    private static Http admin(Values v) throws Bad {
        String a = v.text(Key.ADMIN_ADDRESS), token = v.text(Key.ADMIN_TOKEN);
        if (a.isEmpty()) return new Http(null, token);
        Matcher m = Pattern.compile("\\[?([^\\]]*?)]?:([0-9]{1,5})").matcher(a);
        if (!m.matches() || Integer.parseInt(m.group(2)) > 65535)
            throw new Bad(Key.ADMIN_ADDRESS.name, "must be ADDRESS:PORT, like 127.0.0.1:9021, not '" + a + "'");
        InetAddress at;
        try {
            at = InetAddress.getByName(m.group(1));
        } catch (UnknownHostException e) {
            throw new Bad(Key.ADMIN_ADDRESS.name, "not an address of this machine: '" + m.group(1) + "'");
        }
        if (!at.isLoopbackAddress() && token.length() < 16)
            throw new Bad(Key.ADMIN_TOKEN.name, "needed (16 characters at least) when admin.address is not loopback");
        return new Http(new InetSocketAddress(at, Integer.parseInt(m.group(2))), token);
    }

    /** tls.NAME.certificate and .key: NAME a lower-case host name or *.domain, certbot's folder names as they are. */
    private static Host host(Values v, String name) throws Bad {
        String prefix = "tls." + name + ".";
        if (!HOST_NAME.matcher(name).matches())
            throw new Bad(prefix + "certificate", "'" + name + "' is not a lower-case host name or *.domain");
        return new Host(v.file(prefix + "certificate", v.p().getProperty(prefix + "certificate", "").strip()),
            v.file(prefix + "key", v.p().getProperty(prefix + "key", "").strip()));
    }

    private static Map<String, Account> users(Values v, Map<String, Map<UserKey, String>> keys, boolean tlsRequired)
            throws Bad {
        Map<String, Account> users = new LinkedHashMap<>();
        for (var e : keys.entrySet()) {
            String name = e.getKey();
            Map<UserKey, String> u = e.getValue();
            String[] s = new String[UserKey.values().length];
            for (UserKey k : UserKey.values()) {
                String key = "user." + name + "." + k.name;
                s[k.ordinal()] = u.getOrDefault(k, k.dflt);
                if (s[k.ordinal()] == null) throw new Bad(key, "missing for user " + name);
            }
            String password = s[UserKey.PASSWORD.ordinal()], prefix = "user." + name + ".";
            v.effective.put(prefix + "password", "********");
            if (password.startsWith("pbkdf2-") && !Accounts.isHash(password))
                throw new Bad(prefix + "password", "a damaged hash: paste the whole value --hash-password printed");
            Account a = new Account(name, password, v.directory(prefix + "home", s[UserKey.HOME.ordinal()]),
                v.bool(prefix + "write", s[UserKey.WRITE.ordinal()]),
                v.bool(prefix + "tls.required", s[UserKey.TLS_REQUIRED.ordinal()]),
                v.rate(prefix + "rate.download", s[UserKey.RATE_DOWNLOAD.ordinal()]),
                v.rate(prefix + "rate.upload", s[UserKey.RATE_UPLOAD.ordinal()]),
                v.size(prefix + "quota", s[UserKey.QUOTA.ordinal()]), true);
            if (tlsRequired) v.effective.put(prefix + "tls.required", "true");    // the global rule covers everyone
            users.put(name, a);
        }
        return Map.copyOf(users);
    }

    /** Typed reads of single keys; each failure names its key; each value is kept, as shown, in {@code effective}. */
    private record Values(Properties p, Map<String, String> effective) {
        Values(Properties p) { this(p, new LinkedHashMap<>()); }

        /** The key's text; absent or empty: its default. */
        String text(Key k) {
            String s = p.getProperty(k.name, "").strip();
            if (s.isEmpty()) s = k.dflt;
            effective.putIfAbsent(k.name, k.secret && !s.isEmpty() ? "********" : s);
            return s;
        }

        private String shown(String key, Object value) {
            if (!"********".equals(effective.get(key))) effective.put(key, String.valueOf(value));
            return key;
        }

        int integer(Key k, int min, int max) throws Bad {
            String s = text(k);
            if (s.isEmpty()) return -1;                                        // only tls.implicit.port may be empty
            try {
                int n = Integer.parseInt(s);
                if (n < min || n > max) throw new Bad(k.name, "must be between " + min + " and " + max + ", not " + s);
                return n;
            } catch (NumberFormatException e) {
                throw new Bad(k.name, "not a whole number: '" + s + "'");
            }
        }

        boolean bool(Key k) throws Bad { return bool(k.name, text(k)); }

        boolean bool(String key, String s) throws Bad {
            boolean b = switch (s.strip().toLowerCase(Locale.ROOT)) {
                case "true", "yes", "on" -> true;
                case "false", "no", "off", "" -> false;
                default -> throw new Bad(key, "must be true or false, not '" + s + "'");
            };
            shown(key, b);
            return b;
        }

        /** Seconds, decimals allowed (0.05 = 50 ms); 0 turns a timeout off. */
        Duration seconds(Key k) throws Bad {
            String s = text(k);
            try {
                double d = Double.parseDouble(s);
                if (!(d >= 0 && d <= 1e7)) throw new Bad(k.name, "must be between 0 and 10000000 seconds, not " + s);
                return Duration.ofMillis(Math.round(d * 1000));
            } catch (NumberFormatException e) {
                throw new Bad(k.name, "not a number of seconds: '" + s + "'");
            }
        }

        /** KiB/s in the file, bytes/s here; empty or 0: unlimited. */
        long rate(String key, String s) throws Bad {
            if (s == null || s.isBlank()) return 0;
            try {
                long n = Long.parseLong(s.strip());
                if (n < 0 || n > (1L << 40)) throw new Bad(key, "must be KiB/s between 0 and 2^40, not " + s);
                shown(key, n);
                return n * 1024;
            } catch (NumberFormatException e) {
                throw new Bad(key, "not a whole number of KiB/s: '" + s + "'");
            }
        }

        /** One of the words given. */
        String choice(Key k, String... words) throws Bad {
            String s = text(k).toLowerCase(Locale.ROOT);
            if (!List.of(words).contains(s))
                throw new Bad(k.name, "must be one of " + List.of(words) + ", not '" + s + "'");
            return s;
        }

        AddressBlocks blocks(Key k) throws Bad {
            try {
                AddressBlocks b = AddressBlocks.parse(text(k));
                shown(k.name, b);
                return b;
            } catch (IllegalArgumentException e) {
                throw new Bad(k.name, e.getMessage());
            }
        }

        /** Octal permission bits, like 640 or 0750; setuid, setgid and sticky are not for uploads. */
        Set<PosixFilePermission> mode(Key k) throws Bad {
            String s = text(k);
            if (s.isEmpty()) return null;
            if (!s.matches("0?[0-7]{3}")) throw new Bad(k.name, "not an octal mode like 640 or 0750: '" + s + "'");
            return permissions(Integer.parseInt(s, 8));
        }

        /** Bytes, with an optional K, M or G suffix (powers of 1024); empty or 0: no limit. */
        long size(String key, String text) throws Bad {
            String s = text.strip().toUpperCase(Locale.ROOT);
            if (s.isEmpty()) return 0;
            Matcher m = Pattern.compile("([0-9]{1,15})([KMG]?)B?").matcher(s);
            if (!m.matches()) throw new Bad(key, "not a size in bytes (like 1048576 or 100M): '" + s + "'");
            int shift = switch (m.group(2)) { case "K" -> 10; case "M" -> 20; case "G" -> 30; default -> 0; };
            long n = Long.parseLong(m.group(1)) << shift;
            shown(key, n);
            return n;
        }

        int[] range(Key k) throws Bad {
            String s = text(k);
            if (s.isEmpty()) return new int[] {0, 0};
            Matcher m = Pattern.compile("([0-9]{1,5})\\s*-\\s*([0-9]{1,5})").matcher(s);
            if (!m.matches()) throw new Bad(k.name, "must be a range like 50000-50100, not '" + s + "'");
            int lo = Integer.parseInt(m.group(1)), hi = Integer.parseInt(m.group(2));
            if (lo < 1024 || hi > 65535 || lo > hi)
                throw new Bad(k.name, "must lie within 1024-65535, low to high, not " + s);
            return new int[] {lo, hi};
        }

        InetAddress address(Key k) throws Bad {
            String s = text(k);
            if (s.isEmpty()) return null;   // every interface (dual-stack where the OS allows)
            try {
                return InetAddress.getByName(s);
            } catch (UnknownHostException e) {
                throw new Bad(k.name, "not an address of this machine: '" + s + "'");
            }
        }

        /** A file to append to: its folder must exist (opening it is left to start-up). */
        Path output(Key k) throws Bad {
            String s = text(k);
            if (s.isEmpty()) return null;
            Path f = Path.of(s).toAbsolutePath();
            if (Files.isDirectory(f) || !Files.isDirectory(f.getParent()))
                throw new Bad(k.name, "cannot write " + f + ": no such folder, or a folder");
            shown(k.name, f);
            return f;
        }

        Path file(Key k) throws Bad { return file(k.name, text(k)); }

        Path file(String key, String s) throws Bad {
            if (s.isEmpty()) return null;
            Path f = Path.of(s);
            if (!Files.isReadable(f)) throw new Bad(key, "cannot read " + f);
            shown(key, f);
            return f;
        }

        /** Names only; which of them this JDK offers is checked when TLS is set up (asking JSSE costs start-up). */
        List<String> protocols(Key k) throws Bad {
            List<String> l = Arrays.stream(text(k).split("[,\\s]+")).filter(x -> !x.isEmpty()).toList();
            for (String x : l)
                if (!KNOWN_PROTOCOLS.contains(x))
                    throw new Bad(k.name, "unknown protocol " + x + "; known: " + KNOWN_PROTOCOLS);
            return l;
        }

        /**
         * A folder, or a URI (s3x://host:port/bucket/prefix/, s3://bucket/prefix/, jar:file:…) that a
         * FileSystemProvider on the class path opens; a URI's folder is checked at login (asking an
         * object store is a network request), and its user info (a secret) is never shown.
         */
        Path directory(String key, String s) throws Bad {
            if (s.isEmpty()) throw new Bad(key, "is empty");
            if (s.matches("[A-Za-z][A-Za-z0-9+.-]*://.*")) {
                String scheme = s.substring(0, s.indexOf(':'));
                URI uri = URI.create(s.endsWith("/") ? s : s + "/");          // an object store's folder ends in /
                try {
                    Path d;
                    try {
                        d = Path.of(uri);
                    } catch (FileSystemNotFoundException e) {                      // jar:…!/: opened first
                        FileSystems.newFileSystem(uri, Map.of());
                        d = Path.of(uri);
                    }
                    effective.put(key, s.replaceFirst("//[^/@]*@", "//"));
                    return d;
                } catch (FileSystemNotFoundException | ProviderNotFoundException e) {
                    throw new Bad(key, "no file system provider for " + scheme + " on the class path (for S3: make s3, "
                        + "then java -cp 'ftp-server.jar:target/s3/*' ftp.Main; README: Homes on S3 or MinIO)");
                } catch (IOException | IllegalArgumentException e) {
                    throw new Bad(key, "not a usable " + scheme + " URI: " + e.getMessage());
                }
            }
            Path d = Path.of(s).toAbsolutePath().normalize();
            if (!Files.isDirectory(d)) throw new Bad(key, "not a directory: " + d);
            shown(key, d);
            return d;
        }
    }

    /** The nine permission bits of an octal mode; setuid, setgid and sticky are dropped. */
    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] all = PosixFilePermission.values();          // OWNER_READ … OTHERS_EXECUTE, in ls order
        for (int i = 0; i < 9; i++) if ((mode & (0400 >> i)) != 0) perms.add(all[i]);
        return perms;
    }

    // ---- hard limits: no key changes these ----

    /** Control lines longer than this (bytes, without CRLF) are answered 500 at once and skipped. */
    static final int MAX_LINE = 4096;
    /** Overlong lines a connection may send before it is closed (421). */
    static final int MAX_OVERLONG_LINES = 3;
    /** Failed logins on one connection before it is closed (530, then close), as vsftpd and pyftpdlib do. */
    static final int FAILURES_PER_CONNECTION = 3;
    /** SIZE in TYPE A reads the file to count line ends: only up to this size (RFC 3659 §4). */
    static final long SIZE_ASCII_MAX = 16 << 20;
    /** Addresses whose failed logins are remembered for bans; the oldest are forgotten first. */
    static final int TRACKED_ADDRESSES = 10_000;
    /** A PROXY protocol header must be whole within this after the connection (the spec: 3 s covers a retransmit). */
    static final Duration PROXY_DEADLINE = Duration.ofSeconds(3);
    /** CPU-heavy jobs (PBKDF2, SIZE in TYPE A) that may wait for a thread; one more is refused with 421. */
    static final int CPU_QUEUE = 32;
    /** How long a home's usage on an object store is trusted before it is summed again (a listing of all). */
    static final Duration USAGE_TTL = Duration.ofMinutes(5);
    /** An upload's temporary file untouched this long belongs to no running upload: the next listing removes it. */
    static final Duration STALE_UPLOAD = Duration.ofDays(1);
    /** A reply stuck for longer than this (or data.timeout, if longer) ends the session: the client stopped reading. */
    static final Duration WRITE_STALL = Duration.ofSeconds(10);
    /** How long a session's end waits for its aborted transfer to log its result. */
    static final Duration TRANSFER_END_WAIT = Duration.ofSeconds(2);
    /** Closing on a client that still sends: first read and drop at most this long and this much (lingering). */
    static final Duration LINGER = Duration.ofSeconds(2);
    static final long LINGER_BYTES = 1 << 20;
    /** An upload refused over a size limit: what the client still sends is dropped, up to this much, then a close. */
    static final long DRAIN_BYTES = 64L << 20;
    /** Protocol names tls.protocols may list. */
    static final List<String> KNOWN_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1", "SSLv3");
}
