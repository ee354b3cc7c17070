package ftp;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;

/**
 * The PROXY protocol header (HAProxy's doc/proxy-protocol.txt, versions 1 and 2) that a TCP load balancer
 * sends before any byte of its client's: who the client is. {@link #read} consumes exactly the header's
 * bytes, so the FTP commands or the TLS ClientHello that follow are still unread on the socket.
 *
 * <p>Section 5: only a configured, trusted peer may send it; the caller decides that, not this reader
 * (section 2: the receiver "MUST not try to guess whether the protocol header is present").
 */
sealed interface ProxyHeader {
    /** The relayed TCP connection: the client's endpoint and the balancer's front endpoint it reached. */
    record Proxied(InetSocketAddress source, InetSocketAddress destination) implements ProxyHeader {}

    /** v2 LOCAL (health checks), v1 UNKNOWN, and v2 families other than TCP over IPv4/IPv6: serve the
     *  connection as the balancer's own, by the socket's real endpoints (section 2.1, 2.2). */
    record Local() implements ProxyHeader {}

    /** Section 2.1: the longest v1 line, CRLF included ("PROXY UNKNOWN" with two full IPv6 addresses). */
    int V1_MAX = 107;
    /** Section 2: both formats fit the smallest TCP segment every host accepts, 576 - 40 bytes. */
    int V2_MAX = 536;

    /** The address to serve this connection as: the relayed client's, or the socket's own peer's. */
    default InetSocketAddress client(Socket s) {
        return this instanceof Proxied p ? p.source() : (InetSocketAddress) s.getRemoteSocketAddress();
    }

    /**
     * Reads the header at the start of {@code s}, all of it within {@code deadline} (one budget for every
     * read, so a sender dribbling bytes can't stretch it), and not one byte further. Restores the socket's
     * read timeout. Blocking reads: meant for the connection's own (virtual) thread.
     *
     * @throws SocketTimeoutException no complete header before the deadline
     * @throws IOException anything else: not a header, malformed, truncated (the message says which)
     */
    static ProxyHeader read(Socket s, Duration deadline) throws IOException {
        long end = System.nanoTime() + deadline.toNanos();
        int before = s.getSoTimeout();
        try {
            byte[] first = new byte[1];
            fill(s, end, first, 0, 1);
            return switch (first[0]) {
                case 'P' -> v1(s, end);
                case '\r' -> v2(s, end);
                default -> throw new IOException("not a PROXY header (first byte 0x%02x)".formatted(first[0]));
            };
        } finally {
            if (!s.isClosed()) s.setSoTimeout(before);
        }
    }

    /**
     * 2.1 Human-readable header format: "PROXY TCP4|TCP6 src dst sport dport" CRLF, one space between
     * fields, at most 107 bytes; or "PROXY UNKNOWN" and anything up to the CRLF. Read a byte at a time:
     * the line's length is only known at its CRLF, and the bytes after it are not ours.
     */
    private static ProxyHeader v1(Socket s, long end) throws IOException {
        byte[] line = new byte[V1_MAX];
        line[0] = 'P';
        int n = 1;
        while (n < 2 || line[n - 1] != '\n') {
            if (n == V1_MAX) throw new IOException("PROXY v1 line longer than " + V1_MAX + " bytes");
            fill(s, end, line, n, 1);
            byte b = line[n++];
            if (n <= 6 && b != "PROXY ".charAt(n - 1)) throw new IOException("not a PROXY header");
            if (b == '\n' && line[n - 2] != '\r') throw new IOException("PROXY v1 line ends in LF without CR");
            if (b != '\n' && line[n - 2] == '\r') throw new IOException("PROXY v1 line has a CR without LF");
        }
        String text = new String(line, 0, n - 2, StandardCharsets.ISO_8859_1);
        if (text.equals("PROXY UNKNOWN") || text.startsWith("PROXY UNKNOWN ")) return new Local();
        String[] f = text.split(" ", -1);
        int length = f.length != 6 ? 0 : f[1].equals("TCP4") ? 4 : f[1].equals("TCP6") ? 16 : 0;
        if (length == 0) throw new IOException("PROXY v1 line is not TCP4, TCP6 or UNKNOWN with 4 fields");
        return new Proxied(endpoint(f[2], f[4], length), endpoint(f[3], f[5], length));
    }

