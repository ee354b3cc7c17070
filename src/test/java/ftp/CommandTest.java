package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import ftp.Command.*;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Command.parse as a table: every verb, its aliases and its malformed forms; the facts on the
 * types; and the verb table (Command.VERBS), which gives parse, HELP and FEAT their entries.
 */
class CommandTest {
    static Command p(String line) { return Command.parse(line); }

    /** Every record of the sealed Command type, found by walking the permitted subclasses. */
    static List<Class<?>> records() { return records(Command.class).distinct().toList(); }

    private static Stream<Class<?>> records(Class<?> c) {
        if (c.isRecord()) return Stream.of(c);
        Class<?>[] sub = c.getPermittedSubclasses();
        return sub == null ? Stream.empty() : Stream.of(sub).flatMap(CommandTest::records);
    }

    /** At least one line for every verb and alias of the table, and one for every record a verb makes. */
    static final List<String> SAMPLES = """
        USER bob
        PASS secret
        ACCT info
        REIN
        QUIT
        BYE
        HOST ftp.example.com
        AUTH TLS
        PBSZ 0
        PROT P
        CCC
        CWD dir
        XCWD dir
        CDUP
        XCUP
        PWD
        XPWD
        MKD dir
        XMKD dir
        RMD dir
        XRMD dir
        DELE f
        RNFR f
        RNTO g
        SIZE f
        MDTM f
        MFMT 20200102030405 f
        SITE HELP
        SITE CHMOD 644 f
        TYPE I
        MODE S
        STRU F
        ALLO 100
        REST 100
        PASV
        EPSV
        PORT 127,0,0,1,4,1
        EPRT |1|127.0.0.1|1025|
        RETR f
        STOR f
        APPE f
        STOU
        LIST
        NLST
        MLSD
        MLST f
        ABOR
        NOOP
        SYST
        STAT
        STAT /
        HELP RETR
        FEAT
        OPTS UTF8 ON
        OPTS MLST type;size;
        """.lines().toList();

