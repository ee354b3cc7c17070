package ftp;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLSocket;

/**
 * Every byte of the control connection. Lines end at LF (a CR before it is dropped; RFC 959 asks
 * for CRLF, but bare-LF clients exist), are capped at {@link Config#MAX_LINE} bytes, and lose their
 * Telnet IAC sequences (RFC 959 §4.1.3: the "IAC IP IAC DM" before ABOR). Every write goes through
 * one lock, so the control and transfer threads never interleave replies, and the switch to TLS
 * happens under it, so no reply can slip out in clear text around a handshake. Timeouts are not
 * kept here: the server's watchdog closes the socket of a session that waits too long.
 */
final class ControlChannel implements AutoCloseable {
    private static final int IAC = 255, SB = 250, SE = 240;

    /** The handshake of a TLS upgrade, given the plain socket. */
    interface Handshake { SSLSocket run(Socket plain) throws IOException; }

    /** The middle of a multi-line reply, streamed (STAT of a folder). */
    interface Lines { void write(Writer out) throws IOException; }

    private Socket socket;
    private final Socket raw;                        // the TCP socket under any TLS layer: what a forced close closes
    private InputStream in;
    private OutputStream out;
    private final ReentrantLock writing = new ReentrantLock();
    private volatile long writeStarted;              // nanoTime of a write in progress, 0 when none
    private volatile boolean handshaking;
    private final byte[] buf = new byte[512];
    private int pos, lim;
    private byte[] line = new byte[128];
    private int len, overlongLines;
    private boolean overlong;

    ControlChannel(Socket socket) throws IOException {
        this.socket = socket;
        this.raw = socket;
        socket.setOOBInline(true);                   // urgent bytes (Telnet DM) stay in the stream, then get stripped
        socket.setTcpNoDelay(true);
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    Socket socket() { return socket; }

    /** The next command line, or null when the client has gone. */
    String readLine() throws IOException {
        int telnet = 0;                               // 0 data, 1 after IAC, 2 option byte of WILL/WONT/DO/DONT,
                                                      // 3 inside a subnegotiation (IAC SB … IAC SE), 4 IAC inside it
        while (true) {
            if (pos == lim) {
                int n = in.read(buf);
                if (n < 0) return null;
                pos = 0;
                lim = n;
            }
            int b = buf[pos++] & 0xff;
            if (telnet == 3 || telnet == 4) {
                telnet = telnet == 3 ? (b == IAC ? 4 : 3) : (b == SE ? 0 : 3);   // all of it dropped
                continue;
            }
            if (telnet == 1) {
                if (b == SB) {
                    telnet = 3;
                    continue;
                }
                telnet = b >= 251 && b <= 254 ? 2 : 0;
                if (b != IAC && b >= 240) continue;   // a Telnet command (IP, DM, …): dropped
                // IAC IAC is a literal 0xFF; IAC before an ordinary byte: the IAC alone is dropped
            } else if (telnet == 2) {
                telnet = 0;
                continue;
            } else if (b == IAC) {
                telnet = 1;
                continue;
            }
            if (b == '\n') {
                boolean skipped = overlong;
                overlong = false;
                String s = skipped ? null : decode();
                len = 0;
                if (s != null) return s;
                continue;                              // the end of an overlong line, answered already
            }
            if (overlong) continue;
            if (len == Config.MAX_LINE + 1) {         // + 1: room for the CR before LF
                overlong = true;                       // answered now, not when (if ever) its end arrives
                if (++overlongLines >= Config.MAX_OVERLONG_LINES) {
                    reply(Reply.of(421, "Too many overlong lines; closing."));
                    linger();
                    throw new IOException("too many overlong lines");
                }
                reply(Reply.of(500, "Line too long (" + Config.MAX_LINE + " bytes at most)."));
                continue;
            }
            if (len == line.length) line = Arrays.copyOf(line, Math.min(Config.MAX_LINE + 1, len * 2));
            line[len++] = (byte) b;
        }
    }

    /** UTF-8 (RFC 2640); a line that is not UTF-8 is read as ISO-8859-1 rather than refused. */
    private String decode() {
        int n = len > 0 && line[len - 1] == '\r' ? len - 1 : len;
        try {
            return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(line, 0, n)).toString();
        } catch (CharacterCodingException e) {
            return new String(line, 0, n, StandardCharsets.ISO_8859_1);
        }
    }

