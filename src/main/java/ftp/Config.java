package ftp;

import ftp.Keys.Bad;
import ftp.Keys.Key;
import ftp.Keys.UserKey;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
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
 * syntax: full-line comments only), parsed once by the table of {@link Keys} and the typed reads
 * of {@link Values}: a bad key is one clear message naming it ({@link Bad}). The hard limits, which
 * no key changes, are named constants at the end.
 */
record Config(Listen listen, Limits limits, Logins logins, Passive passive, Logs logs, Ftps ftps, Rates rates,
              Modes modes, Proxy proxy, Http admin, Accounts.Users users, String source,
              Map<String, String> effective) {


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
            source, Collections.unmodifiableMap(v.effective()));
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
            v.effective().put(prefix + "password", "********");
            if (password.startsWith("pbkdf2-") && !Accounts.isHash(password))
                throw new Bad(prefix + "password", "a damaged hash: paste the whole value --hash-password printed");
            Account a = new Account(name, password, v.directory(prefix + "home", s[UserKey.HOME.ordinal()]),
                v.bool(prefix + "write", s[UserKey.WRITE.ordinal()]),
                v.bool(prefix + "tls.required", s[UserKey.TLS_REQUIRED.ordinal()]),
                v.rate(prefix + "rate.download", s[UserKey.RATE_DOWNLOAD.ordinal()]),
                v.rate(prefix + "rate.upload", s[UserKey.RATE_UPLOAD.ordinal()]),
                v.size(prefix + "quota", s[UserKey.QUOTA.ordinal()]), true);
            if (tlsRequired) v.effective().put(prefix + "tls.required", "true");    // the global rule covers everyone
            users.put(name, a);
        }
        return Map.copyOf(users);
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
}
