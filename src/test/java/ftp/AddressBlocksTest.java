package ftp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Trusted address blocks from a config value: parsing, one message per bad entry, membership. */
class AddressBlocksTest {
    static InetAddress ip(String literal) throws Exception { return InetAddress.getByName(literal); }

    @Test
    void theDocumentedExample() throws Exception {
        AddressBlocks b = AddressBlocks.parse("10.0.0.0/8, 192.168.1.5, ::1, 2001:db8::/32");
        for (String in : new String[] {"10.0.0.0", "10.255.255.255", "192.168.1.5", "::1", "2001:db8::",
                "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"}) {
            assertThat(b.contains(ip(in))).as(in).isTrue();
        }
        for (String out : new String[] {"11.0.0.0", "9.255.255.255", "192.168.1.4", "192.168.1.6", "::2", "::",
                "2001:db9::", "2001:db7:ffff::", "127.0.0.1"}) {
            assertThat(b.contains(ip(out))).as(out).isFalse();
        }
        assertThat(b).hasToString("10.0.0.0/8, 192.168.1.5/32, ::1/128, 2001:db8::/32");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  ", ",", " , ,"})
    void blankIsTheEmptySet(String value) throws Exception {
        AddressBlocks b = AddressBlocks.parse(value);
        assertThat(b.isEmpty()).isTrue();
        assertThat(b.contains(ip("127.0.0.1"))).isFalse();
        assertThat(b.contains(ip("::1"))).isFalse();
    }

    @Test
    void prefixBoundariesInsideAByte() throws Exception {
        AddressBlocks b = AddressBlocks.parse("192.168.1.0/25,2001:db8:8000::/33");
        assertThat(b.contains(ip("192.168.1.127"))).isTrue();
        assertThat(b.contains(ip("192.168.1.128"))).isFalse();
        assertThat(b.contains(ip("2001:db8:ffff::1"))).isTrue();
        assertThat(b.contains(ip("2001:db8:7fff::1"))).isFalse();
    }

    @Test
    void everythingOfOneFamily() throws Exception {
        AddressBlocks v4 = AddressBlocks.parse("0.0.0.0/0"), v6 = AddressBlocks.parse("::/0");
        assertThat(v4.contains(ip("203.0.113.9"))).isTrue();
        assertThat(v4.contains(ip("2001:db8::1"))).isFalse();
        assertThat(v6.contains(ip("2001:db8::1"))).isTrue();
        assertThat(v6.contains(ip("203.0.113.9"))).isFalse();
    }

    @Test
    void ipv4MappedAddressesAreIpv4OnBothSides() throws Exception {
        byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, 10, 1, 2, 3};
        InetAddress asV6 = Inet6Address.getByAddress(null, mapped, -1);     // as a dual-stack socket may report it
        assertThat(asV6).isInstanceOf(Inet6Address.class);
        assertThat(AddressBlocks.parse("10.0.0.0/8").contains(asV6)).isTrue();
        assertThat(AddressBlocks.parse("10.0.0.0/8").contains(InetAddress.getByAddress(mapped))).isTrue();
        for (String entry : new String[] {"::ffff:10.0.0.0/104", "::ffff:a00:0/104", "::ffff:10.1.2.3",
                "::ffff:0:0/96"}) {
            AddressBlocks b = AddressBlocks.parse(entry);
            assertThat(b.contains(ip("10.1.2.3"))).as(entry).isTrue();
            assertThat(b.contains(asV6)).as(entry).isTrue();
            assertThat(b.contains(ip("::1"))).as(entry).isFalse();
        }
        assertThat(AddressBlocks.parse("::ffff:10.0.0.0/104")).hasToString("10.0.0.0/8");
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/33", "::1/129", "10.0.0.1/8", "2001:db8::1/32", "localhost", "example.com",
        "10.0.0", "10.0.0.256", "010.0.0.1", "10.0.0.0.1", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7",
        "12345::", "fe80::1%eth0", "[::1]", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/08",
        "10.0.0.0/8/8", "10.0.0.0/ 8", "::ffff:10.0.0.0/95", "\uff11.2.3.4", "1.2.3.4::", "*", "10.0.0.0 10.0.0.1"})
    void eachBadEntryHasItsOwnMessage(String entry) {
        assertThatThrownBy(() -> AddressBlocks.parse("127.0.0.1, " + entry + ", ::1"))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageStartingWith("address block '" + entry.strip() + "': ");
    }

    @Test
    void hostBitsMessageNamesTheBlockMeant() {
        assertThatThrownBy(() -> AddressBlocks.parse("192.168.1.77/24"))
            .hasMessageContaining("192.168.1.0/24");
    }

    @Test
    void literalsAgreeWithTheJdkOnRandomAddressesInEveryTextForm() throws Exception {
        Random random = new Random(7);
        for (int i = 0; i < 2000; i++) {
            byte[] a = new byte[16];
            random.nextBytes(a);
            for (int k = random.nextInt(8); k > 0; k--) a[random.nextInt(16)] = 0;   // runs of zeros for "::"
            String full = InetAddress.getByAddress(a).getHostAddress();
            String compressed = full.replaceFirst("(^|:)(0(:|$)){2,}", "::");
            for (String text : new String[] {full, compressed, compressed.toUpperCase()}) {
                assertThat(Addresses.bytes(text)).as(text).isEqualTo(ip(text).getAddress());
            }
            byte[] v4 = new byte[4];
            random.nextBytes(v4);
            String dotted = InetAddress.getByAddress(v4).getHostAddress();
            assertThat(Addresses.bytes(dotted)).isEqualTo(v4);
            byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, v4[0], v4[1], v4[2], v4[3]};
            assertThat(Addresses.bytes("::ffff:" + dotted)).isEqualTo(mapped);
            assertThat(Addresses.bytes("0:0:0:0:0:FFFF:" + dotted)).isEqualTo(mapped);
        }
    }
}
