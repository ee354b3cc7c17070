package ftp;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * A set of address blocks from a config value such as {@code 10.0.0.0/8, 192.168.1.5, ::1, 2001:db8::/32}
 * (CIDR, RFC 4632 §3.1; IPv6 prefixes, RFC 4291 §2.3); a bare address is a block of one. Only numeric
 * literals are parsed, here, never by the resolver: a host name is an error, not a DNS lookup. IPv4-mapped
 * IPv6 addresses (RFC 4291 §2.5.5.2), as a dual-stack socket reports IPv4 peers, count as IPv4.
 */
final class AddressBlocks {
    private record Block(byte[] network, int bits) {}

    private final List<Block> blocks;

    private AddressBlocks(List<Block> blocks) { this.blocks = blocks; }

    /** Comma-separated entries; blank (or only commas) is the empty set. One message per bad entry. */
    static AddressBlocks parse(String value) {
        List<Block> list = new ArrayList<>();
        for (String raw : value.split(",")) {
            String entry = raw.strip();
            if (entry.isEmpty()) continue;
            try {
                list.add(block(entry));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("address block '" + entry + "': " + e.getMessage());
            }
        }
        return new AddressBlocks(List.copyOf(list));
    }

    private static Block block(String entry) {
        int slash = entry.indexOf('/');
        byte[] literal = literal(slash < 0 ? entry : entry.substring(0, slash));
        int bits = slash < 0 ? literal.length * 8 : decimal(entry.substring(slash + 1), literal.length * 8, "prefix");
        byte[] network = unmapped(literal);
        if (network.length < literal.length) {                        // ::ffff:a.b.c.d/n is the IPv4 block /(n-96)
            if (bits < 96) throw new IllegalArgumentException("an IPv4-mapped block needs a prefix of at least /96");
            bits -= 96;
        }
        byte[] masked = network.clone();
        for (int i = 0; i < masked.length; i++) masked[i] &= mask(bits, i);
        if (!Arrays.equals(masked, network)) {
            throw new IllegalArgumentException("address bits set beyond /" + bits + " (the block is "
                + text(masked) + "/" + bits + ")");
        }
        return new Block(network, bits);
    }

    boolean contains(InetAddress address) {
        byte[] a = unmapped(address.getAddress());
        for (Block b : blocks) {
            if (b.network.length != a.length) continue;
            int i = 0;
            while (i < a.length && (a[i] & mask(b.bits, i)) == b.network[i]) i++;
            if (i == a.length) return true;
        }
        return false;
    }

    boolean isEmpty() { return blocks.isEmpty(); }

    @Override public String toString() {
        return String.join(", ", blocks.stream().map(b -> text(b.network) + "/" + b.bits).toList());
    }

    /** The mask of byte {@code i} of a block with a prefix of {@code bits}. */
    private static byte mask(int bits, int i) { return (byte) (0xFF00 >> Math.clamp(bits - 8L * i, 0, 8)); }

    /** 16 bytes ::ffff:a.b.c.d become the 4 bytes a.b.c.d; anything else is returned as is. */
    static byte[] unmapped(byte[] a) {
        if (a.length != 16 || a[10] != -1 || a[11] != -1) return a;
        for (int i = 0; i < 10; i++) if (a[i] != 0) return a;
        return Arrays.copyOfRange(a, 12, 16);
    }

    private static String text(byte[] a) {
        try {
            return InetAddress.getByAddress(a).getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);                          // only for a length other than 4 or 16
        }
    }

    /**
     * A numeric IPv4 (4 bytes) or IPv6 (16 bytes) address. IPv4: four decimals 0-255 without leading zeros
     * (which some parsers read as octal). IPv6: RFC 4291 §2.2 text, "::" at most once, an IPv4 tail allowed;
     * no zone, no brackets.
     */
    static byte[] literal(String s) {
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
}
