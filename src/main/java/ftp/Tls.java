package ftp;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.Consumer;
import jdk.net.ExtendedSocketOptions;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * FTPS (RFC 4217) from the JDK alone. One key manager holds the default certificate and one per
 * host name (tls.NAME.certificate): a client that names a host, by SNI in its handshake or by HOST
 * before AUTH (RFC 7151), gets that host's certificate, and any other client the default. When a
 * file changes on disk (a renewal), the next connection gets the new certificates; a broken renewal
 * is logged and the old ones kept. Each control connection gets an SSLContext of its own, and its
 * data connections use it: its session cache and ticket keys are what they resume.
 */
final class Tls {
    static {
        // RFC 4217 §10 leaves renegotiation open; we refuse it (a DoS lever, CVE-2011-1473). TLS 1.3 has none.
        System.setProperty("jdk.tls.rejectClientInitiatedRenegotiation", "true");
        // Without this JSSE reports a TCP close without close_notify as a normal end of stream, and
        // a truncated upload would get 226 (RFC 4217 §12.2 asks to detect truncation).
        System.setProperty("com.sun.net.ssl.requireCloseNotify", "true");
    }

    /**
     * How one session protects its data connections (PROT P, RFC 4217 §9): with its control
     * connection's context and, with tls.require.session.reuse, only when they resume its session.
     * {@code host}: what HOST named, for clients that send no SNI; {@code seen}: each data
     * connection's protocol and cipher, for STAT.
     */
    record Data(Tls tls, SSLContext context, SSLSession control, String host, Consumer<SSLSession> seen) {
        /** The data connection's handshake; an upload's gets no session ticket (see {@link Tls#wrap}). */
        Socket wrap(Socket plain, boolean upload) throws IOException {
            SSLSocket s = tls.wrap(plain, context, host, upload && control.getProtocol().equals("TLSv1.3"));
            if (tls.config.requireSessionReuse() && !resumes(s.getSession(), control)) {
                s.close();
                throw new Reply.Failure(522, "Data connection refused: it must resume the control connection's "
                    + "TLS session.", null);
            }
            seen.accept(s.getSession());
            return s;
        }
    }

    /** The default pair's name among the host names ("*" alone is no host pattern). */
    private static final String DEFAULT = "*";
    /** A session timeout past the 7 days a TLS 1.3 ticket may live (RFC 8446 §4.6.1): JSSE then sends none. */
    private static final int NO_TICKET = 7 * 24 * 3600 + 1;
    /** Every context's session lifetime otherwise (JSSE's default, set to be sure what is restored). */
    private static final int SESSION_TIMEOUT = 24 * 3600;

    private final Config.Ftps config;
    private final Map<SSLSocket, String> hostOf = new WeakHashMap<>();   // HOST before AUTH, read by the key chooser
    private volatile KeyManager[] keys;
    private volatile long stamp;

    private Tls(Config.Ftps config) throws Keys.Bad {
        this.config = config;
        this.keys = keys();
        this.stamp = stamp();
    }

    /** Null when no certificate is configured; throws with one clear message when one can't be used. */
    static Tls load(Config.Ftps config) throws Keys.Bad {
        if (!config.on()) return null;
        Tls t = new Tls(config);
        List<String> known;
        try {
            known = List.of(t.context().getSupportedSSLParameters().getProtocols());
        } catch (GeneralSecurityException e) {
            throw new Keys.Bad("tls.certificate", "unusable: " + e.getMessage());
        }
        for (String p : config.protocols())
            if (!known.contains(p)) throw new Keys.Bad("tls.protocols", "this JDK has no " + p + "; it has " + known);
        return t;
    }

    /**
     * A context of its own for one control connection and its data connections, with the newest
     * certificates (a renewal is picked up here). Being the session's own, {@link #wrap}'s ticket
     * switch touches no other client's handshake.
     */
    SSLContext forSession() throws IOException {
        long now = stamp();
        if (now != stamp) {
            stamp = now;
            try {
                keys = keys();
                Log.SERVER.info("TLS certificates reloaded");
            } catch (Keys.Bad e) {
                Log.SERVER.warn("TLS certificates changed but are unusable; keeping the old ones: " + e.getMessage());
            }
        }
        try {
            return context();
        } catch (GeneralSecurityException e) {
            throw new IOException("TLS context: " + e.getMessage(), e);
        }
    }

    /**
     * A server-side TLS socket over {@code plain}, handshake done; {@code host} (or null) as if SNI
     * named it. With {@code noTicket} a TLS 1.3 handshake ends without the NewSessionTicket JSSE
     * sends after it (RFC 8446 §4.6.1): on an upload's data connection the client never reads, and
     * closing a socket with bytes unread makes the client's TCP send RST instead of FIN (RFC 1122
     * §4.2.2.13), which discards the upload's tail and its close_notify (Go's client, so rclone).
     * Only for TLS 1.3: in TLS 1.2 JSSE promises the ticket in its ServerHello and must send it.
     */
    SSLSocket wrap(Socket plain, SSLContext context, String host, boolean noTicket) throws IOException {
        SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket(plain, null, plain.getPort(), true);
        s.setUseClientMode(false);
        // without a ticket only TLS 1.3 (the control connection's): a TLS 1.2 ServerHello would promise one
        s.setEnabledProtocols(noTicket ? new String[] {"TLSv1.3"} : config.protocols().toArray(String[]::new));
        SSLSessionContext sessions = context.getServerSessionContext();
        if (noTicket) sessions.setSessionTimeout(NO_TICKET);
        if (host != null) synchronized (hostOf) { hostOf.put(s, host); }
        try {
            s.startHandshake();
        } finally {
            if (host != null) synchronized (hostOf) { hostOf.remove(s); }
            if (noTicket) sessions.setSessionTimeout(SESSION_TIMEOUT);
        }
        // Without the ticket nothing carries the ACK of the client's Finished: a client with Nagle's
        // algorithm on would hold its first bytes for our delayed ACK (40 ms on Linux). Send it now.
        if (noTicket && plain.supportedOptions().contains(ExtendedSocketOptions.TCP_QUICKACK))
            plain.setOption(ExtendedSocketOptions.TCP_QUICKACK, true);
        return s;
    }

