package ftp;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.System.Logger.Level;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The event log: one line per event, "[#12 203.0.113.9 alice] message": the session, the client's
 * address (fail2ban matches on these two) and, once logged in, the user; then the message with every
 * control character escaped, so client text can neither split a line nor drive the terminal of an
 * operator running tail -f.
 */
final class Log {
    private static final System.Logger LOG = System.getLogger("ftp");
    /** Events that belong to no session: start, stop, reloads. */
    static final Log SERVER = new Log("");

    private final String who;                   // "#12 203.0.113.9", or "" for the server
    private volatile String prefix;

    private Log(String who) {
        this.who = who;
        this.prefix = who.isEmpty() ? "" : "[" + who + "] ";
    }

    /** The log of one control connection. */
    static Log session(int id, InetAddress client) { return new Log("#" + id + " " + address(client)); }

    /** A refusal before any session exists (caps, bans, a bad PROXY header). */
    static Log client(InetAddress client) { return new Log(address(client)); }

    /** The user logged in on this session from now on (null: nobody). */
    void user(String name) { prefix = "[" + who + (name == null ? "" : " " + escape(name)) + "] "; }

    void debug(String m) { LOG.log(Level.DEBUG, prefix + escape(m)); }

    void info(String m) { LOG.log(Level.INFO, prefix + escape(m)); }

    void warn(String m) { LOG.log(Level.WARNING, prefix + escape(m)); }

    void error(String m) { LOG.log(Level.ERROR, prefix + escape(m)); }

    /** C0, DEL and C1 as \xHH: visible to the operator, inert in a terminal. */
    static String escape(String s) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c >= 0x7f && c <= 0x9f) {
                if (b == null) b = new StringBuilder(s.length() + 8).append(s, 0, i);
                b.append("\\x").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
            } else if (b != null) b.append(c);
        }
        return b == null ? s : b.toString();
    }

    /** RFC 5952: IPv6 in its canonical text form (::1, 2001:db8::7), IPv4 as usual. */
    static String address(InetAddress a) {
        if (!(a instanceof Inet6Address v6)) return a.getHostAddress();
        byte[] b = a.getAddress();
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) g[i] = (b[2 * i] & 0xff) << 8 | b[2 * i + 1] & 0xff;
        int best = -1, bestLen = 1;                                  // §4.2.2: a single 0 group is not shortened
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && g[j] == 0) j++;
            if (j - i > bestLen) {                                   // §4.2.3: the first of the longest runs
                best = i;
                bestLen = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder s = new StringBuilder(40);
        for (int i = 0; i < 8; i++) {
            if (i == best) {
                s.append(i == 0 ? "::" : ":");
                i += bestLen - 1;
                continue;
            }
            s.append(Integer.toHexString(g[i]));                    // §4.3: lower case, no leading zeros
            if (i < 7) s.append(':');
        }
        return v6.getScopeId() != 0 ? s + "%" + v6.getScopeId() : s.toString();
    }

    /** One line per event to {@code file} (appended), or standard output when it is null. */
    static void setUp(Path file) throws IOException {
        OutputStream os = file == null ? System.out
            : Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        PrintStream out = new PrintStream(os, true, StandardCharsets.UTF_8);
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        root.setLevel(java.util.logging.Level.INFO);
        Formatter f = new Formatter() {
            @Override public String format(LogRecord r) {
                return Instant.ofEpochMilli(r.getMillis()) + " " + r.getLevel().getName() + " " + formatMessage(r)
                    + System.lineSeparator();
            }
        };
        root.addHandler(new Handler() {
            @Override public void publish(LogRecord r) { if (isLoggable(r)) out.print(f.format(r)); }
            @Override public void flush() { out.flush(); }
            @Override public void close() { out.flush(); }
        });
    }
}
