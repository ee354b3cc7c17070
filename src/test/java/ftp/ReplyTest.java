package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What reaches a client or the log: replies on the wire (RFC 959 §4.2), the escaping of text from
 * clients and file names in replies (Reply.safe, Reply.quote) and in log lines (Log.escape), and
 * addresses in their RFC 5952 form (Log.address).
 */
class ReplyTest {
    static String wire(int code, String text) {
        return new String(Reply.of(code, text).bytes(), StandardCharsets.UTF_8);
    }

    // ---- Reply.Line.bytes ----

    @Test
    void aSingleLineIsCodeSpaceTextCrlf() {
        assertThat(wire(200, "NOOP ok.")).isEqualTo("200 NOOP ok.\r\n");
        assertThat(wire(257, "\"/é ✓\" created.")).isEqualTo("257 \"/é ✓\" created.\r\n");   // UTF-8 (RFC 2640)
        assertThat(Reply.of(257, "é").bytes()).hasSize(8);
    }

    @Test
    void aMultiLineReplyHasTheCodeOnItsFirstAndLastLine() {
        assertThat(wire(211, "Features:\n UTF8\n SIZE\nEnd."))
            .isEqualTo("211-Features:\r\n UTF8\r\n SIZE\r\n211 End.\r\n");
        assertThat(wire(214, "first\nlast")).isEqualTo("214-first\r\n214 last\r\n");
        // an empty middle line stays empty
        assertThat(wire(211, "first\n\nlast")).isEqualTo("211-first\r\n\r\n211 last\r\n");
    }

    /** A middle line "226 fake" would end the reply for a client: it gets one space in front. */
    @Test
    void aMiddleLineStartingWithADigitIsIndented() {
        assertThat(wire(212, "Status of /:\n226 fake\n2019 file\n a\nEnd of status."))
            .isEqualTo("212-Status of /:\r\n 226 fake\r\n 2019 file\r\n a\r\n212 End of status.\r\n");
    }

    @Test
    void controlCharactersInsideALineNeverSplitIt() {
        assertThat(wire(550, "a\rb")).isEqualTo("550 a?b\r\n");
        assertThat(wire(211, "x\nmid\r226 fake\ny")).isEqualTo("211-x\r\nmid?226 fake\r\n211 y\r\n");
    }

    // ---- Reply.safe and Reply.quote ----

    @Test
    void safeReplacesC0DelAndC1() {
        // C0, ESC of a terminal sequence
        assertThat(Reply.safe("a\u0000b\tc\rd\ne\u001b[31m")).isEqualTo("a?b?c?d?e?[31m");
        assertThat(Reply.safe("del\u007f")).isEqualTo("del?");
        assertThat(Reply.safe("n\u0085l")).isEqualTo("n?l");                                 // NEL: a line end to some
        assertThat(Reply.safe("c\u009bi")).isEqualTo("c?i");                                 // CSI
        assertThat(Reply.safe("\u0080\u009f")).isEqualTo("??");                              // both ends of C1
    }

    @Test
    void safeKeepsPrintableTextAsItIs() {
        String s = "héllo wörld ✓ \u00a0 ~";                                                  // U+00A0 is past C1
        assertThat(Reply.safe(s)).isSameAs(s);
        assertThat(Reply.safe("")).isEmpty();
    }

    @Test
    void quoteDoublesQuotes() {
        assertThat(Reply.quote("/a\"b")).isEqualTo("\"/a\"\"b\"");                           // RFC 959 §4.2 (257)
        assertThat(Reply.quote("/\"\"")).isEqualTo("\"/\"\"\"\"\"");
        assertThat(Reply.quote("/plain")).isEqualTo("\"/plain\"");
        assertThat(Reply.quote("/x\r\ny")).isEqualTo("\"/x??y\"");
    }

    // ---- Log.escape and Log.address ----

    @Test
    void logEscapeShowsControlCharactersAsHex() {
        assertThat(Log.escape("a\rb\nc")).isEqualTo("a\\x0db\\x0ac");
        assertThat(Log.escape("\u0000\u001b\u007f\u0085\u009b")).isEqualTo("\\x00\\x1b\\x7f\\x85\\x9b");
        String clean = "user 'alice' é ✓";
        assertThat(Log.escape(clean)).isSameAs(clean);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "::1, ::1",
        "0:0:0:0:0:0:0:1, ::1",
        "2001:db8::1, 2001:db8::1",
        "2001:0db8:0000:0000:0000:0000:0000:0001, 2001:db8::1",     // §4.1: no leading zeros
        "2001:DB8::ABCD, 2001:db8::abcd",                            // §4.3: lower case
        "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",                   // §4.2.3: the first of equal runs
        "2001:0:0:1:0:0:0:1, 2001:0:0:1::1",                         // §4.2.3: the longest run
        "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",                // §4.2.2: a single 0 group stays
        "0:0:0:0:0:0:0:0, ::",
        "2001:db8:0:0:0:0:0:0, 2001:db8::",
        "203.0.113.9, 203.0.113.9",
        "127.0.0.1, 127.0.0.1"})
    void logAddressIsRfc5952(String literal, String expected) throws Exception {
        assertThat(Addresses.text(InetAddress.getByName(literal))).isEqualTo(expected);
    }
}
