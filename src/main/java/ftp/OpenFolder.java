package ftp;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A name in an open folder, reached by walking from the home's open folder one segment at a time
 * (a {@link SecureDirectoryStream}: openat and its siblings). Each folder is opened relative to the
 * last without following links; a link is read and its target walked again from the home, refused
 * if it leads out; the operation then acts relative to the open parent (openat, fstatat, unlinkat,
 * renameat, futimens, fchmodat). A folder swapped for a link between check and use has nothing
 * left to redirect, as under chroot. With {@code name} null the spot is the open folder itself.
 */
final class OpenFolder implements Spot {
    /** Links followed in one path before giving up (Linux's own limit). */
    private static final int MAX_LINKS = 40;

    private final Rules rules;
    private final List<SecureDirectoryStream<Path>> opened;   // the home first; all closed with the spot
    private final HomeFolder home;                                  // the login's open home
    private final boolean kept;                               // opened[0] is the home's, to give back
    private final SecureDirectoryStream<Path> dir;
    private final Path name;
    private final String canonical;

    private OpenFolder(Rules rules, List<SecureDirectoryStream<Path>> opened, HomeFolder home, boolean kept,
                       List<String> done, String last) {
        this.rules = rules;
        this.opened = opened;
        this.home = home;
        this.kept = kept;
        this.dir = opened.get(opened.size() - 1);
        this.name = last == null ? null : rules.realHome().getFileSystem().getPath(last);
        this.canonical = "/" + String.join("/", done) + (last == null ? "" : (done.isEmpty() ? "" : "/") + last);
    }

    /** The default file system's answer, asked once: it is the same for every home on it. */
    private static volatile Boolean onDefault;

    /** Whether the home's file system walks this way (the default one on Linux and the other Unixes). */
    static boolean available(Path realHome) throws IOException {
        boolean dflt = realHome.getFileSystem() == FileSystems.getDefault();
        if (dflt && onDefault != null) return onDefault;
        boolean secure;
        try (var d = Files.newDirectoryStream(realHome)) {
            secure = d instanceof SecureDirectoryStream;
        }
        if (dflt) onDefault = secure;
        return secure;
    }

