package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A control connection byte by byte, for what a client library would hide; over TLS too (see
 * {@link TlsClient#auth}). Also the data connections a raw client opens: PASV and EPSV, connected
 * at once, and whole transfers over them.
 */
final class RawClient implements AutoCloseable {
    final Socket socket;
    String opening;                      // the 150 of the last fetch
    private final InputStream in;
    private final OutputStream out;

    RawClient(String host, int port) throws IOException { this(new Socket(host, port)); }

    /** Over a socket that is connected already (plain, or TLS on top of a plain one). */
    RawClient(Socket connected) throws IOException {
        socket = connected;
        socket.setSoTimeout(10_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** A connection from another loopback address ({@code local}, say 127.0.0.4), for per-address limits. */
    static RawClient from(String local, int port) throws IOException {
        Socket x = new Socket();
        x.bind(new InetSocketAddress(local, 0));
        x.connect(new InetSocketAddress("127.0.0.1", port));
        return new RawClient(x);
    }

    /** Sends the bytes as they are. */
    void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    void send(String text) throws IOException { send(text.getBytes(StandardCharsets.UTF_8)); }

    /** Sends one command line (CRLF added) and returns the whole reply. */
    String cmd(String line) throws IOException {
        send(line + "\r\n");
        return reply();
    }

    /** One reply, multi-line ones whole (RFC 959 §4.2), lines joined with "\n"; null at end of stream. */
    String reply() throws IOException {
        String first = line();
        if (first == null) return null;
        if (first.length() < 4 || first.charAt(3) != '-') return first;
        StringBuilder b = new StringBuilder(first);
        String end = first.substring(0, 3) + " ";
        while (true) {
            String l = line();
            if (l == null) return b.toString();
            b.append('\n').append(l);
            if (l.startsWith(end)) return b.toString();
        }
    }

    /** The code of the next reply, or -1 at end of stream. */
    int code() throws IOException {
        String r = reply();
        return r == null ? -1 : Integer.parseInt(r.substring(0, 3));
    }

    /** One line, CR LF stripped; byte by byte, so nothing behind it is taken from the stream (AUTH TLS). */
    String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') break;
            b.write(c);
        }
        if (c < 0 && b.size() == 0) return null;
        String s = b.toString(StandardCharsets.UTF_8);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    /** Reads the banner and logs in. */
    RawClient login(String user, String password) throws IOException {
        reply();
        cmd("USER " + user);
        String r = cmd("PASS " + password);
        if (!r.startsWith("230")) throw new IOException("login failed: " + r);
        return this;
    }

    // ---- data connections ----

    /** The port of a 227 reply: "(h1,h2,h3,h4,p1,p2)" (RFC 959 §4.1.2). */
    static int pasvPort(String reply) {
        assertThat(reply).startsWith("227");
        String[] n = reply.substring(reply.indexOf('(') + 1, reply.indexOf(')')).split(",");
        return Integer.parseInt(n[4].trim()) * 256 + Integer.parseInt(n[5].trim());
    }

    /** The port of a 229 reply: "(|||port|)" (RFC 2428 §3). */
    static int epsvPort(String reply) {
        assertThat(reply).startsWith("229");
        return Integer.parseInt(reply.replaceAll(".*\\|\\|\\|(\\d+)\\|.*", "$1"));
    }

    /** PASV, connected at once. */
    Socket pasv() throws IOException { return connect(pasvPort(cmd("PASV"))); }

    /** EPSV, connected at once. */
    Socket epsv() throws IOException { return connect(epsvPort(cmd("EPSV"))); }

    private static Socket connect(int port) throws IOException {
        Socket d = new Socket("127.0.0.1", port);
        d.setSoTimeout(10_000);
        return d;
    }

    /**
     * A RETR, LIST, NLST or MLSD over a fresh EPSV connection: what came, as UTF-8, after asserting
     * 150 (kept in {@link #opening}) and 226.
     */
    String fetch(String command) throws IOException {
        try (Socket d = epsv()) {
            opening = cmd(command);
            assertThat(opening).as(command).startsWith("150");
            String body = new String(d.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(reply()).as(command).startsWith("226");
            return body;
        }
    }

    /** STOR or APPE of {@code content} over a fresh EPSV connection; the final reply (150 asserted). */
    String put(String verb, String path, String content) throws IOException {
        try (Socket d = epsv()) {
            assertThat(cmd(verb + " " + path)).startsWith("150");
            d.getOutputStream().write(content.getBytes(StandardCharsets.UTF_8));
        }
        return reply();
    }

    @Override
    public void close() throws IOException { socket.close(); }
}
