package bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How busy the machine was with work that is not the bench's: CPU time of every process (from
 * /proc/stat) minus that of this process, its children (our jars) and a peer's process tree. On a
 * shared machine that foreign load is the first thing to read beside a noisy row.
 */
final class Machine {
    /** Clock ticks: all CPUs busy, and busy in the bench's own processes; and the time taken. */
    record Snapshot(long busy, long own, long nanos) {}

    private Machine() {}

    static Snapshot snapshot(long peerPid) {
        long own = treeTicks(ProcessHandle.current().pid()) + (peerPid > 0 ? treeTicks(peerPid) : 0);
        return new Snapshot(busyTicks(), own, System.nanoTime());
    }

    /** Cores kept busy by other processes between the two snapshots (0 to the number of cores). */
    static double foreignCores(Snapshot a, Snapshot b) {
        double seconds = (b.nanos() - a.nanos()) / 1e9;
        if (seconds <= 0) return Double.NaN;
        return Math.max(0, ((b.busy() - a.busy()) - (b.own() - a.own())) / 100.0 / seconds);   // USER_HZ is 100
    }

    /**
     * Waits until other processes keep fewer than {@code cores} busy over one second, for a minute at
     * most; the foreign load of the last second.
     */
    static double awaitQuiet(double cores, long peerPid) throws InterruptedException {
        long deadline = System.nanoTime() + 60 * Load.SECOND;
        double load;
        do {
            Snapshot a = snapshot(peerPid);
            Thread.sleep(1000);
            load = foreignCores(a, snapshot(peerPid));
        } while (load >= cores && System.nanoTime() < deadline);
        return load;
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "?";
        }
    }

    /** user + nice + system + irq + softirq + steal of the "cpu" line. */
    static long busyTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).split("\\s+");
            long busy = 0;
            for (int i : new int[] {1, 2, 3, 6, 7, 8}) busy += Long.parseLong(f[i]);
            return busy;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** utime + stime + cutime + cstime over a process tree: reaped children are in their parent's c-times. */
    static long treeTicks(long root) {
        long sum = 0;
        for (long pid : Server.tree(root)) {
            try {
                String st = Files.readString(Path.of("/proc/" + pid + "/stat"));
                String[] f = st.substring(st.lastIndexOf(')') + 2).split(" ");
                for (int i = 11; i <= 14; i++) sum += Long.parseLong(f[i]);  // fields 14-17 of proc(5)
            } catch (IOException | RuntimeException e) {
                // ended meanwhile
            }
        }
        return sum;
    }
}
