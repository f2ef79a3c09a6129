package io.icws.it.quarkus;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import io.icws.licenses.simulator.IcwsSimulator;
import io.icws.licenses.simulator.SimulatedUser;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * The ICWS simulator on a free port for each Quarkus start, and the settings a host gives: the server, the folders
 * under target/, the password in a file named by {@code icws.password-file} (Quarkus config reaches the library's
 * secret reading through Camel's MicroProfile properties source).
 */
public class SimulatorResource implements QuarkusTestResourceLifecycleManager {

    static final String USER = "agent1";
    static final String PASSWORD = "Pw-" + UUID.randomUUID();
    static IcwsSimulator simulator;
    static Path run;

    @Override
    public Map<String, String> start() {
        try {
            run = Path.of("target", "icws-" + UUID.randomUUID());
            Files.createDirectories(run);
            Path passwordFile = Files.writeString(run.resolve("icws-password"), PASSWORD + "\n");
            simulator = IcwsSimulator.builder().port(0)
                    .users(List.of(new SimulatedUser(USER, PASSWORD, SimulatedUser.demo().licenses()))).build().start();
            return Map.of(
                    "icws.server", simulator.baseUri().toString(),
                    "icws.password-file", passwordFile.toAbsolutePath().toString(),
                    "icws.state.directory", run.resolve("state").toString(),
                    "icws.outbox.directory", run.resolve("outbox").toString(),
                    "icws.dead-letter.directory", run.resolve("dead-letter").toString(),
                    "icws.notify.file.directory", run.resolve("changes").toString(),
                    "icws.subscribe.jitter", "0",
                    "icws.shutdown.timeout", "3000");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        simulator.close();
    }

    static List<Path> files(String marker) throws IOException {
        Path folder = run.resolve("changes");
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> list = Files.list(folder)) {
            return list.filter(f -> {
                String name = f.getFileName().toString();
                return name.endsWith(".json") && name.contains(marker);
            }).sorted().toList();
        }
    }
}
