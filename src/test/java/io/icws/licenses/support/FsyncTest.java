package io.icws.licenses.support;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the fsync helper promises. That bytes really reach the disk cannot be seen from a test (only a power cut
 * shows it); what can: a forced file keeps its content, what is missing fails loudly, and a folder that cannot be
 * forced on this system never fails the caller.
 */
class FsyncTest {

    @TempDir
    Path dir;

    @Test
    void aForcedFileKeepsItsContentAndIsNotTruncated() throws IOException {
        Path file = Files.writeString(dir.resolve("state.json"), "{\"epoch\":\"e\"}\n");

        Fsync.forceFile(file);

        assertThat(file).hasContent("{\"epoch\":\"e\"}");
    }

    @Test
    void forcingAMissingFileFailsAndCreatesNothing() {
        Path missing = dir.resolve("gone.json");

        assertThatThrownBy(() -> Fsync.forceFile(missing)).isInstanceOf(NoSuchFileException.class);
        assertThat(missing).doesNotExist();
    }

    @Test
    void forcingAFolderAsAFileFails() {
        assertThatThrownBy(() -> Fsync.forceFile(dir)).isInstanceOf(IOException.class);
    }

    @Test
    void aFolderIsForcedWhereTheSystemCan() throws IOException {
        // Linux and macOS can open and fsync a folder; Windows cannot (then: false, see below)
        boolean windows = System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).startsWith("windows");

        assertThat(Fsync.forceDirectory(dir)).isEqualTo(!windows);
    }

    @Test
    void aMissingFolderOrAFileInItsPlaceFails() throws IOException {
        Path file = Files.writeString(dir.resolve("not-a-folder"), "x");

        assertThatThrownBy(() -> Fsync.forceDirectory(dir.resolve("gone"))).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> Fsync.forceDirectory(file)).isInstanceOf(NotDirectoryException.class);
    }

    @Test
    void aFolderThatCannotBeOpenedHereDoesNotFailTheCaller() throws IOException {
        // what Windows answers when a folder is opened as a channel
        Fsync.Opener windowsLike = folder -> {
            throw new AccessDeniedException(folder.toString());
        };

        assertThat(Fsync.forceDirectory(dir, windowsLike)).isFalse();
    }

    @Test
    void aFolderThatCannotBeForcedHereDoesNotFailTheCaller() throws IOException {
        // a channel whose force fails, as on file systems that refuse fsync on a folder
        Fsync.Opener refusing = folder -> {
            FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ);
            channel.close();
            return channel;
        };

        assertThat(Fsync.forceDirectory(dir, refusing)).isFalse();
    }
}
