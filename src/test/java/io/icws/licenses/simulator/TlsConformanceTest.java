package io.icws.licenses.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The simulator over HTTPS. One TLS simulator (one certificate: making one takes a second or two) serves the
 * whole class; the clients keep the JDK's hostname verification on, so a passing request also proves the
 * certificate's SubjectAlternativeName.
 */
class TlsConformanceTest {

    private static final int DNS = 2;
    private static final int IP = 7;

    @TempDir
    static Path dir;

    private static IcwsSimulator sim;
    private static Path trustStore;
    private static IcwsTestClient client;

    @BeforeAll
    static void startTlsSimulator() throws Exception {
        sim = IcwsSimulator.builder().port(0).tls(true).keepAliveInterval(Duration.ofMillis(200)).build().start();
        trustStore = dir.resolve("sim-trust.p12");
        sim.writeTrustStore(trustStore, "changeit".toCharArray());
        client = new IcwsTestClient(sim.baseUri(), IcwsTestClient.httpClient(trusting(trustStore, "changeit")));
    }

    @AfterAll
    static void stopTlsSimulator() {
        if (sim != null) {
            sim.close();
        }
    }

    /** An SSL context that trusts exactly the certificates of a PKCS12 trust store. */
    static SSLContext trusting(Path store, String password) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, password.toCharArray());
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    private static boolean causedByHandshakeFailure(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof SSLHandshakeException) {
                return true;
            }
        }
        return false;
    }

    private static List<List<?>> subjectAltNames(X509Certificate cert) throws Exception {
        return List.copyOf(cert.getSubjectAlternativeNames() == null ? Collections.emptyList()
                : cert.getSubjectAlternativeNames());
    }

    @Test
    void baseUriIsHttpsOnTheBoundAddress() {
        assertThat(sim.baseUri()).isEqualTo(URI.create("https://127.0.0.1:" + sim.port()));
    }

    @Test
    void withTheTrustStoreALoginAndTheLicenseFlowWorkWithHostnameVerificationOn() {
        // the JDK client verifies the host name against the SAN unless this (internal) switch is set
        assertThat(System.getProperty("jdk.internal.httpclient.disableHostnameVerification")).isNull();

        IcwsTestClient.Login l = client.login();
        assertThat(l.response().statusCode()).isEqualTo(201);
        assertThat(l.response().uri().getScheme()).isEqualTo("https");

        assertThat(client.subscribe(l, "I3_ACCESS_CLIENT", "I3_ACCESS_FEEDBACK").statusCode()).isEqualTo(200);
        JsonNode snapshot = client.poll(l);
        assertThat(snapshot).hasSize(1);
        assertThat(snapshot.get(0).get("isDelta").asBoolean()).isFalse();
        assertThat(snapshot.get(0).get("licenseAssignedStatusList").toString()).isEqualTo(
                "[{\"name\":\"I3_ACCESS_CLIENT\",\"isAssigned\":true},{\"name\":\"I3_ACCESS_FEEDBACK\",\"isAssigned\":false}]");

        assertThat(client.setLicense("agent1", "I3_ACCESS_FEEDBACK", true).statusCode()).isEqualTo(200);
        try {
            JsonNode delta = client.poll(l);
            assertThat(delta.get(0).get("isDelta").asBoolean()).isTrue();
            assertThat(delta.get(0).get("licenseAssignedStatusList").get(0).get("isAssigned").asBoolean()).isTrue();
        } finally {
            sim.setLicenseAssigned("agent1", "I3_ACCESS_FEEDBACK", false);
        }
        assertThat(client.authed(l, "DELETE", "connection", null).statusCode()).isEqualTo(204);
    }

    @Test
    void eventStreamWorksOverTls() throws Exception {
        IcwsTestClient.Login l = client.login();
        client.subscribe(l, "I3_ACCESS_CLIENT");

        try (IcwsTestClient.EventStream stream = client.openStream(l)) {
            assertThat(stream.response.statusCode()).isEqualTo(200);
            assertThat(stream.nextData(Duration.ofSeconds(5)).get("isDelta").asBoolean()).isFalse();
            assertThat(stream.nextLine(Duration.ofSeconds(5))).startsWith(":"); // keep-alive comment
            sim.setLicenseAssigned("agent1", "I3_ACCESS_CLIENT", false);
            try {
                assertThat(stream.nextData(Duration.ofSeconds(5)).get("isDelta").asBoolean()).isTrue();
            } finally {
                sim.setLicenseAssigned("agent1", "I3_ACCESS_CLIENT", true);
            }
        } finally {
            client.authed(l, "DELETE", "connection", null);
        }
    }

    @Test
    void aChangeMadeAfterTheClientClosedItsStreamGoesToTheNextStreamOverTls() throws Exception {
        IcwsTestClient.Login l = client.login();
        client.subscribe(l, "I3_ACCESS_FEEDBACK");
        try {
            try (IcwsTestClient.EventStream first = client.openStream(l)) {
                assertThat(first.nextData(Duration.ofSeconds(5)).get("isDelta").asBoolean()).isFalse();
            }

            sim.setLicenseAssigned("agent1", "I3_ACCESS_FEEDBACK", true);

            try (IcwsTestClient.EventStream second = client.openStream(l)) {
                JsonNode delta = second.nextData(Duration.ofSeconds(5));
                assertThat(delta.get("isDelta").asBoolean()).isTrue();
                assertThat(delta.get("licenseAssignedStatusList").get(0).get("isAssigned").asBoolean()).isTrue();
            }
            assertThat(client.poll(l)).isEmpty();
        } finally {
            sim.setLicenseAssigned("agent1", "I3_ACCESS_FEEDBACK", false);
            client.authed(l, "DELETE", "connection", null);
        }
    }

    @Test
    void theDnsNameLocalhostIsAcceptedToo() {
        IcwsTestClient viaName = new IcwsTestClient(URI.create("https://localhost:" + sim.port()),
                IcwsTestClient.httpClient(clientContext()));

        assertThat(viaName.login().response().statusCode()).isEqualTo(201);
    }

    private static SSLContext clientContext() {
        try {
            return trusting(trustStore, "changeit");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void withoutTheTrustStoreTheDefaultClientFailsTheHandshake() {
        HttpRequest req = HttpRequest.newBuilder(sim.baseUri().resolve("/icws/connection/features"))
                .timeout(Duration.ofSeconds(10)).GET().build();

        Throwable t = catchThrowable(() -> HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString()));

        assertThat(t).isNotNull();
        assertThat(causedByHandshakeFailure(t)).as("caused by an SSLHandshakeException: %s", t).isTrue();
    }

    @Test
    void certificateIsSelfSignedRsa2048ForLocalhostValidForAboutAYear() throws Exception {
        X509Certificate cert = sim.certificate();

        assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("CN=localhost");
        assertThat(cert.getIssuerX500Principal()).isEqualTo(cert.getSubjectX500Principal());
        cert.verify(cert.getPublicKey());
        assertThat(((RSAPublicKey) cert.getPublicKey()).getModulus().bitLength()).isEqualTo(2048);
        assertThat(subjectAltNames(cert)).containsExactlyInAnyOrder(List.of(DNS, "localhost"), List.of(IP, "127.0.0.1"));
        Instant notAfter = cert.getNotAfter().toInstant();
        assertThat(notAfter).isBetween(Instant.now().plus(Duration.ofDays(360)), Instant.now().plus(Duration.ofDays(366)));
        assertThat(cert.getNotBefore().toInstant()).isBefore(Instant.now().plusSeconds(1));
    }

    @Test
    void trustStoreHoldsJustTheCertificateAsATrustedEntry() throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(trustStore)) {
            ks.load(in, "changeit".toCharArray());
        }

        assertThat(Collections.list(ks.aliases())).containsExactly("icws-simulator");
        assertThat(ks.isCertificateEntry("icws-simulator")).isTrue();
        assertThat(ks.getCertificate("icws-simulator")).isEqualTo(sim.certificate());
    }

    @Test
    void anotherBoundAddressIsInTheSubjectAltNames() throws Exception {
        try (IcwsSimulator other = IcwsSimulator.builder().host("127.0.0.2").port(0).tls(true).build().start()) {
            assertThat(subjectAltNames(other.certificate())).containsExactlyInAnyOrder(
                    List.of(DNS, "localhost"), List.of(IP, "127.0.0.1"), List.of(IP, "127.0.0.2"));
            Path store = dir.resolve("other.p12");
            other.writeTrustStore(store, "other-pw".toCharArray());

            IcwsTestClient c = new IcwsTestClient(other.baseUri(), IcwsTestClient.httpClient(trusting(store, "other-pw")));
            assertThat(other.baseUri().toString()).startsWith("https://127.0.0.2:");
            assertThat(c.login().response().statusCode()).isEqualTo(201);
        }
    }

    @Test
    void withoutTlsThereIsNoCertificate() {
        try (IcwsSimulator plain = IcwsSimulator.builder().port(0).build().start()) {
            assertThat(plain.baseUri().getScheme()).isEqualTo("http");
            assertThatThrownBy(plain::certificate).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> plain.writeTrustStore(dir.resolve("none.p12"), "x".toCharArray()))
                    .isInstanceOf(IllegalStateException.class);
        }
        assertThatThrownBy(() -> IcwsSimulator.builder().tls(true).build().certificate())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("not started");
    }

    @Test
    void subjectAltNamesOfTheBoundHost() {
        assertThat(SelfSignedTls.subjectAltNames("127.0.0.1")).containsExactly("dns:localhost", "ip:127.0.0.1");
        assertThat(SelfSignedTls.subjectAltNames("localhost")).containsExactly("dns:localhost", "ip:127.0.0.1");
        assertThat(SelfSignedTls.subjectAltNames("127.0.0.2")).containsExactly("dns:localhost", "ip:127.0.0.1", "ip:127.0.0.2");
        assertThat(SelfSignedTls.subjectAltNames("0.0.0.0")).containsExactly("dns:localhost", "ip:127.0.0.1");
        assertThat(SelfSignedTls.subjectAltNames("::")).containsExactly("dns:localhost", "ip:127.0.0.1");
        assertThat(SelfSignedTls.subjectAltNames("::1")).containsExactly("dns:localhost", "ip:127.0.0.1", "ip:::1");
        assertThat(SelfSignedTls.subjectAltNames("Sim.Example")).containsExactly("dns:localhost", "ip:127.0.0.1", "dns:sim.example");
    }

    // ---------------------------------------------------------------- command line

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "default password | ''       | changeit",
        "own password     | s3cret-pw | s3cret-pw",
    })
    void commandLineTlsPrintsOneHttpsLineAndWritesALoadableTrustStore(String name, String option, String password)
            throws Exception {
        Path store = dir.resolve("cli-" + password + ".p12");
        List<String> args = new java.util.ArrayList<>(List.of("--tls", "--trust-store", store.toString(), "--port", "0"));
        if (!option.isEmpty()) {
            args.addAll(List.of("--trust-store-password", option));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        AtomicInteger exit = new AtomicInteger(-1);
        Thread runner = new Thread(() -> exit.set(SimulatorCommand.run(args.toArray(String[]::new),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8))),
                "simulator-command-tls");
        runner.setDaemon(true);
        runner.start();
        try {
            await().atMost(Duration.ofSeconds(40))
                    .until(() -> out.toString(StandardCharsets.UTF_8).contains("\n") || exit.get() >= 0);
            assertThat(exit.get()).as("still running; err: %s", err).isEqualTo(-1);
            String printed = out.toString(StandardCharsets.UTF_8);
            assertThat(printed).matches("https://127\\.0\\.0\\.1:\\d+\\R");
            URI base = URI.create(printed.strip());

            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(store)) {
                ks.load(in, password.toCharArray());
            }
            assertThat(Collections.list(ks.aliases())).containsExactly("icws-simulator");
            assertThat(ks.isCertificateEntry("icws-simulator")).isTrue();

            IcwsTestClient c = new IcwsTestClient(base, IcwsTestClient.httpClient(trusting(store, password)));
            assertThat(c.login().response().statusCode()).isEqualTo(201);
            assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(printed); // still the only stdout line
            assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
        } finally {
            runner.interrupt();
            runner.join(5_000);
        }
        assertThat(runner.isAlive()).isFalse();
        assertThat(exit.get()).isZero();
    }
}
