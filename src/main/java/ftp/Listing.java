package ftp;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Directory listings, streamed entry by entry from a DirectoryStream (never collected, so 100,000
 * entries cost no more memory than ten): LIST in `ls -l` form, NLST names, and the MLSD/MLST facts
 * of RFC 3659 §7. Entries whose links lead out of the jail are left out.
 */
final class Listing {
    static final List<String> FACTS = List.of("type", "size", "modify", "perm", "unique");
    private static final DateTimeFormatter RECENT = DateTimeFormatter.ofPattern("MMM dd HH:mm", Locale.ROOT);
    private static final DateTimeFormatter OLD = DateTimeFormatter.ofPattern("MMM dd  yyyy", Locale.ROOT);
    static final DateTimeFormatter MDTM = DateTimeFormatter.ofPattern("uuuuMMddHHmmss", Locale.ROOT).withZone(ZoneOffset.UTC);

    enum Form { LIST, NLST, MLSD }

    private Listing() {}

    /**
     * Writes the listing of {@code target} (or the single entry, when it is a file), one CRLF line
     * each. NLST names entries as the client named the directory ({@code asked}, null for none):
     * "NLST sub" gives "sub/a", so a client's multiple get can RETR each line as it is.
     */
    static void write(Path target, Form form, PathJail jail, boolean write, Set<String> facts, String asked, Writer out) throws IOException {
        BasicFileAttributes a = read(target);
        ZonedDateTime now = ZonedDateTime.now();                   // once per listing, not per entry
        String shown = asked == null || asked.equals(".") ? null : asked.length() > 1 && asked.endsWith("/") ? asked.substring(0, asked.length() - 1) : asked;
        if (!a.isDirectory()) {
            String name = form == Form.NLST && shown != null ? shown : target.getFileName() == null ? "/" : target.getFileName().toString();
            out.write(line(target, a, form, write, facts, name, now));
            return;
        }
        String prefix = form != Form.NLST || shown == null ? "" : shown.endsWith("/") ? shown : shown + "/";
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(target)) {
            for (Path p : dir) {
                BasicFileAttributes e = attributes(p, jail);
                if (e != null) out.write(line(p, e, form, write, facts, prefix + p.getFileName(), now));
            }
        }
    }

    /** An entry's attributes, following links that stay inside the jail; null for the others. */
    static BasicFileAttributes attributes(Path p, PathJail jail) {
        try {
            BasicFileAttributes a = read(p, LinkOption.NOFOLLOW_LINKS);
            if (a.isSymbolicLink()) {
                if (!jail.inside(p)) return null;
                a = read(p);
            }
            return a;
        } catch (IOException e) {
            return null;   // vanished while listing, or unreadable: leave it out
        }
    }

    /** POSIX attributes where the file system has them (they include the basic ones), else basic. */
    static BasicFileAttributes read(Path p, LinkOption... options) throws IOException {
        try {
            return Files.readAttributes(p, PosixFileAttributes.class, options);
        } catch (UnsupportedOperationException e) {
            return Files.readAttributes(p, BasicFileAttributes.class, options);
        }
    }

    private static String line(Path p, BasicFileAttributes a, Form form, boolean write, Set<String> facts, String name, ZonedDateTime now) {
        name = Reply.safe(name);
        return switch (form) {
            case NLST -> name + "\r\n";
            case LIST -> ls(p, a, name, now) + "\r\n";
            case MLSD -> facts(p, a, write, false, facts) + " " + name + "\r\n";
        };
    }

    /** One `ls -l` line, the form commons-net, curl, lftp and FileZilla parse. */
    static String ls(Path p, BasicFileAttributes a, String name, ZonedDateTime now) {
        String perms = a instanceof PosixFileAttributes px ? permissions(px.permissions())
                     : a.isDirectory() ? "rwxr-xr-x" : "rw-r--r--";           // not a POSIX file system
        ZonedDateTime t = a.lastModifiedTime().toInstant().atZone(now.getZone());
        boolean recent = t.isAfter(now.minusMonths(6)) && t.isBefore(now.plusDays(1));
        String size = Long.toString(a.size());
        return new StringBuilder(64 + name.length()).append(a.isDirectory() ? 'd' : '-').append(perms)
            .append(a.isDirectory() ? "   2" : "   1").append(" ftp      ftp      ")
            .append(" ".repeat(Math.max(0, 12 - size.length()))).append(size).append(' ')
            .append((recent ? RECENT : OLD).format(t)).append(' ').append(name).toString();
    }

    private static String permissions(Set<PosixFilePermission> s) {
        PosixFilePermission[] all = PosixFilePermission.values();   // OWNER_READ … OTHERS_EXECUTE, in ls order
        StringBuilder b = new StringBuilder(9);
        for (int i = 0; i < 9; i++) b.append(s.contains(all[i]) ? "rwx".charAt(i % 3) : '-');
        return b.toString();
    }

    /** RFC 3659 §7.5 facts, "fact=value;" each, only those selected by OPTS MLST; {@code home}: the jail's root. */
    static String facts(Path p, BasicFileAttributes a, boolean write, boolean home, Set<String> selected) {
        StringBuilder b = new StringBuilder(96);
        for (String f : FACTS) {
            if (!selected.contains(f) || f.equals("size") && a.isDirectory()) continue;   // §7.5.7: size is for files
            switch (f) {
                case "type" -> b.append("type=").append(a.isDirectory() ? "dir" : "file");
                case "size" -> b.append("size=").append(a.size());
                case "modify" -> b.append("modify=").append(MDTM.format(a.lastModifiedTime().toInstant()));
                // §7.5.5: files r (RETR) w (STOR) a (APPE) d (DELE) f (RNFR); dirs e l (CWD, LIST) c m p d f
                case "perm" -> b.append("perm=").append(a.isDirectory() ? "el" + (write ? "cmp" : "") + (write && !home ? "df" : "")
                                                                        : write ? "rwadf" : "r");
                case "unique" -> b.append("unique=").append(unique(p, a));
                default -> { continue; }
            }
            b.append(';');
        }
        return b.toString();
    }

    private static String unique(Path p, BasicFileAttributes a) {
        Object key = a.fileKey();   // "(dev=…,ino=…)" on Unix; none on some file systems
        if (key == null) return Integer.toHexString(p.toAbsolutePath().normalize().hashCode());
        String k = key.toString();                           // "(dev=803,ino=1234)" → "803i1234"
        return k.startsWith("(dev=") && k.endsWith(")") ? k.substring(5, k.length() - 1).replace(",ino=", "i")
                                                        : Integer.toHexString(k.hashCode());
    }

    static String mdtm(Instant t) { return MDTM.format(t); }
}
