package ftp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The byte loops without a server: a file and one end of a loopback connection. TYPE A turns LF
 * into CRLF on the way out and CRLF into LF on the way in (RFC 959 §3.1.1.1), whatever the chunk
 * boundaries; TYPE I moves every byte as it is, with sendfile and without; a limit is a 552.
 */
class CopyTest {
    @TempDir Path tmp;

    /** Counts the bytes; {@code step} bytes a chunk; no rate limit. */
    record Meter(int step, long[] moved) implements Copy.Meter {
        Meter(int step) { this(step, new long[1]); }

        @Override public void moved(long n) { moved[0] += n; }

        @Override public int step() { return step; }

        @Override public boolean limited() { return false; }

        long total() { return moved[0]; }
    }

    /** The two ends of a loopback TCP connection. */
    record Pair(SocketChannel client, SocketChannel server) implements AutoCloseable {
        static Pair open() throws IOException {
            try (ServerSocketChannel l = ServerSocketChannel.open()) {
                l.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                SocketChannel client = SocketChannel.open(l.getLocalAddress());
                return new Pair(client, l.accept());
            }
        }

        /** The server's end as a transfer sees it: with its channel (sendfile) or as a plain socket. */
        DataChannel.Conn conn(boolean channel) {
            return new DataChannel.Conn(server.socket(), channel ? server : null);
        }

        @Override public void close() throws IOException {
            client.close();
            server.close();
        }
    }

    /** What the client reads while Copy.send sends {@code content} from a file. */
    byte[] sent(String content, boolean ascii, boolean channel, Meter meter) throws Exception {
        return sent(content.getBytes(StandardCharsets.ISO_8859_1), ascii, channel, meter);
    }

    byte[] sent(byte[] content, boolean ascii, boolean channel, Meter meter) throws Exception {
        Path f = Files.write(Files.createTempFile(tmp, "send", ""), content);
        try (Pair p = Pair.open(); FileChannel file = FileChannel.open(f, StandardOpenOption.READ)) {
            AtomicReference<byte[]> got = new AtomicReference<>();
            Thread reader = Thread.ofVirtual().start(() -> {
                try {
                    got.set(p.client().socket().getInputStream().readAllBytes());
                } catch (IOException e) {
                    got.set(null);
                }
            });
            Copy.send(file, 0, p.conn(channel), ascii, true, meter);
            p.server().shutdownOutput();
            reader.join(10_000);
            return got.get();
        }
    }

    /** The file Copy.receive writes from what the client sends; {@code written} gets its count. */
    byte[] received(byte[] content, boolean ascii, boolean channel, long limit, Meter meter, long[] written)
            throws Exception {
        Path f = Files.createTempFile(tmp, "receive", "");
        try (Pair p = Pair.open(); FileChannel file = FileChannel.open(f, StandardOpenOption.WRITE)) {
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    p.client().socket().getOutputStream().write(content);
                    p.client().shutdownOutput();
                } catch (IOException ignored) {
                    // the receiving end gave up (a limit): what it read is what counts
                }
            });
            try {
                written[0] = Copy.receive(p.conn(channel), file, ascii, limit, meter);
            } finally {
                writer.join(10_000);
            }
        }
        return Files.readAllBytes(f);
    }

    @ParameterizedTest(name = "step {0}")
    @ValueSource(ints = {1, 2, 3, Copy.BUFFER})
    void asciiSendTurnsLfIntoCrlfAndLeavesCrlfAlone(int step) throws Exception {
        Meter m = new Meter(step);
        String wire = new String(sent("a\nb\r\nc\n\n\r\nd\re\n", true, true, m), StandardCharsets.ISO_8859_1);
        assertThat(wire).isEqualTo("a\r\nb\r\nc\r\n\r\n\r\nd\re\r\n");       // a lone CR is no line end: it stays
        assertThat(m.total()).as("bytes on the wire").isEqualTo(wire.length());
    }

    @ParameterizedTest(name = "step {0}")
    @ValueSource(ints = {1, 2, 3, Copy.BUFFER})
    void asciiReceiveTurnsCrlfIntoLfKeepsALoneCrAndAFinalCr(int step) throws Exception {
        Meter m = new Meter(step);
        long[] written = new long[1];
        byte[] in = "a\r\nb\rc\r\n\r\nd\n\r".getBytes(StandardCharsets.ISO_8859_1);
        byte[] file = received(in, true, true, 0, m, written);
        // a bare LF stays too
        assertThat(new String(file, StandardCharsets.ISO_8859_1)).isEqualTo("a\nb\rc\n\nd\n\r");
        assertThat(written[0]).isEqualTo(file.length);
        assertThat(m.total()).as("bytes on the wire").isEqualTo(in.length);
    }

    @ParameterizedTest(name = "sendfile {0}")
    @ValueSource(booleans = {true, false})
    void binaryMovesEveryByteAsItIs(boolean channel) throws Exception {
        byte[] data = TestServer.random(300_000, 3);
        assertThat(sent(data, false, channel, new Meter(Copy.BUFFER))).isEqualTo(data);
        long[] written = new long[1];
        assertThat(received(data, false, channel, 0, new Meter(Copy.BUFFER), written)).isEqualTo(data);
        assertThat(written[0]).isEqualTo(data.length);
    }

    /** The limit counts bytes written to the file: in TYPE A, after CRLF became LF. */
    @Test
    void aLimitIsAFailure552() throws Exception {
        long[] written = new long[1];
        byte[] ascii = "ab\r\ncd\r\nef".getBytes(StandardCharsets.ISO_8859_1);     // 10 on the wire, 8 in the file
        assertThat(received(ascii, true, true, 8, new Meter(Copy.BUFFER), written)).hasSize(8);
        assertThatThrownBy(() -> received(ascii, true, true, 7, new Meter(Copy.BUFFER), written))
            .isInstanceOfSatisfying(Reply.Failure.class, f -> assertThat(f.reply.code()).isEqualTo(552));
        assertThatThrownBy(() -> received(new byte[10], false, true, 5, new Meter(3), written))
            .isInstanceOfSatisfying(Reply.Failure.class, f -> assertThat(f.reply.code()).isEqualTo(552));
    }
}
