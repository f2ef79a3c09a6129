package io.icws.licenses.routes;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;

import io.icws.licenses.simulator.IcwsSimulator;
import io.icws.licenses.simulator.SimulatedUser;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * A host whose start fails must be able to end: after the failure and the context's stop, no thread the
 * routes made keeps a JVM alive (no non-daemon thread survives), whether the start failed before anything ran
 * or after the connections and the scheduler had started.
 */
class FailedStartTest {

    @TempDir
    Path folder;

    private Properties settings(String server) {
        Properties p = new Properties();
        p.setProperty("icws.server", server);
        p.setProperty("icws.user", "agent1");
        p.setProperty("icws.password", "secret");
        p.setProperty("icws.state.directory", folder.resolve("state").toString());
        p.setProperty("icws.outbox.directory", folder.resolve("outbox").toString());
        p.setProperty("icws.dead-letter.directory", folder.resolve("dead-letter").toString());
        p.setProperty("icws.notify.file.directory", folder.resolve("changes").toString());
        return p;
    }

    private static Set<Thread> liveNonDaemonThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && !t.isDaemon())
                .filter(t -> !t.getName().startsWith("awaitility")) // the test's own waiting
                .collect(Collectors.toSet());
    }

    @Test
    void aStartThatFailsLateLeavesNoThreadThatKeepsTheJvmAlive() throws Exception {
        Set<Thread> before = liveNonDaemonThreads();
        try (IcwsSimulator simulator = IcwsSimulator.builder().port(0).users(List.of(SimulatedUser.demo())).build().start()) {
            Properties p = settings(simulator.baseUri().toString());
            // a second connection whose server only the jar's runtime has: it fails when its route starts,
            // after the first connection's route, the outbox, the targets and Quartz have started
            p.setProperty("icws.connections", "good,late");
            p.setProperty("icws.connections.late.server", "embedded");
            CamelContext context = new DefaultCamelContext();
            context.getPropertiesComponent().setInitialProperties(p);
            context.addRoutes(new IcwsLicenseRoutes());

            Throwable failure = catchThrowable(context::start);
            context.stop();

            assertThat(failure).hasStackTraceContaining("'embedded' is the ICWS simulator of the jar's own runtime");
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(liveNonDaemonThreads()).as("non-daemon threads left").isSubsetOf(before));
    }

    @Test
    void aStartThatFailsOnASettingStartsNothing() throws Exception {
        Set<Thread> before = liveNonDaemonThreads();
        Properties p = settings("http://127.0.0.1:1");
        p.setProperty("icws.licenses", "BAD NAME");
        CamelContext context = new DefaultCamelContext();
        context.getPropertiesComponent().setInitialProperties(p);

        Throwable failure = catchThrowable(() -> context.addRoutes(new IcwsLicenseRoutes()));
        context.stop();

        assertThat(failure).hasMessageStartingWith("Invalid setting icws.licenses");
        assertThat(liveNonDaemonThreads()).isSubsetOf(before);
    }
}
