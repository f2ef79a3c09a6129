package io.icws.licenses.routes;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;

import io.icws.licenses.simulator.IcwsSimulator;
import io.icws.licenses.simulator.SimulatedUser;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Embedding in a team's own runtime, without camel-main: a plain CamelContext, the settings as properties, and
 * either {@code context.addRoutes(new IcwsLicenseRoutes())} or the YAML routes plus {@link IcwsConnectionRoutes},
 * added in either order. Defaults for everything not given come from the jar.
 */
class PlainCamelContextEmbeddingTest {

    @Test
    void javaRoutesRunInAPlainCamelContext(@TempDir Path folder) throws Exception {
        runs(folder, context -> context.addRoutes(new IcwsLicenseRoutes()));
    }

    @Test
    void yamlRoutesRunInAPlainCamelContextWithTheConnectionsAddedAfterThem(@TempDir Path folder) throws Exception {
        runs(folder, context -> {
            loadYaml(context);
            context.addRoutes(new IcwsConnectionRoutes());
        });
    }

    @Test
    void yamlRoutesRunInAPlainCamelContextWithTheConnectionsAddedBeforeThem(@TempDir Path folder) throws Exception {
        runs(folder, context -> {
            context.addRoutes(new IcwsConnectionRoutes());
            loadYaml(context);
        });
    }

    private static void loadYaml(CamelContext context) throws Exception {
        PluginHelper.getRoutesLoader(context).loadRoutes(PluginHelper.getPackageScanResourceResolver(context)
                .findResources("classpath:icws/routes/*.yaml"));
    }

    private interface Setup {
        void addTo(CamelContext context) throws Exception;
    }

    private static void runs(Path folder, Setup setup) throws Exception {
        try (IcwsSimulator simulator = IcwsSimulator.builder().port(0).users(List.of(SimulatedUser.demo())).build().start();
             CamelContext context = new DefaultCamelContext()) {
            Properties settings = new Properties();
            settings.setProperty("icws.server", simulator.baseUri().toString());
            settings.setProperty("icws.user", "agent1");
            settings.setProperty("icws.password", "secret");
            settings.setProperty("icws.notify.file.directory", folder.resolve("changes").toString());
            settings.setProperty("icws.state.directory", folder.resolve("state").toString());
            settings.setProperty("icws.outbox.directory", folder.resolve("outbox").toString());
            settings.setProperty("icws.dead-letter.directory", folder.resolve("dead-letter").toString());
            context.getPropertiesComponent().setInitialProperties(settings);

            setup.addTo(context);
            context.start();

            Path changes = folder.resolve("changes");
            await().atMost(Duration.ofSeconds(20)).until(() -> Files.isDirectory(changes)
                    && Files.list(changes).filter(f -> f.toString().endsWith(".json")).count() == 3);
            assertThat(context.getRouteController().getRouteStatus("icws-watch-default").isStarted()).isTrue();

            context.stop();
            assertThat(simulator.requests()).anyMatch(r -> r.method().equals("DELETE") && r.path().endsWith("/connection"));
        }
    }
}
