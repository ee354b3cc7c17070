package ftp;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The byte loops of a transfer: file → socket with sendfile where it can, streams otherwise, the
 * LF⇄CRLF conversion of TYPE A (RFC 959 §3.1.1.1), and the reused buffers. Local errors become
 * 451, the size limit 552; the socket's own errors stay plain IOExceptions (426 to the caller).
 */
final class Copy {
    static final int BUFFER = 256 * 1024;
    private static final long CHUNK = 4L << 20;     // sendfile chunk: progress and ABOR stay responsive
    private static final Pool UPLOADS = new Pool(4 * BUFFER, 16);   // 1 MiB reads: fewer, larger file writes
    private static final Pool WAITS = new Pool(64 * 1024, 64);       // sendfile's small parked write

    /** Counts moved bytes (progress, the stall watchdog), applies rate limits, and stops an aborted copy. */
    interface Meter {
        void moved(long n) throws IOException;

        /** Bytes per step: about 1/20 s worth under a rate limit, else {@link #BUFFER}. */
        int step();

        boolean limited();
    }

    private Copy() {}

    /**
     * File → socket from {@code pos}: sendfile when binary, the socket a plain channel and the file on
     * the default file system (another provider's transferTo is a Java loop, and one loses bytes on a
     * non-blocking socket). sendfile must never block inside the kernel: a virtual thread stuck there pins its carrier
     * and can't be woken by close. The first chunk therefore goes through a plain write, which
     * makes the JDK switch the socket to non-blocking for this virtual thread; from then on
     * transferTo returns 0 instead of blocking, and a small parked write waits for room.
     */
    static void send(FileChannel file, long pos, DataChannel.Conn conn, boolean ascii, boolean zeroCopy, Meter meter)
            throws IOException {
        SocketChannel out = conn.channel();
        if (!ascii && out != null && zeroCopy) {
            long size = file.size();
            ByteBuffer wait = WAITS.borrow();
            try {
                boolean first = true;
                while (pos < size) {
                    long chunk = Math.min(meter.limited() ? meter.step() : CHUNK, size - pos);
                    long n = first ? 0 : file.transferTo(pos, chunk, out);
                    if (n <= 0) n = writeChunk(file, pos, out, wait, meter.step());   // no room: park in a write
                    first = false;
                    if (n <= 0) throw shrank();                                          // another session rewrote it
                    pos += n;
                    meter.moved(n);
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
            in.clear().limit(meter.step());
            int n = read(file, in);
            if (n < 0 && pos < end) throw shrank();
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
            meter.moved(m);                                                  // bytes on the wire, as uploads count
        }
    }

    /**
     * Socket → file at its current position, at most {@code limit} bytes written in all (0: no
     * limit); TYPE A turns CRLF into LF. Returns the bytes written.
     */
    static long receive(DataChannel.Conn conn, FileChannel file, boolean ascii, long limit, Meter meter)
            throws IOException {
        SocketChannel in = conn.channel();
        boolean stream = ascii || in == null;
        // 1 MiB per binary upload: each file write from a virtual thread costs a scheduler hand-off: fewer, larger
        ByteBuffer buf = stream ? ByteBuffer.allocate(BUFFER) : UPLOADS.borrow();
        try {
            return stream ? receiveStream(conn.socket().getInputStream(), file, ascii, limit, meter, buf)
                          : receiveChannel(in, file, limit, meter, buf);
        } finally {
            if (!stream) UPLOADS.give(buf);
        }
    }

    private static long receiveChannel(SocketChannel in, FileChannel file, long limit, Meter meter, ByteBuffer buf)
            throws IOException {
        long written = 0;
        while (true) {
            buf.clear().limit(meter.limited() ? meter.step() : buf.capacity());
            int n = in.read(buf);
            if (n < 0) return written;
            buf.flip();
            meter.moved(n);
            written += writeAll(file, buf, written, limit);
        }
    }

    private static long receiveStream(InputStream is, FileChannel file, boolean ascii, long limit, Meter meter,
                                      ByteBuffer buf) throws IOException {
        byte[] raw = new byte[BUFFER];
        boolean cr = false;
        long written = 0;
        while (true) {
            int r = is.read(raw, 0, Math.min(meter.step(), raw.length - 1));   // a carried CR may add one byte
            if (r < 0) break;
            buf.clear();
            for (int i = 0; i < r; i++) {
                byte b = raw[i];
                if (!ascii) {
                    buf.put(b);
                    continue;
                }
                if (cr && b != '\n') buf.put((byte) '\r');                   // CRLF → LF; a lone CR stays
                cr = b == '\r';
                if (!cr) buf.put(b);
            }
            buf.flip();
            meter.moved(r);
            written += writeAll(file, buf, written, limit);
        }
        if (cr) written += writeAll(file, buf.clear().put((byte) '\r').flip(), written, limit);
        return written;
    }

    private static long writeAll(FileChannel file, ByteBuffer buf, long written, long limit) throws IOException {
        int n = buf.remaining();
        if (limit > 0 && written + n > limit)
            throw new Reply.Failure(552, "Upload exceeds the size limit or quota; aborted.", null);
        try {
            while (buf.hasRemaining()) file.write(buf);
        } catch (IOException e) {
            if (String.valueOf(e.getMessage()).contains("No space left"))     // ENOSPC: RFC 959's 452
                throw new Reply.Failure(452, "Insufficient storage space; transfer aborted.", e);
            throw new Reply.Failure(451, "Local write error; transfer aborted.", e);
        }
        return n;
    }

    /** Reads and drops what the peer still sends, until it closes, {@code time} passes or {@code max} bytes came. */
    static void drain(DataChannel.Conn conn, Duration time, long max) {
        try {
            var in = conn.socket().getInputStream();
            byte[] b = new byte[64 * 1024];
            long end = System.nanoTime() + time.toNanos(), left, total = 0;
            while (total < max && (left = (end - System.nanoTime()) / 1_000_000) > 0) {
                conn.socket().setSoTimeout((int) Math.max(1, left));
                int n = in.read(b);
                if (n < 0) break;
                total += n;
            }
        } catch (IOException ignored) {
            // gone, or the time is up: close now
        }
    }

    private static int read(FileChannel file, ByteBuffer b) throws IOException {
        try {
            return file.read(b);
        } catch (IOException e) {
            throw new Reply.Failure(451, "Local read error; transfer aborted.", e);
        }
    }

    private static long writeChunk(FileChannel file, long pos, SocketChannel out, ByteBuffer b, int step)
            throws IOException {
        long left = file.size() - pos;
        if (left <= 0) return -1;
        b.clear().limit((int) Math.min(Math.min(b.capacity(), step), left));   // small: just enough to wait for room
        int n = file.read(b, pos);
        if (n <= 0) return n;
        b.flip();
        while (b.hasRemaining()) out.write(b);
        return n;
    }

    private static Reply.Failure shrank() {
        return new Reply.Failure(451, "The file shrank during the transfer; aborted.", null);
    }

    /**
     * Reused direct buffers: allocating one per transfer costs zeroed memory and, as direct memory
     * is freed only by GC, eventually a System.gc(). A pool keeps at most {@code keep} of them.
     */
    private record Pool(int size, int keep, ConcurrentLinkedQueue<ByteBuffer> free, AtomicInteger count) {
        Pool(int size, int keep) { this(size, keep, new ConcurrentLinkedQueue<>(), new AtomicInteger()); }

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
}
