package ftp;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * IP addresses as text, both ways, without ever asking a resolver: literals from clients and the
 * config are parsed here (a host name in EPRT would make the server look it up for an attacker),
 * IPv4-mapped IPv6 is seen as the IPv4 address it maps, and addresses are written as RFC 5952 says.
 */
final class Addresses {
    private Addresses() {}

    /** A literal IPv4 ("192.0.2.1") or IPv6 ("2001:db8::1") address; anything else: IllegalArgumentException. */
    static InetAddress literal(String s, boolean v4) {
        if (v4) {
            String[] p = s.split("\\.", -1);
            byte[] ip = new byte[4];
            if (p.length != 4) throw new IllegalArgumentException("bad IPv4 address");
            for (int i = 0; i < 4; i++) {
                if (!p[i].matches("[0-9]{1,3}") || Integer.parseInt(p[i]) > 255)
                    throw new IllegalArgumentException("bad IPv4 address");
                ip[i] = (byte) Integer.parseInt(p[i]);
            }
            return of(ip);
        }
        if (!s.matches("[0-9A-Fa-f:][0-9A-Fa-f:.]{1,44}") || !s.contains(":"))
            throw new IllegalArgumentException("bad IPv6 address");
        try {
            return InetAddress.getByName(s);   // a hex digit or ':' first, and a ':': a literal, never looked up
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("bad IPv6 address");
        }
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
        if (!(a instanceof Inet6Address)) return a;
        byte[] b = a.getAddress();
        for (int i = 0; i < 10; i++) if (b[i] != 0) return a;
        if (b[10] != (byte) 0xff || b[11] != (byte) 0xff) return a;
        return of(new byte[] {b[12], b[13], b[14], b[15]});
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
