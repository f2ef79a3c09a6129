package io.icws.it.boot;

import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.icws.licenses.simulator.IcwsSimulator;
import io.icws.licenses.simulator.RecordedRequest;
import io.icws.licenses.simulator.SimulatedUser;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * What both Spring Boot hosts (Java DSL, YAML DSL) must show: against the simulator, the first snapshot (3 observed
 * files), one change → one file, on context close the subscription and the session deleted (204 each); every
 * logger at DEBUG and the password in no line of the output; all Camel jars one version; no Artemis broker.
 * The output capture is registered on the class, so it holds the context's start-up too.
 */
@ExtendWith(OutputCaptureExtension.class)
abstract class BootHostTestSupport {

    static final String USER = "agent1";
    static final String PASSWORD = "Pw-" + UUID.randomUUID();
    static final String CAMEL_VERSION = "4.18.0";

    static IcwsSimulator simulator;
    static Path run;

    @BeforeAll
    static void startSimulator() {
        simulator = IcwsSimulator.builder().port(0)
                .users(List.of(new SimulatedUser(USER, PASSWORD, SimulatedUser.demo().licenses()))).build().start();
    }

    @AfterAll
    static void stopSimulator() {
        simulator.close();
    }

    /**
     * Starts the application as {@code java -jar app.jar --spring.profiles.active=<profile> --icws.server=…} would,
     * the folders under target/, every logger at DEBUG (the HTTP client's header and wire loggers included).
     * The password is a Spring property, as a host gives it: {@code icws.password} in Spring's default properties,
     * or {@code --icws.password-file=…} naming a file. The library reads secrets around Camel's property resolution
     * (so that resolution cannot log them) and asks Spring's Environment through camel-spring-boot's parser.
     */
    static ConfigurableApplicationContext start(String profile, boolean passwordInFile) throws IOException {
        run = Path.of("target", "icws-" + profile);
        deleteRecursively(run);
        Files.createDirectories(run);
        List<String> arguments = new ArrayList<>(List.of(
                "--icws.server=" + simulator.baseUri(),
                "--icws.state.directory=" + run.resolve("state"),
                "--icws.outbox.directory=" + run.resolve("outbox"),
                "--icws.dead-letter.directory=" + run.resolve("dead-letter"),
                "--icws.notify.file.directory=" + run.resolve("changes"),
                "--icws.subscribe.jitter=0",
                "--icws.shutdown.timeout=3000",
                "--logging.level.root=DEBUG",
                "--logging.level.org.apache.hc.client5.http.headers=DEBUG",
                "--logging.level.org.apache.hc.client5.http.wire=DEBUG"));
        SpringApplicationBuilder application = new SpringApplicationBuilder(HostApplication.class).profiles(profile);
        if (passwordInFile) {
            Path passwordFile = Files.writeString(run.resolve("icws-password"), PASSWORD + "\n");
            arguments.add("--icws.password-file=" + passwordFile.toAbsolutePath());
        } else {
            application.properties(Map.of("icws.password", PASSWORD));
        }
        return application.run(arguments.toArray(String[]::new));
    }

