package ftp;

import ftp.Keys.Bad;
import ftp.Keys.Key;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.ProviderNotFoundException;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Typed reads of single config keys ({@link Keys.Key}s and the keys of users and host names),
 * each failure a {@link Keys.Bad} naming its key, and each value kept, as shown, in
 * {@code effective} for --check-config (secrets as stars).
 */
record Values(Properties p, Map<String, String> effective) {
    Values(Properties p) { this(p, new LinkedHashMap<>()); }

    /** The key's text; absent or empty: its default. */
    String text(Key k) {
        String s = p.getProperty(k.name, "").strip();
        if (s.isEmpty()) s = k.dflt;
        effective.putIfAbsent(k.name, k.secret && !s.isEmpty() ? "********" : s);
        return s;
    }

    private String shown(String key, Object value) {
        if (!"********".equals(effective.get(key))) effective.put(key, String.valueOf(value));
        return key;
    }

    int integer(Key k, int min, int max) throws Bad {
        String s = text(k);
        if (s.isEmpty()) return -1;                                        // only tls.implicit.port may be empty
        try {
            int n = Integer.parseInt(s);
            if (n < min || n > max) throw new Bad(k.name, "must be between " + min + " and " + max + ", not " + s);
            return n;
        } catch (NumberFormatException e) {
            throw new Bad(k.name, "not a whole number: '" + s + "'");
        }
    }

    boolean bool(Key k) throws Bad { return bool(k.name, text(k)); }

    boolean bool(String key, String s) throws Bad {
        boolean b = switch (s.strip().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off", "" -> false;
            default -> throw new Bad(key, "must be true or false, not '" + s + "'");
        };
        shown(key, b);
        return b;
    }

    /** Seconds, decimals allowed (0.05 = 50 ms); 0 turns a timeout off. */
    Duration seconds(Key k) throws Bad {
        String s = text(k);
        try {
            double d = Double.parseDouble(s);
            if (!(d >= 0 && d <= 1e7)) throw new Bad(k.name, "must be between 0 and 10000000 seconds, not " + s);
            return Duration.ofMillis(Math.round(d * 1000));
        } catch (NumberFormatException e) {
            throw new Bad(k.name, "not a number of seconds: '" + s + "'");
        }
    }

    /** KiB/s in the file, bytes/s here; empty or 0: unlimited. */
    long rate(String key, String s) throws Bad {
        if (s == null || s.isBlank()) return 0;
        try {
            long n = Long.parseLong(s.strip());
            if (n < 0 || n > (1L << 40)) throw new Bad(key, "must be KiB/s between 0 and 2^40, not " + s);
            shown(key, n);
            return n * 1024;
        } catch (NumberFormatException e) {
            throw new Bad(key, "not a whole number of KiB/s: '" + s + "'");
        }
    }

    /** One of the words given. */
    String choice(Key k, String... words) throws Bad {
        String s = text(k).toLowerCase(Locale.ROOT);
        if (!List.of(words).contains(s))
            throw new Bad(k.name, "must be one of " + List.of(words) + ", not '" + s + "'");
        return s;
    }

    AddressBlocks blocks(Key k) throws Bad {
        try {
            AddressBlocks b = AddressBlocks.parse(text(k));
            shown(k.name, b);
            return b;
        } catch (IllegalArgumentException e) {
            throw new Bad(k.name, e.getMessage());
        }
    }

    /** Octal permission bits, like 640 or 0750; setuid, setgid and sticky are not for uploads. */
    Set<PosixFilePermission> mode(Key k) throws Bad {
        String s = text(k);
        if (s.isEmpty()) return null;
        if (!s.matches("0?[0-7]{3}")) throw new Bad(k.name, "not an octal mode like 640 or 0750: '" + s + "'");
        return permissions(Integer.parseInt(s, 8));
    }

    /** Bytes, with an optional K, M or G suffix (powers of 1024); empty or 0: no limit. */
    long size(String key, String text) throws Bad {
        String s = text.strip().toUpperCase(Locale.ROOT);
        if (s.isEmpty()) return 0;
        Matcher m = Pattern.compile("([0-9]{1,15})([KMG]?)B?").matcher(s);
        if (!m.matches()) throw new Bad(key, "not a size in bytes (like 1048576 or 100M): '" + s + "'");
        int shift = switch (m.group(2)) { case "K" -> 10; case "M" -> 20; case "G" -> 30; default -> 0; };
        long n = Long.parseLong(m.group(1)) << shift;
        shown(key, n);
        return n;
    }

