package io.icws.licenses.app;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code replay}: moves a target's dead letters into the folder the routes send again from; nothing else. */
class ReplayCommandTest {

    @TempDir
    Path dir;

    private static String letter(String origin) {
        return "{\"origin\":\"" + origin + "\",\"time\":\"t\",\"reason\":\"r\",\"content\":"
                + (origin.equals("icws-message") ? "\"{not json}\"" : "{\"id\":\"e1\"}") + "}";
    }

    private int run(String... args) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        return ReplayCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    @Test
    void movesTheDeadLettersOfOneTargetAndLeavesTheRestAlone() throws Exception {
        Files.writeString(dir.resolve("jms-1.json"), letter("jms"));
        Files.writeString(dir.resolve("file-1.json"), letter("file"));
        Files.writeString(dir.resolve("icws-message-1.json"), letter("icws-message"));

        assertThat(run("--target", "jms", "--dead-letter-directory", dir.toString())).isZero();

        assertThat(dir.resolve("replay/jms-1.json")).exists();
        assertThat(dir.resolve("jms-1.json")).doesNotExist();
        assertThat(dir.resolve("file-1.json")).exists();
        assertThat(dir.resolve("icws-message-1.json")).exists();
    }

    @Test
    void withoutATargetEveryTargetsDeadLettersMoveButNoMessageFromTheServer() throws Exception {
        Files.writeString(dir.resolve("jms-1.json"), letter("jms"));
        Files.writeString(dir.resolve("email-1.json"), letter("email"));
        Files.writeString(dir.resolve("icws-message-1.json"), letter("icws-message"));

        assertThat(run("--dead-letter-directory", dir.toString())).isZero();

        assertThat(dir.resolve("replay/jms-1.json")).exists();
        assertThat(dir.resolve("replay/email-1.json")).exists();
        assertThat(dir.resolve("icws-message-1.json")).exists();
    }

    @Test
    void anUnknownOptionIsRefused() throws Exception {
        assertThat(run("--everything")).isEqualTo(2);
    }
}