    /** A v1 address of the announced family (TCP6 may carry ::ffff:a.b.c.d) and a port, parsed as numbers. */
    private static InetSocketAddress endpoint(String address, String port, int length) throws IOException {
        try {
            byte[] a = Addresses.bytes(address);
            if (a.length != length) throw new IllegalArgumentException("not of the announced family");
            return new InetSocketAddress(InetAddress.getByAddress(a), Addresses.decimal(port, 65535, "port"));
        } catch (IllegalArgumentException e) {
            throw new IOException("PROXY v1 endpoint " + (length == 4 ? "TCP4" : "TCP6") + ": " + e.getMessage());
        }
    }

    /**
     * 2.2 Binary header format: the 12-byte signature, version and command, family and transport, the
     * length of the rest; then addresses, ports and TLVs, which are skipped. All fields are checked
     * before the rest is read, so a bad header is refused at once.
     */
    private static ProxyHeader v2(Socket s, long end) throws IOException {
        byte[] h = new byte[16];
        h[0] = '\r';
        fill(s, end, h, 1, 15);
        byte[] signature = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
        if (!Arrays.equals(h, 0, 12, signature, 0, 12)) throw new IOException("not a PROXY v2 signature");
        int version = (h[12] & 0xF0) >> 4, command = h[12] & 0x0F, family = (h[13] & 0xF0) >> 4;
        int transport = h[13] & 0x0F, length = (h[14] & 0xFF) << 8 | h[15] & 0xFF;
        if (version != 2) throw new IOException("PROXY v2 header of version " + version);
        if (command > 1) throw new IOException("PROXY v2 command " + command + " is neither LOCAL nor PROXY");
        if (16 + length > V2_MAX) throw new IOException("PROXY v2 header longer than " + V2_MAX + " bytes");
        // LOCAL: "discard the protocol block including the family which is ignored".
        if (command == 1 && (family > 3 || transport > 2)) {
            throw new IOException("PROXY v2 family and transport 0x%02x unknown".formatted(h[13]));
        }
        // TCP over IPv4 (0x11) or IPv6 (0x21); the other valid pairs "fall back to the UNSPEC mode".
        int size = command == 0 ? 0 : h[13] == 0x11 ? 4 : h[13] == 0x21 ? 16 : 0;
        if (length < 2 * size + 4 && size > 0) throw new IOException("PROXY v2 length too short for addresses");
        byte[] body = new byte[length];
        fill(s, end, body, 0, length);
        if (size == 0) return new Local();
        return new Proxied(endpoint(body, 0, 2 * size, size), endpoint(body, size, 2 * size + 2, size));
    }

    private static InetSocketAddress endpoint(byte[] b, int at, int portAt, int size) throws IOException {
        int port = (b[portAt] & 0xFF) << 8 | b[portAt + 1] & 0xFF;
        return new InetSocketAddress(InetAddress.getByAddress(Arrays.copyOfRange(b, at, at + size)), port);
    }

    /** Reads exactly {@code len} bytes into {@code b}, each read allowed only what is left of the deadline. */
    private static void fill(Socket s, long end, byte[] b, int off, int len) throws IOException {
        InputStream in = s.getInputStream();
        while (len > 0) {
            long left = (end - System.nanoTime()) / 1_000_000;
            if (left <= 0) throw new SocketTimeoutException("no complete PROXY header in time");
            s.setSoTimeout((int) Math.min(left, Integer.MAX_VALUE));
            int r;
            try {
                r = in.read(b, off, len);
            } catch (SocketTimeoutException e) {
                throw new SocketTimeoutException("no complete PROXY header in time");
            }
            if (r < 0) throw new EOFException("connection closed inside the PROXY header");
            off += r;
            len -= r;
        }
    }
}
