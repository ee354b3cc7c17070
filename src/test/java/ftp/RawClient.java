package ftp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A control connection byte by byte, for what a client library would hide. */
final class RawClient implements AutoCloseable {
    final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    RawClient(String host, int port) throws IOException {
        socket = new Socket(host, port);
        socket.setSoTimeout(10_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
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

    @Override
    public void close() throws IOException { socket.close(); }
}
