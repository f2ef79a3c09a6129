package io.icws.licenses.routes;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.icws.licenses.simulator.Fault;
import io.icws.licenses.simulator.IcwsSimulator;
import io.icws.licenses.simulator.RecordedRequest;
import io.icws.licenses.simulator.SimulatedUser;
import org.apache.camel.health.HealthCheck;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * A server failover, against a DSL and receive mode a subclass names: a session whose server is gone moves on to
 * the next server (a change made meanwhile reported once), a 503's alternate host is followed, a server that
 * never answers leaves no socket behind, an administrator's logoff is obeyed until the next scheduled
 * subscription, an event over the limit is a broken stream, and a login answer that cannot be used sends the
 * connection to the next server. Short time-outs and backoffs keep every test within seconds.
 */
abstract class FailoverRoutesTest extends RoutesTestSupport {

    @BeforeEach
    void shortDelays() {
        routes.with("icws.retry.initial-delay", "200")
                .with("icws.retry.max-delay", "800")
                .with("icws.http.connect-timeout", "1000")
                .with("icws.http.response-timeout", "1000");
    }

    private boolean sse() {
        return receive().equals("sse");
    }

    @Test
    void aServerGoneForGoodWhileSubscribedMovesTheSessionToTheNextServerAndAChangeMadeMeanwhileIsReportedOnce()
            throws Exception {
        try (IcwsSimulator second = IcwsSimulator.builder().port(0).users(List.of(SimulatedUser.demo())).build().start()) {
            routes.with("icws.server", routes.simulator.baseUri() + "," + second.baseUri()).start();
            routes.awaitFileEvent(FEEDBACK, "observed");
            routes.listenToJms();
            assertThat(routes.status().server()).isEqualTo(routes.simulator.baseUri());

            Instant gone = Instant.now();
            routes.simulator.stopListening();
            second.setLicenseAssigned("agent1", STATION, false); // while the routes are on their way over

            routes.awaitFileEvent(STATION, "unassigned");
            assertThat(routes.status().server()).isEqualTo(second.baseUri());
            assertThat(second.requests()).filteredOn(r -> r.method().equals("POST") && r.path().equals("/icws/connection"))
                    .hasSize(1).allSatisfy(r -> assertThat(Duration.between(gone, r.time()))
                            .isLessThan(Duration.ofSeconds(10)));
            assertEachChangeDeliveredOnce(4, second);
        }
    }

    @Test
    void a503WithAnAlternateHostListOnTheMessagesCallMovesTheSessionToTheAlternateHost() throws Exception {
        int port = routes.simulator.port();
        try (IcwsSimulator peer = IcwsSimulator.builder().host("127.0.0.2").port(port)
                .users(List.of(SimulatedUser.demo())).build().start()) {
            routes.start();
            routes.awaitFileEvent(FEEDBACK, "observed");
            routes.listenToJms();

            routes.simulator.addFault(new Fault(503, 1000, "/messaging/messages", List.of("127.0.0.2"), 0));
            if (sse()) {
                routes.simulator.dropEventStreams(); // the open stream is not asked again otherwise
            }
            peer.setLicenseAssigned("agent1", STATION, false);

            routes.awaitFileEvent(STATION, "unassigned");
            assertThat(routes.status().server().getHost()).isEqualTo("127.0.0.2");
            // a blip first: the session was asked once more before it was given up
            assertThat(routes.simulator.requests()).filteredOn(r -> r.status() == 503).hasSize(2);
            assertEachChangeDeliveredOnce(4, peer);
        }
    }

