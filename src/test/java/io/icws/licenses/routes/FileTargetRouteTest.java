package io.icws.licenses.routes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.icws.licenses.notify.ChangeFormats;
import io.icws.licenses.notify.FileMessages;
import io.icws.licenses.notify.FileTargetSync;
import io.icws.licenses.outbox.DeadLetters;
import io.icws.licenses.outbox.FileOutbox;
import io.icws.licenses.outbox.Outbox;
import io.icws.licenses.outbox.OutboxComponent;
import io.icws.licenses.state.ChangeType;
import io.icws.licenses.state.LicenseChange;
import io.icws.licenses.state.LicenseChangeEvent;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The file target route (YAML and Java DSL alike), with a real outbox and real files: an event is written under
 * a temporary name and renamed, then the produced file is forced while the outbox still holds the event — the
 * cursor moves only after — and a force that fails fails the delivery, so the event is tried again.
 */
class FileTargetRouteTest {

    @TempDir
    Path folder;

    private CamelContext context;
    private Outbox outbox;

    /** The real sync step, noting what it saw each time it ran; fails on the first call when asked to. */
    static final class WatchedSync extends FileTargetSync {
        record Call(Path produced, boolean existed, int queued, List<String> writingFiles) {
        }

        final List<Call> calls = new CopyOnWriteArrayList<>();
        private final boolean failFirst;
        private Outbox outbox;

        WatchedSync(boolean failFirst) {
            this.failFirst = failFirst;
        }

        /** The files of each batch forced, one list per call. */
        final List<List<Path>> batches = new CopyOnWriteArrayList<>();

        @Override
        public void forceAll(List<String> produced) throws IOException {
            List<Path> batch = new ArrayList<>();
            for (String name : produced) {
                Path file = Path.of(name);
                batch.add(file);
                calls.add(new Call(file, Files.exists(file), outbox.queue("file").status().depth(),
                        writingFiles(file.getParent())));
            }
            batches.add(batch);
            if (failFirst && batches.size() == 1) {
                throw new IOException("simulated: the disk refused the fsync");
            }
            super.forceAll(produced);
        }
    }

