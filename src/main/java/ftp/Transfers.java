package ftp;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import ftp.Command.*;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.channels.FileChannel;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The data verbs (RETR STOR APPE STOU LIST NLST MLSD) on the control thread: every check that can
 * be answered at once is answered here (550, 554, 425, 450, 552), then one immutable
 * {@link Transfer.Job} goes to a transfer thread, which sends the 150 and the final reply. Also
 * the session's one running transfer: ABOR, STAT during it, and waiting for it.
 */
final class Transfers {
    /** The transfer parameters of a session (RFC 959 §4.1.2, RFC 4217 §9, RFC 2428 §4, RFC 3659 §7.9). */
    record Params(boolean ascii, long rest, char prot, boolean epsvAll, Set<String> facts) {
        /** RFC 959 §3.1.1.1: TYPE A is the default; nothing pending; data in clear; every MLST fact. */
        static final Params START = new Params(true, 0, 'C', false, Set.copyOf(Listing.FACTS));

        Params withAscii(boolean a) { return new Params(a, rest, prot, epsvAll, facts); }

        Params withRest(long offset) { return new Params(ascii, offset, prot, epsvAll, facts); }

        Params withProt(char level) { return new Params(ascii, rest, level, epsvAll, facts); }

        Params withEpsvAll() { return new Params(ascii, rest, prot, true, facts); }

        Params withFacts(Set<String> selected) { return new Params(ascii, rest, prot, epsvAll, selected); }
    }

    private final ControlChannel control;
    private final DataChannel data;
    private final Claims claims;
    private final Throttle.Rates rates;
    private final Xferlog xferlog;
    private final Metrics metrics;
    private final Log log;
    private final InetAddress client;
    private final long uploadSize;             // max.upload.size, 0: none
    private final Runnable idle;               // a transfer ended: the session's idle timer runs again
    private volatile Transfer current;

    Transfers(ControlChannel control, DataChannel data, Services services, Log log, InetAddress client, Runnable idle) {
        this.control = control;
        this.data = data;
        this.claims = services.claims();
        this.rates = services.rates();
        this.xferlog = services.xferlog();
        this.metrics = services.metrics();
        this.log = log;
        this.client = client;
        this.uploadSize = services.config().limits().uploadSize();
        this.idle = idle;
    }

    /** A data verb: checked now, then run on its own thread; the reply comes from there. */
    Reply start(Data d, Params p, Login.LoggedIn in, Tls.Data protection) {
        return switch (d) {
            case Retr r -> retr(r.path(), p, in, protection);
            case Stor s -> stor(s.path(), s.append() ? "APPE" : "STOR", p, in, protection);
            case Stou s -> stor(null, "STOU", p, in, protection);
            case ListDir l -> list(l.path(), Listing.Form.LIST, p, in, protection);
            case Nlst n -> list(n.path(), Listing.Form.NLST, p, in, protection);
            case Mlsd m -> list(m.path(), Listing.Form.MLSD, p, in, protection);
        };
    }

    private Reply retr(String arg, Params p, Login.LoggedIn in, Tls.Data protection) {
        PathJail jail = in.home().jail();
        return in.home().attempt("RETR " + arg, () -> {
            String v = in.home().resolve(arg);
            if (!jail.attributes(v).isRegularFile()) return Reply.of(550, "Not a plain file.");
            if (p.ascii() && p.rest() > 0) return restInAscii();
            if (!data.ready()) return noData();
            FileChannel f = jail.open(v, READ);
            long size = f.size();
            if (p.rest() > size) {
                f.close();
                return Reply.of(554, "REST " + p.rest() + " is past the end of the file (" + size + " bytes).");
            }
            String opening = "Opening " + (p.ascii() ? "ASCII" : "BINARY") + " mode data connection for " + v
                + (p.ascii() ? "." : " (" + size + " bytes).");                 // in TYPE A the count would differ
            return run(new Transfer.Job("RETR " + v, v, p.ascii(), rates.of(in.account(), true), opening, protection,
                in.xferName(), in.account().anonymous(), new Transfer.Work.Send(f, p.rest(), jail.store().local())));
        });
    }