    @Test
    void everyVerbParsesToItsRecord() {
        assertThat(p("USER bob")).isEqualTo(new User("bob"));
        assertThat(p("user bob")).isEqualTo(new User("bob"));
        assertThat(p("PASS s3 cret")).isEqualTo(new Pass("s3 cret"));
        assertThat(p("PASS")).isEqualTo(new Pass(""));
        assertThat(p("PASS x").toString()).doesNotContain("x]").contains("***");
        assertThat(p("ACCT a")).isEqualTo(new Acct("a"));
        assertThat(p("REIN")).isEqualTo(new Rein());
        assertThat(p("QUIT")).isEqualTo(new Quit());
        assertThat(p("HOST ftp.example.com")).isEqualTo(new Host("ftp.example.com"));
        assertThat(p("AUTH tls")).isEqualTo(new Auth("TLS"));
        assertThat(p("PBSZ 0")).isEqualTo(new Pbsz(0));
        assertThat(p("PROT p")).isEqualTo(new Prot('P'));
        assertThat(p("PROT C")).isEqualTo(new Prot('C'));
        assertThat(p("CCC")).isEqualTo(new Ccc());
        assertThat(p("CWD a b")).isEqualTo(new Cwd("a b"));
        assertThat(p("XCWD a")).isEqualTo(new Cwd("a"));
        assertThat(p("CDUP")).isEqualTo(new Cdup());
        assertThat(p("XCUP")).isEqualTo(new Cdup());
        assertThat(p("PWD")).isEqualTo(new Pwd());
        assertThat(p("XPWD")).isEqualTo(new Pwd());
        assertThat(p("MKD d")).isEqualTo(new Mkd("d"));
        assertThat(p("XMKD d")).isEqualTo(new Mkd("d"));
        assertThat(p("RMD d")).isEqualTo(new Rmd("d"));
        assertThat(p("XRMD d")).isEqualTo(new Rmd("d"));
        assertThat(p("DELE f")).isEqualTo(new Dele("f"));
        assertThat(p("RNFR f")).isEqualTo(new Rnfr("f"));
        assertThat(p("RNTO g")).isEqualTo(new Rnto("g"));
        assertThat(p("SIZE f")).isEqualTo(new Size("f"));
        assertThat(p("MDTM f")).isEqualTo(new Mdtm("f"));
        assertThat(p("MFMT 20200102030405 my file"))
            .isEqualTo(new Mfmt(Instant.parse("2020-01-02T03:04:05Z"), "my file"));
        assertThat(p("MFMT 20200102030405.5 f")).isEqualTo(new Mfmt(Instant.parse("2020-01-02T03:04:05.500Z"), "f"));
        assertThat(p("SITE CHMOD 755 f")).isEqualTo(new SiteChmod(0755, "f"));
        assertThat(p("SITE help")).isEqualTo(new SiteHelp());
        assertThat(p("TYPE A")).isEqualTo(new Type(true));
        assertThat(p("TYPE A N")).isEqualTo(new Type(true));
        assertThat(p("TYPE I")).isEqualTo(new Type(false));
        assertThat(p("TYPE L 8")).isEqualTo(new Type(false));
        assertThat(p("MODE S")).isEqualTo(new Mode());
        assertThat(p("STRU F")).isEqualTo(new Stru());
        assertThat(p("ALLO 100")).isEqualTo(new Allo());
        assertThat(p("REST 12345")).isEqualTo(new Rest(12345));
        assertThat(p("PASV")).isEqualTo(new Pasv());
        assertThat(p("EPSV")).isEqualTo(new Epsv(0, false));
        assertThat(p("EPSV 2")).isEqualTo(new Epsv(2, false));
        assertThat(p("EPSV ALL")).isEqualTo(new Epsv(0, true));
        assertThat(p("PORT 127,0,0,1,4,1")).isEqualTo(new Port(new InetSocketAddress("127.0.0.1", 1025), false));
        assertThat(p("EPRT |1|127.0.0.1|1025|")).isEqualTo(new Port(new InetSocketAddress("127.0.0.1", 1025), true));
        assertThat(p("EPRT !2!::1!2000!")).isEqualTo(new Port(new InetSocketAddress("::1", 2000), true));
        assertThat(p("RETR f")).isEqualTo(new Retr("f"));
        assertThat(p("STOR f")).isEqualTo(new Stor("f", false));
        assertThat(p("APPE f")).isEqualTo(new Stor("f", true));
        assertThat(p("STOU")).isEqualTo(new Stou());
        assertThat(p("LIST")).isEqualTo(new ListDir(null));
        assertThat(p("LIST -la")).isEqualTo(new ListDir(null));
        assertThat(p("LIST -la sub dir")).isEqualTo(new ListDir("sub dir"));
        assertThat(p("NLST -R x")).isEqualTo(new Nlst("x"));
        assertThat(p("MLSD")).isEqualTo(new Mlsd(null));
        assertThat(p("MLST f")).isEqualTo(new Mlst("f"));
        assertThat(p("ABOR")).isEqualTo(new Abor());
        assertThat(p("NOOP")).isEqualTo(new Noop());
        assertThat(p("SYST")).isEqualTo(new Syst());
        assertThat(p("STAT")).isEqualTo(new Stat());
        assertThat(p("STAT /")).isEqualTo(new StatPath("/"));
        assertThat(p("STAT -la")).isEqualTo(new Stat());
        assertThat(p("BYE")).isEqualTo(new Quit());
        assertThat(p("HELP")).isEqualTo(new Help(null));
        assertThat(p("HELP retr")).isEqualTo(new Help("RETR"));
        assertThat(p("FEAT")).isEqualTo(new Feat());
        assertThat(p("OPTS UTF8 ON")).isEqualTo(new OptsUtf8(true));
        assertThat(p("OPTS UTF-8 OFF")).isEqualTo(new OptsUtf8(false));
        assertThat(p("OPTS MLST type;Size;")).isEqualTo(new OptsMlst(List.of("type", "size")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"USER", "CWD", "MKD", "RMD", "DELE", "RNFR", "RNTO", "SIZE", "MDTM", "RETR", "STOR", "APPE",
        "HOST", "AUTH", "PBSZ", "PROT", "TYPE", "MODE", "STRU", "REST", "PORT", "EPRT", "SITE", "OPTS", "MFMT",
        "REST -1", "REST 1e5", "REST 99999999999999999999", "PBSZ x", "TYPE X", "MODE X", "STRU X", "PROT X",
        "PORT 1,2,3,4,5", "PORT 1,2,3,4,5,6,7", "PORT 127,0,0,1,105,110,", "PORT 127,0,0,1,105,110,,,,,,,,,,,,",
        "PORT 300,0,0,1,1,1", "PORT a,b,c,d,e,f", "PORT 1,2,3,4,5,256",
        "EPRT |1|127.0.0.1|", "EPRT |1|300.0.0.1|21|", "EPRT |1|127.0.0.1|99999|", "EPRT |1|localhost|2000|",
        "EPRT x", "EPRT |2|not-v6|2000|", "MFMT 2020 f", "MFMT 20201340000000 f", "MFMT 20200102030405",
        "SITE CHMOD 999 f", "SITE CHMOD 755", "OPTS UTF8 MAYBE", "OPTS FOO", "RETR a\0b", "STOR a\rb"})
    void malformedArgumentsAreMalformed(String line) {
        assertThat(p(line)).isInstanceOf(Malformed.class);
    }

    @ParameterizedTest
    @CsvSource({"TYPE E,504", "TYPE A T,504", "MODE B,504", "STRU R,504", "PROT S,536", "EPSV 3,522",
        "EPRT |3|x|1|,522"})
    void unsupportedParametersAreRefused(String line, int code) {
        assertThat(p(line)).isInstanceOfSatisfying(Refused.class, r -> assertThat(r.code()).isEqualTo(code));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "FOO", "XYZZY bar", "R3TR x", "ÄBC", "TOOLONGVERB x", "SITE EXEC rm -rf /",
        "\u0001\u0002"})
    void unknownVerbsAreUnknown(String line) {
        assertThat(p(line)).isInstanceOf(Unknown.class);
    }

