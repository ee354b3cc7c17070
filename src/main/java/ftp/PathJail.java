package ftp;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * One home directory and every file operation in it. The client's paths are virtual: '/'-separated,
 * '/' is the home, normalised segment by segment ('..' at the root stays there). Symbolic links are
 * followed while what they lead to stays in the home. Nothing else in the server touches a home's
 * files, so nothing else can leave it.
 * <p>
 * Where the file system gives a {@link SecureDirectoryStream} (the default one on Linux and the
 * other Unixes), a path is walked from the home's open folder one segment at a time, each folder
 * opened relative to the last without following links (openat), every link read and walked again
 * from the home, and the operation done relative to the open parent (openat, fstatat, unlinkat,
 * renameat): a folder swapped for a link between check and use has nothing left to redirect, as
 * under chroot. MKD alone has no relative form (see {@link Spot#createDirectory}). Other file
 * systems (zip, in-memory, an object store) have no local users to race with: their real paths are
 * checked and used. Only java.nio.file, so any FileSystem can hold a home.
 */
final class PathJail {
    /**
     * Whether the JVM names files in UTF-8 (RFC 2640). It takes the file-name encoding from the
     * locale at start-up (sun.jnu.encoding, not settable later): under LANG=C it is ASCII.
     */
    static final boolean UTF8_NAMES = "UTF-8".equalsIgnoreCase(System.getProperty("sun.jnu.encoding", "UTF-8"));
    /** Links followed in one path before giving up (Linux's own limit). */
    private static final int MAX_LINKS = 40;

    /** A name the JVM's file-name encoding can't represent (a non-ASCII name outside a UTF-8 locale). */
    static final class Unencodable extends FileSystemException {
        Unencodable(String name) {
            super(name, null, "not representable in the file-name encoding " + System.getProperty("sun.jnu.encoding"));
        }
    }

    /** A name this jail hides: dot files for anonymous users, and the temporary files of uploads. */
    static final class Hidden extends FileSystemException {
        Hidden(String name) { super(name, null, "a hidden name"); }
    }

    /** What a listing gets for each entry. */
    interface Entries {
        void entry(String name, BasicFileAttributes attributes) throws IOException;
    }

    private final Path home;
    private final Path realHome;
    private final String separator;
    private final boolean posix;
    private final boolean secure;               // SecureDirectoryStream: every step relative to an open folder
    private final boolean dotFiles;             // names starting with '.' may be seen and used

    /** A jail that shows dot files (named users: web hosts upload .htaccess). */
    PathJail(Path home) throws IOException { this(home, true); }

    PathJail(Path home, boolean dotFiles) throws IOException {
        this.home = home;
        this.realHome = home.toRealPath();
        this.separator = home.getFileSystem().getSeparator();
        this.posix = home.getFileSystem().supportedFileAttributeViews().contains("posix");
        this.dotFiles = dotFiles;
        try (DirectoryStream<Path> d = Files.newDirectoryStream(realHome)) {
            this.secure = d instanceof SecureDirectoryStream;
        }
    }

    /** Whether link swaps are beaten by walking open folders (README: Security). */
    boolean secure() { return secure; }

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

    // ---- the operations: each resolves its path once and acts where it resolved ----

    /** Attributes of what {@code virtual} leads to (POSIX ones where the file system has them). */
    BasicFileAttributes attributes(String virtual) throws IOException {
        try (Spot s = spot(virtual, true)) {
            return s.attributes();
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

    /** Opens the file {@code virtual} leads to, never following a link at its end. */
    FileChannel open(String virtual, OpenOption... options) throws IOException {
        try (Spot s = spot(virtual, true)) {
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
        if (!posix) return false;
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
    void list(String virtual, Entries out) throws IOException {
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

    /** Its real path: the key of busy marks, which must be one for every name of a file. */
    Path real(String virtual) throws IOException {
        String c = canonical(virtual);
        return c.equals("/") ? realHome : realHome.resolve(c.substring(1));
    }

    /** The bytes of every file in the home, for a quota (links are not followed: nothing counts twice). */
    long usedBytes() throws IOException {
        long[] used = {0};
        Files.walkFileTree(realHome, new SimpleFileVisitor<>() {
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

    /** Whether a listing shows this name, and whether a client's path may use it. */
    boolean shown(String name) { return (dotFiles || !name.startsWith(".")) && !TEMPORARY.matcher(name).matches(); }

    /** A client's (normalised) virtual path, refused when it names something hidden. */
    String visible(String virtual) throws Hidden {
        for (String s : segments(virtual)) if (!shown(s)) throw new Hidden(s);
        return virtual;
    }

    /**
     * The temporary file of an upload that replaces {@code target}: beside it, hidden, and short
     * whatever the length of the name (a name near the 255-byte limit must still be replaceable).
     */
    static String temporary(String target) {
        int slash = target.lastIndexOf('/');
        return target.substring(0, slash + 1) + String.format(".upload.%08x.%012x", target.substring(slash + 1).hashCode(),
            ThreadLocalRandom.current().nextLong() >>> 16);
    }

    private static final Pattern TEMPORARY = Pattern.compile("\\.upload\\.[0-9a-f]{8}\\.[0-9a-f]{12}");

    /**
     * A temporary file that a listing meets, untouched for a day: an upload that will never finish
     * (a server killed mid-upload; a running one writes it, or is closed after data.timeout).
     */
    private static boolean stale(String name, BasicFileAttributes a) {
        return TEMPORARY.matcher(name).matches() && a != null && a.isRegularFile()
            && a.lastModifiedTime().toMillis() < System.currentTimeMillis() - Config.STALE_UPLOAD.toMillis();
    }

    // ---- resolving a virtual path ----

    /** Where an operation on a virtual path acts; closed after it. */
    private sealed interface Spot extends Closeable {
        String canonical();

        BasicFileAttributes attributesOrNull() throws IOException;

        default BasicFileAttributes attributes() throws IOException {
            BasicFileAttributes a = attributesOrNull();
            if (a == null) throw new NoSuchFileException(canonical());
            return a;
        }

        FileChannel open(OpenOption... options) throws IOException;

        void createDirectory() throws IOException;

        void delete() throws IOException;

        void move(Spot to) throws IOException;

        void setModified(FileTime t) throws IOException;

        void setPermissions(Set<PosixFilePermission> perms) throws IOException;

        void list(String virtual, Entries out) throws IOException;

        @Override default void close() throws IOException {}
    }

    private Spot spot(String virtual, boolean followLast) throws IOException {
        return secure ? walk(segments(virtual), followLast, virtual) : byPath(virtual, followLast);
    }

    private static List<String> segments(String virtual) {
        List<String> l = new ArrayList<>();
        for (String s : virtual.split("/")) if (!s.isEmpty()) l.add(s);
        return l;
    }

    private Path name(String seg) throws Unencodable {
        try {
            return home.getFileSystem().getPath(seg);
        } catch (InvalidPathException e) {
            throw new Unencodable(seg);
        }
    }

    /**
     * The secure walk: from the home's open folder, one segment at a time. Folders are opened
     * relative to their parent without following links; a link is read and its target walked again
     * from the home (a target outside it is refused); the last segment is left to the operation.
     */
    private Spot walk(List<String> segs, boolean followLast, String virtual) throws IOException {
        Deque<String> todo = new ArrayDeque<>(segs);
        List<String> done = new ArrayList<>();
        List<SecureDirectoryStream<Path>> opened = new ArrayList<>();
        opened.add(openHome());
        int links = 0;
        try {
            while (!todo.isEmpty()) {
                SecureDirectoryStream<Path> dir = opened.get(opened.size() - 1);
                String seg = todo.pop();
                boolean last = todo.isEmpty();
                Path name = name(seg);
                if (last && !followLast) return new Opened(opened, name, done, seg);
                BasicFileAttributes a = Opened.stat(dir, name);
                if (a != null && a.isSymbolicLink()) {
                    if (++links > MAX_LINKS) throw new FileSystemException(virtual, null, "too many links");
                    List<String> target = follow(done, seg, virtual);
                    target.addAll(todo);
                    todo = new ArrayDeque<>(target);
                    done.clear();
                    for (int i = opened.size() - 1; i > 0; i--) opened.remove(i).close();
                    continue;
                }
                if (last) return new Opened(opened, name, done, seg);
                if (a == null) throw new NoSuchFileException(virtual);
                if (!a.isDirectory()) throw new NotDirectoryException(virtual);
                opened.add(dir.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS));
                done.add(seg);
            }
            return new Opened(opened, null, done, null);
        } catch (IOException | RuntimeException e) {
            for (var d : opened) d.close();
            throw e;
        }
    }

    private SecureDirectoryStream<Path> openHome() throws IOException {
        return (SecureDirectoryStream<Path>) Files.newDirectoryStream(realHome);
    }

    /**
     * The segments, from the home, of what the link {@code done/seg} points to: its text read (by
     * path; whatever text is read is walked again from the home, so a swap can't lead anywhere
     * unchecked), '..' never above the home.
     */
    private List<String> follow(List<String> done, String seg, String virtual) throws IOException {
        Path link = realHome;
        for (String d : done) link = link.resolve(d);
        Path text = Files.readSymbolicLink(link.resolve(seg));
        List<String> at = new ArrayList<>(done);
        if (text.isAbsolute()) {
            Path t = text.normalize();
            if (!t.startsWith(realHome)) {
                try {
                    t = t.toRealPath();                          // the home by another name, say
                } catch (IOException e) {
                    throw new AccessDeniedException(virtual, null, "a link leads out of the home");
                }
                if (!t.startsWith(realHome)) throw new AccessDeniedException(virtual, null, "a link leads out of the home");
            }
            at = segments(realHome.relativize(t).toString().replace(separator, "/"));
            return at;
        }
        for (Path p : text) {
            String s = p.toString();
            if (s.equals("..")) {
                if (at.isEmpty()) throw new AccessDeniedException(virtual, null, "a link leads out of the home");
                at.remove(at.size() - 1);
            } else if (!s.isEmpty() && !s.equals(".")) at.add(s);
        }
        return at;
    }

    /** A name in an open folder (or, with {@code name} null, the open folder itself). */
    private final class Opened implements Spot {
        private final List<SecureDirectoryStream<Path>> opened;
        private final SecureDirectoryStream<Path> dir;
        private final Path name;
        private final String canonical;

        Opened(List<SecureDirectoryStream<Path>> opened, Path name, List<String> done, String seg) {
            this.opened = opened;
            this.dir = opened.get(opened.size() - 1);
            this.name = name;
            this.canonical = "/" + String.join("/", done) + (seg == null ? "" : (done.isEmpty() ? "" : "/") + seg);
        }

        static BasicFileAttributes stat(SecureDirectoryStream<Path> dir, Path name) throws IOException {
            try {
                return dir.getFileAttributeView(name, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .readAttributes();
            } catch (NoSuchFileException e) {
                return null;
            }
        }

        @Override public String canonical() { return canonical; }

        @Override public BasicFileAttributes attributesOrNull() throws IOException {
            return name == null ? dir.getFileAttributeView(PosixFileAttributeView.class).readAttributes() : stat(dir, name);
        }

        @Override public FileChannel open(OpenOption... options) throws IOException {
            if (name == null) throw new AccessDeniedException(canonical, null, "a folder");
            Set<OpenOption> o = new HashSet<>(Set.of(options));
            o.add(LinkOption.NOFOLLOW_LINKS);
            if (dir.newByteChannel(name, o) instanceof FileChannel f) return f;
            throw new UnsupportedOperationException("no FileChannel from this file system");
        }

        /**
         * There is no mkdirat in java.nio.file: the folder is made by path, between two checks that
         * the path still leads to the open parent (same file key before, the new folder seen through
         * the open parent after; if not, it is removed again). What remains is a race won within
         * that microsecond window: an empty folder made, briefly, where a swapped link points.
         */
        @Override public void createDirectory() throws IOException {
            if (name == null) throw new java.nio.file.FileAlreadyExistsException(canonical);
            Path parent = realHome.resolve(canonical.substring(1)).getParent();
            Object key = dir.getFileAttributeView(BasicFileAttributeView.class).readAttributes().fileKey();
            if (key == null || !key.equals(Files.readAttributes(parent, BasicFileAttributes.class).fileKey()))
                throw new AccessDeniedException(canonical, null, "its folder changed during MKD");
            Path made = Files.createDirectory(parent.resolve(name.toString()));
            BasicFileAttributes seen = stat(dir, name);
            if (seen == null || !seen.isDirectory()
                || !seen.fileKey().equals(Files.readAttributes(made, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey())) {
                try {
                    Files.deleteIfExists(made);
                } catch (IOException ignored) {
                    // not empty, or gone: nothing of ours left to take back
                }
                throw new AccessDeniedException(canonical, null, "its folder changed during MKD");
            }
        }

        @Override public void delete() throws IOException {
            if (name == null) throw new AccessDeniedException(canonical, null, "the home itself");
            BasicFileAttributes a = stat(dir, name);
            if (a == null) throw new NoSuchFileException(canonical);
            if (a.isDirectory()) dir.deleteDirectory(name);
            else dir.deleteFile(name);
        }

        @Override public void move(Spot to) throws IOException {
            if (!(to instanceof Opened t) || name == null || t.name == null) throw new AccessDeniedException(canonical);
            if (stat(dir, name) == null) throw new NoSuchFileException(canonical);
            dir.move(name, t.dir, t.name);                       // renameat: atomic, replaces a file
        }

        @Override public void setModified(FileTime t) throws IOException { view(BasicFileAttributeView.class).setTimes(t, null, null); }

        @Override public void setPermissions(Set<PosixFilePermission> perms) throws IOException {
            view(PosixFileAttributeView.class).setPermissions(perms);
        }

        private <V extends BasicFileAttributeView> V view(Class<V> type) {
            return name == null ? dir.getFileAttributeView(type) : dir.getFileAttributeView(name, type, LinkOption.NOFOLLOW_LINKS);
        }

        @Override public void list(String virtual, Entries out) throws IOException {
            BasicFileAttributes self = attributes();
            if (!self.isDirectory()) throw new NotDirectoryException(canonical);
            SecureDirectoryStream<Path> d = name == null ? openHome() : dir.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS);
            String base = virtual.endsWith("/") ? virtual : virtual + "/";
            try (d) {
                for (Path p : d) {
                    Path n = p.getFileName();
                    String s = n.toString();
                    boolean temporary = TEMPORARY.matcher(s).matches();
                    if (!shown(s) && !temporary) continue;
                    BasicFileAttributes a = stat(d, n);
                    if (temporary) {
                        if (stale(s, a)) d.deleteFile(n);
                        continue;
                    }
                    if (a != null && a.isSymbolicLink()) a = inside(base + s);
                    if (a != null) out.entry(s, a);
                }
            }
        }

        @Override public void close() throws IOException {
            for (var d : opened) d.close();
        }
    }

    /** A link in a listing: what it leads to, or null when that is outside the home or nothing. */
    private BasicFileAttributes inside(String virtual) {
        try {
            return attributesOrNull(virtual);
        } catch (IOException e) {
            return null;
        }
    }

    // ---- file systems without SecureDirectoryStream: real paths, checked ----

    private Spot byPath(String virtual, boolean followLast) throws IOException {
        Path p = home;
        for (String seg : segments(virtual)) p = p.resolve(name(seg).toString());
        if (p.equals(home)) return new Named(realHome, "/");
        Path parent = p.getParent().toRealPath();
        if (!parent.startsWith(realHome)) throw new AccessDeniedException(virtual, null, "a link leads out of the home");
        Path at = parent.resolve(p.getFileName().toString());
        if (followLast && Files.isSymbolicLink(at)) {
            try {
                at = at.toRealPath();
            } catch (NoSuchFileException e) {
                throw new AccessDeniedException(virtual, null, "a dangling link");   // a write would create its target
            }
            if (!at.startsWith(realHome)) throw new AccessDeniedException(virtual, null, "a link leads out of the home");
        }
        return new Named(at, virtual);
    }

    /** A real path, checked to be in the home; used by path, links not followed. */
    private final class Named implements Spot {
        private final Path path;
        private final String canonical;

        Named(Path path, String virtual) {
            this.path = path;
            String rel = realHome.relativize(path).toString().replace(separator, "/");
            this.canonical = rel.isEmpty() ? "/" : "/" + rel;
        }

        @Override public String canonical() { return canonical; }

        @Override public BasicFileAttributes attributesOrNull() throws IOException {
            try {
                return posix ? Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                             : Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                return null;
            }
        }

        @Override public FileChannel open(OpenOption... options) throws IOException {
            Set<OpenOption> o = new HashSet<>(Set.of(options));
            o.add(LinkOption.NOFOLLOW_LINKS);
            return FileChannel.open(path, o);
        }

        @Override public void createDirectory() throws IOException { Files.createDirectory(path); }

        @Override public void delete() throws IOException {
            if (path.equals(realHome)) throw new AccessDeniedException(canonical, null, "the home itself");
            Files.delete(path);
        }

        @Override public void move(Spot to) throws IOException {
            Path target = ((Named) to).path;
            try {
                Files.move(path, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(path, target, StandardCopyOption.REPLACE_EXISTING);   // zip and other file systems
            }
        }

        @Override public void setModified(FileTime t) throws IOException { Files.setLastModifiedTime(path, t); }

        @Override public void setPermissions(Set<PosixFilePermission> perms) throws IOException {
            Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setPermissions(perms);
        }

        @Override public void list(String virtual, Entries out) throws IOException {
            try (DirectoryStream<Path> dir = Files.newDirectoryStream(path)) {
                String base = virtual.endsWith("/") ? virtual : virtual + "/";
                for (Path p : dir) {
                    String s = p.getFileName().toString();
                    boolean temporary = TEMPORARY.matcher(s).matches();
                    if (!shown(s) && !temporary) continue;
                    BasicFileAttributes a = new Named(p, base + s).attributesOrNull();
                    if (temporary) {
                        if (stale(s, a)) Files.deleteIfExists(p);
                        continue;
                    }
                    if (a != null && a.isSymbolicLink()) a = inside(base + s);
                    if (a != null) out.entry(s, a);
                }
            }
        }
    }
}
