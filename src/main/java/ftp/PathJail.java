package ftp;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.FileVisitResult;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;

/**
 * One home directory and every file operation in it. The client's paths are virtual: '/'-separated,
 * '/' is the home, normalised segment by segment ('..' at the root stays there). Every operation
 * takes a virtual path and reaches the file system only here, so nothing else can leave the home.
 * Symbolic links are followed while what they lead to stays under the home's real path; files are
 * then opened by that real path without following links. Only java.nio.file: any FileSystem
 * (default, zip, in-memory, an object store) can hold a home.
 */
final class PathJail {
    /**
     * Whether the JVM names files in UTF-8 (RFC 2640). It takes the file-name encoding from the
     * locale at start-up (sun.jnu.encoding, not settable later): under LANG=C it is ASCII.
     */
    static final boolean UTF8_NAMES = "UTF-8".equalsIgnoreCase(System.getProperty("sun.jnu.encoding", "UTF-8"));

    /** A name the JVM's file-name encoding can't represent (a non-ASCII name outside a UTF-8 locale). */
    static final class Unencodable extends FileSystemException {
        Unencodable(String name) { super(name, null, "not representable in the file-name encoding "
            + System.getProperty("sun.jnu.encoding")); }
    }

    /** What a listing gets for each entry. */
    interface Entries {
        void entry(String name, BasicFileAttributes attributes) throws IOException;
    }

    private final Path home;
    private final Path realHome;
    private final String separator;
    private final boolean posix;

    PathJail(Path home) throws IOException {
        this.home = home;
        this.realHome = home.toRealPath();
        this.separator = home.getFileSystem().getSeparator();
        this.posix = home.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

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

    /** The real path of {@code virtual}, every link on the way and at its end resolved and checked. */
    Path real(String virtual) throws IOException {
        Path p = lexical(virtual);
        boolean exists = Files.exists(p, LinkOption.NOFOLLOW_LINKS);
        Path real;
        try {
            real = exists ? p.toRealPath() : parentOf(p, virtual).toRealPath().resolve(p.getFileName().toString());
        } catch (NoSuchFileException e) {
            if (exists) throw new AccessDeniedException(virtual);    // a dangling link: a write would create its target
            throw e;                                                 // no such folder
        }
        if (!real.startsWith(realHome)) throw new AccessDeniedException(virtual);
        return real;
    }

    /** The virtual path of what {@code virtual} leads to: its links resolved (each checked). */
    String canonical(String virtual) throws IOException {
        StringBuilder b = new StringBuilder();
        for (Path seg : realHome.relativize(real(virtual))) if (!seg.toString().isEmpty()) b.append('/').append(seg);
        return b.isEmpty() ? "/" : b.toString();
    }

    /** The name itself, not what it may link to: its folder's real path, checked, plus the last segment. */
    private Path name(String virtual) throws IOException {
        Path p = lexical(virtual);
        if (p.equals(home)) return realHome;
        Path parent = parentOf(p, virtual).toRealPath();
        if (!parent.startsWith(realHome)) throw new AccessDeniedException(virtual);
        return parent.resolve(p.getFileName().toString());
    }

    /** Attributes of what {@code virtual} leads to (POSIX ones where the file system has them). */
    BasicFileAttributes attributes(String virtual) throws IOException { return read(real(virtual)); }

    /** The same, or null when nothing has that name (a folder on the way missing is still an error). */
    BasicFileAttributes attributesOrNull(String virtual) throws IOException {
        try {
            return attributes(virtual);
        } catch (NoSuchFileException e) {
            if (!Files.isDirectory(parentOf(lexical(virtual), virtual))) throw e;
            return null;
        }
    }

    /** Attributes of the name itself: a link is a link. */
    BasicFileAttributes own(String virtual) throws IOException {
        return Files.readAttributes(name(virtual), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    }

    /** The same, or null when nothing has that name. */
    BasicFileAttributes ownOrNull(String virtual) throws IOException {
        try {
            return own(virtual);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** Opens the file {@code virtual} leads to, by its real path, never following a link there. */
    FileChannel open(String virtual, OpenOption... options) throws IOException {
        Set<OpenOption> o = new HashSet<>(Set.of(options));
        o.add(LinkOption.NOFOLLOW_LINKS);
        return FileChannel.open(real(virtual), o);
    }

    void createDirectory(String virtual) throws IOException { Files.createDirectory(name(virtual)); }

    /** Removes the name: a file, a link (not its target) or an empty folder. */
    void delete(String virtual) throws IOException { Files.delete(name(virtual)); }

    /** Renames, replacing a file at {@code to} as rename(2) does; atomic where the file system can. */
    void move(String from, String to) throws IOException {
        try {
            Files.move(name(from), name(to), StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(name(from), name(to), StandardCopyOption.REPLACE_EXISTING);   // zip and other file systems
        }
    }

    /** Whether two virtual paths name one file (a link and its target, say). */
    boolean same(String a, String b) throws IOException { return Files.isSameFile(name(a), name(b)); }

    void setModified(String virtual, FileTime t) throws IOException { Files.setLastModifiedTime(real(virtual), t); }

    /** Sets the nine permission bits; false where the file system has no POSIX permissions. */
    boolean setPermissions(String virtual, Set<PosixFilePermission> perms) throws IOException {
        PosixFileAttributeView view = posix ? Files.getFileAttributeView(real(virtual), PosixFileAttributeView.class,
            LinkOption.NOFOLLOW_LINKS) : null;
        if (view == null) return false;
        view.setPermissions(perms);
        return true;
    }

    /**
     * The entries of the folder {@code virtual} leads to, streamed from the file system (never
     * collected: 100,000 entries cost no more memory than ten). Links are followed while they stay
     * in the home; entries whose links lead out, or that vanish meanwhile, are left out.
     */
    void list(String virtual, Entries out) throws IOException {
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(real(virtual))) {
            for (Path p : dir) {
                BasicFileAttributes a = entry(p);
                if (a != null) out.entry(p.getFileName().toString(), a);
            }
        }
    }

    private BasicFileAttributes entry(Path p) {
        try {
            BasicFileAttributes a = read(p, LinkOption.NOFOLLOW_LINKS);
            if (!a.isSymbolicLink()) return a;
            return p.toRealPath().startsWith(realHome) ? read(p) : null;
        } catch (IOException e) {
            return null;
        }
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

    /** The home joined with the validated segments of a normalised virtual path; no file system access. */
    private Path lexical(String virtual) throws IOException {
        Path p = home;
        for (String seg : virtual.split("/")) {
            if (seg.isEmpty()) continue;
            try {
                p = p.resolve(seg);
            } catch (InvalidPathException e) {
                throw new Unencodable(seg);
            }
        }
        return p;
    }

    private static Path parentOf(Path p, String virtual) throws NoSuchFileException {
        Path parent = p.getParent();
        if (parent == null) throw new NoSuchFileException(virtual);
        return parent;
    }

    private BasicFileAttributes read(Path p, LinkOption... options) throws IOException {
        return posix ? Files.readAttributes(p, PosixFileAttributes.class, options)
                     : Files.readAttributes(p, BasicFileAttributes.class, options);
    }
}
