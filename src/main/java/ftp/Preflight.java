package ftp;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What start-up and the first logins would meet, checked beforehand by --check-config, as the user
 * it runs as (run it as the service user: `sudo -u ftp-server ftp-server --check-config`): the
 * listening ports can be bound, the log files can be appended to, every home can be read and a
 * write user's home written, the certificate and key load and match. Each problem is one line
 * naming its key. Nothing is created or changed.
 */
final class Preflight {
    private Preflight() {}

    /** Every problem found, "key: what is wrong", in the order of the config's keys. */
    static List<String> problems(Config c) {
        List<String> p = new ArrayList<>();
        bind(p, "port", c.listen(), c.listen().port());
        if (c.listen().implicitTlsPort() >= 0) bind(p, "tls.implicit.port", c.listen(), c.listen().implicitTlsPort());
        List<String> once = new ArrayList<>();                // a foreign address fails every port: one line
        for (String s : p) if (!once.contains(s)) once.add(s);
        p = once;
        appendable(p, "log.file", c.logs().file());
        appendable(p, "transfer.log", c.logs().transfers());
        try {
            Tls.load(c.ftps());
        } catch (Keys.Bad e) {
            p.add(e.getMessage());
        }
        p.addAll(homes(c));
        return p;
    }

    /** The homes' problems alone: start-up logs them as warnings (a home may be mounted later). */
    static List<String> homes(Config c) {
        List<String> p = new ArrayList<>();
        Account anonymous = c.users().anonymous();
        if (anonymous != null) home(p, "anonymous.home", anonymous);
        c.users().named().values().stream().sorted((a, b) -> a.name().compareTo(b.name()))
            .forEach(a -> home(p, "user." + a.name() + ".home", a));
        return p;
    }

    private static void bind(List<String> p, String key, Config.Listen at, int port) {
        String where = (at.address() == null ? "every interface" : Addresses.text(at.address())) + " port " + port;
        try (ServerSocketChannel s = ServerSocketChannel.open()) {
            s.bind(new InetSocketAddress(at.address(), port));
        } catch (BindException e) {
            String why = String.valueOf(e.getMessage());
            if (why.contains("ermission denied")) p.add(key + ": " + where + " needs root, CAP_NET_BIND_SERVICE or "
                + "socket activation (README: Deploy on a VPS)");
            else if (why.contains("ssign requested address")) p.add("address: " + Addresses.text(at.address())
                + " is not an address of this machine");
            else p.add(key + ": " + where + " is in use (another server, or this one already running)");
        } catch (SocketException e) {
            p.add(key + ": cannot listen on " + where + ": " + e.getMessage());
        } catch (IOException e) {
            p.add(key + ": cannot listen on " + where + ": " + e.getMessage());
        }
    }

    /** Without creating it: a file made by this check would belong to whoever ran it, not to the service. */
    private static void appendable(List<String> p, String key, Path f) {
        if (f == null) return;
        if (Files.exists(f) ? !Files.isWritable(f) : !Files.isWritable(f.getParent()))
            p.add(key + ": " + (Files.exists(f) ? f + " is not writable" : f.getParent() + " is not writable, so "
                + f.getFileName() + " can't be made") + " by this user (the service's user must own it)");
    }

    private static void home(List<String> p, String key, Account a) {
        Path h = a.home();
        if (h.getFileSystem() != FileSystems.getDefault()) {           // a URI home: can it be listed at all?
            try (DirectoryStream<Path> d = Files.newDirectoryStream(h)) {
                d.iterator().hasNext();
            } catch (IOException | RuntimeException e) {
                p.add(key + ": " + h.toUri().getScheme() + " home can't be listed: " + e.getMessage());
            }
            return;
        }
        // a folder already (Values refuses a config whose home is none); what this user may do in it
        if (!Files.isReadable(h) || !Files.isExecutable(h)) p.add(key + ": " + h + " can't be read by this user");
        else if (a.write() && !Files.isWritable(h)) p.add(key + ": " + h + " can't be written by this user, but "
            + (a.anonymous() ? "anonymous.write" : "user." + a.name() + ".write") + " is true");
    }
}
