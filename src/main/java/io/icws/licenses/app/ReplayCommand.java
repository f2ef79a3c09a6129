package io.icws.licenses.app;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icws.licenses.IcwsBindings;
import io.icws.licenses.outbox.DeadLetters;

/**
 * {@code java -jar icws-license-routes.jar replay [--target NAME] [--dead-letter-directory DIR]}: moves the
 * dead letters of the targets (all, or one) into the {@code replay} folder of the dead-letter folder. The routes
 * watch that folder: each file goes once more to the target that refused it, through the outbox, and is
 * deleted — at once when they run, at their next start otherwise. Messages from the server that could not be
 * handled ({@code icws-message}) are not events and stay where they are.
 */
final class ReplayCommand {

    private ReplayCommand() {
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws IOException {
        String target = null;
        Path folder = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--target" -> target = value(args, ++i, "--target");
                case "--dead-letter-directory" -> folder = Path.of(value(args, ++i, "--dead-letter-directory"));
                case "--help", "-h" -> {
                    out.println("""
                            Usage: java -jar icws-license-routes.jar replay [--target NAME] [--dead-letter-directory DIR]
                              Moves the dead letters of every target (or of one: file, jms, email, log) into DIR/replay.
                              The routes send each once more to its target: at once if they run, else at their next start.
                              DIR defaults to icws.dead-letter.directory of config/application.properties (data/dead-letter).""");
                    return 0;
                }
                default -> {
                    err.println("replay: unknown option " + args[i] + " (replay --help)");
                    return 2;
                }
            }
        }
        if (folder == null) {
            folder = Path.of(setting("icws.dead-letter.directory", "data/dead-letter"));
        }
        if (!Files.isDirectory(folder)) {
            out.println("No dead letters: " + folder + " does not exist.");
            return 0;
        }
        Path replay = folder.resolve(DeadLetters.REPLAY_FOLDER);
        ObjectMapper mapper = new ObjectMapper();
        List<Path> moved = new ArrayList<>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".json")
                    && !f.getFileName().toString().startsWith(".") && Files.isRegularFile(f)).sorted().toList()) {
                JsonNode doc;
                try {
                    doc = mapper.readTree(file.toFile());
                } catch (IOException e) {
                    err.println("replay: skipping " + file + ": not a dead letter (" + e.getMessage() + ")");
                    continue;
                }
                String origin = doc.path("origin").asText("");
                if (origin.isEmpty() || origin.equals(DeadLetters.ICWS_MESSAGE) || !doc.path("content").isObject()
                        || (target != null && !target.equals(origin))) {
                    continue;
                }
                Files.createDirectories(replay);
                Files.move(file, replay.resolve(file.getFileName()), StandardCopyOption.ATOMIC_MOVE);
                moved.add(file);
            }
        }
        out.println("Moved " + moved.size() + " dead letter(s)" + (target == null ? "" : " of target " + target)
                + " into " + replay + "; the routes send each once more to its target: within seconds if they run, "
                + "else at their next start.");
        return 0;
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException("replay: " + option + " needs a value");
        }
        return args[i];
    }

    /** A setting as the jar reads it: -D, then config/application.properties, then the jar's defaults. */
    private static String setting(String key, String fallback) throws IOException {
        String value = System.getProperty(key);
        if (value != null) {
            return value;
        }
        Path config = Path.of("config/application.properties");
        Properties properties = new Properties();
        if (Files.isRegularFile(config)) {
            try (InputStream in = Files.newInputStream(config)) {
                properties.load(in);
            }
        } else {
            try (InputStream in = IcwsBindings.class.getClassLoader().getResourceAsStream(IcwsBindings.DEFAULTS)) {
                if (in != null) {
                    properties.load(in);
                }
            }
        }
        String env = System.getenv(key.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_'));
        return env != null ? env : properties.getProperty(key, fallback).trim();
    }
}