    /**
     * Walks {@code segments} from the home. The last segment is left to the operation; with
     * {@code followLast} a link there is followed first (most operations), without it the link
     * itself is the spot (DELE, RNFR, RNTO, MKD).
     */
    static OpenFolder walk(Rules rules, HomeFolder home, List<String> segments, boolean followLast, String virtual)
            throws IOException {
        Deque<String> todo = new ArrayDeque<>(segments);
        List<String> done = new ArrayList<>();
        List<SecureDirectoryStream<Path>> opened = new ArrayList<>();
        int links = 0;
        SecureDirectoryStream<Path> open = home.acquire();
        boolean kept = open != null;
        try {
            opened.add(kept ? open : openHome(rules.realHome()));
            while (!todo.isEmpty()) {
                SecureDirectoryStream<Path> dir = opened.get(opened.size() - 1);
                String seg = todo.pop();
                boolean last = todo.isEmpty();
                if (last && !followLast) return new OpenFolder(rules, opened, home, kept, done, seg);
                BasicFileAttributes a = stat(dir, rules.realHome().getFileSystem().getPath(seg));
                if (a != null && a.isSymbolicLink()) {
                    if (++links > MAX_LINKS) throw new FileSystemException(virtual, null, "too many links");
                    List<String> target = follow(rules, done, seg, virtual);
                    target.addAll(todo);
                    todo = new ArrayDeque<>(target);
                    done.clear();
                    while (opened.size() > 1) opened.remove(opened.size() - 1).close();   // again from the home
                    continue;
                }
                if (last) return new OpenFolder(rules, opened, home, kept, done, seg);
                if (a == null) throw new NoSuchFileException(virtual);
                if (!a.isDirectory()) throw new NotDirectoryException(virtual);
                Path name = rules.realHome().getFileSystem().getPath(seg);
                opened.add(dir.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS));
                done.add(seg);
            }
            return new OpenFolder(rules, opened, home, kept, done, null);
        } catch (IOException | RuntimeException e) {
            close(opened, kept ? home : null);
            throw e;
        }
    }

    private static SecureDirectoryStream<Path> openHome(Path realHome) throws IOException {
        return (SecureDirectoryStream<Path>) Files.newDirectoryStream(realHome);
    }

    /** Closes what a walk opened; the login's home is given back instead. */
    private static void close(List<SecureDirectoryStream<Path>> opened, HomeFolder shared) throws IOException {
        try {
            for (int i = shared == null ? 0 : 1; i < opened.size(); i++) opened.get(i).close();
        } finally {
            if (shared != null) shared.release();
        }
    }

    /**
     * The segments, from the home, of what the link {@code done/seg} points to. Its text is read by
     * path, which a swap could redirect; but whatever text is read is walked again from the home,
     * never above it.
     */
    private static List<String> follow(Rules rules, List<String> done, String seg, String virtual) throws IOException {
        Path home = rules.realHome(), link = home;
        for (String d : done) link = link.resolve(d);
        Path text = Files.readSymbolicLink(link.resolve(seg));
        List<String> at = new ArrayList<>(done);
        if (text.isAbsolute()) {
            Path t = text.normalize();
            if (!t.startsWith(home)) {
                try {
                    t = t.toRealPath();                          // the home by another name, say
                } catch (IOException e) {
                    throw out(virtual);
                }
                if (!t.startsWith(home)) throw out(virtual);
            }
            at.clear();
            for (Path p : home.relativize(t)) if (!p.toString().isEmpty()) at.add(p.toString());
            return at;
        }
        for (Path p : text) {
            String s = p.toString();
            if (s.equals("..")) {
                if (at.isEmpty()) throw out(virtual);
                at.remove(at.size() - 1);
            } else if (!s.isEmpty() && !s.equals(".")) at.add(s);
        }
        return at;
    }

    private static AccessDeniedException out(String virtual) {
        return new AccessDeniedException(virtual, null, "a link leads out of the home");
    }

    private static BasicFileAttributes stat(SecureDirectoryStream<Path> dir, Path name) throws IOException {
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
        if (!(dir.newByteChannel(name, o) instanceof FileChannel f))
            throw new UnsupportedOperationException("no FileChannel");
        if (o.contains(StandardOpenOption.CREATE_NEW) && rules.modes().file() != null) {
            try {
                setPermissions(rules.modes().file());
            } catch (IOException e) {
                f.close();
                throw e;
            }
        }
        return f;
    }

    /**
     * java.nio.file has no mkdirat. The folder is made by path in the home itself, whose path no
     * client or local user of the home can change, under a hidden temporary name, then moved into
     * its open parent by renameat: no link swapped anywhere on the way can redirect either step.
     * (An existing folder of that name is refused first; rename would replace an empty one.) Where
     * that can't be done (a home that only its subfolders let write, another file system below it),
     * see {@link #createByPath}.
     */
    @Override public void createDirectory() throws IOException {
        if (name == null || stat(dir, name) != null) throw new FileAlreadyExistsException(canonical);
        SecureDirectoryStream<Path> home = opened.get(0);
        Path temp = rules.realHome().getFileSystem().getPath(Spot.temporary(name.toString()));
        Path made;
        try {
            made = Files.createDirectory(rules.realHome().resolve(temp.toString()));
        } catch (AccessDeniedException e) {
            createByPath();
            return;
        }
        try {
            if (rules.modes().folder() != null) Files.setPosixFilePermissions(made, rules.modes().folder());
            home.move(temp, dir, name);
        } catch (AtomicMoveNotSupportedException e) {
            home.deleteDirectory(temp);
            createByPath();
        } catch (IOException e) {
            home.deleteDirectory(temp);
            throw e;
        }
    }

    /**
     * The fallback: made by path, between two checks that the path leads to the open parent (the
     * same file key just before; the new folder seen through the open parent just after, else it is
     * removed again). What remains is a race won inside that window of microseconds: an empty
     * folder made, for a moment, where a swapped link points.
     */
    private void createByPath() throws IOException {
        Path parent = rules.realHome().resolve(canonical.substring(1)).getParent();
        Object key = dir.getFileAttributeView(BasicFileAttributeView.class).readAttributes().fileKey();
        if (key == null || !key.equals(Files.readAttributes(parent, BasicFileAttributes.class).fileKey()))
            throw moved();
        Path made = Files.createDirectory(parent.resolve(name.toString()));
        if (rules.modes().folder() != null) Files.setPosixFilePermissions(made, rules.modes().folder());
        BasicFileAttributes seen = stat(dir, name);
        Object madeKey = Files.readAttributes(made, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        if (seen == null || !seen.isDirectory() || !seen.fileKey().equals(madeKey)) {
            try {
                Files.deleteIfExists(made);
            } catch (IOException ignored) {
                // not empty, or gone: nothing of ours left to take back
            }
            throw moved();
        }
    }

    private AccessDeniedException moved() {
        return new AccessDeniedException(canonical, null, "its folder was moved during MKD");
    }

    @Override public void delete() throws IOException {
        if (name == null) throw new AccessDeniedException(canonical, null, "the home itself");
        BasicFileAttributes a = stat(dir, name);
        if (a == null) throw new NoSuchFileException(canonical);
        if (a.isDirectory()) dir.deleteDirectory(name);
        else dir.deleteFile(name);
    }

    @Override public void move(Spot to) throws IOException {
        if (!(to instanceof OpenFolder t) || name == null || t.name == null)
            throw new AccessDeniedException(canonical);
        if (stat(dir, name) == null) throw new NoSuchFileException(canonical);
        dir.move(name, t.dir, t.name);                       // renameat: atomic, replaces a file
    }

    @Override public void setModified(FileTime t) throws IOException {
        view(BasicFileAttributeView.class).setTimes(t, null, null);
    }

    @Override public void setPermissions(Set<PosixFilePermission> perms) throws IOException {
        view(PosixFileAttributeView.class).setPermissions(perms);
    }

    private <V extends BasicFileAttributeView> V view(Class<V> type) {
        return name == null ? dir.getFileAttributeView(type)
                            : dir.getFileAttributeView(name, type, LinkOption.NOFOLLOW_LINKS);
    }

    @Override public void list(String virtual, Entries out) throws IOException {
        if (!attributes().isDirectory()) throw new NotDirectoryException(canonical);
        // the home itself relative to its open folder too: a home moved during the login is listed as used
        Path at = name == null ? rules.realHome().getFileSystem().getPath(".") : name;
        SecureDirectoryStream<Path> d = dir.newDirectoryStream(at, LinkOption.NOFOLLOW_LINKS);
        String base = virtual.endsWith("/") ? virtual : virtual + "/";
        try (d) {
            for (Path p : d) {
                Path n = p.getFileName();
                String s = n.toString();
                boolean shown = rules.shown().test(s);
                BasicFileAttributes a = stat(d, n);
                if (!shown) {
                    if (rules.sweep().test(new Entry(s, a))) d.deleteFile(n);
                    continue;
                }
                if (a != null && a.isSymbolicLink()) a = inside(base + s);
                if (a != null) out.entry(s, a);
            }
        }
    }

    /** A link met in a listing: what it leads to, or null when that is outside the home or nothing. */
    private BasicFileAttributes inside(String virtual) {
        List<String> segs = new ArrayList<>();
        for (String s : virtual.split("/")) if (!s.isEmpty()) segs.add(s);
        try (OpenFolder f = walk(rules, home, segs, true, virtual)) {
            return f.attributesOrNull();
        } catch (IOException e) {
            return null;
        }
    }

    @Override public void close() throws IOException {
        close(opened, kept ? home : null);
    }
}
