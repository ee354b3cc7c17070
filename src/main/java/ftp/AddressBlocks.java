package ftp;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A set of address blocks from a config value such as {@code 10.0.0.0/8, 192.168.1.5, ::1, 2001:db8::/32}
 * (CIDR, RFC 4632 §3.1; IPv6 prefixes, RFC 4291 §2.3); a bare address is a block of one. Only numeric
 * literals ({@link Addresses#bytes}): a host name is an error, not a DNS lookup. IPv4-mapped IPv6
 * addresses (RFC 4291 §2.5.5.2), as a dual-stack socket reports IPv4 peers, count as IPv4.
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
        byte[] literal = Addresses.bytes(slash < 0 ? entry : entry.substring(0, slash));
        int bits = slash < 0 ? literal.length * 8
                             : Addresses.decimal(entry.substring(slash + 1), literal.length * 8, "prefix");
        byte[] network = Addresses.unmapped(literal);
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
        byte[] a = Addresses.unmapped(address.getAddress());
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

    private static String text(byte[] a) { return Addresses.text(Addresses.of(a)); }
}
