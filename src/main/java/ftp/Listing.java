package ftp;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.zone.ZoneRules;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Directory listings, streamed entry by entry from the jail: LIST in `ls -l` form (what commons-net,
 * curl, lftp and FileZilla parse), NLST names, and the MLSD/MLST facts of RFC 3659 §7.
 */
final class Listing {
    static final List<String> FACTS = List.of("type", "size", "modify", "perm", "unique");
    private static final String[] MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(" ");
    private static final long SIX_MONTHS = 31_556_952 / 2;          // seconds: half a Gregorian year, as GNU ls
    private static final DateTimeFormatter MDTM = DateTimeFormatter.ofPattern("uuuuMMddHHmmss", Locale.ROOT)
        .withZone(ZoneOffset.UTC);

    enum Form { LIST, NLST, MLSD }

    private Listing() {}

    /**
     * Writes the listing of {@code virtual} (or the single entry, when it is a file), one CRLF line
     * each. NLST names entries as the client named the directory ({@code asked}, null for none):
     * "NLST sub" gives "sub/a", so a client's multiple get can RETR each line as it is.
     */
    static void write(PathJail jail, String virtual, Form form, boolean write, Set<String> facts, String asked,
                      Writer out) throws IOException {
        BasicFileAttributes a = jail.attributes(virtual);
        Clock clock = new Clock();
        String shown = asked == null || asked.equals(".") ? null
            : asked.length() > 1 && asked.endsWith("/") ? asked.substring(0, asked.length() - 1) : asked;
        if (!a.isDirectory()) {
            String name = form == Form.NLST && shown != null ? shown : virtual.substring(virtual.lastIndexOf('/') + 1);
            out.write(line(virtual, a, form, write, facts, name, clock));
            return;
        }
        String prefix = form != Form.NLST || shown == null ? "" : shown.endsWith("/") ? shown : shown + "/";
        String base = virtual.endsWith("/") ? virtual : virtual + "/";
        jail.list(virtual, (name, e) -> out.write(line(base + name, e, form, write, facts, prefix + name, clock)));
    }

    private static String line(String virtual, BasicFileAttributes a, Form form, boolean write, Set<String> facts,
                               String name, Clock clock) {
        name = Reply.safe(name);
        return switch (form) {
            case NLST -> name + "\r\n";
            case LIST -> ls(a, name, clock) + "\r\n";
            case MLSD -> facts(virtual, a, write, false, facts) + " " + name + "\r\n";
        };
    }

    /** One `ls -l` line, the form commons-net, curl, lftp and FileZilla parse. */
    static String ls(BasicFileAttributes a, String name, Clock clock) {
        String perms = a instanceof PosixFileAttributes px ? permissions(px.permissions())
                     : a.isDirectory() ? "rwxr-xr-x" : "rw-r--r--";           // not a POSIX file system
        String size = Long.toString(a.size());
        StringBuilder b = new StringBuilder(64 + name.length()).append(a.isDirectory() ? 'd' : '-').append(perms)
            .append(a.isDirectory() ? "   2" : "   1").append(" ftp      ftp      ");
        for (int i = size.length(); i < 12; i++) b.append(' ');
        return b.append(size).append(' ').append(clock.ls(a.lastModifiedTime())).append(' ').append(name).toString();
    }

    /**
     * The dates of one listing: the clock and the zone read once, and one string per distinct
     * minute (the files of a folder often share one), without a formatter per entry.
     */
    static final class Clock {
        private final long now = System.currentTimeMillis() / 1000;
        private final ZoneRules zone = ZoneId.systemDefault().getRules();
        private long minute = Long.MIN_VALUE;
        private String text;

        /** "Jan 05 14:03" within six months, else "Jan 05  2019" (ls -l). */
        String ls(FileTime t) {
            long s = t.to(java.util.concurrent.TimeUnit.SECONDS);
            if (Math.floorDiv(s, 60) != minute) {
                minute = Math.floorDiv(s, 60);
                LocalDateTime d = LocalDateTime.ofEpochSecond(s, 0, zone.getOffset(Instant.ofEpochSecond(s)));
                StringBuilder b = new StringBuilder(12).append(MONTHS[d.getMonthValue() - 1]).append(' ');
                two(b, d.getDayOfMonth()).append(' ');
                if (s > now - SIX_MONTHS && s < now + 86_400) two(two(b, d.getHour()).append(':'), d.getMinute());
                else b.append(' ').append(d.getYear());
                text = b.toString();
            }
            return text;
        }

        private static StringBuilder two(StringBuilder b, int n) {
            return b.append((char) ('0' + n / 10)).append((char) ('0' + n % 10));
        }
    }

    private static String permissions(Set<PosixFilePermission> s) {
        PosixFilePermission[] all = PosixFilePermission.values();   // OWNER_READ … OTHERS_EXECUTE, in ls order
        StringBuilder b = new StringBuilder(9);
        for (int i = 0; i < 9; i++) b.append(s.contains(all[i]) ? "rwx".charAt(i % 3) : '-');
        return b.toString();
    }

    /**
     * RFC 3659 §7.5 facts, "fact=value;" each, only those selected by OPTS MLST; {@code home}: the
     * jail's root. {@code virtual} names the entry for a unique fact where the file system has no file key.
     */
    static String facts(String virtual, BasicFileAttributes a, boolean write, boolean home, Set<String> selected) {
        StringBuilder b = new StringBuilder(96);
        for (String f : FACTS) {
            if (!selected.contains(f) || f.equals("size") && a.isDirectory()) continue;   // §7.5.7: size is for files
            switch (f) {
                case "type" -> b.append("type=").append(a.isDirectory() ? "dir" : "file");
                case "size" -> b.append("size=").append(a.size());
                case "modify" -> b.append("modify=").append(mdtm(a.lastModifiedTime().toInstant()));
                // §7.5.5: files r (RETR) w (STOR) a (APPE) d (DELE) f (RNFR); dirs e l (CWD, LIST) c m p d f
                case "perm" -> b.append("perm=").append(a.isDirectory()
                                                        ? "el" + (write ? "cmp" : "") + (write && !home ? "df" : "")
                                                                        : write ? "rwadf" : "r");
                case "unique" -> b.append("unique=").append(unique(virtual, a));
                default -> { continue; }
            }
            b.append(';');
        }
        return b.toString();
    }

    private static String unique(String virtual, BasicFileAttributes a) {
        Object key = a.fileKey();   // "(dev=…,ino=…)" on Unix; none on some file systems
        if (key == null) return Integer.toHexString(virtual.hashCode());
        String k = key.toString();                           // "(dev=803,ino=1234)" → "803i1234"
        return k.startsWith("(dev=") && k.endsWith(")") ? k.substring(5, k.length() - 1).replace(",ino=", "i")
                                                        : Integer.toHexString(k.hashCode());
    }

    /** RFC 3659 §2.3 time-val, UTC: YYYYMMDDHHMMSS (built by hand: MLSD calls it once per entry). */
    static String mdtm(Instant t) {
        LocalDateTime d = LocalDateTime.ofEpochSecond(t.getEpochSecond(), 0, ZoneOffset.UTC);
        if (d.getYear() < 0 || d.getYear() > 9999) return MDTM.format(t);
        StringBuilder b = new StringBuilder(14);
        int y = d.getYear();
        b.append((char) ('0' + y / 1000)).append((char) ('0' + y / 100 % 10));
        int[] rest = {y % 100, d.getMonthValue(), d.getDayOfMonth(), d.getHour(), d.getMinute(), d.getSecond()};
        for (int n : rest) Clock.two(b, n);
        return b.toString();
    }
}