    static void oneChangeOneFileAndLogOutOnClose(ConfigurableApplicationContext application, CapturedOutput output)
            throws Exception {
        Path changes = run.resolve("changes");
        CamelContext camel = application.getBean(CamelContext.class);
        try {
            assertThat(camel.getVersion()).isEqualTo(CAMEL_VERSION);
            assertThat(camel.getRoute("icws-watch-default")).isNotNull();

            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                    .until(() -> files(changes, "_observed_").size() == 3);
            assertThat(simulator.setLicenseAssigned(USER, "I3_LICENSE_BASIC_STATION", false)).isTrue();
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                    .until(() -> files(changes, "_unassigned_").size() == 1);
            // the library's meters are in the actuator's registry
            io.micrometer.core.instrument.MeterRegistry meters =
                    application.getBean(io.micrometer.core.instrument.MeterRegistry.class);
            await().atMost(Duration.ofSeconds(10)).until(() -> meters.find("icws.license.assigned")
                    .tags("connection", "default", "license", "I3_LICENSE_BASIC_STATION").gauge() != null
                    && meters.get("icws.license.assigned").tags("license", "I3_LICENSE_BASIC_STATION").gauge().value() == 0.0);
            assertThat(meters.get("icws.session.up").tag("connection", "default").gauge().value()).isEqualTo(1.0);
            assertThat(meters.get("icws.logins").tag("connection", "default").functionCounter().count()).isEqualTo(1.0);
            assertThat(meters.get("icws.license.changes").tags("connection", "default", "change_type", "unassigned")
                    .functionCounter().count()).isEqualTo(1.0);
        } finally {
            application.close();
        }
        assertThat(camel.isStopped()).isTrue();

        assertThat(files(changes, "_observed_")).hasSize(3);
        assertThat(files(changes, "_unassigned_")).singleElement()
                .satisfies(f -> assertThat(f.getFileName().toString()).contains("I3_LICENSE_BASIC_STATION"));
        List<RecordedRequest> requests = simulator.requests();
        assertThat(requests).anyMatch(r -> r.method().equals("DELETE")
                && r.path().endsWith("/messaging/subscriptions/licenses") && r.status() == 204);
        assertThat(requests).anyMatch(r -> r.method().equals("DELETE")
                && r.path().endsWith("/connection") && r.status() == 204);

        String all = output.getAll();
        // the capture holds the start-up and DEBUG lines, those of Camel's property resolution (which prints each
        // value it resolves) among them
        assertThat(all).contains("ICWS license routes running").contains(" DEBUG ").contains("SpringPropertiesParser");
        assertThat(all.contains(PASSWORD)).as("the password appears in the host's DEBUG output").isFalse();
    }

    /** No second broker: the library brings no Artemis server (Boot would auto-configure one on vm://0). */
    static void noEmbeddedBroker() {
        assertThatThrownBy(() -> Class.forName("org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ"))
                .isInstanceOf(ClassNotFoundException.class);
    }

    /**
     * The dependency tree as the running classpath shows it: every org.apache.camel jar (and camel-spring-boot's)
     * at the library's Camel version, no ActiveMQ jar at all, one logback-classic (Boot's).
     */
    static void classpathFacts() throws IOException {
        Pattern jar = Pattern.compile("/org/apache/(camel(?:/springboot)?|activemq)/([^/]+)/([^/]+)/[^/]+\\.jar!");
        List<String> camelJars = new ArrayList<>();
        List<String> activemqJars = new ArrayList<>();
        List<String> logback = new ArrayList<>();
        for (URL url : Collections.list(BootHostTestSupport.class.getClassLoader().getResources("META-INF/MANIFEST.MF"))) {
            String s = url.toString();
            Matcher m = jar.matcher(s);
            if (m.find()) {
                (m.group(1).startsWith("camel") ? camelJars : activemqJars).add(m.group(2) + ":" + m.group(3));
            }
            if (s.contains("/logback-classic-")) {
                logback.add(s);
            }
        }
        assertThat(camelJars).hasSizeGreaterThan(20)
                .contains("camel-spring-boot:" + CAMEL_VERSION, "camel-core-engine:" + CAMEL_VERSION,
                        "camel-http:" + CAMEL_VERSION, "camel-quartz:" + CAMEL_VERSION)
                .allSatisfy(a -> assertThat(a).endsWith(":" + CAMEL_VERSION));
        assertThat(activemqJars).isEmpty();
        assertThat(logback).hasSize(1);
    }

    static List<Path> files(Path folder, String marker) throws IOException {
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

    static void deleteRecursively(Path folder) throws IOException {
        if (Files.exists(folder)) {
            try (Stream<Path> walk = Files.walk(folder)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}