    @Test
    void manyTimeOutsAgainstAServerThatNeverAnswersLeaveNoSocketOpen() throws Exception {
        assumeThat(OpenSockets.available()).as("/proc/net/tcp").isTrue();
        routes.with("icws.sse.idle-timeout", "300").with("icws.http.response-timeout", "300")
                .with("icws.retry.initial-delay", "50").with("icws.retry.max-delay", "100").start();
        routes.awaitFileEvent(FEEDBACK, "observed");
        int port = routes.simulator.port();

        // streams (or polls) are accepted and never answered: each is given up by the watchdog or the time-out
        routes.simulator.hang("/messaging/messages", sse());
        await().atMost(Duration.ofSeconds(30)).until(() -> unansweredReceives() >= 12);
        assertThat(unansweredReceives()).isGreaterThanOrEqualTo(12);

        // each given-up request closed its socket: open are at most the one under way and a kept-alive one or two
        assertThat(OpenSockets.to(port)).isLessThanOrEqualTo(3);
        routes.stop();
        // what stays is the JDK client's kept-alive connection of the log-out, idle in its pool (reused, not leaked)
        assertThat(OpenSockets.to(port)).isLessThanOrEqualTo(1);
    }

    @Test
    void anAdministratorsLogoffIsObeyedUntilTheNextScheduledSubscription() throws Exception {
        routes.with("icws.subscribe.cron", "0/3 * * * * ?").captureLog().start();
        routes.awaitFileEvent(FEEDBACK, "observed");
        routes.listenToJms();
        await().atMost(Duration.ofSeconds(10)).until(() -> routes.health("icws-default").getState() == HealthCheck.State.UP);

        Instant loggedOff = Instant.now();
        if (sse()) {
            routes.simulator.logOffByAdministrator("agent1", "Maintenance window");
        } else {
            // the simulator answers a poll of an ended session 401: a poller reads the message from its queue
            routes.simulator.queueMessage("agent1", "{\"__type\":\"urn:inin.com:connection:connectionStateChangeMessage\","
                    + "\"isDelta\":false,\"previousConnectionState\":\"up\",\"newConnectionState\":\"down\","
                    + "\"reason\":\"Maintenance window\",\"shouldReconnect\":false}");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> routes.health("icws-default").getState() == HealthCheck.State.DOWN
                && routes.health("icws-default").getMessage().orElse("").contains("Maintenance window"));
        assertThat(routes.health("icws-default").getMessage()).hasValueSatisfying(m ->
                assertThat(m).contains("shouldReconnect: false", "Maintenance window"));

        await().atMost(Duration.ofSeconds(10)).until(() -> routes.requestCount("POST", "/icws/connection") == 2);
        // not at once: at a cron firing (every 3 s), the first one more than icws.retry.initial-delay after the logoff
        Instant secondLogin = logins().get(1).time();
        long firstFiring = (loggedOff.toEpochMilli() + 200) / 3000 * 3000 + 3000;
        assertThat(secondLogin.toEpochMilli()).isGreaterThanOrEqualTo(firstFiring - 50)
                .isLessThan(firstFiring + 3000 + 2000);
        assertThat(routes.logLines()).filteredOn(l -> l.contains("shouldReconnect: false")
                && l.contains("Logging in again at the next scheduled subscription")).hasSize(1);

        routes.simulator.setLicenseAssigned("agent1", STATION, false);
        routes.awaitFileEvent(STATION, "unassigned");
        assertEachChangeDeliveredOnce(4, routes.simulator);
    }

    @Test
    void anEventOverTheLimitIsABrokenStreamSubscribedAgainOnTheSameSession() throws Exception {
        assumeThat(sse()).as("event streams only").isTrue();
        routes.with("icws.sse.max-event-size", "65536").captureLog().start();
        routes.awaitFileEvent(FEEDBACK, "observed");
        routes.listenToJms();
        await().atMost(Duration.ofSeconds(5)).until(() -> routes.simulator.openStreams() == 1);
        long puts = routes.requestCount("PUT", "/messaging/subscriptions/licenses");

        routes.simulator.writeOversizedEvent("agent1", 200_000);

        await().atMost(Duration.ofSeconds(10))
                .until(() -> routes.requestCount("PUT", "/messaging/subscriptions/licenses") == puts + 1);
        routes.simulator.setLicenseAssigned("agent1", STATION, false);
        routes.awaitFileEvent(STATION, "unassigned");
        assertThat(routes.requestCount("POST", "/icws/connection")).isEqualTo(1);
        assertThat(routes.logLines()).filteredOn(l -> l.contains("icws.sse.max-event-size")).hasSize(1)
                .allSatisfy(l -> assertThat(l).contains("broken event stream", "subscribing again"));
        assertEachChangeDeliveredOnce(4, routes.simulator);
    }

