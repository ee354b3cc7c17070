package ftp;

import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A logged-in user's home: the jail, the current directory, and the verbs that act on files and
 * folders over the control connection (CWD CDUP PWD MKD RMD DELE RNFR RNTO SIZE MDTM MFMT SITE
 * CHMOD MLST STAT-path). Every failure of the file system becomes the reply that says why (RFC 959
 * §4.2), and every change is logged, done or refused, with its cause.
 */
final class Home {
    /** A file action that may fail; {@link #attempt} turns the failure into a reply. */
    interface Action { Reply run() throws IOException; }

    private final PathJail jail;
    private final Account account;
    private final Claims claims;
    private final Cpu cpu;
    private final Log log;
    private volatile String cwd = "/";              // volatile: the admin listener reads it
    private String renameFrom;                  // after RNFR, until the next command (RFC 959 §4.1.3)

    /** Line ends counted by SIZE in TYPE A, by file identity, size and time: a repeated SIZE reads nothing again. */
    private static final Map<List<Object>, Long> ASCII_SIZES = Collections.synchronizedMap(
        new LinkedHashMap<>(64, 0.75f, true) {
            @Override protected boolean removeEldestEntry(Map.Entry<List<Object>, Long> e) { return size() > 256; }
        });

    Home(PathJail jail, Account account, Claims claims, Cpu cpu, Log log) {
        this.jail = jail;
        this.account = account;
        this.claims = claims;
        this.cpu = cpu;
        this.log = log;
    }

    PathJail jail() { return jail; }

    String cwd() { return cwd; }

    /** The normalised virtual path of a client's argument, seen from the current directory. */
    String resolve(String arg) throws AccessDeniedException, PathJail.Hidden {
        try {
            return jail.visible(jail.virtual(cwd, arg));
        } catch (InvalidPathException e) {
            throw new AccessDeniedException(arg, null, "forbidden character in name");
        }
    }

    /** Whether {@code arg} names the home itself, which is not the client's to remove, rename or change. */
    boolean isHome(String arg) {
        try {
            return resolve(arg).equals("/");
        } catch (IOException e) {
            return false;
        }
    }

    Reply cwd(String arg, int code) {
        return attempt("CWD", () -> {
            String v = resolve(arg);
            if (!jail.attributes(v).isDirectory()) return Reply.of(550, "Not a directory.");
            cwd = v;
            return Reply.of(code, "Directory changed to " + Reply.quote(cwd) + ".");
        });
    }

    Reply pwd() { return Reply.of(257, Reply.quote(cwd) + " is the current directory."); }

    Reply mkd(String arg) {
        return attempt("MKD " + arg, () -> {
            String v = resolve(arg);
            try (var claim = claims.claim(jail.real(v))) {   // a new file on its way there: 450
                jail.createDirectory(v);
            }
            log.info("MKD " + v + ": created");
            return Reply.of(257, Reply.quote(v) + " created.");
        });
    }

    Reply rmd(String arg) {
        return attempt("RMD " + arg, () -> {
            String v = resolve(arg);
            if (!jail.own(v).isDirectory()) throw new NotDirectoryException(v);
            jail.delete(v);
            log.info("RMD " + v + ": removed");
            return Reply.of(250, "Directory removed.");
        });
    }

    /**
     * Claimed while it runs, as an upload claims its file: neither can slip in between the other's
     * check and act. A name being uploaded is busy (450) even before the upload's rename gives it a file.
     */
    Reply dele(String arg) {
        return attempt("DELE " + arg, () -> {
            String v = resolve(arg);
            long size;
            try (var claim = claims.claim(jail.real(v))) {
                BasicFileAttributes a = jail.own(v);
                if (a.isDirectory()) {
                    log.info("DELE " + v + ": refused, a directory");
                    return Reply.of(550, "Is a directory; use RMD.");
                }
                size = a.size();
                jail.delete(v);
            }
            jail.used(-size);
            log.info("DELE " + v + ": deleted");
            return Reply.of(250, "File deleted.");
        });
    }

