package io.icws.licenses.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class ParallelSessionsConformanceTest extends SimulatorTestBase {

    static final List<String> LICENSES = List.of("I3_ACCESS_CLIENT", "I3_LICENSE_BASIC_STATION", "I3_ACCESS_FEEDBACK",
            "I3_FEATURE_ICWS_SDK");

    @Test
    void fortySessionsInParallelEachGetTheirOwnSnapshot() throws Exception {
        int sessions = 40;
        ExecutorService pool = Executors.newFixedThreadPool(sessions);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < sessions; i++) {
                int n = i;
                results.add(pool.submit(() -> {
                    go.await();
                    // each session subscribes to its own rotation of 1..4 licenses
                    List<String> mine = new ArrayList<>();
                    for (int k = 0; k <= n % LICENSES.size(); k++) {
                        mine.add(LICENSES.get((n + k) % LICENSES.size()));
                    }
                    IcwsTestClient.Login l = client.login();
                    assertThat(client.subscribe(l, mine.toArray(String[]::new)).statusCode()).isEqualTo(200);
                    JsonNode messages = client.poll(l);
                    assertThat(messages).hasSize(1);
                    List<String> names = new ArrayList<>();
                    for (JsonNode s : messages.get(0).get("licenseAssignedStatusList")) {
                        names.add(s.get("name").asText());
                        boolean expected = s.get("name").asText().equals("I3_ACCESS_CLIENT")
                                || s.get("name").asText().equals("I3_LICENSE_BASIC_STATION");
                        assertThat(s.get("isAssigned").asBoolean()).as(s.toString()).isEqualTo(expected);
                    }
                    assertThat(names).containsExactlyElementsOf(mine);
                    assertThat(client.poll(l)).isEmpty();
                    assertThat(client.authed(l, "DELETE", "connection", null).statusCode()).isEqualTo(204);
                    return l.sessionId();
                }));
            }
            go.countDown();
            List<String> ids = new ArrayList<>();
            for (Future<String> f : results) {
                ids.add(f.get(30, TimeUnit.SECONDS));
            }
            assertThat(ids).doesNotHaveDuplicates().hasSize(sessions);
            assertThat(sim.requests()).hasSize(sessions * 5);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void concurrentLicenseChangesReachEverySubscribedSessionInOrder() throws Exception {
        int sessions = 40;
        List<IcwsTestClient.Login> logins = new ArrayList<>();
        for (int i = 0; i < sessions; i++) {
            IcwsTestClient.Login l = client.login();
            client.subscribe(l, "I3_ACCESS_FEEDBACK");
            client.poll(l);
            logins.add(l);
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        int changes = 0;
        try {
            List<Future<Boolean>> toggles = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                boolean assigned = i % 2 == 0;
                toggles.add(pool.submit(() -> sim.setLicenseAssigned("agent1", "I3_ACCESS_FEEDBACK", assigned)));
            }
            for (Future<Boolean> f : toggles) {
                if (f.get(10, TimeUnit.SECONDS)) {
                    changes++;
                }
            }
        } finally {
            pool.shutdownNow();
        }
        // end assigned, whatever the order of the toggles; a second identical call is no change and sends nothing
        if (sim.setLicenseAssigned("agent1", "I3_ACCESS_FEEDBACK", true)) {
            changes++;
        }
        assertThat(sim.setLicenseAssigned("agent1", "I3_ACCESS_FEEDBACK", true)).as("no change, no delta").isFalse();
        assertThat(changes).as("real changes (the first toggle to true applied is one)").isPositive();
        for (IcwsTestClient.Login l : logins) {
            JsonNode messages = client.poll(l);
            assertThat(messages).as("one delta per real change, to every session").hasSize(changes);
            boolean previous = false; // I3_ACCESS_FEEDBACK starts unassigned
            for (JsonNode m : messages) {
                assertThat(m.get("isDelta").asBoolean()).isTrue();
                boolean now = m.get("licenseAssignedStatusList").get(0).get("isAssigned").asBoolean();
                assertThat(now).as("each delta is a real change, in the order applied").isNotEqualTo(previous);
                previous = now;
            }
            assertThat(previous).as("last delta is the final state").isTrue();
        }
    }

    @Test
    void fortyOpenStreamsEachReceiveTheDelta() throws Exception {
        List<IcwsTestClient.EventStream> streams = new ArrayList<>();
        try {
            for (int i = 0; i < 40; i++) {
                IcwsTestClient.Login l = client.login();
                client.subscribe(l, "I3_ACCESS_FEEDBACK");
                IcwsTestClient.EventStream stream = client.openStream(l);
                streams.add(stream);
                assertThat(stream.nextData(java.time.Duration.ofSeconds(5)).get("isDelta").asBoolean()).isFalse();
            }

            assertThat(client.setLicense("agent1", "I3_ACCESS_FEEDBACK", true).statusCode()).isEqualTo(200);

            for (IcwsTestClient.EventStream stream : streams) {
                JsonNode delta = stream.nextData(java.time.Duration.ofSeconds(5));
                assertThat(delta.get("isDelta").asBoolean()).isTrue();
                assertThat(delta.get("licenseAssignedStatusList").toString())
                        .isEqualTo("[{\"name\":\"I3_ACCESS_FEEDBACK\",\"isAssigned\":true}]");
            }
        } finally {
            streams.forEach(IcwsTestClient.EventStream::close);
        }
    }
}