    /**
     * STOR, APPE and STOU. REST and APPE into an existing file write in place; every other upload
     * goes into a hidden temporary file beside the target and is renamed onto it when whole, so no
     * one downloads half a file, a failed upload leaves an old file whole, and another instance
     * serving the same home (which can't see this one's busy marks) can delete or rename only what
     * was there before. A broken upload of a new file is kept under its name, to be resumed (REST +
     * STOR, or APPE). The target and the temporary file are claimed: no other upload, DELE or
     * rename on this instance touches them.
     */
    private Reply stor(String arg, String verb, Params p, Login.LoggedIn in, Tls.Data protection) {
        PathJail jail = in.home().jail();
        boolean append = verb.equals("APPE"), unique = verb.equals("STOU");
        return in.home().attempt(verb + " " + (arg == null ? "" : arg), () -> {
            String v = in.home().resolve(unique ? "ftp-" + Long.toHexString(random()) : arg);
            // links resolved: STOR through a link replaces its target, as APPE writes into it
            PathJail.Found found = jail.find(v);
            String target = found.canonical();
            BasicFileAttributes seen = found.attributes();
            if (seen != null && seen.isDirectory()) return Reply.of(550, "Is a directory.");
            // a FIFO or device would block open(2) or write somewhere that is not a file
            if (seen != null && !seen.isRegularFile()) return Reply.of(550, "Not a plain file.");
            if (p.ascii() && p.rest() > 0) return restInAscii();
            if (!jail.store().local() && (append || p.rest() > 0))      // no truncate, no write in place
                return Reply.of(504, (append ? "APPE" : "REST with STOR") + " is not supported on this storage: it "
                    + "would download and upload the whole object again; upload the whole file.");
            if (!data.ready()) return noData();
            try (var claim = claims.claim(jail.realOf(target))) {
                // again, now that no upload here can change it; a new file's whole upload needs no second look:
                // it lands by a rename whatever is there by then
                BasicFileAttributes old = seen == null && !append && p.rest() == 0 ? null
                    : jail.attributesOrNull(target);
                boolean exists = old != null;
                long size = exists ? old.size() : 0, start = append && exists ? size : p.rest();
                if (start > size) return Reply.of(554, "REST " + p.rest() + " is past the end of the file.");
                // never in place elsewhere than the default file system: a file written in place could be
                // published half written there (an object store's close uploads what came)
                boolean inPlace = jail.store().local() && exists && (append || p.rest() > 0);
                String temp = inPlace ? null : PathJail.temporary(target);
                try (var tempClaim = temp == null ? null : claims.claim(jail.realOf(temp))) {
                    Limit limit = uploadLimit(in, inPlace ? 0 : size);
                    if (limit.bytes() < 0) {
                        log.warn(verb + " " + v + ": refused, " + limit.why());
                        return Reply.of(552, "Quota exceeded.");
                    }
                    FileChannel f = jail.open(temp == null ? target : temp, inPlace ? CREATE : CREATE_NEW, WRITE);
                    try {
                        f.position(start);
                    } catch (IOException e) {
                        f.close();
                        if (temp != null) jail.delete(temp);
                        throw e;
                    }
                    String opening = unique ? "FILE: " + v.substring(v.lastIndexOf('/') + 1)
                        : "Opening " + (p.ascii() ? "ASCII" : "BINARY") + " mode data connection for " + v + ".";
                    return run(new Transfer.Job(verb + " " + v, v, p.ascii(), rates.of(in.account(), false), opening,
                        protection, in.xferName(), in.account().anonymous(), new Transfer.Work.Receive(jail, f, target,
                        temp, exists, inPlace && !append && exists, start, inPlace ? 0 : size, limit.bytes(),
                        limit.why(), claim.handOver(), tempClaim == null ? null : tempClaim.handOver())));
                }
            }
        });
    }

    private static long random() { return ThreadLocalRandom.current().nextLong() >>> 16; }

    /** The bytes an upload may write (0: no limit; -1: no room at all), and which setting says so, for the log. */
    private record Limit(long bytes, String why) {}

