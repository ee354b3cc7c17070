package ftp;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One data transfer on its own virtual thread. It owns its file and socket, and sends exactly one
 * final reply (226, 425, 426, 451 or 552), unless ABOR got there first: then ABOR answers
 * (RFC 959 §4.1.3) and this thread stays silent. The copy loops live here too: zero-copy
 * (sendfile) for binary RETR, a reused buffer for everything else, ASCII line-end conversion.
 */
final class Transfer implements Runnable {
    /**
     * The work: opens the data connection with {@link #open} (which sends the 150), copies, and
     * cleans up in its own finally blocks, so a client gone before the 150 still frees the file.
     * {@link Failed} picks the reply.
     */
    interface Body {
        void run(Transfer t) throws IOException;
    }

    /** Ends a transfer with a specific reply: 451 for a local error, 552 for a size limit. */
    static final class Failed extends IOException {
        final Reply reply;
        Failed(int code, String text, Throwable cause) {
            super(text, cause);
            reply = Reply.of(code, text);
        }
    }

    private static final int RUNNING = 0, DONE = 1, ABORTED = 2;
    static final int BUFFER = 256 * 1024;
    private static final long CHUNK = 4L << 20;     // sendfile chunk: progress and ABOR stay responsive

    private final Session session;
    private final String what;
    private final Throttle[] limits;             // rate limits this transfer draws from (none: full speed)
    private final int step;                      // bytes per chunk: about 1/20 s worth when throttled
    private final String opening;
    private final Body body;
    private final AtomicInteger state = new AtomicInteger(RUNNING);
    private volatile long bytes;
    private volatile boolean connected;
    private volatile long progressed = System.nanoTime();
    private final long started = System.nanoTime();
    private Thread thread;

    Transfer(Session session, String what, String opening, Throttle[] limits, Body body) {
        this.session = session;
        this.what = what;
        this.limits = limits;
        long slowest = Long.MAX_VALUE;
        for (Throttle t : limits) slowest = Math.min(slowest, t.rate());
        this.step = (int) Math.max(1024, Math.min(BUFFER, slowest / 20));
        this.opening = opening;
        this.body = body;
    }

    Transfer start() {
        thread = Thread.ofVirtual().name("ftp-transfer").start(this);
        return this;
    }

    @Override
    public void run() {
        Reply result;
        try {
            body.run(this);
            result = Reply.of(226, "Transfer complete.");
        } catch (Failed f) {
            result = f.reply;
        } catch (IOException e) {
            result = bytes == 0 && !connected ? Reply.of(425, "Can't open data connection.")
                                              : Reply.of(426, "Connection closed; transfer aborted.");
        } catch (RuntimeException e) {
            session.log(System.Logger.Level.ERROR, "transfer of " + what + " failed: " + e);
            result = Reply.of(451, "Local error; transfer aborted.");
        } finally {
            session.data().close();
        }
        boolean aborted = !state.compareAndSet(RUNNING, DONE);
        long ms = (System.nanoTime() - started) / 1_000_000;
        session.log(System.Logger.Level.INFO, String.format("transfer %s %d bytes %d ms %s", what, bytes, ms,
            aborted ? "aborted" : result.code() == 226 ? "ok" : "failed " + result.code()));
        session.xferlog(what, bytes, ms, !aborted && result.code() == 226);
        session.transferEnded(this, aborted ? null : result);
    }

    /**
     * An open data connection: a plain channel (zero-copy possible), or a TLS socket layered on it
     * after PROT P (RFC 4217 §9), when {@code channel} is null.
     */
    record Conn(java.net.Socket socket, SocketChannel channel) implements java.io.Closeable {
        @Override public void close() throws IOException { Tls.close(socket); }
    }

    /** The 150 reply, then the data connection (accepted or connected now, then TLS if PROT P); the body closes it. */
    Conn open() throws IOException {
        session.control().reply(150, opening);
        SocketChannel c = session.data().connect();
        progressed = System.nanoTime();
        try {
            Conn conn = session.protectData() ? new Conn(session.secureData(c.socket()), null) : new Conn(c.socket(), c);
            connected = true;
            return conn;
        } catch (IOException e) {
            c.close();
            throw e;
        }
    }

