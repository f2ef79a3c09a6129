package io.icws.licenses.routes;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.icws.licenses.icws.IcwsConnection;
import io.icws.licenses.simulator.IcwsSimulator;
import io.icws.licenses.simulator.SimulatedUser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The routes over HTTPS against the simulator's self-signed certificate: with a trust store that holds it
 * they work (host name verified); without it the log-in fails with an error that says why, and health is
 * DOWN. Both DSLs.
 */
class HttpsRoutesTest {

    static IcwsSimulator tlsSimulator;
    static Path trustStore;

    @BeforeAll
    static void startTlsSimulator(@TempDir Path shared) {
        tlsSimulator = IcwsSimulator.builder().port(0).tls(true).users(List.of(SimulatedUser.demo())).build().start();
        trustStore = shared.resolve("icws-trust.p12");
        tlsSimulator.writeTrustStore(trustStore, "changeit".toCharArray());
    }

    @AfterAll
    static void stopTlsSimulator() {
        tlsSimulator.close();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"yaml", "java"})
    void routesWorkOverHttpsWithATrustStoreHoldingTheServerCertificate(String dsl, @TempDir Path folder) throws Exception {
        try (RoutesHarness routes = new RoutesHarness(dsl, "sse", folder, 1)) {
            assertThat(tlsSimulator.baseUri().getScheme()).isEqualTo("https");
            routes.with("icws.server", tlsSimulator.baseUri().toString())
                    .with("icws.tls.trust-store", trustStore.toString())
                    .with("icws.tls.trust-store-password", "changeit")
                    .with("icws.notify.email.enabled", "false")
                    .start();

            routes.awaitFileEvent("I3_ACCESS_FEEDBACK", "observed");
            assertThat(routes.fileEvents()).hasSize(3);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"yaml", "java"})
    void withoutTheTrustStoreLoginFailsWithACertificateError(String dsl, @TempDir Path folder) throws Exception {
        try (RoutesHarness routes = new RoutesHarness(dsl, "sse", folder, 1)) {
            routes.with("icws.server", tlsSimulator.baseUri().toString())
                    .with("icws.notify.email.enabled", "false")
                    .start();
            IcwsConnection.Status status = await().atMost(Duration.ofSeconds(10)).until(routes::status,
                    s -> String.valueOf(s.problem()).startsWith("TLS handshake"));
            assertThat(status.problem()).contains(tlsSimulator.baseUri().toString())
                    .contains("certification path").contains("icws.tls.trust-store");
            assertThat(status.healthy()).isFalse();
            assertThat(routes.fileEvents()).isEmpty();
        }
    }
}