    /**
     * vsftpd's require_ssl_reuse: the data connection must resume the control connection's TLS
     * session, proof that both come from the same client. JSSE has no "resumed" flag: a TLS 1.2
     * session resumed by ID keeps its ID; one resumed from a ticket (TLS 1.3, or TLS 1.2 with
     * RFC 5077) gets a new ID but inherits the creation time (ms) of the session it resumes, which
     * a fresh handshake would not share.
     */
    static boolean resumes(SSLSession data, SSLSession control) {
        if (Arrays.equals(data.getId(), control.getId())) return true;
        return data.getProtocol().equals(control.getProtocol())
            && data.getCreationTime() == control.getCreationTime()
            && data.getCipherSuite().equals(control.getCipherSuite());
    }

    /**
     * Closes a socket; a TLS one with a lone close_notify first. JSSE's plain close() of a TLS 1.3
     * socket sends user_canceled before close_notify, which GnuTLS clients (lftp) take as fatal.
     */
    static void close(Socket s) throws IOException {
        try {
            if (s instanceof SSLSocket && !s.isClosed() && !s.isOutputShutdown()) s.shutdownOutput();
        } catch (IOException ignored) {
            // the peer is gone: close anyway
        } finally {
            s.close();
        }
    }

    /** Every certificate and key file, by time and size: a renewal changes at least one. */
    private long stamp() {
        long s = 0;
        List<Path> files = new ArrayList<>(Arrays.asList(config.certificate(), config.key()));
        for (Config.Host h : config.hosts().values()) files.addAll(Arrays.asList(h.certificate(), h.key()));
        for (Path p : files) {
            try {
                if (p != null) s = s * 31 + Files.getLastModifiedTime(p).toMillis() * 17 + Files.size(p);
            } catch (IOException e) {
                // missing right now (mid-renewal): the next connection looks again
            }
        }
        return s;
    }

    private SSLContext context() throws GeneralSecurityException {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(keys, null, null);
        ctx.getServerSessionContext().setSessionTimeout(SESSION_TIMEOUT);
        return ctx;
    }

    private KeyManager[] keys() throws Keys.Bad {
        Map<String, Pem.Pair> pairs = new LinkedHashMap<>();
        pairs.put(DEFAULT, Pem.load("tls", config.certificate(), config.key(), config.keyPassword()));
        for (var h : config.hosts().entrySet())
            pairs.put(h.getKey(), Pem.load("tls." + h.getKey(), h.getValue().certificate(), h.getValue().key(),
                config.keyPassword()));
        return new KeyManager[] {new Chooser(pairs)};
    }

    /**
     * Picks the certificate for a handshake: the host the client named by SNI, else by HOST, else
     * the default; an exact name first, then "*.domain" for one more label; of the key type the
     * handshake asks for.
     */
    private final class Chooser extends X509ExtendedKeyManager {
        private final Map<String, Pem.Pair> pairs;

        Chooser(Map<String, Pem.Pair> pairs) { this.pairs = pairs; }

        @Override public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            String host = null;
            if (socket instanceof SSLSocket s) {
                host = requested(s.getHandshakeSession());
                if (host == null) synchronized (hostOf) { host = hostOf.get(s); }
            }
            return choose(keyType, host);
        }

        @Override public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return choose(keyType, requested(engine.getHandshakeSession()));
        }

        private String choose(String keyType, String host) {
            if (host != null) {
                String h = host.toLowerCase(Locale.ROOT);
                String dot = h.indexOf('.') < 0 ? null : "*" + h.substring(h.indexOf('.'));
                for (String alias : new String[] {h, dot})       // the host's pair, or none: JSSE tries another type
                    if (alias != null && pairs.containsKey(alias)) return fits(alias, keyType) ? alias : null;
            }
            return fits(DEFAULT, keyType) ? DEFAULT : null;
        }

        private boolean fits(String alias, String keyType) {
            String alg = pairs.get(alias).key().getAlgorithm();
            return alg.equalsIgnoreCase(keyType) || keyType.equals("EdDSA") && alg.startsWith("Ed");
        }

        private static String requested(SSLSession handshake) {
            if (!(handshake instanceof ExtendedSSLSession e)) return null;
            for (SNIServerName n : e.getRequestedServerNames()) if (n instanceof SNIHostName h) return h.getAsciiName();
            return null;
        }

        @Override public X509Certificate[] getCertificateChain(String alias) {
            Pem.Pair p = pairs.get(alias);
            return p == null ? null : p.chain();
        }

        @Override public PrivateKey getPrivateKey(String alias) {
            Pem.Pair p = pairs.get(alias);
            return p == null ? null : p.key();
        }

        @Override public String[] getServerAliases(String keyType, Principal[] issuers) {
            return pairs.keySet().stream().filter(a -> fits(a, keyType)).toArray(String[]::new);
        }

        @Override public String[] getClientAliases(String keyType, Principal[] issuers) { return null; }

        @Override public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) { return null; }
    }
}
