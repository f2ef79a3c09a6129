package io.icws.licenses;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToIntFunction;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A webhook on 127.0.0.1 (the JDK's HTTP server, a free port): records every request as it arrives, answers with
 * the status {@link #answer(ToIntFunction)} picks (200 unless told), and can hold requests unanswered
 * ({@link #hold()}) to catch a sender mid-delivery.
 */
public final class WebhookServer implements AutoCloseable {

    /** One request as it arrived; header names in lower case. */
    public record Request(String method, String path, Map<String, List<String>> headers, String body) {

        /** The first value of a header (any case), or null. */
        public String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null || values.isEmpty() ? null : values.get(0);
        }
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "webhook");
        t.setDaemon(true);
        return t;
    });
    private final List<Request> received = new CopyOnWriteArrayList<>();
    private final List<Request> accepted = new CopyOnWriteArrayList<>();
    private final List<Long> acceptedNanos = new CopyOnWriteArrayList<>();
    private final AtomicInteger held = new AtomicInteger();
    private volatile ToIntFunction<Request> answer = r -> 200;
    private volatile CountDownLatch hold;

    private WebhookServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    public static WebhookServer start() throws IOException {
        return new WebhookServer();
    }

    /** {@code http://127.0.0.1:<port><path>}. */
    public String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    /** Every status from now on. */
    public void answer(int status) {
        answer = r -> status;
    }

    /** The status of each request from now on, chosen by the request. */
    public void answer(ToIntFunction<Request> answer) {
        this.answer = answer;
    }

    /** From now on requests are taken but not answered until {@link #release()}. */
    public void hold() {
        hold = new CountDownLatch(1);
    }

    /** Answers the held requests and stops holding. */
    public void release() {
        CountDownLatch latch = hold;
        hold = null;
        if (latch != null) {
            latch.countDown();
        }
    }

    /** Requests being held now. */
    public int held() {
        return held.get();
    }

    /** Every request that arrived, in order. */
    public List<Request> received() {
        return List.copyOf(received);
    }

    /** The requests answered with a 2xx, in order. */
    public List<Request> accepted() {
        return List.copyOf(accepted);
    }

    /** How many requests were answered with a 2xx. */
    public int acceptedCount() {
        return acceptedNanos.size();
    }

    /** When the n-th (1-based) request answered with a 2xx arrived, in {@link System#nanoTime()}. */
    public long acceptedNanos(int n) {
        return acceptedNanos.get(n - 1);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body;
            try (InputStream in = exchange.getRequestBody()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            Map<String, List<String>> headers = new TreeMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), List.copyOf(v)));
            Request request = new Request(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                    headers, body);
            received.add(request);
            CountDownLatch latch = hold;
            if (latch != null) {
                held.incrementAndGet();
                try {
                    if (!latch.await(5, TimeUnit.MINUTES)) {
                        return;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                } finally {
                    held.decrementAndGet();
                }
            }
            int status = answer.applyAsInt(request);
            byte[] reply = (status < 300 ? "ok" : "status " + status).getBytes(StandardCharsets.UTF_8);
            if (status >= 200 && status < 300) {
                accepted.add(request);
                acceptedNanos.add(System.nanoTime());
            }
            exchange.sendResponseHeaders(status, reply.length);
            exchange.getResponseBody().write(reply);
        }
    }

    @Override
    public void close() {
        release();
        server.stop(0);
        executor.shutdownNow();
    }
}