    int[] range(Key k) throws Bad {
        String s = text(k);
        if (s.isEmpty()) return new int[] {0, 0};
        Matcher m = Pattern.compile("([0-9]{1,5})\\s*-\\s*([0-9]{1,5})").matcher(s);
        if (!m.matches()) throw new Bad(k.name, "must be a range like 50000-50100, not '" + s + "'");
        int lo = Integer.parseInt(m.group(1)), hi = Integer.parseInt(m.group(2));
        if (lo < 1024 || hi > 65535 || lo > hi)
            throw new Bad(k.name, "must lie within 1024-65535, low to high, not " + s);
        return new int[] {lo, hi};
    }

    InetAddress address(Key k) throws Bad {
        String s = text(k);
        if (s.isEmpty()) return null;   // every interface (dual-stack where the OS allows)
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new Bad(k.name, "not an address of this machine: '" + s + "'");
        }
    }

    /** A file to append to: its folder must exist (opening it is left to start-up). */
    Path output(Key k) throws Bad {
        String s = text(k);
        if (s.isEmpty()) return null;
        Path f = Path.of(s).toAbsolutePath();
        if (Files.isDirectory(f) || !Files.isDirectory(f.getParent()))
            throw new Bad(k.name, "cannot write " + f + ": no such folder, or a folder");
        shown(k.name, f);
        return f;
    }

    Path file(Key k) throws Bad { return file(k.name, text(k)); }

    Path file(String key, String s) throws Bad {
        if (s.isEmpty()) return null;
        Path f = Path.of(s);
        if (!Files.isReadable(f)) throw new Bad(key, "cannot read " + f);
        shown(key, f);
        return f;
    }

    /** Names only; which of them this JDK offers is checked when TLS is set up (asking JSSE costs start-up). */
    List<String> protocols(Key k) throws Bad {
        List<String> l = Arrays.stream(text(k).split("[,\\s]+")).filter(x -> !x.isEmpty()).toList();
        for (String x : l)
            if (!KNOWN_PROTOCOLS.contains(x))
                throw new Bad(k.name, "unknown protocol " + x + "; known: " + KNOWN_PROTOCOLS);
        return l;
    }

    /**
     * A folder, or a URI (s3x://host:port/bucket/prefix/, s3://bucket/prefix/, jar:file:…) that a
     * FileSystemProvider on the class path opens; a URI's folder is checked at login (asking an
     * object store is a network request), and its user info (a secret) is never shown.
     */
    Path directory(String key, String s) throws Bad {
        if (s.isEmpty()) throw new Bad(key, "is empty");
        if (s.matches("[A-Za-z][A-Za-z0-9+.-]*://.*")) {
            String scheme = s.substring(0, s.indexOf(':'));
            URI uri = URI.create(s.endsWith("/") ? s : s + "/");          // an object store's folder ends in /
            try {
                Path d;
                try {
                    d = Path.of(uri);
                } catch (FileSystemNotFoundException e) {                      // jar:…!/: opened first
                    FileSystems.newFileSystem(uri, Map.of());
                    d = Path.of(uri);
                }
                effective.put(key, s.replaceFirst("//[^/@]*@", "//"));
                return d;
            } catch (FileSystemNotFoundException | ProviderNotFoundException e) {
                throw new Bad(key, "no file system provider for " + scheme + " on the class path (for S3: make s3, "
                    + "then its jars in the install's plugins/ folder, or java -cp 'ftp-server.jar:target/s3/*' "
                    + "ftp.Main; README: Homes on S3 or MinIO)");
            } catch (IOException | IllegalArgumentException e) {
                throw new Bad(key, "not a usable " + scheme + " URI: " + e.getMessage());
            }
        }
        Path d = Path.of(s).toAbsolutePath().normalize();
        if (!Files.isDirectory(d)) throw new Bad(key, "not a directory: " + d);
        shown(key, d);
        return d;
    }

    /** Protocol names tls.protocols may list. */
    static final List<String> KNOWN_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1", "SSLv3");

    /** The nine permission bits of an octal mode; setuid, setgid and sticky are dropped. */
    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] all = PosixFilePermission.values();          // OWNER_READ … OTHERS_EXECUTE, in ls order
        for (int i = 0; i < 9; i++) if ((mode & (0400 >> i)) != 0) perms.add(all[i]);
        return perms;
    }
}
