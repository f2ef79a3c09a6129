package io.icws.licenses.icws;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpTimeoutException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.icws.licenses.config.ConnectionSettings;
import io.icws.licenses.config.Secrets;
import io.icws.licenses.config.SettingsReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every request is bounded and really cancellable, against a server that accepts and never answers: cancelling a
 * future the client returned closes its connection (the server reads the end of it), and a stream waiting for
 * its headers ends with a time-out, or is cut by {@link EventStream#close()}.
 */
class IcwsClientCancelTest {

    private ServerSocket silent;
    private final BlockingQueue<Socket> accepted = new LinkedBlockingQueue<>();
    private IcwsClient client;
    private URI server;

    @BeforeEach
    void silentServer() throws IOException {
        silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            try {
                while (true) {
                    accepted.add(silent.accept());
                }
            } catch (IOException e) {
                // closed
            }
        });
        t.setDaemon(true);
        t.start();
        server = URI.create("http://127.0.0.1:" + silent.getLocalPort());
        client = client(server, "500");
    }

    /** A client of the server with this {@code icws.http.response-timeout} (ms). */
    private static IcwsClient client(URI server, String responseTimeout) {
        Map<String, String> keys = Map.of("icws.server", server.toString(), "icws.user", "agent1",
                "icws.password", "secret", "icws.licenses", "I3_ACCESS_CLIENT", "icws.subscribe.cron", "0 0/15 * * * ?",
                "icws.state.directory", "target/unused", "icws.http.response-timeout", responseTimeout);
        java.util.function.Function<String, Optional<String>> lookup = k -> Optional.ofNullable(keys.get(k));
        ConnectionSettings settings = ConnectionSettings.read("default", new SettingsReader(lookup), new Secrets(lookup));
        return new IcwsClient(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build(), settings);
    }

    @AfterEach
    void close() throws IOException {
        silent.close();
        for (Socket s : accepted) {
            s.close();
        }
    }

    @Test
    void cancellingALoginClosesItsConnection() throws Exception {
        CompletableFuture<IcwsClient.Login> login = client.login(server);
        Socket s = accepted.poll(5, TimeUnit.SECONDS);
        assertThat(s).isNotNull();

        login.cancel(true);

        assertThat(readsToTheEnd(s)).as("the client closed the connection").isTrue();
    }

    @Test
    void aLoginWithoutAnAnswerEndsAtTheResponseTimeOutAndClosesItsConnection() throws Exception {
        CompletableFuture<IcwsClient.Login> login = client.login(server);
        Socket s = accepted.poll(5, TimeUnit.SECONDS);

        assertThatThrownBy(() -> login.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(HttpTimeoutException.class);
        assertThat(readsToTheEnd(s)).isTrue();
    }

    @Test
    void aStreamWhoseHeadersDoNotComeEndsAtTheResponseTimeOut() throws Exception {
        CompletableFuture<Throwable> ended = new CompletableFuture<>();
        IcwsSession session = new IcwsSession(server, "s1", "token", "icws_s1=x", 2);
        client.openStream(session, listener(ended));
        Socket s = accepted.poll(5, TimeUnit.SECONDS);

        assertThat(ended.get(5, TimeUnit.SECONDS)).isInstanceOf(HttpTimeoutException.class);
        assertThat(readsToTheEnd(s)).isTrue();
    }

    @Test
    void closingAStreamStillWaitingForItsHeadersClosesItsConnection() throws Exception {
        IcwsSession session = new IcwsSession(server, "s1", "token", "icws_s1=x", 2);
        EventStream stream = client.openStream(session, listener(new CompletableFuture<>()));
        Socket s = accepted.poll(5, TimeUnit.SECONDS);
        assertThat(s).isNotNull();

        stream.close();

        assertThat(readsToTheEnd(s)).isTrue();
    }

    @Test
    void anOpenStreamIsNotEndedByTheResponseTimeOutOnlyItsHeadersAreTimed() throws Exception {
        try (io.icws.licenses.simulator.IcwsSimulator sim = io.icws.licenses.simulator.IcwsSimulator.builder().port(0)
                .keepAliveInterval(java.time.Duration.ofMillis(100)).build().start()) {
            // the log-in and the subscription by a client in no hurry (on a busy machine they took over 500 ms);
            // the stream by the one whose response time-out is 500 ms
            IcwsClient patient = client(sim.baseUri(), "30000");
            IcwsSession session = patient.login(sim.baseUri()).get(30, TimeUnit.SECONDS).session();
            patient.subscribe(session).get(30, TimeUnit.SECONDS);
            CompletableFuture<Throwable> ended = new CompletableFuture<>();
            java.util.List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
            client.openStream(session, new EventStream.Listener() {
                @Override
                public void onOpen() {
                }

                @Override
                public void onEvent(String data) {
                    events.add(data);
                }

                @Override
                public void onEnd(Throwable failure) {
                    ended.complete(failure);
                }
            });

            // three times the response time-out (500 ms) with the stream open: it goes on
            org.awaitility.Awaitility.await().during(java.time.Duration.ofMillis(1500))
                    .atMost(java.time.Duration.ofSeconds(3)).until(() -> !ended.isDone());
            assertThat(ended).isNotDone();
            assertThat(events).hasSize(1); // the snapshot
        }
    }

    private static EventStream.Listener listener(CompletableFuture<Throwable> ended) {
        return new EventStream.Listener() {
            @Override
            public void onOpen() {
            }

            @Override
            public void onEvent(String data) {
            }

            @Override
            public void onEnd(Throwable failure) {
                ended.complete(failure);
            }
        };
    }

    /** True when the peer's end of the connection arrives within 3 s (the request's bytes read on the way). */
    private static boolean readsToTheEnd(Socket s) throws IOException {
        s.setSoTimeout(3000);
        InputStream in = s.getInputStream();
        byte[] buffer = new byte[4096];
        try {
            while (in.read(buffer) >= 0) {
                // the request, then the end
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }
}
