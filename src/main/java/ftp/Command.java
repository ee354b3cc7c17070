package ftp;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One client line, parsed and validated once. Every verb is a record; the facts about a verb live
 * on its type: {@link PreLogin} (allowed before login), {@link Login} (USER and PASS: refused in
 * clear text when TLS is required), {@link Write} (needs the write right),
 * {@link Data} (opens a data connection, runs on a transfer thread), {@link Urgent} (answered
 * while a transfer runs), {@link Param} (sets up the next transfer: a pending REST survives it).
 * Aliases (XPWD, XMKD, XCUP, APPE, EPRT, …) are resolved here.
 */
sealed interface Command {
    default boolean needsLogin() { return !(this instanceof PreLogin); }

    sealed interface PreLogin extends Command {}
    sealed interface Write extends Command {}
    sealed interface Data extends Command {}
    sealed interface Urgent extends Command {}
    sealed interface Param extends Command {}                           // RFC 959 §4.1.2 transfer parameters
    sealed interface Login extends PreLogin {}                          // refused in clear when TLS is required

    // Access control (RFC 959 §4.1.1)
    record User(String name) implements Login {}
    record Pass(String password) implements Login {
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
    record Rmd(String path) implements Write {}
    record Dele(String path) implements Write {}
    record Rnfr(String path) implements Write {}
    record Rnto(String path) implements Write {}
    record Size(String path) implements Command {}                      // RFC 3659 §4
    record Mdtm(String path) implements Command {}                      // RFC 3659 §3
    record Mfmt(Instant time, String path) implements Write {}          // draft-somers-ftp-mfxx
    record SiteChmod(int mode, String path) implements Write {}
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
    record Stat(String path) implements Urgent {}                       // path null: status
    record Help(String verb) implements PreLogin {}
    record Feat() implements PreLogin {}                                // RFC 2389
    record OptsUtf8(boolean on) implements PreLogin {}                  // RFC 2640
    record OptsMlst(List<String> facts) implements PreLogin {}          // RFC 3659 §7.9
    // Lines that are not commands
    record Unknown(String verb) implements PreLogin {}                  // 502
    record Malformed(String verb, String why) implements PreLogin {}    // 501
    record Refused(int code, String why) implements PreLogin {}         // a known verb, an unsupported parameter

    /** HELP text: every verb the server knows, with its syntax. */
    Map<String, String> VERBS = verbs(
        "USER name", "PASS password", "ACCT info", "REIN", "QUIT", "HOST name",
        "AUTH TLS", "PBSZ 0", "PROT C|P", "CCC",
        "CWD path", "XCWD path", "CDUP", "XCUP", "PWD", "XPWD", "MKD path", "XMKD path",
        "RMD path", "XRMD path", "DELE path", "RNFR path", "RNTO path", "SIZE path", "MDTM path",
        "MFMT YYYYMMDDHHMMSS path", "SITE HELP|CHMOD mode path",
        "TYPE A|I|L 8", "MODE S", "STRU F", "ALLO size", "REST offset",
        "PASV", "EPSV [1|2|ALL]", "PORT h1,h2,h3,h4,p1,p2", "EPRT |proto|addr|port|",
        "RETR path", "STOR path", "APPE path", "STOU", "LIST [path]", "NLST [path]",
        "MLSD [path]", "MLST [path]", "ABOR",
        "NOOP", "SYST", "STAT [path]", "HELP [verb]", "FEAT", "OPTS UTF8 ON|OFF / MLST facts");

