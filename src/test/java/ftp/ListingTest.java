package ftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hand-built dates of LIST and MLSD against the JDK's formatters. */
class ListingTest {
    @TempDir Path tmp;

    static String ls(Path f) throws Exception {
        return Listing.ls(Files.readAttributes(f, PosixFileAttributes.class), f.getFileName().toString(), new Listing.Clock());
    }

    @Test
    void lsDatesAreRecentWithTimeAndOldWithYear() throws Exception {
        Path f = Files.writeString(tmp.resolve("f"), "12345");
        Instant recent = Instant.now().minus(3, ChronoUnit.DAYS).truncatedTo(ChronoUnit.MINUTES);
        Files.setLastModifiedTime(f, FileTime.from(recent));
        String expected = DateTimeFormatter.ofPattern("MMM dd HH:mm", Locale.ROOT).format(recent.atZone(ZoneId.systemDefault()));
        assertThat(ls(f)).startsWith("-rw").endsWith(" 5 " + expected + " f");
        Instant old = LocalDateTime.of(2019, 3, 7, 8, 9).atZone(ZoneId.systemDefault()).toInstant();
        Files.setLastModifiedTime(f, FileTime.from(old));
        assertThat(ls(f)).endsWith(" 5 Mar 07  2019 f");
        Instant future = Instant.now().plus(400, ChronoUnit.DAYS);          // a clock far ahead: the year, as ls shows it
        Files.setLastModifiedTime(f, FileTime.from(future));
        assertThat(ls(f)).endsWith("  " + future.atZone(ZoneId.systemDefault()).getYear() + " f");
    }

    @Test
    void mdtmIsUtcTimeVal() {
        assertThat(Listing.mdtm(Instant.parse("2020-01-02T03:04:05.678Z"))).isEqualTo("20200102030405");
        assertThat(Listing.mdtm(Instant.parse("0999-12-31T23:59:59Z"))).isEqualTo("09991231235959");
        assertThat(Listing.mdtm(Instant.EPOCH)).isEqualTo("19700101000000");
    }

    @Test
    void factsGiveSizeForFilesOnly() throws Exception {
        Path d = Files.createDirectory(tmp.resolve("d"));
        BasicFileAttributes a = Files.readAttributes(d, BasicFileAttributes.class);
        String facts = Listing.facts("/d", a, true, false, java.util.Set.copyOf(Listing.FACTS));
        assertThat(facts).startsWith("type=dir;").doesNotContain("size=").contains("perm=elcmpdf;");
        assertThat(Listing.facts("/", a, true, true, java.util.Set.copyOf(Listing.FACTS))).contains("perm=elcmp;");
    }
}
