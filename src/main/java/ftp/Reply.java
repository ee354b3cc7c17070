package ftp;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * What the control thread answers a command: a {@link Line} (code and text), or {@link Later}: the
 * answer is someone else's to send. Text with '\n' becomes a multi-line reply (RFC 959 §4.2).
 */
sealed interface Reply {
    /**
     * One reply: "123-first", middle lines, "123 last". A middle line that starts with a digit is
     * indented by one space, so no client mistakes it for the last line.
     */
    record Line(int code, String text) implements Reply {
        byte[] bytes() {
            String[] lines = text.split("\n", -1);
            StringBuilder b = new StringBuilder(text.length() + 16);
            if (lines.length == 1) return b.append(code).append(' ').append(safe(text)).append("\r\n").toString()
                .getBytes(StandardCharsets.UTF_8);
            b.append(code).append('-').append(safe(lines[0])).append("\r\n");
            for (int i = 1; i < lines.length - 1; i++) {
                String line = safe(lines[i]);
                if (!line.isEmpty() && Character.isDigit(line.charAt(0))) b.append(' ');
                b.append(line).append("\r\n");
            }
            b.append(code).append(' ').append(safe(lines[lines.length - 1])).append("\r\n");
            return b.toString().getBytes(StandardCharsets.UTF_8);
        }
    }

    /** Nothing from the control thread now. */
    enum Later implements Reply {
        /** A transfer thread sends the 150 and the final reply (RFC 959 §4.2: a preliminary reply, then one more). */
        BY_TRANSFER,
        /** The handler wrote it itself: AUTH's 234 before the handshake, STAT's streamed listing. */
        SENT
    }

    /** An IOException that ends a transfer or a file command with a reply of its own (451, 522, 552…). */
    final class Failure extends IOException {
        final Line reply;

        Failure(int code, String text, Throwable cause) {
            super(text, cause);
            reply = of(code, text);
        }
    }

    static Line of(int code, String text) { return new Line(code, text); }

    /**
     * Text from clients and from disk may hold CR, LF or other control characters; none may reach a
     * reply (or a log line) raw, where they would split it, inject a fake one or drive a terminal
     * (RFC 2640 §3.1 has no better rule). C0, DEL and C1 (U+0085 is a line end to some) become '?'.
     */
    static String safe(String s) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c >= 0x7f && c <= 0x9f) {
                if (b == null) b = new StringBuilder(s.substring(0, i));
                b.append('?');
            } else if (b != null) b.append(c);
        }
        return b == null ? s : b.toString();
    }

    /** RFC 959 §4.2 (257): a quote inside the quoted path name is doubled. */
    static String quote(String path) { return '"' + safe(path).replace("\"", "\"\"") + '"'; }
}
