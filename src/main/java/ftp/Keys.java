package ftp;

/**
 * The one table of config keys: every global key with its default, the keys of a named user
 * (user.NAME.…) and of a TLS host name (tls.NAME.…). It drives parsing ({@link Config}),
 * --check-config's output, and (checked by a test) the README's table; and the error that names a
 * key whose value can't be used.
 */
final class Keys {
    private Keys() {}

    /** A configuration error: {@code key} names what to fix. */
    static final class Bad extends Exception {
        Bad(String key, String problem) { super(key + ": " + problem); }
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
}