    Reply rnfr(String arg) {
        return attempt("RNFR " + arg, () -> {
            String v = resolve(arg);
            if (claims.busy(jail.real(v))) throw new Claims.Busy(Path.of(v));
            jail.own(v);                                           // it must exist (a link counts)
            renameFrom = v;
            return Reply.of(350, "Ready for RNTO.");
        });
    }

    /** RNTO must follow RNFR at once: any other command forgets it. */
    void forgetRename() { renameFrom = null; }

    /** Replaces an existing file, as rename(2) does (upload-then-rename is how clients publish atomically). */
    Reply rnto(String arg) {
        String from = renameFrom;
        if (from == null) return Reply.of(503, "Send RNFR first.");
        return attempt("RNFR " + from + " RNTO " + arg, () -> {
            String to = resolve(arg);
            Path realFrom = jail.real(from), realTo = jail.real(to);
            Claims.Claim a = claims.claim(realFrom), b = null;
            try (a) {
                if (!realTo.equals(realFrom)) b = claims.claim(realTo);
                if (claims.busyBelow(realFrom)) throw new Claims.Busy(realFrom);   // a folder with an upload in it
                BasicFileAttributes target = jail.ownOrNull(to);
                if (target != null && target.isDirectory() && !jail.same(from, to))
                    throw new FileAlreadyExistsException(to);
                jail.move(from, to);
            } finally {
                if (b != null) b.close();
            }
            log.info("RNFR " + from + " RNTO " + to + ": renamed");
            return Reply.of(250, "Renamed.");
        });
    }

    /**
     * RFC 3659 §4: the octets a RETR would send now. In TYPE A that is the file with every bare LF
     * counted twice, found by reading it: up to {@link Config#SIZE_ASCII_MAX}, so SIZE can't be a
     * cheap way to make the server read large files; beyond that, 550. The reading runs off the
     * carriers ({@link Cpu}), once per version of a file.
     */
    Reply size(String arg, boolean ascii) {
        return attempt("SIZE", () -> {
            String v = resolve(arg);
            BasicFileAttributes a = jail.attributes(v);
            if (!a.isRegularFile()) return Reply.of(550, "Not a plain file.");
            if (!ascii) return Reply.of(213, Long.toString(a.size()));
            if (a.size() > Config.SIZE_ASCII_MAX)
                return Reply.of(550, "Too large to count in TYPE A; send TYPE I for SIZE.");
            List<Object> id = a.fileKey() == null ? null : List.of(a.fileKey(), a.size(), a.lastModifiedTime());
            Long n = id == null ? null : ASCII_SIZES.get(id);
            if (n == null) {
                n = cpu.run(() -> asciiSize(v));
                if (id != null) ASCII_SIZES.put(id, n);
            }
            return Reply.of(213, Long.toString(n));
        });
    }

    private long asciiSize(String v) throws IOException {
        long n = 0;
        int prev = -1;
        try (var in = Channels.newInputStream(jail.open(v, StandardOpenOption.READ))) {
            byte[] b = new byte[64 * 1024];
            for (int r; (r = in.read(b)) > 0; ) {
                for (int i = 0; i < r; i++) {
                    if (b[i] == '\n' && prev != '\r') n++;
                    prev = b[i];
                    n++;
                }
            }
        }
        return n;
    }

    /** RFC 3659 §3: the modification time of a file (folders: 550, as vsftpd and pyftpdlib answer). */
    Reply mdtm(String arg) {
        return attempt("MDTM", () -> {
            BasicFileAttributes a = jail.attributes(resolve(arg));
            if (a.isDirectory()) return Reply.of(550, "Not a plain file.");
            return Reply.of(213, Listing.mdtm(a.lastModifiedTime().toInstant()));
        });
    }

    Reply mfmt(String arg, Instant time) {
        return attempt("MFMT " + arg, () -> {
            String v = resolve(arg);
            jail.setModified(v, FileTime.from(time));
            log.info("MFMT " + v + ": modified time set to " + time);
            return Reply.of(213, "Modify=" + Listing.mdtm(time) + "; " + v);
        });
    }