    /** A stream onto the data connection that counts bytes, for progress and the stall watchdog. */
    OutputStream output(Conn conn) throws IOException {
        OutputStream raw = conn.socket().getOutputStream();
        return new OutputStream() {
            @Override public void write(int b) throws IOException { raw.write(b); moved(1); }
            @Override public void write(byte[] b, int off, int len) throws IOException { raw.write(b, off, len); moved(len); }
            @Override public void flush() throws IOException { raw.flush(); }
        };
    }

    /** ABOR: true when the transfer was still running (then the caller sends 426 + 226). */
    boolean abort() {
        if (!state.compareAndSet(RUNNING, ABORTED)) return false;
        session.data().close();
        return true;
    }

    /** The watchdog's verdict on a data connection that has not moved for too long. */
    void stall() {
        session.log(System.Logger.Level.WARNING, "transfer of " + what + " stalled; closing its data connection");
        session.data().close();
    }

    void join() throws InterruptedException { thread.join(); }

    /** Waits at most {@code d} for the transfer thread to end (it logs its result as it ends). */
    void join(java.time.Duration d) throws InterruptedException { thread.join(d); }

    /** False once the copy has ended, even while its final reply is still on the way. */
    boolean running() { return state.get() == RUNNING; }

    long bytes() { return bytes; }

    String what() { return what; }

    boolean stalled(long now, long nanos) { return nanos > 0 && now - progressed > nanos; }

    /** Whether the data connection was ever established (no: nothing can have been written). */
    boolean connected() { return connected; }

