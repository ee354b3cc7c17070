package ftp;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.System.Logger.Level;
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
    static Log session(int id, InetAddress client) { return new Log("#" + id + " " + Addresses.text(client)); }

    /** A refusal before any session exists (caps, bans, a bad PROXY header). */
    static Log client(InetAddress client) { return new Log(Addresses.text(client)); }

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
