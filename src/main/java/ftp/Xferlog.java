package ftp;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * transfer.log: one xferlog(5) line per file transfer, the format vsftpd, proftpd and wu-ftpd write,
 * so existing log tools read it. Listings are not file transfers and are not written.
 */
final class Xferlog implements AutoCloseable {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.ROOT);
    /** No transfer.log configured: entries go nowhere. */
    static final Xferlog NONE = new Xferlog(null);

    enum Direction { IN, OUT }

    /**
     * One finished transfer. {@code user}: the account name, or for anonymous users the password
     * they gave (xferlog(5)'s username field); {@code bytes}: bytes on the wire.
     */
    record Entry(ZonedDateTime end, long ms, InetAddress client, long bytes, String path, boolean ascii,
                 Direction direction, boolean anonymous, String user, boolean complete) {
        String line() {
            return String.format(Locale.ROOT, "%s %d %s %d %s %c _ %c %c %s ftp 0 * %c",
                end.format(TIME), Math.max(1, (ms + 500) / 1000), Addresses.text(client), bytes, field(path),
                ascii ? 'a' : 'b', direction == Direction.IN ? 'i' : 'o', anonymous ? 'a' : 'r', field(user),
                complete ? 'c' : 'i');
        }

        /** Fields are separated by spaces: a space or control character in a name would shift them. */
        private static String field(String s) { return s.replaceAll("[\\s\\p{Cntrl}]", "_"); }
    }

    private final PrintStream out;

    private Xferlog(PrintStream out) { this.out = out; }

    /** Appends to {@code file}; throws, naming the key, when it can't be opened. */
    static Xferlog open(Path file) {
        if (file == null) return NONE;
        try {
            return new Xferlog(new PrintStream(Files.newOutputStream(file, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND), true, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalArgumentException("transfer.log: cannot open " + file + ": " + e.getMessage(), e);
        }
    }

    void write(Entry e) {
        if (out != null) out.println(e.line());           // PrintStream locks per call: lines never interleave
    }

    @Override
    public void close() {
        if (out != null) out.close();
    }
}
