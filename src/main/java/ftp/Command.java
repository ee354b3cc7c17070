package ftp;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * One client line, parsed and validated once into a record; nothing after this parses text. The
 * facts about a verb live on its type: {@link PreLogin} (allowed before login), {@link Credentials}
 * (USER and PASS: refused in clear text when TLS is required), {@link Write} (needs the write
 * right), {@link Data} (opens a data connection, runs on a transfer thread), {@link Urgent}
 * (answered while a transfer runs), {@link Param} (sets up the next transfer: a pending REST
 * survives it), {@link NotOnHome} (never on the home itself). The rest live in one table,
 * {@link #VERBS}: every name and alias, its HELP syntax, its FEAT line and its parser.
 */
sealed interface Command {
    default boolean needsLogin() { return !(this instanceof PreLogin); }

    sealed interface PreLogin extends Command {}
    sealed interface Credentials extends PreLogin {}                  // refused in clear when TLS is required
    sealed interface Write extends Command {}
    sealed interface Data extends Command {}
    sealed interface Urgent extends Command {}
    sealed interface Param extends Command {}                         // RFC 959 §4.1.2 transfer parameters
    /** Nobody removes, renames or changes the root of their own jail. */
    sealed interface NotOnHome extends Command { String path(); }

    // Access control (RFC 959 §4.1.1)
    record User(String name) implements Credentials {}
    record Pass(String password) implements Credentials {
        @Override public String toString() { return "Pass[***]"; }   // never log a password
    }
    record Acct(String info) implements PreLogin {}
    record Rein() implements PreLogin {}
    record Quit() implements PreLogin, Urgent {}
    record Host(String name) implements PreLogin {}                    // RFC 7151
    // Security (RFC 4217)
    record Auth(String mechanism) implements PreLogin {}
    record Pbsz(long size) implements PreLogin, Param {}
    record Prot(char level) implements PreLogin, Param {}
    record Ccc() implements PreLogin {}
    // Directories and files
    record Cwd(String path) implements Command {}
    record Cdup() implements Command {}
    record Pwd() implements Command {}
    record Mkd(String path) implements Write {}
    record Rmd(String path) implements Write, NotOnHome {}
    record Dele(String path) implements Write, NotOnHome {}
    record Rnfr(String path) implements Write, NotOnHome {}
    record Rnto(String path) implements Write, NotOnHome {}
    record Size(String path) implements Command {}                      // RFC 3659 §4
    record Mdtm(String path) implements Command {}                      // RFC 3659 §3
    record Mfmt(Instant time, String path) implements Write, NotOnHome {}   // draft-somers-ftp-mfxx
    record SiteChmod(int mode, String path) implements Write, NotOnHome {}
    record SiteHelp() implements Command {}
    // Transfer parameters
    record Type(boolean ascii) implements Param {}
    record Mode() implements Param {}                                   // S only
    record Stru() implements Param {}                                   // F only
    record Allo() implements Param {}
    record Rest(long offset) implements Param {}                        // RFC 3659 §5
    record Pasv() implements Param {}
    record Epsv(int family, boolean all) implements Param {}            // RFC 2428 §3; family 0 = any
    record Port(InetSocketAddress target, boolean extended) implements Param {} // PORT, EPRT
    // Data transfers and listings
    record Retr(String path) implements Data {}
    record Stor(String path, boolean append) implements Data, Write {}  // STOR, APPE
    record Stou() implements Data, Write {}
    record ListDir(String path) implements Data {}                      // LIST
    record Nlst(String path) implements Data {}
    record Mlsd(String path) implements Data {}                         // RFC 3659 §7
    record Mlst(String path) implements Command {}
    record Abor() implements Urgent {}
    // Information
    record Noop() implements PreLogin, Urgent {}
    record Syst() implements PreLogin {}
    record Stat() implements Urgent {}                                  // the session's status, also mid-transfer
    record StatPath(String path) implements Command {}                  // a listing over the control connection
    record Help(String verb) implements PreLogin {}
    record Feat() implements PreLogin {}                                // RFC 2389
    record OptsUtf8(boolean on) implements PreLogin {}                  // RFC 2640
    record OptsMlst(List<String> facts) implements PreLogin {}          // RFC 3659 §7.9
    // Lines that are not commands
    record Unknown(String verb) implements PreLogin {}                  // 502
    record Malformed(String verb, String why) implements PreLogin {}    // 501
    record Refused(int code, String why) implements PreLogin {}         // a known verb, an unsupported parameter

    /** When FEAT (RFC 2389) lists a verb's feature: always, or only where the server offers it. */
    enum Offered { ALWAYS, WITH_TLS, WITH_EXPLICIT_TLS, WITH_UTF8_NAMES }

    /** One name a client may send: its HELP syntax (the name first), its FEAT line (or null), its parser. */
    record Verb(String syntax, String feature, Offered offered, Function<String, Command> parser) {
        String name() { return syntax.split(" ")[0]; }
    }

    /** Every verb and alias, in HELP order. */
    List<Verb> VERBS = List.of(
        verb("USER name", a -> new User(need(a))),
        verb("PASS password", Pass::new),                                   // an empty password is legal
        verb("ACCT info", Acct::new),
        verb("REIN", a -> new Rein()),
        verb("QUIT", a -> new Quit()),
        verb("BYE", a -> new Quit()),                                       // ftp.py's alias
        verb("HOST name", "HOST", Offered.ALWAYS, a -> new Host(need(a))),
        verb("AUTH TLS", "AUTH TLS", Offered.WITH_EXPLICIT_TLS, a -> new Auth(upper(need(a)))),
        verb("PBSZ 0", "PBSZ", Offered.WITH_TLS, a -> new Pbsz(number(a))),
        verb("PROT C|P", "PROT", Offered.WITH_TLS, Command::prot),
        verb("CCC", a -> new Ccc()),
        verb("CWD path", "TVFS", Offered.ALWAYS, a -> new Cwd(need(a))),  // RFC 3659 §6: '/'-separated paths
        verb("XCWD path", a -> new Cwd(need(a))),
        verb("CDUP", a -> new Cdup()),
        verb("XCUP", a -> new Cdup()),
        verb("PWD", a -> new Pwd()),
        verb("XPWD", a -> new Pwd()),
        verb("MKD path", a -> new Mkd(need(a))),
        verb("XMKD path", a -> new Mkd(need(a))),
        verb("RMD path", a -> new Rmd(need(a))),
        verb("XRMD path", a -> new Rmd(need(a))),
        verb("DELE path", a -> new Dele(need(a))),
        verb("RNFR path", a -> new Rnfr(need(a))),
        verb("RNTO path", a -> new Rnto(need(a))),
        verb("SIZE path", "SIZE", Offered.ALWAYS, a -> new Size(need(a))),
        verb("MDTM path", "MDTM", Offered.ALWAYS, a -> new Mdtm(need(a))),
        verb("MFMT YYYYMMDDHHMMSS path", "MFMT", Offered.ALWAYS, Command::mfmt),
        verb("SITE HELP|CHMOD mode path", Command::site),
        verb("TYPE A|I|L 8", Command::type),
        verb("MODE S", a -> choice(a, "S", new Mode(), "BC", "MODE S, B or C")),
        verb("STRU F", a -> choice(a, "F", new Stru(), "RP", "STRU F, R or P")),
        verb("ALLO size", a -> new Allo()),
        verb("REST offset", "REST STREAM", Offered.ALWAYS, a -> new Rest(number(a))),
        verb("PASV", a -> new Pasv()),
        verb("EPSV [1|2|ALL]", "EPSV", Offered.ALWAYS, a -> epsv(a.trim())),
        verb("PORT h1,h2,h3,h4,p1,p2", a -> new Port(port(need(a)), false)),
        verb("EPRT |proto|addr|port|", "EPRT", Offered.ALWAYS, a -> eprt(need(a))),
        verb("RETR path", a -> new Retr(need(a))),
        verb("STOR path", a -> new Stor(need(a), false)),
        verb("APPE path", a -> new Stor(need(a), true)),
        verb("STOU", a -> new Stou()),
        verb("LIST [path]", a -> new ListDir(withoutOptions(a))),
        verb("NLST [path]", a -> new Nlst(withoutOptions(a))),
        verb("MLSD [path]", a -> new Mlsd(optional(a))),
        verb("MLST [path]", "MLST", Offered.ALWAYS, a -> new Mlst(optional(a))),   // FEAT adds the facts
        verb("ABOR", a -> new Abor()),
        verb("NOOP", a -> new Noop()),
        verb("SYST", a -> new Syst()),
        verb("STAT [path]", a -> withoutOptions(a) instanceof String p ? new StatPath(p) : new Stat()),  // "-a dir"
        verb("HELP [verb]", a -> new Help(a.isBlank() ? null : upper(a))),
        verb("FEAT", a -> new Feat()),
        verb("OPTS UTF8 ON|OFF / MLST facts", "UTF8", Offered.WITH_UTF8_NAMES, a -> opts(need(a).trim())));

    /** The verbs by name, aliases included. */
    Map<String, Verb> BY_NAME = VERBS.stream().collect(Collectors.toUnmodifiableMap(Verb::name, v -> v));

    private static Verb verb(String syntax, Function<String, Command> parser) {
        return new Verb(syntax, null, null, parser);
    }

    private static Verb verb(String syntax, String feature, Offered offered, Function<String, Command> parser) {
        return new Verb(syntax, feature, offered, parser);
    }

    /** HELP (RFC 959 §4.1.3): every name the server knows, or one verb's syntax. */
    static Reply help(String verb) {
        if (verb == null) {
            StringBuilder b = new StringBuilder("The following commands are recognized:");
            for (int i = 0; i < VERBS.size(); i++)
                b.append(i % 10 == 0 ? "\n " : " ").append(String.format(Locale.ROOT, "%-5s", VERBS.get(i).name()));
            return Reply.of(214, b.append("\nHelp OK.").toString());
        }
        Verb v = BY_NAME.get(verb);
        return v == null ? Reply.of(504, "Unknown command " + verb + ".") : Reply.of(214, "Syntax: " + v.syntax());
    }

    /**
     * FEAT (RFC 2389 §3): the features on offer, one per line; MLST lists its facts, the selected
     * ones starred (RFC 3659 §7.8).
     */
    static Reply features(Predicate<Offered> offered, Set<String> facts) {
        StringBuilder b = new StringBuilder("Features:");
        for (Verb v : VERBS) {
            if (v.feature() == null || !offered.test(v.offered())) continue;
            b.append("\n ").append(v.feature());
            if (v.feature().equals("MLST"))
                b.append(' ').append(Listing.FACTS.stream().map(f -> f + (facts.contains(f) ? "*;" : ";"))
                    .collect(Collectors.joining()));
        }
        return Reply.of(211, b.append("\nEnd.").toString());
    }

    static Command parse(String line) {
        int sp = line.indexOf(' ');
        String verb = (sp < 0 ? line : line.substring(0, sp)).toUpperCase(Locale.ROOT);
        String arg = sp < 0 ? "" : line.substring(sp + 1);
        if (verb.isEmpty() || verb.length() > 8 || !verb.chars().allMatch(c -> c >= 'A' && c <= 'Z'))
            return new Unknown(verb.length() > 20 ? verb.substring(0, 20) : verb);
        if (arg.indexOf('\0') >= 0 || arg.indexOf('\r') >= 0)
            return new Malformed(verb, "NUL or CR in argument");
        Verb v = BY_NAME.get(verb);
        if (v == null) return new Unknown(verb);
        try {
            return v.parser().apply(arg);
        } catch (IllegalArgumentException e) {
            return new Malformed(verb, e.getMessage());
        }
    }

    private static String need(String arg) {
        if (arg.isEmpty()) throw new IllegalArgumentException("needs an argument");
        return arg;
    }

    private static String optional(String arg) { return arg.isEmpty() ? null : arg; }

    private static long number(String arg) {
        String s = need(arg).trim();
        if (s.isEmpty() || s.length() > 18 || !s.chars().allMatch(Character::isDigit))
            throw new IllegalArgumentException("a non-negative number");
        return Long.parseLong(s);
    }

    /** LIST/NLST: leading "-al"-style options are ignored (no -R, no globbing, ever). */
    private static String withoutOptions(String arg) {
        String s = arg;
        while (s.startsWith("-")) {
            int sp = s.indexOf(' ');
            s = sp < 0 ? "" : s.substring(sp + 1).stripLeading();
        }
        return s.isEmpty() ? null : s;
    }

    private static String upper(String s) { return s.trim().toUpperCase(Locale.ROOT); }

    /** MODE and STRU: the one supported letter, 504 for the other known ones, else malformed. */
    private static Command choice(String arg, String ok, Command yes, String others, String syntax) {
        String s = upper(need(arg));
        if (s.equals(ok)) return yes;
        if (s.length() == 1 && others.contains(s))
            return new Refused(504, "Only " + syntax.substring(0, 6) + " is supported.");
        throw new IllegalArgumentException(syntax);
    }

    private static Command prot(String arg) {
        return switch (upper(need(arg))) {
            case "C" -> new Prot('C');
            case "P" -> new Prot('P');
            case "S", "E" -> new Refused(536, "Only PROT C and P are supported.");
            default -> throw new IllegalArgumentException("PROT C or P");
        };
    }

    private static Command type(String arg) {
        String[] p = need(arg).trim().toUpperCase(Locale.ROOT).split(" +");
        return switch (p[0]) {
            case "I" -> new Type(false);
            case "L" -> p.length == 2 && p[1].equals("8") ? new Type(false)
                                                            : new Refused(504, "Only TYPE L 8 is supported.");
            case "A" -> p.length == 1 || p[1].equals("N") ? new Type(true)
                                                            : new Refused(504, "Only TYPE A N is supported.");
            case "E" -> new Refused(504, "TYPE E is not supported.");
            default -> throw new IllegalArgumentException("TYPE A or I");
        };
    }

    private static Command mfmt(String arg) {
        String[] p = need(arg).split(" ", 2);
        if (p.length < 2 || p[1].isEmpty()) throw new IllegalArgumentException("MFMT time path");
        return new Mfmt(time(p[0]), p[1]);
    }

    /** RFC 3659 §2.3 time-val: YYYYMMDDHHMMSS[.sss], always UTC. */
    static Instant time(String s) {
        if (!s.matches("[0-9]{14}(\\.[0-9]{1,3})?")) throw new IllegalArgumentException("time must be YYYYMMDDHHMMSS");
        try {
            String whole = s.contains(".") ? s.substring(0, s.indexOf('.')) : s;
            Instant t = LocalDateTime.parse(whole, DateTimeFormatter.ofPattern("uuuuMMddHHmmss")
                .withResolverStyle(ResolverStyle.STRICT)).toInstant(ZoneOffset.UTC);          // strict: no 30 February
            if (s.contains(".")) {
                String frac = s.substring(s.indexOf('.') + 1);
                t = t.plusMillis(Long.parseLong((frac + "00").substring(0, 3)));
            }
            return t;
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("time must be YYYYMMDDHHMMSS");
        }
    }

    private static Command site(String arg) {
        String[] p = need(arg).split(" ", 3);
        String sub = p[0].toUpperCase(Locale.ROOT);
        return switch (sub) {
            case "HELP" -> new SiteHelp();
            case "CHMOD" -> {
                if (p.length < 3 || !p[1].matches("[0-7]{1,4}") || p[2].isEmpty())
                    throw new IllegalArgumentException("SITE CHMOD mode path");
                yield new SiteChmod(Integer.parseInt(p[1], 8), p[2]);
            }
            default -> new Unknown("SITE " + (sub.length() > 20 ? sub.substring(0, 20) : sub));
        };
    }

    private static Command opts(String arg) {
        String[] p = arg.split(" +", 2);
        String name = p[0].toUpperCase(Locale.ROOT);
        String value = p.length > 1 ? p[1].trim() : "";
        if (name.equals("UTF8") || name.equals("UTF-8")) {
            return switch (value.toUpperCase(Locale.ROOT)) {
                case "ON", "" -> new OptsUtf8(true);
                case "OFF" -> new OptsUtf8(false);
                default -> throw new IllegalArgumentException("OPTS UTF8 ON or OFF");
            };
        }
        if (name.equals("MLST")) {
            return new OptsMlst(Arrays.stream(value.split(";"))
                .map(f -> f.trim().toLowerCase(Locale.ROOT)).filter(f -> !f.isEmpty()).toList());
        }
        throw new IllegalArgumentException("unknown option " + (name.length() > 20 ? name.substring(0, 20) : name));
    }

    private static Command epsv(String arg) {
        if (arg.isEmpty()) return new Epsv(0, false);
        if (arg.equalsIgnoreCase("ALL")) return new Epsv(0, true);
        return switch (arg) {
            case "1" -> new Epsv(1, false);
            case "2" -> new Epsv(2, false);
            default -> {
                if (!arg.chars().allMatch(Character::isDigit)) throw new IllegalArgumentException("EPSV [1|2|ALL]");
                yield new Refused(522, "Network protocol not supported, use (1,2)");
            }
        };
    }

    /** PORT h1,h2,h3,h4,p1,p2 (RFC 959 §4.1.2): numbers only, never a name lookup. */
    private static InetSocketAddress port(String arg) {
        String[] p = arg.trim().split(",", -1);                        // -1: trailing empty fields count too
        if (p.length != 6) throw new IllegalArgumentException("PORT h1,h2,h3,h4,p1,p2");
        byte[] ip = new byte[4];
        int[] n = new int[6];
        for (int i = 0; i < 6; i++) {
            String s = p[i].trim();
            if (!s.matches("[0-9]{1,3}") || (n[i] = Integer.parseInt(s)) > 255)
                throw new IllegalArgumentException("PORT numbers are 0-255");
            if (i < 4) ip[i] = (byte) n[i];
        }
        return new InetSocketAddress(Addresses.of(ip), n[4] * 256 + n[5]);
    }

    /** EPRT |proto|address|port| (RFC 2428 §2): any delimiter, literal addresses only. */
    private static Command eprt(String arg) {
        char d = arg.charAt(0);
        if (d < 33 || d > 126 || arg.length() < 2 || arg.charAt(arg.length() - 1) != d)
            throw new IllegalArgumentException("EPRT |proto|address|port|");
        String[] p = arg.substring(1, arg.length() - 1).split(Pattern.quote(String.valueOf(d)), -1);
        if (p.length != 3) throw new IllegalArgumentException("EPRT |proto|address|port|");
        if (!p[0].equals("1") && !p[0].equals("2"))
            return new Refused(522, "Network protocol not supported, use (1,2)");
        if (!p[2].matches("[0-9]{1,5}") || Integer.parseInt(p[2]) > 65535)
            throw new IllegalArgumentException("bad port");
        InetAddress a = Addresses.literal(p[1], p[0].equals("1"));
        return new Port(new InetSocketAddress(a, Integer.parseInt(p[2])), true);
    }
}
