package io.icws.licenses.state;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StateFilesTest {

    @TempDir
    Path dir;

    @Test
    void severalFilesAreSavedTogetherEachWholeAndNoTemporaryFileStays() throws Exception {
        Path a = dir.resolve("a.json");
        Path b = dir.resolve("b.json");
        Files.writeString(a, "old a");

        Map<Path, IOException> failures = StateFiles.saveAll(List.of(save(a, "new a"), save(b, "new b"),
                save(dir.resolve("sub").resolve("c.json"), "new c")));

        assertThat(failures).isEmpty();
        assertThat(a).hasContent("new a");
        assertThat(b).hasContent("new b");
        assertThat(dir.resolve("sub").resolve("c.json")).hasContent("new c");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("a.json", "b.json", "sub");
        }
    }

    @Test
    void aFileThatCannotBeSavedFailsAloneAndKeepsWhatItHad() throws Exception {
        Path blocker = dir.resolve("not-a-folder");
        Files.writeString(blocker, "x");
        Path refused = blocker.resolve("refused.json");
        Path kept = dir.resolve("kept.json");
        Path saved = dir.resolve("saved.json");
        Files.writeString(kept, "before");
        Files.createDirectory(dir.resolve("folder-in-the-way"));

        Map<Path, IOException> failures = StateFiles.saveAll(List.of(save(refused, "r"), save(saved, "s"),
                save(dir.resolve("folder-in-the-way"), "f")));

        assertThat(failures).containsOnlyKeys(refused.toAbsolutePath(), dir.resolve("folder-in-the-way").toAbsolutePath());
        assertThat(saved).hasContent("s");
        assertThat(kept).hasContent("before");
        assertThat(dir.resolve("folder-in-the-way")).isDirectory();
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("not-a-folder", "kept.json", "saved.json", "folder-in-the-way");
        }
    }

    @Test
    void oneFileSavedAloneThrowsItsFailure() throws Exception {
        Path blocker = dir.resolve("not-a-folder");
        Files.writeString(blocker, "x");

        assertThatThrownBy(() -> StateFiles.save(blocker.resolve("x.json"), bytes("x")))
                .isInstanceOf(IOException.class);
    }

    private static StateFiles.Save save(Path file, String text) {
        return new StateFiles.Save(file, bytes(text));
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