    /** The nine permission bits; setuid, setgid and sticky never. */
    Reply chmod(String arg, int mode) {
        return attempt("SITE CHMOD " + arg, () -> {
            String v = resolve(arg);
            if (!jail.setPermissions(v, Values.permissions(mode)))
                return Reply.of(504, "SITE CHMOD is not supported on this file system.");
            log.info("SITE CHMOD " + Integer.toOctalString(mode) + " " + v + ": done");
            return Reply.of(200, "SITE CHMOD ok.");
        });
    }

    /** RFC 3659 §7.2: the facts line starts with one space, then the facts, a space and the path. */
    Reply mlst(String arg, Set<String> facts) {
        return attempt("MLST", () -> {
            String v = resolve(arg == null ? "." : arg);
            BasicFileAttributes a = jail.attributes(v);
            return Reply.of(250, "Listing " + v + "\n " + Listing.facts(v, a, account.write(), v.equals("/"), facts)
                + " " + v + "\nEnd.");
        });
    }

    /** STAT path: a LIST over the control connection, 212 for a folder, 213 for a file (RFC 959 §4.2). */
    Reply stat(String arg, Set<String> facts, ControlChannel control) {
        return attempt("STAT", () -> {
            String v = resolve(arg);
            boolean dir = jail.attributes(v).isDirectory();
            control.replyLines(dir ? 212 : 213, "Status of " + v + ":",
                out -> Listing.write(jail, v, Listing.Form.LIST, account.write(), facts, null, out), "End of status.");
            return Reply.Later.SENT;
        });
    }

    /** Runs a file action; a failure becomes the reply that says why, never a crash, and refusals are logged. */
    Reply attempt(String what, Action action) {
        try {
            return action.run();
        } catch (Reply.Failure e) {
            log.warn(what + ": " + e.getMessage());
            return e.reply;
        } catch (NoSuchFileException e) {
            log.info(what + ": refused, no such file or directory");
            return Reply.of(550, "No such file or directory.");
        } catch (FileAlreadyExistsException e) {
            log.info(what + ": refused, already exists");
            return Reply.of(550, "Already exists.");
        } catch (DirectoryNotEmptyException e) {
            log.info(what + ": refused, directory not empty");
            return Reply.of(550, "Directory not empty.");
        } catch (NotDirectoryException e) {
            log.info(what + ": refused, not a directory");
            return Reply.of(550, "Not a directory.");
        } catch (Cpu.Full e) {
            log.warn(what + ": refused, the server is busy with other CPU work");
            return Reply.of(421, "Too busy; try again later.");
        } catch (Claims.Busy e) {
            log.info(what + ": refused, busy (an upload, a delete or a rename runs on it)");
            return Reply.of(450, "File busy: an upload is writing it.");
        } catch (PathJail.Hidden e) {
            return Reply.of(553, "File name not allowed: names starting with a dot are hidden here.");
        } catch (PathJail.Unencodable e) {
            log.warn(what + ": refused, " + e.getFile() + " is " + e.getReason());
            return Reply.of(553, "File name not allowed: this server's file-name encoding can't represent it.");
        } catch (AccessDeniedException e) {
            log.warn(what + ": refused, permission denied" + (e.getReason() == null ? "" : " (" + e.getReason() + ")"));
            return Reply.of(550, "Permission denied.");
        } catch (FileSystemException e) {
            log.warn(what + ": failed, " + e.getMessage());
            return Reply.of(550, "Requested action not taken.");
        } catch (UnsupportedOperationException e) {
            log.info(what + ": refused, " + e.getMessage());
            return Reply.of(504, "Not supported here: " + e.getMessage() + ".");
        } catch (IOException e) {
            log.warn(what + ": failed, " + e);
            return Reply.of(451, "Local error; action aborted.");
        }
    }
}
