package ftp;

import ftp.Login.LoggedIn;
import ftp.Login.LoggedOut;
import ftp.Login.UserGiven;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;

/**
 * Who the client is and how the control connection is protected: USER PASS ACCT REIN HOST
 * (RFC 959 §4.1.1, RFC 7151) and AUTH PBSZ PROT CCC (RFC 2228, RFC 4217). Login handlers take the
 * session's {@link Login} state and return the next one as a {@link Step}; the session keeps it.
 */
final class Access {
    /** The login state after a command, its reply, and whether the connection closes after it. */
    record Step(Login login, Reply reply, boolean close) {
        Step(Login login, Reply reply) { this(login, reply, false); }
    }

    private final Services services;
    private final ControlChannel control;
    private final Log log;
    private final InetAddress client;
    private volatile SSLSocket secure;           // the control connection after AUTH TLS (or implicit TLS)
    private SSLContext context;                  // its context: data connections resume sessions from its cache
    private String host;                         // HOST's name (RFC 7151): the certificate when SNI names none
    private volatile String dataTls;             // the last data connection's protocol and cipher, for STAT
    private int failures;

    Access(Services services, ControlChannel control, Log log, InetAddress client) {
        this.services = services;
        this.control = control;
        this.log = log;
        this.client = client;
    }

    /** USER while logged in starts a new login. 331 for every name: replies tell no names apart. */
    Step user(Login now, String name) {
        return new Step(new UserGiven(name, loggedOut(now).since()),
            Reply.of(331, "Password required for " + name + "."));
    }

    Step pass(Login now, String password) throws IOException, InterruptedException {
        if (now instanceof LoggedIn) return new Step(now, Reply.of(230, "Already logged in."));
        if (!(now instanceof UserGiven given)) return new Step(now, Reply.of(503, "Send USER first."));
        LoggedOut out = new LoggedOut(given.since());
        String name = given.name();
        if (services.guard().banned(client))                 // banned by failures on other connections meanwhile
            return new Step(out, Reply.of(421, "Too many failed logins from your address; closing."), true);
        long start = System.nanoTime();
        Account a = services.accounts().find(name);
        // A TLS-only account over clear text fails exactly like a wrong password, whatever was sent:
        // a different reply for the right password would be an oracle (RFC 2577 §5).
        boolean clearRefused = a != null && a.tlsRequired() && secure == null;
        boolean ok;
        try {
            ok = Accounts.check(clearRefused ? null : a, password, services.cpu());
        } catch (Cpu.Full e) {
            log.warn("login refused: the server is busy with other logins");
            return new Step(out, Reply.of(421, "Too busy; try again later."), true);
        }
        if (ok) {
            Home home;
            try {
                PathJail jail = new PathJail(a.home(), a.dotFiles(), services.config().modes());
                home = new Home(jail, a, services.claims(), services.cpu(), log);
            } catch (IOException e) {
                log.error("home of " + name + " unavailable: " + e);
                return new Step(out, Reply.of(530, "Login failed: home directory unavailable."));
            }
            log.user(name);
            log.info("login ok: user '" + name + "'");
            services.metrics().login(true);
            return new Step(new LoggedIn(a, home, a.anonymous() ? anonymousId(password) : name),
                Reply.of(230, "User " + name + " logged in."));
        }
        // One fixed form, address first, for fail2ban (README); the rest is client text.
        log.warn("login failed: user '" + name + "'" + (clearRefused ? " (TLS required)" : ""));
        services.metrics().login(false);
        // the same total time for every failure
        long wait = start + services.config().logins().failureDelay().toNanos() - System.nanoTime();
        if (wait > 0) Thread.sleep(Duration.ofNanos(wait));
        if (services.guard().failed(client)) {
            log.warn("address banned after repeated failed logins");
            return new Step(out, Reply.of(421, "Too many failed logins; closing."), true);
        }
        boolean last = ++failures >= Config.FAILURES_PER_CONNECTION;
        if (last) log.warn("too many failed logins on one connection; closing");
        return new Step(out, Reply.of(530, services.tls() != null && secure == null
            ? "Login incorrect; some accounts need AUTH TLS first." : "Login incorrect."), last);
    }

    /** An anonymous user's "password" is an e-mail-ish id, never a secret: xferlog(5) logs it as the user. */
    private static String anonymousId(String password) {
        String id = password.isBlank() ? "anonymous" : password.replaceAll("[\\s\\p{Cntrl}]", "_");
        return id.length() > 64 ? id.substring(0, 64) : id;
    }