    @Test
    void factsLiveOnTheTypes() {
        for (String l : new String[] {"USER a", "PASS a", "QUIT", "NOOP", "FEAT", "HELP", "SYST", "AUTH TLS", "HOST h",
                "OPTS UTF8 ON"})
            assertThat(p(l).needsLogin()).as(l).isFalse();
        for (String l : new String[] {"PWD", "CWD x", "RETR x", "LIST", "STAT", "SIZE x", "PASV", "PORT 1,2,3,4,5,6"})
            assertThat(p(l).needsLogin()).as(l).isTrue();
        for (String l : new String[] {"STOR x", "APPE x", "STOU", "DELE x", "MKD x", "RMD x", "RNFR x", "RNTO x",
                "MFMT 20200101000000 x", "SITE CHMOD 644 x"})
            assertThat(p(l)).as(l).isInstanceOf(Write.class);
        for (String l : new String[] {"RETR x", "STOR x", "STOU", "LIST", "NLST", "MLSD"})
            assertThat(p(l)).as(l).isInstanceOf(Data.class);
        for (String l : new String[] {"ABOR", "STAT", "NOOP", "QUIT"})
            assertThat(p(l)).as(l).isInstanceOf(Urgent.class);
        assertThat(p("RETR x")).isNotInstanceOf(Write.class);
        assertThat(p("MLST x")).isNotInstanceOf(Data.class);
    }

    // ---- the verb table ----

    @Test
    void everyVerbOfTheTableParsesToARecord() {
        Set<String> sampled = new TreeSet<>();
        for (String line : SAMPLES) {
            Command c = p(line);
            assertThat(c).as(line).isNotInstanceOfAny(Unknown.class, Malformed.class, Refused.class);
            assertThat(c.getClass().isRecord()).as(line).isTrue();
            sampled.add(line.split(" ")[0]);
        }
        assertThat(sampled).as("verbs with a sample line").isEqualTo(new TreeSet<>(Command.BY_NAME.keySet()));
        assertThat(Command.BY_NAME).as("no name twice in the table").hasSameSizeAs(Command.VERBS);
    }

