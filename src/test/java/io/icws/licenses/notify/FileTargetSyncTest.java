package io.icws.licenses.notify;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The file target's sync step: it forces the file camel-file produced and its folder, and fails (so the outbox
 * tries the event again) whenever that cannot be done — never silently.
 */
class FileTargetSyncTest {

    @TempDir
    Path dir;

    private final FileTargetSync sync = new FileTargetSync();

    @Test
    void theProducedFileIsForcedAndKeepsItsContent() throws IOException {
        Path produced = Files.writeString(dir.resolve("20261128T013000Z_I3_A_unassigned_id.json"), "{\"id\":\"id\"}");

        sync.force(produced.toString());

        assertThat(produced).hasContent("{\"id\":\"id\"}");
    }

    @Test
    void aRelativeProducedNameIsForcedTooAsCamelFileGivesItForARelativeFolder() throws IOException {
        Path produced = Files.writeString(dir.resolve("event.json"), "{}");
        Path relative = Path.of("").toAbsolutePath().relativize(produced);

        sync.force(relative.toString());

        assertThat(produced).hasContent("{}");
    }

    @Test
    void aMissingFileFailsTheExchange() {
        assertThatThrownBy(() -> sync.force(dir.resolve("gone.json").toString()))
                .isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void aFileThatCannotBeForcedFailsTheExchange() throws IOException {
        // a folder where the file should be: it cannot be opened as a file to force, not even by root
        Path notAFile = Files.createDirectory(dir.resolve("event.json"));

        assertThatThrownBy(() -> sync.force(notAFile.toString())).isInstanceOf(IOException.class);
    }

    @Test
    void noProducedFileFailsTheExchange() {
        assertThatThrownBy(() -> sync.force(null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("CamelFileNameProduced");
        assertThatThrownBy(() -> sync.force(" ")).isInstanceOf(IllegalStateException.class);
    }
}
