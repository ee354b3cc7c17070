package ftp;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One home directory and every file operation in it; nothing else in the server touches a home's
 * files, so nothing else can leave it. The client's paths are virtual: '/'-separated, '/' is the
 * home, normalised segment by segment ('..' at the root stays there). Symbolic links are followed
 * while what they lead to stays in the home. Each operation resolves its path once into a
 * {@link Spot} and acts there: relative to open folders where the file system allows it
 * ({@link OpenFolder}: the default one on Linux and the other Unixes), else by a checked real path
 * ({@link RealPath}: zip, in-memory, object stores). Only java.nio.file: any FileSystem can be a home.
 */
final class PathJail implements Closeable {
    /**
     * Whether the JVM names files in UTF-8 (RFC 2640). It takes the file-name encoding from the
     * locale at start-up (sun.jnu.encoding, not settable later): under LANG=C it is ASCII.
     */
    static final boolean UTF8_NAMES = "UTF-8".equalsIgnoreCase(System.getProperty("sun.jnu.encoding", "UTF-8"));

    /** A name the JVM's file-name encoding can't represent (a non-ASCII name outside a UTF-8 locale). */
    static final class Unencodable extends FileSystemException {
        Unencodable(String name) {
            super(name, null, "not representable in the file-name encoding " + System.getProperty("sun.jnu.encoding"));
        }
    }

    /** A name this jail hides: dot files (for anonymous users by default) and the temporary files of uploads. */
    static final class Hidden extends FileSystemException {
        Hidden(String name) { super(name, null, "a hidden name"); }
    }

    private final Path home;
    private final String separator;
    private final boolean secure;               // OpenFolder: every step relative to an open folder
    private final boolean dotFiles;             // names starting with '.' may be seen and used
    private final Spot.Rules rules;
    private final HomeFolder open;         // the home's open folder, kept while logged in (null: not secure)

    /** A jail that shows dot files and leaves permissions to the umask. */
    PathJail(Path home) throws IOException { this(home, true, Config.Modes.UMASK); }

    PathJail(Path home, boolean dotFiles, Config.Modes modes) throws IOException {
        this.home = home;
        this.separator = home.getFileSystem().getSeparator();
        this.dotFiles = dotFiles;
        Path realHome = home.toRealPath();
        // a file as a home: refused here, as the folder walk no longer opens the home at every login
        if (realHome.getFileSystem() == FileSystems.getDefault()) {
            if (!Files.isDirectory(realHome)) throw new NotDirectoryException(home.toString());
            if (!Files.isReadable(realHome) || !Files.isExecutable(realHome))
                throw new AccessDeniedException(home.toString(), null, "can't be read by this user");
        }
        this.secure = OpenFolder.available(realHome);
        this.open = secure ? new HomeFolder(realHome) : null;
        this.rules = new Spot.Rules(realHome, Spot.Store.of(realHome),
            this::shown, PathJail::stale, modes);
    }

    /** Whether folders swapped for links between check and use are beaten here (README: Security). */
    boolean secure() { return secure; }

    /** What the home's file system can do. */
    Spot.Store store() { return rules.store(); }

    /**
     * The normalised virtual path of {@code arg} seen from {@code cwd}: absolute, no '.', '..' or
     * empty segments. Throws for names no file may have (NUL, CR, LF, a foreign separator).
     */
    String virtual(String cwd, String arg) throws InvalidPathException {
        Deque<String> segs = new ArrayDeque<>();
        String full = arg.startsWith("/") ? arg : cwd + "/" + arg;
        for (String seg : full.split("/")) {
            if (seg.isEmpty() || seg.equals(".")) continue;
            if (seg.equals("..")) {
                segs.pollLast();
                continue;
            }
            if (seg.indexOf('\0') >= 0 || seg.indexOf('\r') >= 0 || seg.indexOf('\n') >= 0
                || (!separator.equals("/") && seg.contains(separator)))
                throw new InvalidPathException(arg, "forbidden character in name");
            segs.addLast(seg);
        }
        return "/" + String.join("/", segs);
    }

