package ftp;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One data transfer on its own virtual thread. It sees only its {@link Job}, made and checked on
 * the control thread, owns the job's file, claims and data connection, and sends exactly one final
 * reply (226, 425, 426, 451, 522 or 552), unless ABOR got there first: then ABOR answers
 * (RFC 959 §4.1.3) and this thread stays silent. It logs one line and, for files, one xferlog line.
 */
final class Transfer implements Runnable, Copy.Meter {
    /**
     * A data verb, ready to run: {@code what} for the log ("STOR /a.txt"), the virtual path, TYPE A
     * or I, the rate limits it draws from, the text of its 150, how to protect the data connection
     * (null: clear), who asked (for xferlog), and the work itself.
     */
    record Job(String what, String path, boolean ascii, Throttle[] limits, String opening, Tls.Data protection,
               String user, boolean anonymous, Work work) {}

    /** What moves: a file out, a file in, or a listing out. */
    sealed interface Work {
        /** RETR from {@code offset} (REST); {@code zeroCopy}: the file is on the default file system (sendfile). */
        record Send(FileChannel file, long offset, boolean zeroCopy) implements Work {}

        /**
         * STOR, APPE, STOU into {@code target} (links resolved). {@code temp} null: written in place
         * (REST, APPE); else into that temporary file, renamed onto the target when all came. {@code cut}:
         * REST+STOR, truncate at {@code start} once data comes. {@code limit}: bytes it may write (0: any).
         */
        record Receive(PathJail jail, FileChannel file, String target, String temp, boolean existed, boolean cut,
                       long start, long replaced, long limit, String limitWhy, Claims.Claim claim,
                       Claims.Claim tempClaim) implements Work {}

        /** LIST, NLST, MLSD of the job's path. */
        record Listing(PathJail jail, ftp.Listing.Form form, boolean write, Set<String> facts, String asked)
            implements Work {}
    }

    private static final int RUNNING = 0, DONE = 1, ABORTED = 2;

    private final Job job;
    private final ControlChannel control;
    private final DataChannel data;
    private final Xferlog xferlog;
    private final Metrics metrics;
    private final Log log;
    private final InetAddress client;
    private final Runnable ended;                // after the final reply: the session may take commands again
    private final int step;
    private final AtomicInteger state = new AtomicInteger(RUNNING);
    private final long started = System.nanoTime();
    private volatile long bytes;
    private volatile boolean connected;
    private volatile boolean replied;            // the final reply went out already (a 552 before the drain)
    private volatile long progressed = started;
    private Thread thread;

    Transfer(Job job, ControlChannel control, DataChannel data, Xferlog xferlog, Metrics metrics, Log log,
             InetAddress client, Runnable ended) {
        this.job = job;
        this.control = control;
        this.data = data;
        this.xferlog = xferlog;
        this.metrics = metrics;
        this.log = log;
        this.client = client;
        this.ended = ended;
        long slowest = Long.MAX_VALUE;
        for (Throttle t : job.limits()) slowest = Math.min(slowest, t.rate());
        this.step = (int) Math.max(1024, Math.min(Copy.BUFFER, slowest / 20));
    }

    void start() { thread = Thread.ofVirtual().name("ftp-transfer").start(this); }

