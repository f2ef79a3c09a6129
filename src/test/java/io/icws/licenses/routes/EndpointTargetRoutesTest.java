package io.icws.licenses.routes;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icws.licenses.IcwsBindings;
import io.icws.licenses.WebhookServer;
import io.icws.licenses.config.InvalidSettingException;
import io.icws.licenses.outbox.Outbox;
import io.icws.licenses.outbox.OutboxComponent;
import io.icws.licenses.outbox.TargetQueue;
import io.icws.licenses.state.ChangeType;
import io.icws.licenses.state.LicenseChange;
import io.icws.licenses.state.LicenseChangeEvent;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Endpoint targets ({@code icws.notify.endpoints}) and routes of your own from {@code icws-outbox:<name>}, in both
 * DSLs, against a real webhook on 127.0.0.1, with a real outbox: events committed with {@link Outbox#append(List)}
 * (their ids given at commit) arrive once each, in order, with their ids, in either CloudEvents mode; a 503 holds
 * the queue, a 400 sends the event to the dead letters after the tries; a bad URI or name stops start-up naming
 * the setting. YAML: the template comes from {@code routes/endpoint-targets.yaml} and the routes from the source
 * {@link IcwsBindings} binds (nothing else added); Java: {@link EndpointTargetTemplate} and
 * {@link EndpointTargetRoutes}.
 */
class EndpointTargetRoutesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path folder;

    private final List<WebhookServer> webhooks = new ArrayList<>();
    private CamelContext context;
    private Outbox outbox;

    @AfterEach
    void stop() throws Exception {
        if (context != null) {
            context.close();
        }
        webhooks.forEach(WebhookServer::close);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"yaml", "java"})
    void structuredModeSendsEveryEventOnceWithItsIdAsTheBody(String dsl) throws Exception {
        WebhookServer hook = webhook();
        start(dsl, Map.of("icws.notify.endpoints", "hook", "icws.notify.endpoints.hook.uri", hook.url("/events")));

        List<LicenseChangeEvent> events = commit(3);

        await().atMost(Duration.ofSeconds(10))
                .until(() -> hook.accepted().size() == 3 && queue("hook").status().depth() == 0);
        List<WebhookServer.Request> got = hook.accepted();
        for (int i = 0; i < 3; i++) {
            WebhookServer.Request request = got.get(i);
            assertThat(request.method()).isEqualTo("POST");
            assertThat(request.path()).isEqualTo("/events");
            assertThat(request.header("Content-Type")).isEqualTo("application/cloudevents+json; charset=UTF-8");
            assertThat(JSON.readTree(request.body())).isEqualTo(JSON.valueToTree(events.get(i)));
            assertNoCamelHeaders(request);
        }
        assertThat(hook.received()).as("each once").hasSize(3);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"yaml", "java"})
    void binaryModeSendsTheDataAsTheBodyAndTheAttributesAsHeaders(String dsl) throws Exception {
        WebhookServer hook = webhook();
        start(dsl, Map.of("icws.notify.endpoints", "hook", "icws.notify.endpoints.hook.uri", hook.url("/ce"),
                "icws.notify.endpoints.hook.cloudevents-mode", "binary"));

        List<LicenseChangeEvent> events = commit(2);

        await().atMost(Duration.ofSeconds(10)).until(() -> hook.accepted().size() == 2);
        for (int i = 0; i < 2; i++) {
            WebhookServer.Request request = hook.accepted().get(i);
            LicenseChangeEvent event = events.get(i);
            assertThat(request.header("ce-specversion")).isEqualTo("1.0");
            assertThat(request.header("ce-id")).isEqualTo(event.id());
            assertThat(request.header("ce-source")).isEqualTo(event.source());
            assertThat(request.header("ce-type")).isEqualTo(event.type());
            assertThat(request.header("ce-time")).isEqualTo(event.time());
            assertThat(request.header("Content-Type")).startsWith("application/json");
            assertThat(JSON.readTree(request.body())).isEqualTo(JSON.valueToTree(event.data()));
            assertNoCamelHeaders(request);
        }
    }

    @Test
    void onlyTheChangeTypesListedAreSent() throws Exception {
        WebhookServer hook = webhook();
        start("yaml", Map.of("icws.notify.endpoints", "hook", "icws.notify.endpoints.hook.uri", hook.url("/"),
                "icws.notify.endpoints.hook.changes", "assigned"));

        outbox.append(List.of(event("I3_A", ChangeType.UNASSIGNED), event("I3_B", ChangeType.ASSIGNED)));

        await().atMost(Duration.ofSeconds(10)).until(() -> queue("hook").status().depth() == 0);
        assertThat(hook.received()).hasSize(1);
        assertThat(hook.received().get(0).body()).contains("\"license\":\"I3_B\"");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"yaml", "java"})
    void aWebhookAnswering503HoldsTheQueueAndThenDrainsInOrderWithoutDeadLetters(String dsl) throws Exception {
        WebhookServer hook = webhook();
        hook.answer(503);
        start(dsl, Map.of("icws.notify.endpoints", "hook", "icws.notify.endpoints.hook.uri", hook.url("/"),
                "icws.notify.endpoints.hook.attempts", "1"));

        List<LicenseChangeEvent> events = commit(3);

        // for 5 s the first event is tried again and again (far more often than attempts=1 allows a refusal)
        await().atMost(Duration.ofSeconds(10)).until(() -> queue("hook").status().state() == TargetQueue.State.OUTAGE);
        await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(8))
                .until(() -> queue("hook").status().depth() == 3 && deadLetters().isEmpty());
        assertThat(hook.received()).hasSizeGreaterThan(5)
                .allSatisfy(r -> assertThat(r.body()).contains(events.get(0).id()));
        assertThat(health("hook").getState()).isEqualTo(HealthCheck.State.DOWN);

        hook.answer(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> hook.accepted().size() == 3);
        assertThat(hook.accepted()).extracting(r -> JSON.readTree(r.body()).get("id").asText())
                .containsExactly(events.get(0).id(), events.get(1).id(), events.get(2).id());
        assertThat(deadLetters()).isEmpty();
        await().atMost(Duration.ofSeconds(5)).until(() -> health("hook").getState() == HealthCheck.State.UP);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"yaml", "java"})
    void aRefusedConnectionIsAnOutage(String dsl) throws Exception {
        WebhookServer hook = webhook();
        String url = hook.url("/");
        hook.close(); // nothing listens there any more
        start(dsl, Map.of("icws.notify.endpoints", "hook", "icws.notify.endpoints.hook.uri", url,
                "icws.notify.endpoints.hook.attempts", "0"));

        commit(1);

        await().atMost(Duration.ofSeconds(10)).until(() -> queue("hook").status().state() == TargetQueue.State.OUTAGE);
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
                .until(() -> queue("hook").status().depth() == 1 && deadLetters().isEmpty());
    }

    @Test
    void aWebhookThatDoesNotAnswerWithinTheResponseTimeOutIsAnOutage() throws Exception {
        WebhookServer hook = webhook();
        hook.hold();
        start("java", Map.of("icws.notify.endpoints", "hook", "icws.notify.endpoints.hook.uri", hook.url("/"),
                "icws.notify.endpoints.hook.attempts", "0", "icws.notify.endpoints.hook.response-timeout", "300"));

        LicenseChangeEvent event = commit(1).get(0);

        await().atMost(Duration.ofSeconds(10)).until(() -> queue("hook").status().state() == TargetQueue.State.OUTAGE
                && hook.received().size() >= 2);
        assertThat(deadLetters()).isEmpty();
        hook.release();
        await().atMost(Duration.ofSeconds(10)).until(() -> queue("hook").status().depth() == 0);
        assertThat(hook.received()).allSatisfy(r -> assertThat(r.body()).contains(event.id()));
        assertThat(deadLetters()).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"yaml", "java"})
    void a400SendsTheEventToTheDeadLettersAfterTheTriesAndLaterEventsGoOnAndItCanBeReplayed(String dsl)
            throws Exception {
        WebhookServer hook = webhook();
        start(dsl, Map.of("icws.notify.endpoints", "hook", "icws.notify.endpoints.hook.uri", hook.url("/"),
                "icws.notify.endpoints.hook.attempts", "2"));
        LicenseChangeEvent refused = outbox.append(List.of(event("I3_REFUSED", ChangeType.UNASSIGNED))).get(0).event();
        hook.answer(r -> r.body().contains(refused.id()) ? 400 : 200);
        LicenseChangeEvent later = outbox.append(List.of(event("I3_LATER", ChangeType.ASSIGNED))).get(0).event();

        await().atMost(Duration.ofSeconds(10)).until(() -> hook.accepted().size() == 1);
        assertThat(hook.received()).extracting(r -> JSON.readTree(r.body()).get("id").asText())
                .containsExactly(refused.id(), refused.id(), refused.id(), later.id());
        List<Path> dead = deadLetters();
        assertThat(dead).hasSize(1);
        JsonNode letter = JSON.readTree(dead.get(0).toFile());
        assertThat(letter.path("origin").asText()).isEqualTo("hook");
        assertThat(letter.path("content").path("id").asText()).isEqualTo(refused.id());

        // replayed once the webhook takes it: the same id, to this target
        hook.answer(200);
        Path replay = folder.resolve("dead-letter/replay");
        Files.createDirectories(replay);
        Files.move(dead.get(0), replay.resolve(dead.get(0).getFileName()));
        await().atMost(Duration.ofSeconds(10)).until(() -> hook.accepted().size() == 2);
        assertThat(JSON.readTree(hook.accepted().get(1).body()).get("id").asText()).isEqualTo(refused.id());
    }

    @Test
    void yourOwnRoutesFromTheOutboxInYamlAndJavaAreTargetsThatGetTheSameEvents() throws Exception {
        WebhookServer chat = webhook();
        start("yaml", Map.of("icws.examples.chat.url", chat.url("/yaml"), "icws.notify.redelivery.attempts", "0"),
                List.of("routes/examples/chat-webhook.yaml"), new RouteBuilder() {
                    @Override
                    public void configure() {
                        // the same in Java DSL: {"text": "…"} from the changeFormats bean
                        from("icws-outbox:chat-java").routeId("notify-chat-java").routeConfigurationId("icws-target")
                                .filter(simple("${body.data.changeType} != 'observed'"))
                                    .removeHeaders("*")
                                    .setBody(method("changeFormats", "logLine"))
                                    .marshal().json()
                                    .setBody(simple("{\"text\": ${body}}"))
                                    .setHeader("Content-Type", constant("application/json"))
                                    .to(chat.url("/java") + "?connectTimeout=5000&responseTimeout=30000")
                                .end();
                    }
                });

        List<LicenseChangeEvent> events = outbox.append(List.of(event("I3_\"QUOTED\"", ChangeType.UNASSIGNED),
                event("I3_B", ChangeType.OBSERVED), event("I3_C", ChangeType.ASSIGNED))).stream()
                .map(Outbox.Entry::event).toList();

        await().atMost(Duration.ofSeconds(10)).until(() -> chat.accepted().size() == 4
                && queue("chat").status().depth() == 0 && queue("chat-java").status().depth() == 0);
        for (String path : List.of("/yaml", "/java")) {
            List<String> texts = chat.accepted().stream().filter(r -> r.path().equals(path))
                    .map(r -> readText(r.body())).toList();
            assertThat(texts).as(path).hasSize(2);
            assertThat(texts.get(0)).contains("I3_\"QUOTED\"", events.get(0).id());
            assertThat(texts.get(1)).contains("I3_C", events.get(2).id());
        }
        for (String target : List.of("chat", "chat-java")) {
            assertThat(health(target).getState()).isEqualTo(HealthCheck.State.UP);
        }
        assertThat(chat.received()).hasSize(4);
    }

    @Test
    void theKafkaExampleHoldsItsQueueWhileTheBrokerCannotBeReached() throws Exception {
        int closedPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        start("yaml", Map.of("icws.examples.kafka.brokers", "127.0.0.1:" + closedPort,
                "icws.examples.kafka.max-block", "300", "icws.examples.kafka.request-timeout", "300",
                "icws.examples.kafka.delivery-timeout", "600", "icws.notify.redelivery.attempts", "0"),
                List.of("routes/examples/kafka.yaml"), null);

        commit(1);

        // Kafka's retriable errors are no IOException: the example's doCatch makes them an outage, not a refusal
        await().atMost(Duration.ofSeconds(20)).until(() -> queue("kafka").status().state() == TargetQueue.State.OUTAGE);
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4))
                .until(() -> queue("kafka").status().depth() == 1 && deadLetters().isEmpty());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"yaml", "java"})
    void aUriCamelCannotResolveStopsStartUpNamingTheSetting(String dsl) {
        assertThatThrownBy(() -> start(dsl, Map.of("icws.notify.endpoints", "hook",
                "icws.notify.endpoints.hook.uri", "nosuch:thing")))
                .satisfies(e -> {
                    InvalidSettingException invalid = invalidSetting(e);
                    assertThat(invalid.key()).isEqualTo("icws.notify.endpoints.hook.uri");
                    assertThat(invalid.getMessage()).contains("nosuch").doesNotContain("\n");
                });
    }

    @Test
    void aBadOptionStopsStartUpNamingTheSettingAndTheOptionButNotItsValue() {
        assertThatThrownBy(() -> start("java", Map.of("icws.notify.endpoints", "hook",
                "icws.notify.endpoints.hook.uri", "log:x?bogusOption=s3cr3t-value")))
                .satisfies(e -> {
                    InvalidSettingException invalid = invalidSetting(e);
                    assertThat(invalid.key()).isEqualTo("icws.notify.endpoints.hook.uri");
                    assertThat(invalid.getMessage()).contains("bogusOption").doesNotContain("s3cr3t-value");
                });
    }

    @Test
    void theUriAsLoggedKeepsPlaceholdersUnresolvedAndSecretOptionsMasked() throws Exception {
        context = new DefaultCamelContext();
        Properties p = new Properties();
        p.setProperty("icws.notify.endpoints.a.uri", "https://hooks.example.com/{{sys:hook-path}}?authBearerToken=RAW(t0ken)");
        p.setProperty("icws.notify.endpoints.b.uri", "https://hooks.example.com/x?authPassword=hunter2&authUsername=u");
        context.getPropertiesComponent().setInitialProperties(p);

        assertThat(EndpointTargetRoutes.asWritten(context, "icws.notify.endpoints.a.uri"))
                .contains("{{sys:hook-path}}").doesNotContain("t0ken");
        assertThat(EndpointTargetRoutes.asWritten(context, "icws.notify.endpoints.b.uri"))
                .doesNotContain("hunter2").contains("hooks.example.com");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Bad_Name", "file", "-x"})
    void aBadTargetNameIsRefusedNamingIt(String name) {
        assertThatThrownBy(() -> start("java", Map.of("icws.notify.endpoints", name,
                "icws.notify.endpoints." + name + ".uri", "log:x")))
                .satisfies(e -> {
                    InvalidSettingException invalid = invalidSetting(e);
                    assertThat(invalid.key()).isEqualTo("icws.notify.endpoints");
                    assertThat(invalid.getMessage()).contains("'" + name + "'");
                });
    }

    @Test
    void anEndpointTargetsKeysWithoutItsNameListedAreRefused() {
        assertThatThrownBy(() -> start("java", Map.of("icws.notify.endpoints.forgotten.uri", "log:x")))
                .satisfies(e -> assertThat(invalidSetting(e).key()).isEqualTo("icws.notify.endpoints.forgotten.uri"));
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private WebhookServer webhook() throws Exception {
        WebhookServer hook = WebhookServer.start();
        webhooks.add(hook);
        return hook;
    }

    private void start(String dsl, Map<String, String> extra) throws Exception {
        start(dsl, extra, List.of(), null);
    }

    /** The error handling, the replay route, the endpoint targets' template and routes, in one DSL. */
    private void start(String dsl, Map<String, String> extra, List<String> yamlFiles, RouteBuilder own)
            throws Exception {
        context = new DefaultCamelContext();
        Map<String, String> settings = new HashMap<>(Map.ofEntries(
                Map.entry("icws.server", "http://127.0.0.1:1"),
                Map.entry("icws.user", "agent1"),
                Map.entry("icws.password", "unused"),
                Map.entry("icws.notify.log.enabled", "false"),
                Map.entry("icws.notify.file.enabled", "false"),
                Map.entry("icws.notify.jms.enabled", "false"),
                Map.entry("icws.notify.email.enabled", "false"),
                Map.entry("icws.state.directory", folder.resolve("state").toString()),
                Map.entry("icws.outbox.directory", folder.resolve("outbox").toString()),
                Map.entry("icws.cluster.file.acquire-lock-interval", "100"),
                Map.entry("icws.dead-letter.directory", folder.resolve("dead-letter").toString()),
                Map.entry("icws.notify.redelivery.attempts", "3"),
                Map.entry("icws.notify.redelivery.initial-delay", "20"),
                Map.entry("icws.notify.redelivery.max-delay", "200"),
                Map.entry("icws.shutdown.timeout", "2000")));
        settings.putAll(extra);
        Properties properties = new Properties();
        properties.putAll(settings);
        context.getPropertiesComponent().setInitialProperties(properties);
        try {
            IcwsBindings.bind(context);
            if (dsl.equals("yaml")) {
                List<String> files = new ArrayList<>(List.of("routes/icws-error-handling.yaml",
                        "routes/license-targets.yaml", "routes/endpoint-targets.yaml"));
                files.addAll(yamlFiles);
                for (String file : files) {
                    PluginHelper.getRoutesLoader(context).loadRoutes(ResourceHelper.resolveResource(context, "file:" + file));
                }
            } else {
                new IcwsErrorHandling().addRouteConfigurationsToCamelContext(context);
                context.addRoutes(new TargetRoutes());
                context.addRoutes(new EndpointTargetTemplate());
                context.addRoutes(new EndpointTargetRoutes());
            }
            if (own != null) {
                context.addRoutes(own);
            }
            context.start();
        } catch (Exception | Error e) {
            context.close();
            context = null;
            throw e;
        }
        outbox = context.getRegistry().lookupByNameAndType(OutboxComponent.OUTBOX_BEAN, Outbox.class);
        // this test commits as a connection would: a user of the outbox (the target routes start once this
        // context owns the data folder, a moment later; they read what was committed before)
        outbox.start();
    }

    private List<LicenseChangeEvent> commit(int n) {
        List<LicenseChangeEvent> events = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            events.add(event("I3_LICENSE_" + i, i % 2 == 0 ? ChangeType.UNASSIGNED : ChangeType.ASSIGNED));
        }
        return outbox.append(events).stream().map(Outbox.Entry::event).toList(); // with their committed ids
    }

    private static LicenseChangeEvent event(String license, ChangeType type) {
        boolean assigned = type != ChangeType.UNASSIGNED;
        return LicenseChangeEvent.of("epoch", "srv:8019", "agent1",
                new LicenseChange(license, type, assigned, type == ChangeType.OBSERVED ? null : !assigned, 1),
                Map.of(license, assigned), Instant.parse("2026-11-28T01:30:00Z"));
    }

    private TargetQueue queue(String target) {
        return outbox.queues().stream().filter(q -> q.target().equals(target)).findFirst().orElseThrow();
    }

    private HealthCheck.Result health(String target) {
        return HealthCheckRegistry.get(context).getCheck("icws-target-" + target).orElseThrow().call();
    }

    private List<Path> deadLetters() throws Exception {
        Path dir = folder.resolve("dead-letter");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
    }

    private static void assertNoCamelHeaders(WebhookServer.Request request) {
        assertThat(request.headers().keySet()).noneMatch(h -> h.startsWith("camel") || h.startsWith("icws"));
    }

    private static String readText(String body) {
        try {
            return JSON.readTree(body).get("text").asText();
        } catch (Exception e) {
            throw new AssertionError("not {\"text\": …}: " + body, e);
        }
    }

    private static InvalidSettingException invalidSetting(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InvalidSettingException invalid) {
                return invalid;
            }
        }
        throw new AssertionError("no InvalidSettingException in " + e, e);
    }
}