    /**
     * max.upload.size, and what is left of user.NAME.quota (the home's files summed now; a file
     * being replaced whole counts as freed).
     */
    private Limit uploadLimit(Login.LoggedIn in, long replacing) throws IOException {
        Limit limit = new Limit(uploadSize, "max.upload.size " + uploadSize + " bytes");
        long quota = in.account().quota();
        if (quota > 0) {
            long used = in.home().jail().usedBytes() - replacing, left = quota - used;
            String why = "user." + in.account().name() + ".quota " + quota + " bytes, " + used + " used";
            if (left <= 0) return new Limit(-1, why);
            if (limit.bytes() == 0 || left < limit.bytes()) limit = new Limit(left, why);
        }
        return limit;
    }

    private Reply list(String arg, Listing.Form form, Params p, Login.LoggedIn in, Tls.Data protection) {
        PathJail jail = in.home().jail();
        return in.home().attempt(form + " " + (arg == null ? "" : arg), () -> {
            String v = in.home().resolve(arg == null ? "." : arg);
            BasicFileAttributes a = jail.attributes(v);
            // RFC 3659 §7.2: MLSD lists folders
            if (form == Listing.Form.MLSD && !a.isDirectory()) return Reply.of(501, "Not a directory; use MLST.");
            if (!data.ready()) return noData();
            return run(new Transfer.Job(form + " " + v, v, false, new Throttle[0],
                "Opening ASCII mode data connection for file list.", protection, in.xferName(),
                in.account().anonymous(),
                new Transfer.Work.Listing(jail, form, in.account().write(), p.facts(), arg)));
        });
    }

    private Reply run(Transfer.Job job) {
        Transfer t = new Transfer(job, control, data, xferlog, metrics, log, client, () -> {
            current = null;
            idle.run();
        });
        current = t;                                     // before it runs: a quick end clears it, never the reverse
        t.start();
        return Reply.Later.BY_TRANSFER;
    }

    private static Reply noData() { return Reply.of(425, "Use PORT, PASV, EPRT or EPSV first."); }

    /** A REST offset counts file bytes, which TYPE A changes on the way: resuming could corrupt the file. */
    private static Reply restInAscii() {
        return Reply.of(550, "REST works in TYPE I only; send TYPE I and resume again.");
    }

    /** RFC 959 §4.1.3: 426 for the aborted transfer, then 226 for the ABOR itself. */
    Reply abort() throws IOException, InterruptedException {
        Transfer t = current;
        if (t == null) {
            data.close();
            return Reply.of(225, "No transfer to abort.");
        }
        boolean aborted = t.abort();
        t.join();
        if (aborted) control.reply(426, "Transfer aborted.");
        return Reply.of(226, "ABOR successful.");
    }

    /** STAT during a transfer (RFC 959 §4.1.3): its progress; null when none runs. */
    Reply progress() {
        Transfer t = current;
        if (t == null || !t.running()) return null;
        return Reply.of(213, "Transferring " + t.what() + ": " + t.bytes() + " bytes so far.");
    }

    boolean running() { return current != null; }

    /** A running transfer as the admin listener shows it. */
    record Progress(String what, long bytes) {}

    Progress now() {
        Transfer t = current;
        return t == null ? null : new Progress(t.what(), t.bytes());
    }

    /** Other verbs run after the transfer, in order. */
    void await() throws InterruptedException {
        Transfer t = current;
        if (t != null) t.join();
    }

    /** The watchdog: a data connection silent for data.timeout is closed. True while a transfer runs. */
    boolean watch(long now, long stallNanos) {
        Transfer t = current;
        if (t == null) return false;
        if (t.stalled(now, stallNanos)) t.stall();
        return true;
    }

    /** The session ends (or the stop's grace is over): the transfer is cut, silently, like ABOR; it still logs. */
    void cut() {
        Transfer t = current;
        if (t != null) t.abort();
    }

    /** Waits at most {@code d} for a cut transfer to log its end. */
    void awaitEnd(Duration d) {
        Transfer t = current;
        try {
            if (t != null) t.join(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