    @Override
    public void run() {
        Reply.Line result;
        try {
            switch (job.work()) {
                case Work.Send s -> send(s);
                case Work.Receive r -> receive(r);
                case Work.Listing l -> list(l);
            }
            result = Reply.of(226, "Transfer complete.");
        } catch (Reply.Failure f) {
            String cause = f.getCause() == null ? "" : " (" + Log.causes(f.getCause()) + ")";
            if (!replied) log.warn(job.what() + ": " + f.getMessage() + cause);
            result = f.reply;
        } catch (IOException e) {
            result = bytes == 0 && !connected ? Reply.of(425, "Can't open data connection.")
                                              : Reply.of(426, "Connection closed; transfer aborted.");
            if (state.get() == RUNNING) log.info(job.what() + ": data connection: " + Log.causes(e));
        } catch (RuntimeException e) {
            log.error("transfer of " + job.what() + " failed: " + e);
            result = Reply.of(451, "Local error; transfer aborted.");
        } finally {
            data.close();
        }
        boolean aborted = !state.compareAndSet(RUNNING, DONE);
        long ms = (System.nanoTime() - started) / 1_000_000;
        String outcome = aborted ? "aborted" : result.code() == 226 ? "ok" : "failed " + result.code();
        log.transfer(job.what(), job.path(), bytes, ms, outcome);
        Xferlog.Direction direction = switch (job.work()) {
            case Work.Send s -> Xferlog.Direction.OUT;
            case Work.Receive r -> Xferlog.Direction.IN;
            case Work.Listing l -> null;                                   // listings are not file transfers
        };
        Metrics.Kind kind = direction == null ? Metrics.Kind.LISTING
            : direction == Xferlog.Direction.IN ? Metrics.Kind.UPLOAD : Metrics.Kind.DOWNLOAD;
        metrics.transfer(kind, aborted ? Metrics.Result.ABORTED
            : result.code() == 226 ? Metrics.Result.OK : Metrics.Result.FAILED, bytes);
        if (direction != null) xferlog.write(new Xferlog.Entry(ZonedDateTime.now(), ms, client, bytes, job.path(),
            job.ascii(), direction, job.anonymous(), job.user(), !aborted && result.code() == 226));
        if (!aborted && !replied) {
            try {
                control.reply(result);
            } catch (IOException ignored) {
                // the control connection is gone; its thread will notice
            }
        }
        ended.run();
    }

    private void send(Work.Send s) throws IOException {
        try (FileChannel f = s.file(); DataChannel.Conn c = open()) {
            Copy.send(f, s.offset(), c, job.ascii(), s.zeroCopy(), this);
        }
    }

    private void list(Work.Listing l) throws IOException {
        try (DataChannel.Conn c = open()) {
            Writer out = new BufferedWriter(new OutputStreamWriter(counting(c), StandardCharsets.UTF_8), 16 * 1024);
            ftp.Listing.write(l.jail(), job.path(), l.form(), l.write(), l.facts(), l.asked(), out);
            out.flush();
        }
    }

    /**
     * An upload. A file written in place over the size limit is cut back to where it started. A
     * temporary file is renamed onto the target when the upload is whole; when it is not, the old
     * file stays as it was, and a new file's part that came is kept under its name, to be resumed.
     */
    private void receive(Work.Receive r) throws IOException {
        Claims.Claim claim = r.claim(), tempClaim = r.tempClaim();
        try (claim; tempClaim) {
            boolean done = false, overLimit = false;
            try {
                long written = 0;
                try (FileChannel f = r.file(); DataChannel.Conn c = open()) {
                    if (r.cut()) f.truncate(r.start());    // only now: no data connection, no change
                    try {
                        written = Copy.receive(c, f, job.ascii(), r.limit(), this);
                        store(f);
                    } catch (Reply.Failure e) {
                        if (e.reply.code() != 552) throw e;
                        overLimit = true;
                        if (r.temp() == null) undo(r);
                        else {                                 // gone before the 552 goes out
                            f.close();
                            remove(r.jail(), r.temp());
                        }
                        refuse(e, c, r.limitWhy());
                    }
                }
                if (r.temp() != null) {
                    try {
                        r.jail().move(r.temp(), r.target());
                    } catch (IOException e) {
                        throw new Reply.Failure(451, "Could not put the file in place; an old one is unchanged.", e);
                    }
                }
                r.jail().used(written - r.replaced());
                done = true;
            } finally {
                if (!done && r.temp() != null && !overLimit) {
                    if (connected && !r.existed() && r.jail().store().local()) keep(r);
                    else remove(r.jail(), r.temp());
                }
            }
        }
    }

    /** Closes an upload's file: an object store sends the object only now, and may fail to. */
    private static void store(FileChannel f) throws Reply.Failure {
        try {
            f.close();
        } catch (IOException e) {
            throw new Reply.Failure(451, "Could not store the file; transfer aborted.", e);
        }
    }

