package ftp;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Maps the client's virtual paths onto one home directory and never outside it. A virtual path is
 * '/'-separated and '/' is the home; it is normalised segment by segment ('..' at the root stays
 * at the root), and the real path is built only from validated segments. Symbolic links may be
 * used as long as what they lead to stays under the home's real path. Only java.nio.file, so any
 * FileSystem (default, zip, in-memory) can hold the home.
 */
final class PathJail {
    private final Path home;
    private final Path realHome;
    private final String separator;

    PathJail(Path home) throws IOException {
        this.home = home;
        this.realHome = home.toRealPath();
        this.separator = home.getFileSystem().getSeparator();
    }

    Path home() { return home; }

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

    /** The real path of a normalised virtual path, checked against links that lead out. */
    Path resolve(String virtual) throws IOException {
        Path p = home;
        for (String seg : virtual.split("/")) {
            if (seg.isEmpty()) continue;
            try {
                p = p.resolve(seg);
            } catch (InvalidPathException e) {
                throw new AccessDeniedException(virtual);
            }
        }
        check(p, virtual);
        return p;
    }

    /** {@link #virtual} then {@link #resolve}, as handlers need. */
    Path resolve(String cwd, String arg) throws IOException {
        try {
            return resolve(virtual(cwd, arg));
        } catch (InvalidPathException e) {
            throw new AccessDeniedException(arg);
        }
    }

    /** The virtual path of a real one under the home (for STOU and listings). */
    String toVirtual(Path real) {
        Path rel = home.relativize(real);
        StringBuilder b = new StringBuilder();
        for (Path seg : rel) if (!seg.toString().isEmpty()) b.append('/').append(seg);
        return b.isEmpty() ? "/" : b.toString();
    }

    /**
     * Whatever {@code p} leads to, through any link on the way, must be under the real home. For a
     * name that does not exist yet, its nearest existing ancestor is checked; a dangling link is
     * refused, since writing through it would create its target wherever it points.
     */
    void check(Path p, String virtual) throws IOException {
        Path q = p;
        while (q != null && !Files.exists(q, LinkOption.NOFOLLOW_LINKS)) q = q.getParent();
        if (q == null) throw new NoSuchFileException(virtual);
        Path real;
        try {
            real = q.toRealPath();
        } catch (NoSuchFileException e) {
            throw new AccessDeniedException(virtual);   // a dangling link
        }
        if (!real.startsWith(realHome)) throw new AccessDeniedException(virtual);
    }

    /**
     * What to open for the contents of {@code p}: its real path now (links resolved and checked
     * again), or for a name yet to be created its real folder plus the name. Opened without
     * following links, a link swapped after {@link #check} has nothing left to redirect; what
     * remains is a real folder on the way replaced in between (README: Security).
     */
    Path opening(Path p) throws IOException {
        Path real = real(p);
        if (!real.startsWith(realHome)) throw new AccessDeniedException(p.toString());
        return real;
    }

    /** {@code p} with every link resolved; a name yet to be created: its real folder plus the name. */
    static Path real(Path p) throws IOException {
        boolean exists = Files.exists(p, LinkOption.NOFOLLOW_LINKS);
        try {
            return exists ? p.toRealPath() : p.getParent().toRealPath().resolve(p.getFileName().toString());
        } catch (NoSuchFileException e) {
            if (exists) throw new AccessDeniedException(p.toString());   // a dangling link
            throw e;                                                       // no such folder
        }
    }

    /** True when the entry's target (following links) stays in the jail: listings skip the rest. */
    boolean inside(Path p) {
        try {
            check(p, p.toString());
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
