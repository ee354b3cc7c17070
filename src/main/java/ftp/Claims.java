package ftp;

import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Busy marks, server-wide, by real path: a file being uploaded, deleted or renamed is claimed for as
 * long as that runs, so no other session's upload, DELE or rename can slip in between its check and
 * its act (450). A claim is a handle, closed once: {@code try (var c = claims.claim(path)) { … }}.
 * Callers pass real paths (links resolved), so two names for one file share one claim.
 */
final class Claims {
    /** The path is claimed by someone else: 450 (RFC 959: file unavailable, busy). */
    static final class Busy extends FileSystemException {
        Busy(Path p) { super(p.toString(), null, "busy"); }
    }

    private final Set<Path> held = ConcurrentHashMap.newKeySet();

    /** One held mark; closing it releases the mark, once, whoever closes it. */
    final class Claim implements AutoCloseable {
        private final Path path;
        private final AtomicBoolean open = new AtomicBoolean(true);

        private Claim(Path path) { this.path = path; }

        /**
         * A new handle for the same mark, for a thread that takes over (the transfer thread): this
         * handle is spent, so the try-with-resources that made it releases nothing.
         */
        Claim handOver() {
            if (!open.compareAndSet(true, false)) throw new IllegalStateException("claim already closed");
            return new Claim(path);
        }

        @Override
        public void close() {
            if (open.compareAndSet(true, false)) held.remove(path);
        }
    }

    /** Claims {@code real}; throws {@link Busy} when another holds it. */
    Claim claim(Path real) throws Busy {
        Path k = real.toAbsolutePath().normalize();
        if (!held.add(k)) throw new Busy(real);
        return new Claim(k);
    }

    /** Whether something strictly under {@code real} is claimed: a folder with an upload inside stays put. */
    boolean busyBelow(Path real) {
        Path k = real.toAbsolutePath().normalize();
        for (Path p : held) if (p.startsWith(k) && !p.equals(k)) return true;   // a handful at most: what runs now
        return false;
    }

    /** Whether {@code real} or anything under it is claimed. */
    boolean busy(Path real) { return held.contains(real.toAbsolutePath().normalize()) || busyBelow(real); }
}