    @AfterEach
    void stop() throws Exception {
        if (context != null) {
            context.close();
        }
        if (outbox != null) {
            outbox.stop();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"yaml", "java"})
    void theEventIsRenamedIntoPlaceThenForcedBeforeTheOutboxMovesOn(String dsl) throws Exception {
        WatchedSync sync = start(dsl, false);
        LicenseChangeEvent event = outbox.append(List.of(event())).get(0).event(); // with its committed id

        Path changes = folder.resolve("changes");
        await().atMost(Duration.ofSeconds(10)).until(() -> outbox.queue("file").status().depth() == 0);
        assertThat(sync.calls).hasSize(1);
        WatchedSync.Call call = sync.calls.get(0);
        assertThat(call.produced().getFileName().toString()).isEqualTo(new ChangeFormats().fileName(event));
        assertThat(call.existed()).as("renamed into place before the force").isTrue();
        assertThat(call.writingFiles()).as("temporary files at the force").isEmpty();
        assertThat(call.queued()).as("events the outbox still held for the target at the force").isEqualTo(1);
        assertThat(call.produced().toAbsolutePath()).hasContent(
                new ObjectMapper().writeValueAsString(event));
        assertThat(writingFiles(changes)).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"yaml", "java"})
    void pendingEventsAreWrittenThenForcedTogetherBeforeTheOutboxMovesOn(String dsl) throws Exception {
        // committed before the route starts: all of them are pending at its first batch
        outbox = new FileOutbox(folder.resolve("outbox"), new ObjectMapper());
        outbox.start();
        List<LicenseChangeEvent> events = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            events.add(LicenseChangeEvent.of("epoch", "srv:8019", "agent" + i,
                    new LicenseChange("I3_ACCESS_CLIENT", ChangeType.UNASSIGNED, false, true, 1),
                    Map.of("I3_ACCESS_CLIENT", false), Instant.parse("2026-11-28T01:30:00Z")));
        }
        List<LicenseChangeEvent> committed = outbox.append(events).stream().map(Outbox.Entry::event).toList();
        WatchedSync sync = start(dsl, false, outbox);

        await().atMost(Duration.ofSeconds(10)).until(() -> outbox.queue("file").status().depth() == 0);
        assertThat(sync.batches).as("one force of the whole batch").singleElement()
                .satisfies(batch -> assertThat(batch).extracting(p -> p.getFileName().toString())
                        .containsExactlyElementsOf(committed.stream().map(new ChangeFormats()::fileName).toList()));
        assertThat(sync.calls).allSatisfy(call -> {
            assertThat(call.existed()).as("renamed into place before the force").isTrue();
            assertThat(call.queued()).as("events the outbox still held at the force").isEqualTo(20);
            assertThat(call.writingFiles()).isEmpty();
        });
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"yaml", "java"})
    void aForceThatFailsFailsTheDeliveryAndTheEventIsTriedAgain(String dsl) throws Exception {
        WatchedSync sync = start(dsl, true);
        LicenseChangeEvent event = outbox.append(List.of(event())).get(0).event(); // with its committed id

        await().atMost(Duration.ofSeconds(10)).until(() -> outbox.queue("file").status().depth() == 0);
        assertThat(sync.calls).as("forced once, failed; written and forced again").hasSize(2);
        assertThat(sync.calls.get(0).queued()).isEqualTo(1);
        assertThat(sync.calls.get(1).queued()).as("the failed try left the event in the outbox").isEqualTo(1);
        assertThat(sync.calls.get(1).produced()).isEqualTo(sync.calls.get(0).produced());
        assertThat(writingFiles(folder.resolve("changes"))).isEmpty();
        try (Stream<Path> dead = Files.list(folder.resolve("dead-letter"))
                .filter(p -> p.toString().endsWith(".json"))) {
            assertThat(dead).as("not a refusal: nothing in the dead letters").isEmpty();
        } catch (java.nio.file.NoSuchFileException noFolder) {
            // no dead letter was ever written
        }
    }

    private WatchedSync start(String dsl, boolean failFirst) throws Exception {
        outbox = new FileOutbox(folder.resolve("outbox"), new ObjectMapper());
        outbox.start();
        return start(dsl, failFirst, outbox);
    }

    private WatchedSync start(String dsl, boolean failFirst, Outbox outbox) throws Exception {
        WatchedSync sync = new WatchedSync(failFirst);
        sync.outbox = outbox;

        context = new DefaultCamelContext();
        Properties settings = new Properties();
        settings.putAll(Map.ofEntries(
                Map.entry("icws.notify.log.enabled", "false"),
                Map.entry("icws.notify.file.enabled", "true"),
                Map.entry("icws.notify.jms.enabled", "false"),
                Map.entry("icws.notify.email.enabled", "false"),
                Map.entry("icws.notify.file.directory", folder.resolve("changes").toString()),
                Map.entry("icws.dead-letter.directory", folder.resolve("dead-letter").toString()),
                Map.entry("icws.notify.redelivery.attempts", "3"),
                Map.entry("icws.notify.file.batch-size", "100"),
                Map.entry("icws.notify.jms.batch-size", "100"),
                Map.entry("icws.notify.redelivery.initial-delay", "10"),
                Map.entry("icws.notify.redelivery.max-delay", "10"),
                Map.entry("icws.notify.jms.destination", "unused"),
                Map.entry("icws.notify.email.host", "localhost"),
                Map.entry("icws.notify.email.port", "25"),
                Map.entry("icws.notify.email.from", "a@example.com"),
                Map.entry("icws.notify.email.to", "b@example.com"),
                Map.entry("icws.notify.email.changes", "unassigned"),
                Map.entry("icws.shutdown.timeout", "2000")));
        context.getPropertiesComponent().setInitialProperties(settings);
        context.getRegistry().bind(OutboxComponent.OUTBOX_BEAN, outbox);
        context.getRegistry().bind(OutboxComponent.DEAD_LETTERS_BEAN,
                new DeadLetters(folder.resolve("dead-letter"), new ObjectMapper(), outbox, Clock.systemUTC()));
        context.getRegistry().bind("changeFormats", new ChangeFormats());
        context.getRegistry().bind("fileTargetSync", sync);
        context.getRegistry().bind(FileMessages.BEAN, new FileMessages());
        if (dsl.equals("yaml")) {
            for (String file : List.of("routes/icws-error-handling.yaml", "routes/license-targets.yaml")) {
                PluginHelper.getRoutesLoader(context).loadRoutes(ResourceHelper.resolveResource(context, "file:" + file));
            }
        } else {
            new IcwsErrorHandling().addRouteConfigurationsToCamelContext(context);
            context.addRoutes(new TargetRoutes());
        }
        context.start();
        return sync;
    }

    private static LicenseChangeEvent event() {
        return LicenseChangeEvent.of("epoch", "srv:8019", "agent1",
                new LicenseChange("I3_ACCESS_CLIENT", ChangeType.UNASSIGNED, false, true, 1),
                Map.of("I3_ACCESS_CLIENT", false), Instant.parse("2026-11-28T01:30:00Z"));
    }

    private static List<String> writingFiles(Path dir) {
        if (dir == null || !Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".writing-")).toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
