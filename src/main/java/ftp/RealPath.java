package ftp;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
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
 * in the home and then used, without following a link at its end.
 */
final class RealPath implements Spot {
    private final Rules rules;
    private final Path path;
    private final String canonical;

    private RealPath(Rules rules, Path path) {
        this.rules = rules;
        this.path = path;
        String rel = rules.realHome().relativize(path).toString().replace(path.getFileSystem().getSeparator(), "/");
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
        try {
            return rules.posix() ? Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                                 : Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    @Override public FileChannel open(OpenOption... options) throws IOException {
        Set<OpenOption> o = new HashSet<>(Set.of(options));
        o.add(LinkOption.NOFOLLOW_LINKS);
        FileChannel f = FileChannel.open(path, o);
        if (o.contains(StandardOpenOption.CREATE_NEW) && rules.posix() && rules.modes().file() != null)
            Files.setPosixFilePermissions(path, rules.modes().file());
        return f;
    }

    @Override public void createDirectory() throws IOException {
        Files.createDirectory(path);
        Config.Modes m = rules.modes();
        if (rules.posix() && m.folder() != null) Files.setPosixFilePermissions(path, m.folder());
    }

    @Override public void delete() throws IOException {
        if (path.equals(rules.realHome())) throw new AccessDeniedException(canonical, null, "the home itself");
        Files.delete(path);
    }

    @Override public void move(Spot to) throws IOException {
        Path target = ((RealPath) to).path;
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
        String base = virtual.endsWith("/") ? virtual : virtual + "/";
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(path)) {
            for (Path p : dir) {
                String s = p.getFileName().toString();
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