    /**
     * Over a size limit: the 552 goes out at once, then what the client still sends is read and
     * dropped for a bounded while before the data connection closes. Closed at once, with bytes
     * unread, the connection would end in a reset, and curl or ftplib would report the reset (their
     * send failing) instead of the 552.
     */
    private void refuse(Reply.Failure e, DataChannel.Conn c, String why) throws IOException {
        log.warn(job.what() + ": refused, over " + why);
        replied = true;
        control.reply(e.reply);
        Copy.drain(c, Config.LINGER, Config.DRAIN_BYTES);
        throw e;
    }

    /**
     * A broken upload of a new file: what came is kept under its name for REST + STOR or APPE, as
     * a server writing in place would leave it, unless an upload through another instance put a
     * file there meanwhile (checked, then renamed: a window of microseconds).
     */
    private void keep(Work.Receive r) {
        try {
            if (r.jail().ownOrNull(r.target()) == null) {
                r.jail().move(r.temp(), r.target());
                return;
            }
        } catch (IOException e) {
            log.warn("could not keep the part of " + r.target() + " that came: " + e);
        }
        remove(r.jail(), r.temp());
    }

    /** Over the limit in place: what this upload wrote goes. */
    private void undo(Work.Receive r) throws IOException {
        try (FileChannel c = r.jail().open(r.target(), StandardOpenOption.WRITE)) {
            c.truncate(r.start());
        }
    }

    private void remove(PathJail jail, String path) {
        try {
            jail.delete(path);
        } catch (IOException e) {
            log.warn("could not remove " + path + ": " + e);
        }
    }

    /** The 150 reply, then the data connection (accepted or connected now, then TLS if PROT P). */
    private DataChannel.Conn open() throws IOException {
        control.reply(150, job.opening());
        SocketChannel c = data.connect();
        progressed = System.nanoTime();
        try {
            DataChannel.Conn conn = job.protection() == null ? new DataChannel.Conn(c.socket(), c)
                : new DataChannel.Conn(job.protection().wrap(c.socket(), job.work() instanceof Work.Receive), null);
            connected = true;
            return conn;
        } catch (IOException e) {
            c.close();
            throw e;
        }
    }

    /** A stream onto the data connection that counts bytes, for progress and the stall watchdog. */
    private OutputStream counting(DataChannel.Conn conn) throws IOException {
        OutputStream raw = conn.socket().getOutputStream();
        return new OutputStream() {
            @Override public void write(int b) throws IOException { raw.write(b); moved(1); }
            @Override public void write(byte[] b, int off, int len) throws IOException {
                raw.write(b, off, len);
                moved(len);
            }
            @Override public void flush() throws IOException { raw.flush(); }
        };
    }

    /** Under a rate limit, sleeps in short slices: ABOR and a stop must not wait out a long sleep. */
    @Override
    public void moved(long n) throws IOException {
        bytes += n;
        long now = System.nanoTime(), until = now + Throttle.reserve(job.limits(), n);
        progressed = now;
        for (long left; (left = until - System.nanoTime()) > 0; progressed = System.nanoTime()) {
            if (state.get() != RUNNING) throw new IOException("aborted");
            try {
                Thread.sleep(Duration.ofNanos(Math.min(left, 100_000_000L)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("throttle interrupted");
            }
        }
    }

    @Override public int step() { return step; }

    @Override public boolean limited() { return job.limits().length > 0; }

    /** ABOR: true when the transfer was still running (then the caller sends 426 + 226). */
    boolean abort() {
        if (!state.compareAndSet(RUNNING, ABORTED)) return false;
        data.close();
        return true;
    }

    /** The watchdog's verdict on a data connection that has not moved for too long. */
    void stall() {
        log.warn("transfer of " + job.what() + " stalled; closing its data connection");
        data.close();
    }

    boolean stalled(long now, long nanos) { return nanos > 0 && now - progressed > nanos; }

    void join() throws InterruptedException { thread.join(); }

    /** Waits at most {@code d} for the transfer thread to end (it logs its result as it ends). */
    void join(Duration d) throws InterruptedException { thread.join(d); }

    /** False once the copy has ended, even while its final reply is still on the way. */
    boolean running() { return state.get() == RUNNING; }

    long bytes() { return bytes; }

    String what() { return job.what(); }
}
