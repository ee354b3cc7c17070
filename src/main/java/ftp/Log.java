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
import java.util.Locale;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The event log: one line per event, "[#12 203.0.113.9 alice] message": the session, the client's
 * address (fail2ban matches on these two) and, once logged in, the user; then the message with every
 * control character escaped, so client text can neither split a line nor drive the terminal of an
 * operator running tail -f. With log.format=json each line is one JSON object with the same fields
 * (time, level, session, address, user, event; for transfers path, bytes, ms and result), for log
 * shippers that would otherwise need a regex.
 */
final class Log {
    private static final System.Logger LOG = System.getLogger("ftp");
    /** Events that belong to no session: start, stop, reloads. */
    static final Log SERVER = new Log(0, null);
    private static volatile boolean json;

    private final int session;                  // 0: none
    private final String address;               // null: none
    private volatile String user;
    private volatile String prefix;

    private Log(int session, String address) {
        this.session = session;
        this.address = address;
        this.prefix = address == null ? "" : "[" + (session > 0 ? "#" + session + " " : "") + address + "] ";
    }

    /** The log of one control connection. */
    static Log session(int id, InetAddress client) { return new Log(id, Addresses.text(client)); }

    /** A refusal before any session exists (caps, bans, a bad PROXY header). */
    static Log client(InetAddress client) { return new Log(0, Addresses.text(client)); }

    /** The user logged in on this session from now on (null: nobody). */
    void user(String name) {
        user = name;
        prefix = "[#" + session + " " + address + (name == null ? "" : " " + escape(name)) + "] ";
    }

    void debug(String m) { emit(Level.DEBUG, m); }

    void info(String m) { emit(Level.INFO, m); }

    void warn(String m) { emit(Level.WARNING, m); }

    void error(String m) { emit(Level.ERROR, m); }

    /** A transfer's end: "transfer STOR /a.txt 1000 bytes 12 ms ok" as text, its fields by name in JSON. */
    void transfer(String what, String path, long bytes, long ms, String result) {
        if (!json) emit(Level.INFO, String.format(Locale.ROOT, "transfer %s %d bytes %d ms %s", what, bytes, ms,
            result));
        else LOG.log(Level.INFO, fields("transfer " + what, "path", path, "bytes", bytes, "ms", ms, "result", result));
    }

    private void emit(Level level, String m) { LOG.log(level, json ? fields(m) : prefix + escape(m)); }

    private String fields(String event, Object... more) {
        Object[] f = new Object[8 + more.length];
        Object[] base = {"session", session > 0 ? session : null, "address", address, "user", user, "event", event};
        System.arraycopy(base, 0, f, 0, 8);
        System.arraycopy(more, 0, f, 8, more.length);
        return Json.object(f);
    }

    /**
     * An exception and its causes, outermost first ("IOException: Could not write ← ConnectException:
     * Connection refused"): a provider's wrapper alone rarely says what went wrong.
     */
    static String causes(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (int depth = 0; t != null && depth < 8; t = t.getCause(), depth++) {
            if (b.length() > 0) b.append(" ← ");
            b.append(t.getClass().getSimpleName());
            if (t.getMessage() != null) b.append(": ").append(t.getMessage());
        }
        return b.toString();
    }

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

    /** One line per event to {@code file} (appended), or standard output when it is null; JSON objects or text. */
    static void setUp(Path file, boolean asJson) throws IOException {
        json = asJson;
        OutputStream os = file == null ? System.out
            : Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        PrintStream out = new PrintStream(os, true, StandardCharsets.UTF_8);
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        root.setLevel(java.util.logging.Level.INFO);
        Formatter f = new Formatter() {
            @Override public String format(LogRecord r) {
                String time = Instant.ofEpochMilli(r.getMillis()).toString(), m = r.getMessage();
                if (json && m.startsWith("{"))                   // time and level first, then the event's fields
                    return "{\"time\":\"" + time + "\",\"level\":\"" + r.getLevel().getName() + "\"," + m.substring(1)
                        + System.lineSeparator();
                String level = r.getLevel().getName();
                if (json) return Json.object("time", time, "level", level, "event", m) + System.lineSeparator();
                return time + " " + r.getLevel().getName() + " " + m + System.lineSeparator();
            }
        };
        root.addHandler(new Handler() {
            @Override public void publish(LogRecord r) { if (isLoggable(r)) out.print(f.format(r)); }
            @Override public void flush() { out.flush(); }
            @Override public void close() { out.flush(); }
        });
    }
}