    private void moved(long n) throws IOException {
        bytes += n;
        long now = System.nanoTime(), until = now + Throttle.reserve(limits, n);
        progressed = now;
        // Under a rate limit, sleep in short slices: ABOR and a stop must not wait out a long sleep.
        for (long left; (left = until - System.nanoTime()) > 0; progressed = System.nanoTime()) {
            if (state.get() != RUNNING) throw new IOException("aborted");
            try {
                Thread.sleep(java.time.Duration.ofNanos(Math.min(left, 100_000_000L)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("throttle interrupted");
            }
        }
    }

    // ---- copy loops ----

    /**
     * File → socket from {@code pos}: sendfile when binary and the socket is a plain channel.
     * sendfile must never block inside the kernel: a virtual thread stuck there pins its carrier
     * and can't be woken by close. The first chunk therefore goes through a plain write, which
     * makes the JDK switch the socket to non-blocking for this virtual thread; from then on
     * transferTo returns 0 instead of blocking, and a small parked write waits for room.
     */
    void send(FileChannel file, long pos, Conn conn, boolean ascii) throws IOException {
        SocketChannel out = conn.channel();
        if (!ascii && out != null) {
            long size = file.size();
            ByteBuffer wait = WAITS.borrow();
            try {
                boolean first = true;
                while (pos < size) {
                    long n = first ? 0 : file.transferTo(pos, Math.min(limits.length == 0 ? CHUNK : step, size - pos), out);
                    if (n <= 0) n = writeChunk(file, pos, out, wait);   // no room: park in a write until there is
                    first = false;
                    if (n <= 0) throw new Failed(451, "The file shrank during the transfer; aborted.", null);   // another session rewrote it
                    pos += n;
                    moved(n);
                }
            } finally {
                WAITS.give(wait);
            }
            return;
        }
        ByteBuffer in = ByteBuffer.allocate(BUFFER);
        byte[] conv = new byte[BUFFER * 2];
        OutputStream os = conn.socket().getOutputStream();
        int prev = -1;
        long end = file.size();
        file.position(pos);
        while (true) {
            in.clear().limit(step);
            int n = read(file, in);
            if (n < 0 && pos < end) throw new Failed(451, "The file shrank during the transfer; aborted.", null);
            if (n < 0) break;
            pos += n;
            int m = 0;
            for (int i = 0; i < n; i++) {
                byte b = in.get(i);
                if (ascii && b == '\n' && prev != '\r') conv[m++] = '\r';   // LF → CRLF; an existing CRLF passes
                conv[m++] = b;
                prev = b;
            }
            os.write(conv, 0, m);
            moved(m);                                   // bytes on the wire, as uploads count them too
        }
    }

    /**
     * Reused direct buffers: allocating one per transfer costs zeroed memory and, as direct memory
     * is freed only by GC, eventually a System.gc(). A pool keeps at most {@code keep} of them.
     */
    private record Pool(int size, int keep, java.util.concurrent.ConcurrentLinkedQueue<ByteBuffer> free,
                        java.util.concurrent.atomic.AtomicInteger count) {
        Pool(int size, int keep) { this(size, keep, new java.util.concurrent.ConcurrentLinkedQueue<>(), new java.util.concurrent.atomic.AtomicInteger()); }

        ByteBuffer borrow() {
            ByteBuffer b = free.poll();
            if (b == null) return ByteBuffer.allocateDirect(size);
            count.decrementAndGet();
            return b.clear();
        }

        void give(ByteBuffer b) {
            if (count.incrementAndGet() <= keep) free.offer(b);
            else count.decrementAndGet();
        }
    }

    private static final Pool UPLOADS = new Pool(4 * BUFFER, 16);   // 1 MiB reads: fewer, larger file writes
    private static final Pool WAITS = new Pool(64 * 1024, 64);       // sendfile's small parked write

    private long writeChunk(FileChannel file, long pos, SocketChannel out, ByteBuffer b) throws IOException {
        long left = file.size() - pos;
        if (left <= 0) return -1;
        b.clear().limit((int) Math.min(Math.min(b.capacity(), step), left));   // a small write: just enough to wait for room
        int n = file.read(b, pos);
        if (n <= 0) return n;
        b.flip();
        while (b.hasRemaining()) out.write(b);
        return n;
    }

    /**
     * Socket → file at its current position, at most {@code limit} bytes in total (0: none); ASCII
     * turns CRLF into LF. Local write errors become 451, the limit 552; the socket's own errors 426.
     */
    long receive(Conn conn, FileChannel file, boolean ascii, long limit) throws IOException {
        SocketChannel in = conn.channel();
        boolean stream = ascii || in == null;
        // 1 MiB per binary upload: each file write from a virtual thread costs a scheduler hand-off, so fewer, larger ones
        ByteBuffer buf = stream ? ByteBuffer.allocate(BUFFER) : UPLOADS.borrow();
        try {
            return receive(conn, in, file, ascii, limit, stream, buf);
        } finally {
            if (!stream) UPLOADS.give(buf);
        }
    }

    private long receive(Conn conn, SocketChannel in, FileChannel file, boolean ascii, long limit, boolean stream, ByteBuffer buf) throws IOException {
        byte[] conv = stream ? new byte[BUFFER] : null;
        boolean cr = false;
        long written = 0;
        InputStream is = stream ? conn.socket().getInputStream() : null;
        while (true) {
            buf.clear();
            int n;
            if (stream) {
                int r = is.read(conv, 0, Math.min(step, conv.length - 1));   // a carried CR may add one byte
                if (r < 0) break;
                n = r;
                for (int i = 0; i < r; i++) {
                    byte b = conv[i];
                    if (!ascii) {
                        buf.put(b);
                        continue;
                    }
                    if (cr && b != '\n') buf.put((byte) '\r');   // CRLF → LF; a lone CR stays
                    cr = b == '\r';
                    if (!cr) buf.put(b);
                }
                buf.flip();
            } else {
                buf.limit(limits.length > 0 ? step : buf.capacity());
                n = in.read(buf);
                if (n < 0) break;
                buf.flip();
            }
            moved(n);
            written += writeAll(file, buf, written, limit);
        }
        if (cr) {
            buf.clear();
            buf.put((byte) '\r').flip();
            written += writeAll(file, buf, written, limit);
        }
        return written;
    }

    private static long writeAll(FileChannel file, ByteBuffer buf, long written, long limit) throws IOException {
        int n = buf.remaining();
        if (limit > 0 && written + n > limit) throw new Failed(552, "Upload exceeds the size limit or quota; aborted.", null);
        try {
            while (buf.hasRemaining()) file.write(buf);
        } catch (IOException e) {
            throw new Failed(451, "Local write error; transfer aborted.", e);
        }
        return n;
    }

    private static int read(FileChannel file, ByteBuffer b) throws IOException {
        try {
            return file.read(b);
        } catch (IOException e) {
            throw new Failed(451, "Local read error; transfer aborted.", e);
        }
    }
}