    @Test
    void aLoginAnswerWithAHostileSessionIdSendsTheConnectionToTheNextServer() throws Exception {
        HttpServer hostile = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        AtomicInteger asked = new AtomicInteger();
        hostile.createContext("/icws/connection", exchange -> {
            asked.incrementAndGet();
            byte[] body = "{\"sessionId\":\"../../simulator/gone\",\"csrfToken\":\"t\"}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/vnd.inin.icws+JSON; charset=utf-8");
            exchange.getResponseHeaders().add("Set-Cookie", "icws_x=y; Path=/icws");
            exchange.sendResponseHeaders(201, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        hostile.start();
        try {
            String bad = "http://127.0.0.1:" + hostile.getAddress().getPort();
            routes.with("icws.server", bad + "," + routes.simulator.baseUri()).captureLog().start();

            routes.awaitFileEvent(FEEDBACK, "observed");
            assertThat(routes.status().server()).isEqualTo(routes.simulator.baseUri());
            assertThat(asked.get()).isEqualTo(1);
            assertThat(routes.logLines()).anyMatch(l -> l.contains("is not a plain session id")
                    && l.contains("logging in to " + routes.simulator.baseUri()));
        } finally {
            hostile.stop(0);
        }
    }

    // ------------------------------------------------------------------------------------------------

    private List<RecordedRequest> logins() {
        return routes.simulator.requests().stream()
                .filter(r -> r.method().equals("POST") && r.path().equals("/icws/connection")).toList();
    }

    /** Requests for messages (streams or polls) the hung simulator took and never answered. */
    private long unansweredReceives() {
        return routes.simulator.receivedRequests().stream()
                .filter(r -> r.path().endsWith("/messaging/messages") && r.status() == 0).count();
    }

    /**
     * Every change id reached the file target, and was delivered by JMS exactly once (a second delivery would be a
     * second JMS message); then a sentinel change on the server in use, delivered after any duplicate would be.
     */
    private void assertEachChangeDeliveredOnce(int expected, IcwsSimulator server) throws Exception {
        List<JsonNode> files = routes.fileEvents();
        Map<String, Long> perFile = files.stream()
                .collect(Collectors.groupingBy(e -> e.path("id").asText(), Collectors.counting()));
        assertThat(perFile).hasSize(expected);
        await().atMost(Duration.ofSeconds(10)).until(() -> routes.jmsDeliveriesPerId().keySet().containsAll(perFile.keySet()));
        server.setLicenseAssigned("agent1", FEEDBACK, !Boolean.TRUE.equals(routes.watch().licenses().get(FEEDBACK)));
        await().atMost(Duration.ofSeconds(20)).until(() -> routes.jmsDeliveriesPerId().size() == expected + 1);
        assertThat(routes.jmsDeliveriesPerId()).hasSize(expected + 1).allSatisfy((id, n) -> assertThat(n).isEqualTo(1L));
    }

    /** Client sockets of this machine, from {@code /proc/net/tcp}: a socket the client never closed stays there. */
    static final class OpenSockets {

        static boolean available() {
            return java.nio.file.Files.isReadable(java.nio.file.Path.of("/proc/net/tcp"));
        }

        /** Established connections to this local port (their remote end): the client's side of each. */
        static long to(int port) throws IOException {
            long n = 0;
            for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
                java.nio.file.Path file = java.nio.file.Path.of(table);
                if (!java.nio.file.Files.isReadable(file)) {
                    continue;
                }
                for (String line : java.nio.file.Files.readAllLines(file).stream().skip(1).toList()) {
                    String[] f = line.trim().split("\\s+");
                    String remote = f[2];
                    int remotePort = Integer.parseInt(remote.substring(remote.indexOf(':') + 1), 16);
                    if (remotePort == port && f[3].equals("01")) {
                        n++;
                    }
                }
            }
            return n;
        }
    }
}
