package ftp;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.HashSet;
import java.util.Set;

/**
 * A name on a file system without {@link java.nio.file.SecureDirectoryStream} (a zip file, an
 * in-memory one, an object store): no local users race there, so its real path is checked to lie
 * in the home and then used, without following a link at its end. On an object store (folders are
 * prefixes: {@link Store#prefixFolders}) a folder is looked up as "name/"; what its provider would
 * do unasked is refused: removing a folder that isn't empty (it would take all under it), renaming
 * a folder (a copy of every object), renaming a file onto itself (the provider deletes it).
 */
final class RealPath implements Spot {
    private final Rules rules;
    private final Path path;
    private final String canonical;

    private RealPath(Rules rules, Path path) {
        this.rules = rules;
        this.path = path.toAbsolutePath();               // an object store's listings and parents are relative
        String rel = rules.realHome().relativize(this.path).toString()
            .replace(this.path.getFileSystem().getSeparator(), "/");
        if (rel.endsWith("/")) rel = rel.substring(0, rel.length() - 1);
        this.canonical = rel.isEmpty() ? "/" : "/" + rel;
    }

    /** {@code lexical}: the home joined with the virtual path's segments; {@code followLast} as in OpenFolder.walk. */
    static RealPath of(Rules rules, Path home, Path lexical, boolean followLast, String virtual) throws IOException {
        if (lexical.equals(home)) return new RealPath(rules, rules.realHome());
        Path parent = lexical.getParent().toRealPath();
        if (!parent.startsWith(rules.realHome())) throw out(virtual);
        Path at = parent.resolve(lexical.getFileName().toString());
        if (followLast && Files.isSymbolicLink(at)) {
            try {
                at = at.toRealPath();
            } catch (NoSuchFileException e) {
                throw new AccessDeniedException(virtual, null, "a dangling link");   // a write would create its target
            }
            if (!at.startsWith(rules.realHome())) throw out(virtual);
        }
        return new RealPath(rules, at);
    }

    private static AccessDeniedException out(String virtual) {
        return new AccessDeniedException(virtual, null, "a link leads out of the home");
    }

    @Override public String canonical() { return canonical; }

    @Override public BasicFileAttributes attributesOrNull() throws IOException {
        BasicFileAttributes a = read(path);
        if (a == null && prefixed() && Files.exists(folder())) a = read(folder());     // one listing request
        return a;
    }

    private BasicFileAttributes read(Path p) throws IOException {
        try {
            return rules.posix() ? Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                                 : Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** On an object store, a name that is no folder yet (a folder's name ends in '/'). */
    private boolean prefixed() { return rules.store().prefixFolders() && !path.toString().endsWith("/"); }

    /** The same name as a folder: "name/". */
    private Path folder() { return path.resolveSibling(path.getFileName().toString() + "/"); }

    @Override public FileChannel open(OpenOption... options) throws IOException {
        Set<OpenOption> o = new HashSet<>(Set.of(options));
        o.add(LinkOption.NOFOLLOW_LINKS);
        FileChannel f = FileChannel.open(path, o);
        if (o.contains(StandardOpenOption.CREATE_NEW) && rules.posix() && rules.modes().file() != null)
            Files.setPosixFilePermissions(path, rules.modes().file());
        return f;
    }

    @Override public void createDirectory() throws IOException {
        if (!rules.store().prefixFolders()) Files.createDirectory(path);
        else {                                 // the provider makes "name/" anywhere, over anything: check first
            if (attributesOrNull() != null) throw new FileAlreadyExistsException(canonical);
            Path parent = path.getParent();
            if (parent != null && !parent.equals(rules.realHome()) && !Files.exists(parent))
                throw new NoSuchFileException(canonical);
            Files.createDirectory(folder());
        }
        Config.Modes m = rules.modes();
        if (rules.posix() && m.folder() != null) Files.setPosixFilePermissions(path, m.folder());
    }

    @Override public void delete() throws IOException {
        if (path.equals(rules.realHome())) throw new AccessDeniedException(canonical, null, "the home itself");
        if (!rules.store().prefixFolders()) {
            Files.delete(path);
            return;
        }
        BasicFileAttributes a = attributesOrNull();                // the provider "deletes" what isn't there
        if (a == null) throw new NoSuchFileException(canonical);
        if (!a.isDirectory()) {
            Files.delete(path);
            return;
        }
        try (DirectoryStream<Path> d = Files.newDirectoryStream(folder())) {
            if (d.iterator().hasNext()) throw new DirectoryNotEmptyException(canonical);   // it would take them all
        }
        Files.delete(folder());
    }

    @Override public void move(Spot to) throws IOException {
        Path target = ((RealPath) to).path;
        if (rules.store().prefixFolders()) {
            BasicFileAttributes a = attributesOrNull();
            if (a == null) throw new NoSuchFileException(canonical);
            if (a.isDirectory())
                throw new AccessDeniedException(canonical, null, "folders can't be renamed on this storage");
            if (target.equals(path)) return;                        // the provider would delete it
            Files.move(path, target, StandardCopyOption.REPLACE_EXISTING);   // a copy and a delete, not atomic
            return;
        }
        try {
            Files.move(path, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(path, target, StandardCopyOption.REPLACE_EXISTING);   // zip and other file systems
        }
    }

    /** Read back: some providers ignore it without a word. */
    @Override public void setModified(FileTime t) throws IOException {
        Files.setLastModifiedTime(path, t);
        BasicFileAttributes a = attributesOrNull();
        if (a == null || a.lastModifiedTime().toMillis() / 1000 != t.toMillis() / 1000)
            throw new UnsupportedOperationException("this storage keeps no modification time that can be set");
    }

    @Override public void setPermissions(Set<PosixFilePermission> perms) throws IOException {
        Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setPermissions(perms);
    }

    @Override public void list(String virtual, Entries out) throws IOException {
        String base = virtual.endsWith("/") ? virtual : virtual + "/";
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(prefixed() ? folder() : path)) {
            for (Path p : dir) {
                String s = p.getFileName().toString();
                if (s.endsWith("/")) s = s.substring(0, s.length() - 1);            // an object store's folder
                BasicFileAttributes a = new RealPath(rules, p).attributesOrNull();
                if (!rules.shown().test(s)) {
                    if (rules.sweep().test(new Entry(s, a))) Files.deleteIfExists(p);
                    continue;
                }
                if (a != null && a.isSymbolicLink()) a = inside(p, base + s);
                if (a != null) out.entry(s, a);
            }
        }
    }

    /** A link met in a listing: what it leads to, or null when that is outside the home or nothing. */
    private BasicFileAttributes inside(Path link, String virtual) {
        try {
            Path real = link.toRealPath();
            return real.startsWith(rules.realHome()) ? new RealPath(rules, real).attributesOrNull() : null;
        } catch (IOException e) {
            return null;
        }
    }
}