    /** A client's (normalised) virtual path, refused when it names something hidden. */
    String visible(String virtual) throws Hidden {
        for (String s : segments(virtual)) if (!shown(s)) throw new Hidden(s);
        return virtual;
    }

    /** Whether a listing shows this name, and whether a client's path may use it. */
    private boolean shown(String name) {
        return (dotFiles || !name.startsWith(".")) && !Spot.TEMPORARY.matcher(name).matches();
    }

    /**
     * The temporary file of an upload that replaces {@code target}: beside it, hidden, and short
     * whatever the length of the name (a name near the 255-byte limit must still be replaceable).
     */
    static String temporary(String target) {
        int slash = target.lastIndexOf('/');
        return target.substring(0, slash + 1) + Spot.temporary(target.substring(slash + 1));
    }

    /**
     * A temporary file that a listing meets untouched for a day: an upload that will never finish
     * (the server was killed mid-upload; a running one writes it, or is closed after data.timeout).
     */
    private static boolean stale(Spot.Entry e) {
        BasicFileAttributes a = e.attributes();
        return Spot.TEMPORARY.matcher(e.name()).matches() && a != null && a.isRegularFile()
            && a.lastModifiedTime().toMillis() < System.currentTimeMillis() - Config.STALE_UPLOAD.toMillis();
    }

    // ---- the operations: each resolves its path once and acts where it resolved ----

    /** Attributes of what {@code virtual} leads to (POSIX ones where the file system has them). */
    BasicFileAttributes attributes(String virtual) throws IOException {
        try (Spot s = spot(virtual, true)) {
            return s.attributes();
        }
    }

    /** What a path leads to, from one walk: its canonical path and its attributes (null: nothing there). */
    record Found(String canonical, BasicFileAttributes attributes) {}

    Found find(String virtual) throws IOException {
        try (Spot s = spot(virtual, true)) {
            return new Found(s.canonical(), s.attributesOrNull());
        }
    }

    /** The same, or null when nothing has that name (a folder on the way missing is still an error). */
    BasicFileAttributes attributesOrNull(String virtual) throws IOException {
        try (Spot s = spot(virtual, true)) {
            return s.attributesOrNull();
        }
    }

    /** Attributes of the name itself, or null when there is none: a link is a link. */
    BasicFileAttributes ownOrNull(String virtual) throws IOException {
        try (Spot s = spot(virtual, false)) {
            return s.attributesOrNull();
        }
    }

    /** The same; a missing name is NoSuchFileException. */
    BasicFileAttributes own(String virtual) throws IOException {
        BasicFileAttributes a = ownOrNull(virtual);
        if (a == null) throw new NoSuchFileException(virtual);
        return a;
    }

    /**
     * Opens the file {@code virtual} leads to, never following a link at its end. CREATE_NEW needs
     * no look at the end first: O_EXCL refuses whatever is there, a link too.
     */
    FileChannel open(String virtual, OpenOption... options) throws IOException {
        try (Spot s = spot(virtual, !Arrays.asList(options).contains(StandardOpenOption.CREATE_NEW))) {
            return s.open(options);
        }
    }

    void createDirectory(String virtual) throws IOException {
        try (Spot s = spot(virtual, false)) {
            s.createDirectory();
        }
    }

    /** Removes the name: a file, a link (not its target) or an empty folder. */
    void delete(String virtual) throws IOException {
        try (Spot s = spot(virtual, false)) {
            s.delete();
        }
    }

    /** Renames, replacing a file at {@code to} as rename(2) does; atomic where the file system can. */
    void move(String from, String to) throws IOException {
        try (Spot a = spot(from, false); Spot b = spot(to, false)) {
            a.move(b);
        }
    }

    /** Whether two virtual paths name one file (a link and its target, say). */
    boolean same(String a, String b) throws IOException {
        BasicFileAttributes x = attributes(a), y = attributes(b);
        return x.fileKey() != null ? x.fileKey().equals(y.fileKey()) : canonical(a).equals(canonical(b));
    }

    void setModified(String virtual, FileTime t) throws IOException {
        try (Spot s = spot(virtual, true)) {
            s.setModified(t);
        }
    }