    /** REIN; refused on TLS: RFC 4217 §11 would drop the control connection back to clear text. */
    Step rein(Login now) {
        if (secure != null)
            return new Step(now, Reply.of(534, "REIN refused: the connection stays encrypted; reconnect instead."));
        return new Step(loggedOut(now), Reply.of(220, "Ready for a new user."));
    }

    /** RFC 7151 §3: HOST comes before USER; with FTPS, it picks the certificate AUTH will show. */
    Reply host(Login now, String name) {
        if (!(now instanceof LoggedOut)) return Reply.of(503, "HOST must come before USER.");
        if (secure != null) return Reply.of(503, "HOST must come before AUTH.");
        host = name.strip().toLowerCase(Locale.ROOT);
        return Reply.of(220, "Host accepted.");
    }

    /** AUTH TLS (RFC 4217 §4): 234 in clear, the handshake, and after it a new login (RFC 2228 §3). */
    Step auth(Login now, String mechanism) throws IOException {
        if (services.tls() == null) return new Step(now, Reply.of(502, "TLS is not configured on this server."));
        if (secure != null) return new Step(now, Reply.of(503, "Already using TLS."));
        if (!List.of("TLS", "SSL", "TLS-C", "TLS-P").contains(mechanism))
            return new Step(now, Reply.of(504, "AUTH TLS or AUTH SSL."));
        control.reply(234, "AUTH " + mechanism + " ok; start the TLS handshake.");
        handshake();
        return new Step(loggedOut(now), Reply.Later.SENT);
    }

    /** The handshake; bytes the client pipelined behind AUTH are dropped, never run (CVE-2011-1575). */
    void handshake() throws IOException {
        context = services.tls().forSession();
        try {
            secure = control.upgrade(plain -> services.tls().wrap(plain, context, host, false));
        } catch (IOException e) {
            services.metrics().handshake(false);
            throw e;
        }
        services.metrics().handshake(true);
        SSLSession s = secure.getSession();
        log.info("TLS " + s.getProtocol() + " " + s.getCipherSuite());
    }

    // RFC 4217 §8 puts PBSZ before PROT; PROT alone is accepted, as commons-net users often send it so
    Reply pbsz() { return secure == null ? Reply.of(503, "PBSZ needs AUTH TLS first.") : Reply.of(200, "PBSZ=0"); }

    /** The refusal of a PROT level, or null when it may be set. */
    Reply protRefused(char level, Login now) {
        if (secure == null) return Reply.of(503, "PROT needs AUTH TLS first.");
        if (level == 'C' && dataMustBeProtected(now))
            return Reply.of(534, "PROT C refused: data connections must be protected.");
        return null;
    }

    /** RFC 2228: CCC would send commands in clear text again; refused. */
    Reply ccc() {
        return secure == null ? Reply.of(533, "CCC needs a protected control connection.")
                              : Reply.of(534, "CCC refused: the control connection stays encrypted.");
    }

    boolean secure() { return secure != null; }

    /** tls.required: no USER or PASS in clear text. */
    boolean tlsRequired() { return services.tls() != null && services.config().ftps().required(); }

    boolean dataMustBeProtected(Login now) {
        return tlsRequired() || now instanceof LoggedIn in && in.account().tlsRequired();
    }

    /** How the next data connection is protected at this PROT level: null for clear. */
    Tls.Data dataProtection(char prot) {
        if (prot != 'P' || secure == null) return null;
        return new Tls.Data(services.tls(), context, secure.getSession(), host,
            s -> dataTls = s.getProtocol() + ", " + s.getCipherSuite());
    }

    /** For STAT: how the control connection is protected. */
    String protection() {
        if (secure == null) return "clear text";
        SSLSession s = secure.getSession();
        return s.getProtocol() + ", " + s.getCipherSuite();
    }

    /** For STAT: how the data connections are, at this PROT level (RFC 4217 §9). */
    String dataProtection(char prot, Login now) {
        if (prot != 'P') return "clear text (PROT C)" + (dataMustBeProtected(now) ? "; PROT P is required" : "");
        String last = dataTls;
        return "protected (PROT P)" + (last == null ? "" : "; the last one: " + last);
    }

    /** The state after a logout: login.timeout counts again from now; REIN or AUTH without a login keeps its start. */
    private LoggedOut loggedOut(Login now) {
        return switch (now) {
            case LoggedIn in -> {
                log.user(null);
                yield new LoggedOut(System.nanoTime());
            }
            case UserGiven u -> new LoggedOut(u.since());
            case LoggedOut o -> o;
        };
    }
}
