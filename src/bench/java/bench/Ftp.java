package bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * An FTP client just big enough for the bench, lean so that its own cost stays small beside the
 * server's: SocketChannels, replies parsed from bytes, data read into reused direct buffers (the raw
 * ceiling's drainer reads the same way). Every socket, control and data, is closed by a timer at its
 * deadline (120 s unless the caller gives an earlier one) if it is still open then, and a control
 * connection that has no banner after 10 s is closed too: when a burst of connects overflows a
 * server's accept queue, the kernel may drop a handshake the client already counts as done, and that
 * client would wait for a banner until its deadline.
 */
final class Ftp implements AutoCloseable {
    static final long DEFAULT_LIMIT = TimeUnit.SECONDS.toNanos(120), CONNECT_LIMIT = TimeUnit.SECONDS.toNanos(10);
    static final int READ = 1 << 20;
    private static final ScheduledThreadPoolExecutor TIMER = new ScheduledThreadPoolExecutor(1, r -> {
        Thread th = new Thread(r, "bench-deadline");
        th.setDaemon(true);
        return th;
    });
    static {
        TIMER.setRemoveOnCancelPolicy(true);            // tens of thousands of short sessions cancel theirs
    }
    private static final Map<Integer, Queue<ByteBuffer>> BUFFERS = new ConcurrentHashMap<>();

    final SocketChannel s;
    final Server server;
    final long deadline;                                // System.nanoTime() at which every socket is closed
    private final ByteBuffer in = ByteBuffer.allocate(8192).flip();
    private ScheduledFuture<?> timer;

    Ftp(Server t) throws IOException { this(t, System.nanoTime() + DEFAULT_LIMIT, null); }

    Ftp(Server t, long deadline) throws IOException { this(t, deadline, null); }

    /** {@code local}: the loopback address to connect from (127.0.0.x), or null for any. */
    Ftp(Server t, long deadline, String local) throws IOException {
        server = t;
        this.deadline = deadline;
        s = SocketChannel.open();
        long connectBy = System.nanoTime() + CONNECT_LIMIT;
        timer = closeAt(s, Math.min(deadline, connectBy));
        try {
            if (local != null) s.bind(new InetSocketAddress(local, 0));
            s.setOption(StandardSocketOptions.TCP_NODELAY, true);
            s.connect(new InetSocketAddress(t.host, t.port));
            expect(reply(), "220");
        } catch (IOException e) {
            close();
            throw new IOException("connecting (10 s at most): " + e, e);
        }
        if (deadline > connectBy) {
            timer.cancel(false);
            timer = closeAt(s, deadline);
        }
    }

    static ScheduledFuture<?> closeAt(SocketChannel c, long deadline) {
        return TIMER.schedule(() -> {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }, deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
    }

    /** USER, PASS with the server's bench account, then TYPE I. */
    Ftp login() throws IOException {
        expect(cmd("USER " + server.user), "331");
        expect(cmd("PASS " + server.password), "230");
        expect(cmd("TYPE I"), "200");
        return this;
    }

    String cmd(String line) throws IOException {
        send(line + "\r\n");
        return reply();
    }

    /** Writes the text as it is, in one write: several commands at once are pipelined. */
    void send(String text) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) s.write(b);
    }

    /** The final line of the next reply (multi-line replies skipped to their end). */
    String reply() throws IOException {
        String first = line(), l = first;
        if (first.length() > 3 && first.charAt(3) == '-') {
            String end = first.substring(0, 3) + " ";
            while (!l.startsWith(end)) l = line();
        }
        return l;
    }

    private String line() throws IOException {
        while (true) {
            for (int i = in.position(); i < in.limit(); i++) {
                if (in.get(i) == '\n') {
                    String l = new String(in.array(), in.position(), i - in.position(), StandardCharsets.ISO_8859_1);
                    in.position(i + 1);
                    return l.strip();
                }
            }
            in.compact();
            if (!in.hasRemaining()) throw new IOException("reply line too long");
            int n = s.read(in);
            in.flip();
            if (n < 0) throw new IOException("connection closed");
        }
    }

    static void expect(String reply, String code) throws IOException {
        if (!reply.startsWith(code)) throw new IOException("expected " + code + ", got " + reply);
    }

    /** EPSV and a connected data channel, closed at this session's deadline at the latest. */
    SocketChannel pasv() throws IOException {
        String r = cmd("EPSV");
        expect(r, "229");
        int port = Integer.parseInt(r.replaceAll(".*\\|\\|\\|(\\d+)\\|.*", "$1"));
        SocketChannel d = SocketChannel.open();
        closeAt(d, deadline);
        d.connect(new InetSocketAddress(server.host, port));
        return d;
    }

    @Override public void close() throws IOException {
        timer.cancel(false);
        s.close();
    }

    /** Reads a data connection to its end into a pooled direct buffer of {@code size}; the byte count. */
    static long drain(SocketChannel d, int size) throws IOException {
        Queue<ByteBuffer> pool = BUFFERS.computeIfAbsent(size, k -> new ConcurrentLinkedQueue<>());
        ByteBuffer b = pool.poll();
        if (b == null) b = ByteBuffer.allocateDirect(size);
        try {
            long n = 0;
            int r;
            while ((r = d.read(b.clear())) >= 0) n += r;
            return n;
        } finally {
            pool.offer(b);
        }
    }

    /** Reads a listing to its end; the number of lines. */
    static long lines(SocketChannel d) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(1 << 16);
        long lines = 0;
        while (d.read(b.clear()) >= 0) {
            for (int i = 0; i < b.position(); i++) if (b.get(i) == '\n') lines++;
        }
        return lines;
    }
}
