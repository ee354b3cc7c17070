package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.net.ftp.FTPClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the session answers itself: SYST NOOP ACCT ALLO MODE STRU TYPE HELP FEAT OPTS STAT EPSV ALL,
 * QUIT and BYE, and lines that are no command (500 501 502 504 522). Parsing alone is CommandTest;
 * the bytes of the control connection are ControlChannelTest.
 */
class SessionTest {
    @TempDir Path tmp;

    @Test
    void informationAndParameters() throws Exception {
        try (TestServer s = TestServer.start(tmp)) {
            FTPClient c = s.alice();
            assertThat(c.sendCommand("SYST")).isEqualTo(215);
            assertThat(c.sendCommand("NOOP")).isEqualTo(200);
            assertThat(c.sendCommand("ACCT x")).isEqualTo(202);
            assertThat(c.sendCommand("ALLO 10")).isEqualTo(202);
            assertThat(c.sendCommand("MODE S")).isEqualTo(200);
            assertThat(c.sendCommand("MODE B")).isEqualTo(504);
            assertThat(c.sendCommand("STRU F")).isEqualTo(200);
            assertThat(c.sendCommand("STRU R")).isEqualTo(504);
            assertThat(c.sendCommand("TYPE E")).isEqualTo(504);
            assertThat(c.sendCommand("TYPE L 8")).isEqualTo(200);
            assertThat(c.sendCommand("HELP")).isEqualTo(214);
            assertThat(c.getReplyString()).contains("RETR").contains("MLSD");
            assertThat(c.sendCommand("HELP RETR")).isEqualTo(214);
            assertThat(c.sendCommand("FEAT")).isEqualTo(211);
            for (String f : new String[] {" UTF8", " MLST type*;size*;modify*;perm*;unique*;", " SIZE", " MDTM",
                    " MFMT", " REST STREAM", " EPSV", " EPRT", " TVFS", " HOST"})
                assertThat(c.getReplyString()).contains(f + "\r\n");
            assertThat(c.getReplyString()).doesNotContain("AUTH");            // no certificate configured
            assertThat(c.sendCommand("OPTS UTF8 ON")).isEqualTo(200);
            assertThat(c.sendCommand("STAT")).isEqualTo(211);
            assertThat(c.getReplyString()).contains("alice");
            Files.writeString(s.home.resolve("f"), "x");
            assertThat(c.sendCommand("STAT /")).isEqualTo(212);              // RFC 959 §4.2: directory status
            assertThat(c.getReplyString()).contains(" f\r\n").startsWith("212-");
            assertThat(c.sendCommand("STAT f")).isEqualTo(213);              // file status
            assertThat(c.sendCommand("FOO")).isEqualTo(502);
            assertThat(c.sendCommand("EPSV ALL")).isEqualTo(200);
            assertThat(c.sendCommand("PASV")).isEqualTo(501);
            assertThat(c.sendCommand("PORT 127,0,0,1,200,10")).isEqualTo(501);
            assertThat(c.sendCommand("EPSV")).isEqualTo(229);
            c.disconnect();
        }
    }

    @Test
    void malformedAndUnknownCommands() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient r = s.raw().login("alice", "secret")) {
            assertThat(r.cmd("EPSV foo")).startsWith("501");
            // RFC 2428 §3: unknown network protocol
            assertThat(r.cmd("EPSV 3")).startsWith("522");
            assertThat(r.cmd("")).startsWith("500");
            assertThat(r.cmd("HELP FOO")).startsWith("504");
            // not a literal: never looked up as a name
            assertThat(r.cmd("EPRT |2|.:|5000|")).startsWith("501");
            // RFC 2228: no protected connection to clear
            assertThat(r.cmd("CCC")).startsWith("533");
            assertThat(r.cmd("NOOP")).startsWith("200");
        }
    }

    /** BYE, QUIT's alias in the verb table: 221, then the server closes the connection. */
    @Test
    void byeAnswers221AndCloses() throws Exception {
        try (TestServer s = TestServer.start(tmp); RawClient before = s.raw();
             RawClient after = s.raw().login("alice", "secret")) {
            assertThat(before.reply()).startsWith("220");
            assertThat(before.cmd("BYE")).startsWith("221");                  // before a login too
            assertThat(before.reply()).isNull();
            assertThat(after.cmd("bye")).startsWith("221");
            assertThat(after.reply()).isNull();
        }
    }
}