    /** Sets the nine permission bits; false where the file system has no POSIX permissions. */
    boolean setPermissions(String virtual, Set<PosixFilePermission> perms) throws IOException {
        if (!rules.posix()) return false;
        try (Spot s = spot(virtual, true)) {
            s.setPermissions(perms);
            return true;
        }
    }

    /**
     * The entries of the folder {@code virtual} leads to, streamed from the file system (never
     * collected: 100,000 entries cost no more memory than ten). Links are followed while they stay
     * in the home; entries whose links lead out, hidden names and entries that vanish meanwhile
     * are left out.
     */
    void list(String virtual, Spot.Entries out) throws IOException {
        try (Spot s = spot(virtual, true)) {
            s.list(virtual, out);
        }
    }

    /** The virtual path of what {@code virtual} leads to: its links resolved (each checked). */
    String canonical(String virtual) throws IOException {
        try (Spot s = spot(virtual, true)) {
            return s.canonical();
        }
    }

    /** At the end of the login: the home's open folder goes once no operation holds it. */
    @Override public void close() throws IOException {
        if (open != null) open.close();
    }

    /** Its real path: the key of busy marks, which must be one for every name of a file. */
    Path real(String virtual) throws IOException {
        return realOf(canonical(virtual));
    }

    /** The same for a path that is canonical already (from {@link #find} or {@link #canonical}). */
    Path realOf(String canonical) {
        return canonical.equals("/") ? rules.realHome() : rules.realHome().resolve(canonical.substring(1));
    }

    /**
     * The bytes of every file in the home, for a quota (links are not followed: nothing counts twice).
     * On the default file system, summed at each upload; elsewhere (an object store, where that is a
     * listing of the whole bucket and a request per object) summed at most every {@link Config#USAGE_TTL},
     * shared by the sessions of a home, and moved meanwhile by this server's own uploads and deletes.
     */
    long usedBytes() throws IOException {
        if (rules.store().local()) return walk();
        long now = System.nanoTime();
        long[] u = USAGE.get(rules.realHome());
        if (u == null || now - u[1] > Config.USAGE_TTL.toNanos()) {
            u = new long[] {walk(), now};
            USAGE.put(rules.realHome(), u);
        }
        return u[0];
    }

    /** This server added or removed {@code delta} bytes in the home (see {@link #usedBytes}). */
    void used(long delta) {
        if (!rules.store().local()) USAGE.computeIfPresent(rules.realHome(), (k, u) -> new long[] {u[0] + delta, u[1]});
    }

    private static final ConcurrentHashMap<Path, long[]> USAGE = new ConcurrentHashMap<>();   // {bytes, nanoTime}

    private long walk() throws IOException {
        long[] used = {0};
        Files.walkFileTree(rules.realHome(), new SimpleFileVisitor<>() {
            @Override public FileVisitResult visitFile(Path p, BasicFileAttributes a) {
                if (a.isRegularFile()) used[0] += a.size();
                return FileVisitResult.CONTINUE;
            }

            @Override public FileVisitResult visitFileFailed(Path p, IOException e) {
                return FileVisitResult.CONTINUE;            // vanished meanwhile (another session's RMD): not counted
            }
        });
        return used[0];
    }

    /** Resolves {@code virtual}; {@code followLast}: a link at its end is followed (all but DELE, RNFR, RNTO, MKD). */
    private Spot spot(String virtual, boolean followLast) throws IOException {
        List<String> segs = segments(virtual);
        Path lexical = home;
        for (String s : segs) {
            try {
                lexical = lexical.resolve(s);
            } catch (InvalidPathException e) {
                throw new Unencodable(s);
            }
        }
        return secure ? OpenFolder.walk(rules, open, segs, followLast, virtual)
                      : RealPath.of(rules, home, lexical, followLast, virtual);
    }

    private static List<String> segments(String virtual) {
        List<String> l = new ArrayList<>();
        for (String s : virtual.split("/")) if (!s.isEmpty()) l.add(s);
        return l;
    }
}
