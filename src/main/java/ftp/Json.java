package ftp;

import java.util.Locale;
import java.util.Map;

/** Just enough JSON for the admin listener and log.format=json: objects of strings, numbers and booleans. */
final class Json {
    private Json() {}

    /** One object; {@code fields} alternate names and values (null values are left out, nested maps become objects). */
    static String object(Object... fields) {
        StringBuilder b = new StringBuilder("{");
        for (int i = 0; i + 1 < fields.length; i += 2) {
            if (fields[i + 1] == null) continue;
            if (b.length() > 1) b.append(',');
            quote(b, String.valueOf(fields[i])).append(':');
            value(b, fields[i + 1]);
        }
        return b.append('}').toString();
    }

    private static void value(StringBuilder b, Object v) {
        switch (v) {
            case Number n -> b.append(n);
            case Boolean x -> b.append(x);
            case Raw r -> b.append(r.json());
            case Map<?, ?> m -> {
                Object[] f = new Object[m.size() * 2];
                int i = 0;
                for (var e : m.entrySet()) {
                    f[i++] = e.getKey();
                    f[i++] = e.getValue();
                }
                b.append(object(f));
            }
            default -> quote(b, v.toString());
        }
    }

    /** Text that is JSON already (an object or an array made here). */
    record Raw(String json) {}

    /** RFC 8259 §7: quotes, backslashes and control characters escaped. */
    static StringBuilder quote(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20 || c >= 0x7f && c <= 0x9f) b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"');
    }
}
