package ftp;

import java.nio.charset.StandardCharsets;

/**
 * One reply: a three-digit code and its text. Text with '\n' becomes a multi-line reply in the
 * form of RFC 959 §4.2: "123-first", middle lines, "123 last". A middle line that starts with a
 * digit is indented by one space, so no client mistakes it for the last line.
 */
record Reply(int code, String text) {
    /** Nothing to send now: a transfer thread will send the final reply. */
    static final Reply NONE = new Reply(0, "");

    static Reply of(int code, String text) { return new Reply(code, text); }

    /**
     * File names come from disk and may hold CR, LF or other control characters; none may reach a
     * reply raw, where they would split it or inject a fake one (RFC 2640 §3.1 has no better rule).
     */
    static String safe(String s) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c >= 0x7f && c <= 0x9f) {           // C0, DEL and C1 (U+0085 is a line end to some)
                if (b == null) b = new StringBuilder(s.substring(0, i));
                b.append('?');
            } else if (b != null) b.append(c);
        }
        return b == null ? s : b.toString();
    }

    /** RFC 959 §4.2 (257): a quote inside the quoted path name is doubled. */
    static String quote(String path) { return '"' + safe(path).replace("\"", "\"\"") + '"'; }

    byte[] bytes() {
        String[] lines = text.split("\n", -1);
        StringBuilder b = new StringBuilder(text.length() + 16);
        if (lines.length == 1) {
            b.append(code).append(' ').append(safe(text)).append("\r\n");
        } else {
            b.append(code).append('-').append(safe(lines[0])).append("\r\n");
            for (int i = 1; i < lines.length - 1; i++) {
                String line = safe(lines[i]);
                if (!line.isEmpty() && Character.isDigit(line.charAt(0))) b.append(' ');
                b.append(line).append("\r\n");
            }
            b.append(code).append(' ').append(safe(lines[lines.length - 1])).append("\r\n");
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }
}
