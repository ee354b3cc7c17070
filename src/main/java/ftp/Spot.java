package ftp;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Where one operation of a {@link PathJail} acts: a path resolved once, links checked, and acted on
 * there without being resolved again. Relative to an open folder where the file system allows it
 * ({@link OpenFolder}), else by its checked real path ({@link RealPath}). Closed after the operation.
 */
interface Spot extends Closeable {
    /** What a listing gets for each entry. */
    interface Entries {
        void entry(String name, BasicFileAttributes attributes) throws IOException;
    }

    /**
     * The jail's rules, as a spot needs them: the home's real path, whether the file system has
     * POSIX attributes, which names a listing shows, and which it removes as it meets them.
     */
    record Rules(Path realHome, boolean posix, Predicate<String> shown, Predicate<Entry> sweep) {}

    /** A name met in a listing and its attributes (null: vanished meanwhile). */
    record Entry(String name, BasicFileAttributes attributes) {}

    /** The virtual path of what the spot names, links resolved. */
    String canonical();

    BasicFileAttributes attributesOrNull() throws IOException;

    default BasicFileAttributes attributes() throws IOException {
        BasicFileAttributes a = attributesOrNull();
        if (a == null) throw new NoSuchFileException(canonical());
        return a;
    }

    FileChannel open(OpenOption... options) throws IOException;

    void createDirectory() throws IOException;

    /** Removes the name itself: a file, a link or an empty folder. */
    void delete() throws IOException;

    /** rename(2): atomic where the file system can, replacing a file at {@code to}. */
    void move(Spot to) throws IOException;

    void setModified(FileTime t) throws IOException;

    void setPermissions(Set<PosixFilePermission> perms) throws IOException;

    /** The entries of the folder, links that stay in the home followed; {@code virtual} names it. */
    void list(String virtual, Entries out) throws IOException;

    @Override default void close() throws IOException {}
}
