package ftp;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A home's open folder, kept for one login's walks ({@link OpenFolder}): each walk would otherwise
 * begin with an open, dup, fstat and close of the home, and a STOR walks four times. Opened at
 * first need, shared by the login's control and transfer threads, closed when the login ends and
 * no walk holds it; a walk after that opens the home for itself.
 */
final class HomeFolder implements Closeable {
    private final Path realHome;
    private final ReentrantLock lock = new ReentrantLock();
    private SecureDirectoryStream<Path> dir;
    private int users;
    private boolean closed;

    HomeFolder(Path realHome) { this.realHome = realHome; }

    /** The open home for one walk, to give back with {@link #release}; null once closed. */
    SecureDirectoryStream<Path> acquire() throws IOException {
        lock.lock();
        try {
            if (closed) return null;
            if (dir == null) dir = (SecureDirectoryStream<Path>) Files.newDirectoryStream(realHome);
            users++;
            return dir;
        } finally {
            lock.unlock();
        }
    }

    void release() {
        lock.lock();
        try {
            if (--users == 0 && closed) shut();
        } finally {
            lock.unlock();
        }
    }

    @Override public void close() {
        lock.lock();
        try {
            closed = true;
            if (users == 0) shut();
        } finally {
            lock.unlock();
        }
    }

    /** A failed close must not turn the operation that released it into a failure. */
    private void shut() {
        try {
            if (dir != null) dir.close();
        } catch (IOException e) {
            Log.SERVER.warn("closing the home folder " + realHome + ": " + e);
        }
        dir = null;
    }
}
