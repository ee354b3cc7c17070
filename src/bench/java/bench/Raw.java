package bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * The ceiling: sendfile from this process into a draining reader in another (reading as the bench
 * client reads). {@link #sweep} tries several SO_SNDBUF sizes and keeps the best; {@link #once}
 * repeats that best between the RETR pairs, so the ceiling sees the same drift the servers do.
 */
final class Raw implements AutoCloseable {
    final Process drain;
    final int port;
    final Path file;
    int best;                                                        // SO_SNDBUF of the best sweep row; 0: autotuned
    double top;                                                      // the best seen, sweep and re-runs

    Raw(String java, Path file) throws Exception {
        this.file = file;
        port = Server.freePort();
        drain = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "bench.Bench", "drain",
            String.valueOf(port)).redirectErrorStream(true).start();
        Server.waitForBanner("127.0.0.1", port, drain);              // the drainer sends one byte on accept
    }

    double sweep() throws IOException {
        for (int sndbuf : new int[] {0, 64 << 10, 128 << 10, 256 << 10, 512 << 10, 1 << 20, 4 << 20}) {
            double[] v = new double[3];
            for (int i = 0; i < v.length; i++) v[i] = copy(sndbuf);
            if (Bench.median(v) > top) {
                top = Bench.median(v);
                best = sndbuf;
            }
        }
        return top;
    }

    void once() throws IOException { top = Math.max(top, copy(best)); }

    String describe() { return best == 0 ? "autotuned" : (best >> 10) + " KiB"; }

    double copy(int sndbuf) throws IOException {
        try (SocketChannel ch = SocketChannel.open(); FileChannel f = FileChannel.open(file)) {
            if (sndbuf > 0) ch.setOption(StandardSocketOptions.SO_SNDBUF, sndbuf);
            ch.connect(new InetSocketAddress("127.0.0.1", port));
            ch.read(ByteBuffer.allocate(1));                         // its "banner"
            long t0 = System.nanoTime(), pos = 0, size = f.size();
            while (pos < size) pos += f.transferTo(pos, size - pos, ch);
            ch.shutdownOutput();
            ch.read(ByteBuffer.allocate(1));                         // the drainer closes when it has it all
            return size / 1e6 / ((System.nanoTime() - t0) / 1e9);
        }
    }

    @Override public void close() { drain.destroy(); }

    /** The drainer's main: accepts one connection at a time, says one byte, reads to the end. */
    static void drain(int port) throws IOException {
        try (ServerSocketChannel s = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", port))) {
            ByteBuffer b = ByteBuffer.allocateDirect(Ftp.READ);         // as the bench client reads RETR
            while (true) {
                try (SocketChannel c = s.accept()) {
                    c.write(ByteBuffer.wrap(new byte[] {'!'}));
                    while (c.read(b.clear()) >= 0) { /* discard */ }
                }
            }
        }
    }
}
