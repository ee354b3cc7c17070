package ftp;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The PROXY protocol header reader, over real loopback sockets: what it returns and what it leaves unread. */
class ProxyHeaderTest {
    private static final byte[] SIG = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    private static final String FFFF = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
    private static ServerSocket server;

    @BeforeAll static void listen() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
    }

    @AfterAll static void close() throws IOException { server.close(); }

    /** The header read (or the error) and every byte the peer sent after it. */
    record Outcome(ProxyHeader header, IOException error, byte[] rest) {
        String restText() { return new String(rest, ISO_8859_1); }
    }

    /** Sends {@code sent} in one write, half-closes, reads the header on the accepted end, then the rest. */
    static Outcome exchange(byte[] sent) throws IOException {
        try (Socket c = new Socket(server.getInetAddress(), server.getLocalPort()); Socket a = server.accept()) {
            c.getOutputStream().write(sent);
            c.shutdownOutput();
            a.setSoTimeout(10_000);                                       // a reader that lost its way fails, not hangs
            ProxyHeader h;
            try {
                h = ProxyHeader.read(a, Duration.ofSeconds(5));
            } catch (IOException e) {
                return new Outcome(null, e, null);
            }
            return new Outcome(h, null, a.getInputStream().readAllBytes());
        }
    }

    static Outcome exchange(String sent) throws IOException { return exchange(sent.getBytes(ISO_8859_1)); }

    static ProxyHeader.Proxied proxied(String src, int sport, String dst, int dport) throws IOException {
        return new ProxyHeader.Proxied(new InetSocketAddress(InetAddress.getByName(src), sport),
            new InetSocketAddress(InetAddress.getByName(dst), dport));
    }

    static byte[] v2(int verCmd, int famProto, byte[]... parts) {
        var body = new ByteArrayOutputStream();
        for (byte[] p : parts) body.writeBytes(p);
        var out = new ByteArrayOutputStream();
        out.writeBytes(SIG);
        out.writeBytes(new byte[] {(byte) verCmd, (byte) famProto, (byte) (body.size() >> 8), (byte) body.size()});
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }

    static byte[] bytes(int... b) {
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) out[i] = (byte) b[i];
        return out;
    }

    static byte[] ip(String literal) throws IOException { return InetAddress.getByName(literal).getAddress(); }

    static byte[] tlv(int type, byte[] value) {
        byte[] t = new byte[3 + value.length];
        t[0] = (byte) type;
        t[1] = (byte) (value.length >> 8);
        t[2] = (byte) value.length;
        System.arraycopy(value, 0, t, 3, value.length);
        return t;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static byte[] v2Tcp4() throws IOException {
        return v2(0x21, 0x11, ip("192.0.2.1"), ip("198.51.100.7"), bytes(0xDC, 0x04, 0x00, 0x15));
    }

    static byte[] v2Tcp6() throws IOException {
        return v2(0x21, 0x21, ip("2001:db8::1"), ip("2001:db8::2:0"), bytes(0xDC, 0x04, 0x00, 0x15));
    }

    // 2.1 Human-readable header format: the spec's examples and limits

    @Test
    void v1SpecExampleBeforeAnHttpRequest() throws IOException {
        String http = "GET / HTTP/1.1\r\nHost: 192.168.0.11\r\n\r\n";
        Outcome o = exchange("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n" + http);
        assertThat(o.header()).isEqualTo(proxied("192.168.0.1", 56324, "192.168.0.11", 443));
        assertThat(o.restText()).isEqualTo(http);
    }

    @Test
    void v1SpecLongestLinesOfEachKind() throws IOException {
        String tcp4 = "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n";
        String tcp6 = "PROXY TCP6 " + FFFF + " " + FFFF + " 65535 65535\r\n";
        String unknown = "PROXY UNKNOWN " + FFFF + " " + FFFF + " 65535 65535\r\n";
        assertThat(new int[] {tcp4.length(), tcp6.length(), unknown.length()}).containsExactly(56, 104, 107);
        assertThat(exchange(tcp4 + "x").header())
            .isEqualTo(proxied("255.255.255.255", 65535, "255.255.255.255", 65535));
        assertThat(exchange(tcp6 + "x").header()).isEqualTo(proxied(FFFF, 65535, FFFF, 65535));
        Outcome o = exchange(unknown + "x");
        assertThat(o.header()).isEqualTo(new ProxyHeader.Local());
        assertThat(o.restText()).isEqualTo("x");
    }

    @Test
    void v1UnknownShortFormAndAnythingBeforeItsCrlf() throws IOException {
        for (String line : new String[] {"PROXY UNKNOWN\r\n", "PROXY UNKNOWN whatever \u00ff\0 sent\r\n"}) {
            Outcome o = exchange(line + "USER x\r\n");
            assertThat(o.header()).as(line).isEqualTo(new ProxyHeader.Local());
            assertThat(o.restText()).isEqualTo("USER x\r\n");
        }
    }

    @Test
    void v1Ipv6InItsTextForms() throws IOException {
        assertThat(exchange("PROXY TCP6 2001:DB8::1 ::1 1 0\r\n").header())
            .isEqualTo(proxied("2001:db8::1", 1, "::1", 0));
        assertThat(exchange("PROXY TCP6 :: 1:2:3:4:5:6:7:8 21 21\r\n").header())
            .isEqualTo(proxied("::", 21, "1:2:3:4:5:6:7:8", 21));
        // HAProxy sends a mixed IPv4/IPv6 pair as TCP6 with inet_ntop's ::ffff:a.b.c.d form: an IPv4 client
        var h = (ProxyHeader.Proxied) exchange("PROXY TCP6 ::ffff:192.0.2.1 2001:db8::1 40000 21\r\n").header();
        assertThat(h.source().getAddress()).isInstanceOf(Inet4Address.class).hasToString("/192.0.2.1");
        assertThat(h.source().getPort()).isEqualTo(40000);
    }

    @Test
    void v1LineOf107BytesIsReadAndOf108IsRefusedWithoutReadingFurther() throws IOException {
        String pad = "PROXY UNKNOWN ";
        String ok = pad + "x".repeat(107 - pad.length() - 2) + "\r\n";
        assertThat(ok).hasSize(107);
        assertThat(exchange(ok).header()).isEqualTo(new ProxyHeader.Local());
        String tooLong = pad + "x".repeat(108 - pad.length() - 2) + "\r\n";
        assertThat(exchange(tooLong).error()).hasMessageContaining("longer than 107");
        assertThat(exchange(pad + "x".repeat(5000)).error()).hasMessageContaining("longer than 107");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "PROXY TCP4 192.0.2.1 192.0.2.2 1 2\n",                 // LF alone
        "PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\r\n",             // CR alone
        "PROXY TCP4 192.0.2.1 192.0.2.2 1\r2\r\n",
        "PROXY TCP4 192.0.2.01 192.0.2.2 1 2\r\n",              // leading zero: octal to some parsers
        "PROXY TCP4 192.0.2.256 192.0.2.2 1 2\r\n",
        "PROXY TCP4 192.0.2 192.0.2.2 1 2\r\n",
        "PROXY TCP4 192.0.2.1.5 192.0.2.2 1 2\r\n",
        "PROXY TCP4 localhost 192.0.2.2 1 2\r\n",               // a name: never resolved
        "PROXY TCP4 ::1 192.0.2.2 1 2\r\n",                     // family mismatch
        "PROXY TCP6 192.0.2.1 ::1 1 2\r\n",
        "PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n",
        "PROXY TCP6 [::1] ::1 1 2\r\n",
        "PROXY TCP6 1::2::3 ::1 1 2\r\n",
        "PROXY TCP6 12345::1 ::1 1 2\r\n",
        "PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n",
        "PROXY TCP6 1:2:3:4:5:6:7 ::1 1 2\r\n",
        "PROXY TCP6 1.2.3.4::1 ::1 1 2\r\n",
        "PROXY TCP4 192.0.2.1 192.0.2.2 65536 2\r\n",
        "PROXY TCP4 192.0.2.1 192.0.2.2 01 2\r\n",
        "PROXY TCP4 192.0.2.1 192.0.2.2 +1 2\r\n",
        "PROXY TCP4 192.0.2.1 192.0.2.2 -1 2\r\n",
        "PROXY TCP4 192.0.2.1 192.0.2.2 1a 2\r\n",
        "PROXY TCP4 192.0.2.1 192.0.2.2 0x15 2\r\n",
        "PROXY TCP4 192.0.2.1 192.0.2.2 1 \r\n",
        "PROXY TCP4 192.0.2.1 192.0.2.2 1 2 \r\n",
        "PROXY TCP4 192.0.2.1 192.0.2.2 1 2 3\r\n",
        "PROXY TCP4 192.0.2.1 192.0.2.2 1\r\n",
        "PROXY TCP4  192.0.2.1 192.0.2.2 1 2\r\n",
        "PROXY tcp4 192.0.2.1 192.0.2.2 1 2\r\n",
        "PROXY UDP4 192.0.2.1 192.0.2.2 1 2\r\n",
        "PROXY UNKNOWNX\r\n",
        "PROXY\r\n",
        "PROXY \r\n",
        "PROXY  UNKNOWN\r\n",
        "PROXX UNKNOWN\r\n",
        "proxy UNKNOWN\r\n",
        "GET / HTTP/1.1\r\n",
        "USER anonymous\r\n",
        "\u0016\u0003\u0001\u0000\u00f1",                       // a TLS ClientHello
        "\r\n\r\n\0\r\nQUIT\n",                                 // the v2 signature, then text: version 5
    })
    void malformedIsAnIoExceptionWithAReason(String sent) throws IOException {
        Outcome o = exchange(sent + "USER x\r\n");
        assertThat(o.error()).as(sent).isNotNull();
        assertThat(o.error().getMessage()).isNotBlank();
    }

    @Test
    void v1PortDigitsOutsideAsciiAreRefused() throws IOException {
        byte[] arabicOne = "\u0661".getBytes(UTF_8);
        byte[] line = concat(concat("PROXY TCP4 192.0.2.1 192.0.2.2 ".getBytes(ISO_8859_1), arabicOne),
            " 2\r\n".getBytes(ISO_8859_1));
        assertThat(exchange(line).error()).isNotNull();
    }

    // 2.2 Binary header format

    @Test
    void v2TcpOverIpv4AndIpv6() throws IOException {
        assertThat(exchange(v2Tcp4()).header()).isEqualTo(proxied("192.0.2.1", 56324, "198.51.100.7", 21));
        assertThat(exchange(v2Tcp6()).header()).isEqualTo(proxied("2001:db8::1", 56324, "2001:db8::2:0", 21));
    }

    @Test
    void v2TlvsOfEveryRegisteredTypeAreSkipped() throws IOException {
        byte[] ssl = concat(bytes(0x07, 0, 0, 0, 0),                                          // client, verify
            concat(tlv(0x21, "TLSv1.3".getBytes(ISO_8859_1)), tlv(0x22, "example.com".getBytes(ISO_8859_1))));
        byte[] tlvs = new byte[0];
        byte[][] each = {tlv(0x01, "ftp".getBytes(ISO_8859_1)), tlv(0x02, "ftp.example".getBytes(ISO_8859_1)),
            tlv(0x03, bytes(1, 2, 3, 4)), tlv(0x04, new byte[0]), tlv(0x05, new byte[128]), tlv(0x20, ssl),
            tlv(0x30, "ns1".getBytes(ISO_8859_1)), tlv(0xE0, bytes(9)), tlv(0xF8, bytes(1, 2))};
        for (byte[] t : each) tlvs = concat(tlvs, t);
        for (byte[] h : new byte[][] {v2Tcp4(), v2Tcp6()}) {
            byte[] header = v2(0x21, h[13], Arrays.copyOfRange(h, 16, h.length), tlvs);
            Outcome o = exchange(concat(header, "USER x\r\n".getBytes(ISO_8859_1)));
            assertThat(o.header()).isInstanceOf(ProxyHeader.Proxied.class);
            assertThat(o.restText()).isEqualTo("USER x\r\n");
        }
    }

    @Test
    void v2LengthUpTo536IsReadAndBeyondIsRefusedBeforeItsBody() throws IOException {
        byte[] address = Arrays.copyOfRange(v2Tcp4(), 16, 28);
        byte[] max = v2(0x21, 0x11, address, tlv(0x04, new byte[536 - 16 - 12 - 3]));
        assertThat(max).hasSize(536);
        assertThat(exchange(concat(max, bytes('Z'))).restText()).isEqualTo("Z");
        byte[] over = v2(0x21, 0x11, address, tlv(0x04, new byte[536 - 16 - 12 - 2]));
        assertThat(exchange(Arrays.copyOf(over, 16)).error()).hasMessageContaining("longer than 536");
    }

    @Test
    void v2LocalIsLocalWhateverItsFamilyAndLength() throws IOException {
        for (byte[] h : new byte[][] {v2(0x20, 0x00), v2(0x20, 0x11, Arrays.copyOfRange(v2Tcp4(), 16, 28)),
                v2(0x20, 0xFF, new byte[7])}) {
            Outcome o = exchange(concat(h, bytes('Z')));
            assertThat(o.header()).isEqualTo(new ProxyHeader.Local());
            assertThat(o.restText()).isEqualTo("Z");
        }
    }

    @Test
    void v2ProxyOfAFamilyWeDoNotRelayIsLocal() throws IOException {
        byte[] v4 = Arrays.copyOfRange(v2Tcp4(), 16, 28), v6 = Arrays.copyOfRange(v2Tcp6(), 16, 52);
        byte[][] headers = {v2(0x21, 0x00), v2(0x21, 0x31, new byte[216]), v2(0x21, 0x32, new byte[216]),
            v2(0x21, 0x12, v4), v2(0x21, 0x22, v6), v2(0x21, 0x10, v4), v2(0x21, 0x01)};
        for (byte[] h : headers) {
            Outcome o = exchange(concat(h, bytes('Z')));
            assertThat(o.header()).as("family 0x%02x", h[13]).isEqualTo(new ProxyHeader.Local());
            assertThat(o.restText()).isEqualTo("Z");
        }
    }

    @Test
    void v2UnknownVersionCommandFamilyTransportOrShortAddressesAreRefused() throws IOException {
        byte[] v4 = Arrays.copyOfRange(v2Tcp4(), 16, 28);
        for (int verCmd : new int[] {0x11, 0x01, 0x31, 0xF1, 0x22, 0x2F}) {
            assertThat(exchange(v2(verCmd, 0x11, v4)).error()).as("ver_cmd 0x%02x", verCmd).isNotNull();
        }
        for (int fam : new int[] {0x41, 0xF1, 0x13, 0x1F, 0x03}) {
            assertThat(exchange(v2(0x21, fam, v4)).error()).as("fam 0x%02x", fam).hasMessageContaining("unknown");
        }
        assertThat(exchange(v2(0x21, 0x11, Arrays.copyOf(v4, 11))).error()).hasMessageContaining("too short");
        assertThat(exchange(v2(0x21, 0x21, new byte[35])).error()).hasMessageContaining("too short");
        assertThat(exchange(v2(0x21, 0x21, v4)).error()).hasMessageContaining("too short");
        for (int i = 1; i < 12; i++) {
            byte[] h = v2Tcp4();
            h[i] ^= 0x20;
            assertThat(exchange(h).error()).as("signature byte %d", i).hasMessageContaining("signature");
        }
    }

    // Every header, cut short at every length

    @Test
    void truncatedAtEveryLengthIsAnIoException() throws IOException {
        String[] v1 = {"PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n", "PROXY UNKNOWN\r\n",
            "PROXY TCP6 " + FFFF + " ::1 65535 65535\r\n"};
        var headers = new ArrayList<byte[]>();
        for (String l : v1) headers.add(l.getBytes(ISO_8859_1));
        headers.add(v2Tcp4());
        headers.add(v2Tcp6());
        headers.add(v2(0x20, 0x00));
        headers.add(v2(0x21, 0x11, Arrays.copyOfRange(v2Tcp4(), 16, 28), tlv(0x04, new byte[5])));
        headers.add(v2(0x21, 0x31, new byte[216]));
        for (byte[] h : headers) {
            assertThat(exchange(h).header()).isNotNull();
            for (int k = 0; k < h.length; k++) {
                Outcome o = exchange(Arrays.copyOf(h, k));
                assertThat(o.error()).as("%d of %d bytes", k, h.length).isInstanceOf(EOFException.class);
            }
        }
    }

    // Exactly the header's bytes, whatever follows in the same segment

    @Test
    void theCommandsAfterTheHeaderAreLeftOnTheStream() throws IOException {
        byte[] user = "USER x\r\n".getBytes(ISO_8859_1);
        for (byte[] h : new byte[][] {"PROXY TCP4 192.0.2.1 192.0.2.2 40000 21\r\n".getBytes(ISO_8859_1),
                "PROXY UNKNOWN\r\n".getBytes(ISO_8859_1), v2Tcp4(), v2Tcp6(), v2(0x20, 0x00)}) {
            try (Socket c = new Socket(server.getInetAddress(), server.getLocalPort()); Socket a = server.accept()) {
                c.getOutputStream().write(concat(h, user));                  // one write: one segment on loopback
                a.setSoTimeout(10_000);
                assertThat(ProxyHeader.read(a, Duration.ofSeconds(5))).isNotNull();
                assertThat(a.getInputStream().readNBytes(user.length)).isEqualTo(user);
                c.getOutputStream().write('Q');
                assertThat(a.getInputStream().read()).isEqualTo('Q');
            }
        }
    }

    @Test
    void clientIsTheRelayedSourceOrForLocalTheSocketsPeer() throws IOException {
        try (Socket c = new Socket(server.getInetAddress(), server.getLocalPort()); Socket a = server.accept()) {
            assertThat(proxied("192.0.2.1", 1, "192.0.2.2", 2).client(a))
                .isEqualTo(new InetSocketAddress("192.0.2.1", 1));
            assertThat(new ProxyHeader.Local().client(a)).isEqualTo(c.getLocalSocketAddress());
        }
    }

    // One deadline for the whole header

    @Test
    void halfAHeaderThenSilenceTimesOutAtTheDeadlineAndRestoresTheTimeout() throws Exception {
        for (byte[] half : new byte[][] {"PROXY TCP4 192.0".getBytes(ISO_8859_1), Arrays.copyOf(v2Tcp4(), 20)}) {
            try (Socket c = new Socket(server.getInetAddress(), server.getLocalPort()); Socket a = server.accept()) {
                c.getOutputStream().write(half);
                a.setSoTimeout(4321);
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> ProxyHeader.read(a, Duration.ofMillis(300)))
                    .isInstanceOf(SocketTimeoutException.class);
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertThat(ms).isBetween(250L, 3000L);
                assertThat(a.getSoTimeout()).isEqualTo(4321);
            }
        }
    }

    @Test
    void aSenderDribblingBytesOnAVirtualThreadGetsOneDeadlineNotOnePerRead() throws Exception {
        byte[] line = "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n".getBytes(ISO_8859_1);
        try (Socket c = new Socket(server.getInetAddress(), server.getLocalPort()); Socket a = server.accept()) {
            Thread dribbler = Thread.ofVirtual().start(() -> {
                try {
                    OutputStream out = c.getOutputStream();
                    for (byte b : line) {                                   // 56 bytes, 100 ms apart: 5.6 s in all
                        out.write(b);
                        Thread.sleep(100);
                    }
                } catch (IOException | InterruptedException e) {
                    // the reader gave up and the test closed the socket
                }
            });
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            long t0 = System.nanoTime();
            Thread reader = Thread.ofVirtual().start(() -> {
                try {
                    ProxyHeader.read(a, Duration.ofMillis(300));
                } catch (Throwable e) {
                    thrown.set(e);
                }
            });
            reader.join(Duration.ofSeconds(5));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(thrown.get()).isInstanceOf(SocketTimeoutException.class);
            assertThat(ms).isBetween(250L, 3000L);
            c.shutdownOutput();                                              // the dribbler's next write fails
            dribbler.interrupt();
            dribbler.join(Duration.ofSeconds(5));
        }
    }

    // Random bytes: only IOException, and never a byte past the header it accepted

    @Test
    void randomInputGivesAHeaderOrAnIoExceptionAndNeverReadsPastTheHeader() throws IOException {
        Random random = new Random(20240521);
        byte[][] seeds = {"PROXY TCP4 192.0.2.1 192.0.2.2 40000 21\r\n".getBytes(ISO_8859_1),
            ("PROXY TCP6 2001:db8::1 ::ffff:192.0.2.1 1 65535\r\n").getBytes(ISO_8859_1),
            "PROXY UNKNOWN\r\n".getBytes(ISO_8859_1), v2Tcp4(), v2Tcp6(), v2(0x20, 0x00),
            v2(0x21, 0x31, new byte[216])};
        byte[] alphabet = "PROXY TCP46UNKOW0123456789abcdef:.\r\n ".getBytes(ISO_8859_1);
        int accepted = 0, refused = 0;
        for (int i = 0; i < 3000; i++) {
            byte[] sent;
            switch (i % 4) {
                case 0 -> {                                                   // a header with a few bytes changed
                    sent = seeds[random.nextInt(seeds.length)].clone();
                    for (int k = random.nextInt(3); k >= 0; k--) {
                        sent[random.nextInt(sent.length)] = random.nextBoolean()
                            ? alphabet[random.nextInt(alphabet.length)] : (byte) random.nextInt(256);
                    }
                }
                case 1 -> {                                                   // v1-ish text
                    sent = new byte[6 + random.nextInt(120)];
                    for (int k = 0; k < sent.length; k++) sent[k] = alphabet[random.nextInt(alphabet.length)];
                    System.arraycopy("PROXY ".getBytes(ISO_8859_1), 0, sent, 0, 6);
                }
                case 2 -> {                                                   // a v2 signature, random fields
                    sent = new byte[16 + random.nextInt(600)];
                    random.nextBytes(sent);
                    System.arraycopy(SIG, 0, sent, 0, 12);
                    sent[12] = (byte) (random.nextInt(4) == 0 ? random.nextInt(256) : 0x20 | random.nextInt(2));
                    sent[14] = (byte) (random.nextInt(8) == 0 ? random.nextInt(256) : random.nextInt(3));
                }
                default -> {
                    sent = new byte[random.nextInt(700)];
                    random.nextBytes(sent);
                }
            }
            sent = concat(sent, "USER x\r\n".getBytes(ISO_8859_1));
            Outcome o = exchange(sent);                         // any exception but an IOException fails the test here
            if (o.error() != null) {
                refused++;
                continue;
            }
            accepted++;
            int headerLength = sent[0] == 'P' ? indexOfCrlf(sent) + 2
                : 16 + ((sent[14] & 0xFF) << 8 | sent[15] & 0xFF);
            assertThat(o.rest()).as("case %d", i).isEqualTo(Arrays.copyOfRange(sent, headerLength, sent.length));
        }
        assertThat(accepted).isGreaterThan(100);
        assertThat(refused).isGreaterThan(1000);
    }

    private static int indexOfCrlf(byte[] b) {
        for (int i = 0; i + 1 < b.length; i++) if (b[i] == '\r' && b[i + 1] == '\n') return i;
        return -1;
    }
}
