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
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Where one operation of a {@link PathJail} acts: a path resolved once, links checked, and acted on
 * there without being resolved again. Relative to an open folder where the file system allows it
 * ({@link OpenFolder}), else by its checked real path ({@link RealPath}). Closed after the operation.
 */
interface Spot extends Closeable {
    /** Temporary names the server makes beside real ones: hidden, and short whatever the name they stand for. */
    Pattern TEMPORARY = Pattern.compile("\\.upload\\.[0-9a-f]{8}\\.[0-9a-f]{12}");

    /** A fresh temporary name for {@code name} (its hash, and randomness: each upload has its own). */
    static String temporary(String name) {
        long random = ThreadLocalRandom.current().nextLong() >>> 16;
        return String.format(Locale.ROOT, ".upload.%08x.%012x", name.hashCode(), random);
    }

    /** What a listing gets for each entry. */
    interface Entries {
        void entry(String name, BasicFileAttributes attributes) throws IOException;
    }

    /**
     * The jail's rules, as a spot needs them: the home's real path, what its file system can do,
     * which names a listing shows, which it removes as it meets them, and the permissions of what
     * uploads and MKD create.
     */
    record Rules(Path realHome, Store store, Predicate<String> shown, Predicate<Entry> sweep, Config.Modes modes) {
        boolean posix() { return store.posix(); }
    }

    /**
     * What a home's file system can do, asked of it rather than guessed from its kind. {@code local}:
     * the default file system: sendfile, truncate (resumable uploads in place), rename(2).
     * {@code posix}: POSIX permissions. {@code prefixFolders}: folders are names ending in '/' that
     * exist only as prefixes (an object store: the provider has no FileStore), so a folder is looked
     * up as "name/", a removal of one would take all under it, and a rename would copy every object.
     */
    record Store(boolean local, boolean posix, boolean prefixFolders) {
        static Store of(Path home) {
            var fs = home.getFileSystem();
            boolean local = fs == java.nio.file.FileSystems.getDefault(), noStore = false;
            try {       // not on the default file system, where it costs a read of /proc/mounts at every login
                noStore = !local && java.nio.file.Files.getFileStore(home) == null;
            } catch (IOException | RuntimeException e) {
                // a store that can't say: not one of prefixes
            }
            return new Store(local, fs.supportedFileAttributeViews().contains("posix"), noStore);
        }
    }

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

    /** Opens the file; one it creates (CREATE_NEW) gets upload.mode. */
    FileChannel open(OpenOption... options) throws IOException;

    /** Makes the folder, with folder.mode. */
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
