package ftp;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * IP addresses as text, both ways, without ever asking a resolver: literals from clients and the
 * config are parsed here (a host name in EPRT would make the server look it up for an attacker),
 * IPv4-mapped IPv6 is seen as the IPv4 address it maps, and addresses are written as RFC 5952 says.
 */
final class Addresses {
    private Addresses() {}

    /** A literal address of the family EPRT names (RFC 2428 §2: 1 IPv4, 2 IPv6); else IllegalArgumentException. */
    static InetAddress literal(String s, boolean v4) {
        byte[] a = bytes(s);
        if ((a.length == 4) != v4) throw new IllegalArgumentException("not an IPv" + (v4 ? 4 : 6) + " address");
        return of(a);
    }

    /**
     * A numeric IPv4 (4 bytes) or IPv6 (16 bytes) address. IPv4: four decimals 0-255 without leading zeros
     * (which some parsers read as octal). IPv6: RFC 4291 §2.2 text, "::" at most once, an IPv4 tail allowed;
     * no zone, no brackets.
     */
    static byte[] bytes(String s) {
        if (s.indexOf(':') < 0) return v4(s);
        String[] halves = s.split("::", -1);
        if (halves.length > 2) throw new IllegalArgumentException("'::' more than once");
        int[] head = groups(halves[0], halves.length == 1);
        int[] tail = halves.length == 2 ? groups(halves[1], true) : new int[0];
        int n = head.length + tail.length;
        if (halves.length == 1 ? n != 8 : n > 7) throw new IllegalArgumentException("not 8 groups of 16 bits");
        byte[] a = new byte[16];
        for (int i = 0; i < head.length; i++) put(a, i, head[i]);
        for (int i = 0; i < tail.length; i++) put(a, 8 - tail.length + i, tail[i]);
        return a;
    }

    private static void put(byte[] a, int group, int value) {
        a[2 * group] = (byte) (value >> 8);
        a[2 * group + 1] = (byte) value;
    }

    /** Colon-separated 16-bit groups; the last may be a dotted IPv4 address (two groups) if {@code last}. */
    private static int[] groups(String part, boolean last) {
        if (part.isEmpty()) return new int[0];
        String[] g = part.split(":", -1);
        boolean dotted = last && g[g.length - 1].indexOf('.') >= 0;
        int[] out = new int[g.length + (dotted ? 1 : 0)];
        for (int i = 0; i < g.length; i++) {
            if (dotted && i == g.length - 1) {
                byte[] v4 = v4(g[i]);
                out[i] = (v4[0] & 0xFF) << 8 | v4[1] & 0xFF;
                out[i + 1] = (v4[2] & 0xFF) << 8 | v4[3] & 0xFF;
            } else if (g[i].isEmpty() || g[i].length() > 4 || !g[i].chars().allMatch(HexFormat::isHexDigit)) {
                throw new IllegalArgumentException("not a numeric IPv6 address");
            } else {
                out[i] = HexFormat.fromHexDigits(g[i]);
            }
        }
        return out;
    }

    private static byte[] v4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) throw new IllegalArgumentException("not a numeric IPv4 or IPv6 address");
        byte[] a = new byte[4];
        for (int i = 0; i < 4; i++) a[i] = (byte) decimal(parts[i], 255, "IPv4 number");
        return a;
    }

    /** ASCII digits without a sign or leading zeros, 0 to max (RFC 4632 and PROXY v1 both ask for that). */
    static int decimal(String s, int max, String what) {
        boolean digits = !s.isEmpty() && s.length() <= 5 && s.chars().allMatch(c -> c >= '0' && c <= '9');
        if (!digits || s.length() > 1 && s.charAt(0) == '0' || Integer.parseInt(s) > max) {
            throw new IllegalArgumentException("bad " + what + " '" + s + "' (0 to " + max + ")");
        }
        return Integer.parseInt(s);
    }

    /** 16 bytes ::ffff:a.b.c.d become the 4 bytes a.b.c.d; anything else is returned as is. */
    static byte[] unmapped(byte[] a) {
        if (a.length != 16 || a[10] != -1 || a[11] != -1) return a;
        for (int i = 0; i < 10; i++) if (a[i] != 0) return a;
        return Arrays.copyOfRange(a, 12, 16);
    }

    /** The address of 4 or 16 bytes. */
    static InetAddress of(byte[] ip) {
        try {
            return InetAddress.getByAddress(ip);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("bad address");
        }
    }

    /** IPv4-mapped IPv6 (::ffff:a.b.c.d) as plain IPv4, so the two forms of one client compare equal. */
    static InetAddress unmap(InetAddress a) {
        byte[] b = a.getAddress(), u = unmapped(b);
        return u == b ? a : of(u);
    }

    /** RFC 5952: IPv6 in its canonical text form (::1, 2001:db8::7), IPv4 as usual. */
    static String text(InetAddress a) {
        if (!(a instanceof Inet6Address v6)) return a.getHostAddress();
        byte[] b = a.getAddress();
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) g[i] = (b[2 * i] & 0xff) << 8 | b[2 * i + 1] & 0xff;
        int best = -1, bestLen = 1;                                  // §4.2.2: a single 0 group is not shortened
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && g[j] == 0) j++;
            if (j - i > bestLen) {                                   // §4.2.3: the first of the longest runs
                best = i;
                bestLen = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder s = new StringBuilder(40);
        for (int i = 0; i < 8; i++) {
            if (i == best) {
                s.append(i == 0 ? "::" : ":");
                i += bestLen - 1;
                continue;
            }
            s.append(Integer.toHexString(g[i]));                    // §4.3: lower case, no leading zeros
            if (i < 7) s.append(':');
        }
        return v6.getScopeId() != 0 ? s + "%" + v6.getScopeId() : s.toString();
    }
}