    private static Map<String, String> verbs(String... lines) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String l : lines) m.put(l.split(" ")[0], l);
        return m;
    }

    static Command parse(String line) {
        int sp = line.indexOf(' ');
        String verb = (sp < 0 ? line : line.substring(0, sp)).toUpperCase(Locale.ROOT);
        String arg = sp < 0 ? "" : line.substring(sp + 1);
        if (verb.isEmpty() || verb.length() > 8 || !verb.chars().allMatch(c -> c >= 'A' && c <= 'Z'))
            return new Unknown(verb.length() > 20 ? verb.substring(0, 20) : verb);
        if (arg.indexOf('\0') >= 0 || arg.indexOf('\r') >= 0)
            return new Malformed(verb, "NUL or CR in argument");
        try {
            return parse(verb, arg);
        } catch (IllegalArgumentException e) {
            return new Malformed(verb, e.getMessage());
        }
    }

    private static Command parse(String verb, String arg) {
        return switch (verb) {
            case "USER" -> new User(need(arg));
            case "PASS" -> new Pass(arg);                           // an empty password is legal
            case "ACCT" -> new Acct(arg);
            case "REIN" -> new Rein();
            case "QUIT" -> new Quit();
            case "HOST" -> new Host(need(arg));
            case "AUTH" -> new Auth(need(arg).trim().toUpperCase(Locale.ROOT));
            case "PBSZ" -> new Pbsz(number(arg));
            case "PROT" -> switch (need(arg).trim().toUpperCase(Locale.ROOT)) {
                case "C" -> new Prot('C');
                case "P" -> new Prot('P');
                case "S", "E" -> new Refused(536, "Only PROT C and P are supported.");
                default -> throw new IllegalArgumentException("PROT C or P");
            };
            case "CCC" -> new Ccc();
            case "CWD", "XCWD" -> new Cwd(need(arg));
            case "CDUP", "XCUP" -> new Cdup();
            case "PWD", "XPWD" -> new Pwd();
            case "MKD", "XMKD" -> new Mkd(need(arg));
            case "RMD", "XRMD" -> new Rmd(need(arg));
            case "DELE" -> new Dele(need(arg));
            case "RNFR" -> new Rnfr(need(arg));
            case "RNTO" -> new Rnto(need(arg));
            case "SIZE" -> new Size(need(arg));
            case "MDTM" -> new Mdtm(need(arg));
            case "MFMT" -> mfmt(arg);
            case "SITE" -> site(arg);
            case "TYPE" -> type(arg);
            case "MODE" -> switch (need(arg).trim().toUpperCase(Locale.ROOT)) {
                case "S" -> new Mode();
                case "B", "C" -> new Refused(504, "Only MODE S is supported.");
                default -> throw new IllegalArgumentException("MODE S, B or C");
            };
            case "STRU" -> switch (need(arg).trim().toUpperCase(Locale.ROOT)) {
                case "F" -> new Stru();
                case "R", "P" -> new Refused(504, "Only STRU F is supported.");
                default -> throw new IllegalArgumentException("STRU F, R or P");
            };
            case "ALLO" -> new Allo();
            case "REST" -> new Rest(number(arg));
            case "PASV" -> new Pasv();
            case "EPSV" -> epsv(arg.trim());
            case "PORT" -> new Port(port(need(arg)), false);
            case "EPRT" -> eprt(need(arg));
            case "RETR" -> new Retr(need(arg));
            case "STOR" -> new Stor(need(arg), false);
            case "APPE" -> new Stor(need(arg), true);
            case "STOU" -> new Stou();
            case "LIST" -> new ListDir(withoutOptions(arg));
            case "NLST" -> new Nlst(withoutOptions(arg));
            case "MLSD" -> new Mlsd(optional(arg));
            case "MLST" -> new Mlst(optional(arg));
            case "ABOR" -> new Abor();
            case "NOOP" -> new Noop();
            case "SYST" -> new Syst();
            case "STAT" -> new Stat(withoutOptions(arg));                   // lftp sends "STAT -a dir"
            case "HELP" -> new Help(arg.isBlank() ? null : arg.trim().toUpperCase(Locale.ROOT));
            case "FEAT" -> new Feat();
            case "OPTS" -> opts(need(arg).trim());
            default -> new Unknown(verb);
        };
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

    private static Command type(String arg) {
        String[] p = need(arg).trim().toUpperCase(Locale.ROOT).split(" +");
        return switch (p[0]) {
            case "I" -> new Type(false);
            case "L" -> p.length == 2 && p[1].equals("8") ? new Type(false) : new Refused(504, "Only TYPE L 8 is supported.");
            case "A" -> p.length == 1 || p[1].equals("N") ? new Type(true) : new Refused(504, "Only TYPE A N is supported.");
            case "E" -> new Refused(504, "TYPE E is not supported.");
            default -> throw new IllegalArgumentException("TYPE A or I");
        };
    }

    private static Command mfmt(String arg) {
        String[] p = need(arg).split(" ", 2);
        if (p.length < 2 || p[1].isEmpty()) throw new IllegalArgumentException("MFMT time path");
        return new Mfmt(time(p[0]), p[1]);
    }

    DateTimeFormatter TIME_VAL = DateTimeFormatter.ofPattern("uuuuMMddHHmmss").withResolverStyle(java.time.format.ResolverStyle.STRICT);

    /** RFC 3659 §2.3 time-val: YYYYMMDDHHMMSS[.sss], always UTC. */
    static Instant time(String s) {
        if (!s.matches("[0-9]{14}(\\.[0-9]{1,3})?")) throw new IllegalArgumentException("time must be YYYYMMDDHHMMSS");
        try {
            String whole = s.contains(".") ? s.substring(0, s.indexOf('.')) : s;
            Instant t = LocalDateTime.parse(whole, TIME_VAL).toInstant(ZoneOffset.UTC);   // strict: no 30 February
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
        String[] p = arg.trim().split(",");
        if (p.length != 6) throw new IllegalArgumentException("PORT h1,h2,h3,h4,p1,p2");
        byte[] ip = new byte[4];
        int[] n = new int[6];
        for (int i = 0; i < 6; i++) {
            String s = p[i].trim();
            if (s.isEmpty() || s.length() > 3 || !s.chars().allMatch(Character::isDigit) || (n[i] = Integer.parseInt(s)) > 255)
                throw new IllegalArgumentException("PORT numbers are 0-255");
            if (i < 4) ip[i] = (byte) n[i];
        }
        return new InetSocketAddress(address(ip), n[4] * 256 + n[5]);
    }

    /** EPRT |proto|address|port| (RFC 2428 §2): any delimiter, literal addresses only. */
    private static Command eprt(String arg) {
        char d = arg.charAt(0);
        if (d < 33 || d > 126 || arg.length() < 2 || arg.charAt(arg.length() - 1) != d)
            throw new IllegalArgumentException("EPRT |proto|address|port|");
        String[] p = arg.substring(1, arg.length() - 1).split(java.util.regex.Pattern.quote(String.valueOf(d)), -1);
        if (p.length != 3) throw new IllegalArgumentException("EPRT |proto|address|port|");
        if (!p[0].equals("1") && !p[0].equals("2")) return new Refused(522, "Network protocol not supported, use (1,2)");
        if (!p[2].matches("[0-9]{1,5}") || Integer.parseInt(p[2]) > 65535) throw new IllegalArgumentException("bad port");
        InetAddress a = literal(p[1], p[0].equals("1"));
        return new Port(new InetSocketAddress(a, Integer.parseInt(p[2])), true);
    }

    private static InetAddress literal(String s, boolean v4) {
        if (v4) {
            String[] p = s.split("\\.", -1);
            byte[] ip = new byte[4];
            if (p.length != 4) throw new IllegalArgumentException("bad IPv4 address");
            for (int i = 0; i < 4; i++) {
                if (!p[i].matches("[0-9]{1,3}") || Integer.parseInt(p[i]) > 255)
                    throw new IllegalArgumentException("bad IPv4 address");
                ip[i] = (byte) Integer.parseInt(p[i]);
            }
            return address(ip);
        }
        if (!s.matches("[0-9A-Fa-f:][0-9A-Fa-f:.]{1,44}") || !s.contains(":")) throw new IllegalArgumentException("bad IPv6 address");
        try {
            return InetAddress.getByName(s);   // starts with a hex digit or ':' and holds ':': parsed as a literal, never looked up
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("bad IPv6 address");
        }
    }

    private static InetAddress address(byte[] ip) {
        try {
            return InetAddress.getByAddress(ip);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("bad address");
        }
    }
}