    @Test
    void everyRecordOfTheSealedTypeIsMadeBySomeLine() {
        Set<Class<?>> made = new HashSet<>();
        for (String line : SAMPLES) made.add(p(line).getClass());
        // the records of lines that are no command: an unknown verb, a bad argument, an unsupported parameter
        assertThat(p("XYZZY")).isInstanceOf(Unknown.class);
        assertThat(p("RETR")).isInstanceOf(Malformed.class);
        assertThat(p("TYPE E")).isInstanceOf(Refused.class);
        made.addAll(List.of(Unknown.class, Malformed.class, Refused.class));
        assertThat(records()).hasSizeGreaterThan(45);
        assertThat(made).containsExactlyInAnyOrderElementsOf(records());
    }

    @Test
    void everyVerbHasHelpSyntax() {
        Set<String> listed = Set.of(((Reply.Line) Command.help(null)).text().split("\\s+"));
        for (Verb v : Command.VERBS) {
            assertThat(v.syntax()).as(v.name()).matches(v.name() + "( .+)?");
            assertThat(p("HELP " + v.name().toLowerCase(Locale.ROOT))).isEqualTo(new Help(v.name()));
            assertThat(Command.help(v.name())).as(v.name()).isEqualTo(Reply.of(214, "Syntax: " + v.syntax()));
            assertThat(listed).as("HELP without a verb").contains(v.name());
        }
        assertThat(Command.help(null))
            .isInstanceOfSatisfying(Reply.Line.class, l -> assertThat(l.code()).isEqualTo(214));
        assertThat(Command.help("XYZZY"))
            .isInstanceOfSatisfying(Reply.Line.class, l -> assertThat(l.code()).isEqualTo(504));
    }

    /** RFC 2389 §3: one feature a line, in the table's order; MLST with its facts, the selected ones starred. */
    @Test
    void featLinesComeFromTheTable() {
        List<String> all = featureLines(o -> true, Set.copyOf(Listing.FACTS));
        assertThat(all).isEqualTo(Command.VERBS.stream().filter(v -> v.feature() != null).map(Verb::feature).toList());
        assertThat(((Reply.Line) Command.features(o -> true, Set.copyOf(Listing.FACTS))).text())
            .startsWith("Features:\n").endsWith("\nEnd.").contains("\n MLST type*;size*;modify*;perm*;unique*;\n");
        List<String> always = featureLines(o -> o == Offered.ALWAYS, Set.of("size"));
        assertThat(always)
            .isEqualTo(Command.VERBS.stream().filter(v -> v.offered() == Offered.ALWAYS).map(Verb::feature).toList())
            .doesNotContain("AUTH TLS", "PBSZ", "PROT", "UTF8");
        assertThat(((Reply.Line) Command.features(o -> o == Offered.ALWAYS, Set.of("size"))).text())
            .contains("\n MLST type;size*;modify;perm;unique;\n");
    }

    /** The features of a FEAT reply, MLST without its facts. */
    private static List<String> featureLines(Predicate<Offered> offered, Set<String> facts) {
        List<String> lines = ((Reply.Line) Command.features(offered, facts)).text().lines().toList();
        assertThat(lines.get(0)).isEqualTo("Features:");
        assertThat(lines.get(lines.size() - 1)).isEqualTo("End.");
        return lines.subList(1, lines.size() - 1).stream()
            .map(l -> l.startsWith(" MLST ") ? "MLST" : l.substring(1)).toList();
    }

    @Test
    void byeIsQuit() {
        assertThat(p("BYE")).isEqualTo(p("QUIT")).isEqualTo(new Quit());
        assertThat(p("bye")).isEqualTo(new Quit());
        assertThat(p("BYE")).isInstanceOf(PreLogin.class).isInstanceOf(Urgent.class);
    }
}