    void reply(Reply r) throws IOException {
        if (!(r instanceof Reply.Line l)) return;
        byte[] bytes = l.bytes();
        writing.lock();
        try {
            writeStarted = System.nanoTime();
            out.write(bytes);
            out.flush();
        } finally {
            writeStarted = 0;
            writing.unlock();
        }
    }

    void reply(int code, String text) throws IOException { reply(Reply.of(code, text)); }

    /**
     * A multi-line reply whose middle is streamed: "code-first", the lines {@code body} writes (each
     * ending in CRLF, none starting with a digit), "code last".
     */
    void replyLines(int code, String first, Lines body, String last) throws IOException {
        writing.lock();
        try {
            writeStarted = System.nanoTime();
            Writer w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 8192);
            w.write(code + "-" + Reply.safe(first) + "\r\n");
            body.write(w);
            w.write(code + " " + Reply.safe(last) + "\r\n");
            w.flush();
        } finally {
            writeStarted = 0;
            writing.unlock();
        }
    }

    /** True when a reply has been stuck for longer than {@code nanos}: the client stopped reading. */
    boolean writeStalled(long now, long nanos) {
        long t = writeStarted;
        return t != 0 && now - t > nanos;
    }

    /** True during a TLS handshake: a reply now would be garbage in the TLS stream. */
    boolean handshaking() { return handshaking; }

    /**
     * Switches to TLS (AUTH TLS, or implicit TLS from the first byte): the handshake and the swap of
     * streams happen under the writer's lock. Bytes the client sent before the handshake are
     * discarded, never executed (CVE-2011-1575).
     */
    SSLSocket upgrade(Handshake handshake) throws IOException {
        writing.lock();
        try {
            handshaking = true;
            SSLSocket s = handshake.run(socket);
            pos = lim = len = 0;
            socket = s;
            in = s.getInputStream();
            out = s.getOutputStream();
            return s;
        } finally {
            handshaking = false;
            writing.unlock();
        }
    }

    /**
     * Before closing on a client that is still sending: end our side, then read and drop what comes
     * for a bounded while. Closing with unread bytes would make the close a reset, and a reset can
     * make the client's system drop our last reply before the client reads it.
     */
    void linger() {
        try {
            if (socket == raw) raw.shutdownOutput();
            InputStream rest = raw.getInputStream();
            byte[] b = new byte[8192];
            long end = System.nanoTime() + Config.LINGER.toNanos(), left, total = 0;
            while (total < Config.LINGER_BYTES && (left = (end - System.nanoTime()) / 1_000_000) > 0) {
                raw.setSoTimeout((int) Math.max(1, left));
                int n = rest.read(b);
                if (n < 0) break;
                total += n;
            }
        } catch (IOException ignored) {
            // gone, or the time is up: close now
        }
    }

    /**
     * The session's own end: a TLS close_notify first when no write is stuck (bounded like a reply:
     * the watchdog aborts a close that stalls), then the TCP socket.
     */
    @Override
    public void close() {
        if (socket != raw && writing.tryLock()) {
            try {
                writeStarted = System.nanoTime();
                Tls.close(socket);
            } catch (IOException ignored) {
                // already gone
            } finally {
                writeStarted = 0;
                writing.unlock();
            }
        }
        abort();
    }

    /**
     * Closes the TCP socket at once, from any thread, never blocking: a writer stuck on a client
     * that stopped reading (JSSE holds its lock while it waits) wakes with an exception.
     */
    void abort() {
        try {
            raw.close();
        } catch (IOException ignored) {
            // already gone
        }
    }
}
