package io.icws.licenses.icws;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One server-sent event stream of a session, read as it arrives by the JDK client: no thread is parked for
 * it. Each complete event's data goes to {@link Listener#onEvent(String)}; the end of the stream (the server
 * closed it, the connection broke, or the server refused it) goes once to {@link Listener#onEnd(Throwable)}.
 * {@link #idleNanos()} tells how long no byte arrived, for a watchdog.
 *
 * <p>The server's bytes are bounded where they arrive: the stream is read as bytes and cut into lines here, so
 * an event or a line over the limit ({@link EventStreamParser}, default 1 MiB) is refused without ever being held
 * whole. Such a stream ends at once, cancelled, with {@link Listener#onEnd(Throwable)} given an
 * {@link EventStreamParser.EventTooLargeException} (its message says what was refused and names
 * {@code icws.sse.max-event-size}): a broken stream, which the connection handles by subscribing again (and logs
 * on one line). The body of an error answer is read up to {@link #MAX_ERROR_BODY} bytes.
 */
public final class EventStream {

    /** Where a stream reports. Called on the HTTP client's threads: hand the work over, do not block. */
    public interface Listener {

        /** The server answered 200 and the stream is open. */
        void onOpen();

        /** The data of one event: one ICWS message, or an array of them. */
        void onEvent(String data);

        /**
         * The stream ended: {@code failure} is null when the server ended it, an {@link IcwsRequestException}
         * when it refused it (the status says why), or what broke the connection. Not called after
         * {@link #close()}.
         */
        void onEnd(Throwable failure);
    }

    /** How much of an error answer's body is read for its reason. */
    static final int MAX_ERROR_BODY = 64 * 1024;

    private final Listener listener;
    private final AtomicBoolean ended = new AtomicBoolean();
    private final EventStreamParser parser;
    private volatile long lastActivity = System.nanoTime();
    private volatile Flow.Subscription subscription;
    private volatile CompletableFuture<?> response;
    private volatile boolean closed;

    private EventStream(Listener listener, int maxEventBytes) {
        this.listener = listener;
        this.parser = new EventStreamParser(listener::onEvent, maxEventBytes);
    }

    static EventStream open(HttpClient http, HttpRequest request, Listener listener) {
        return open(http, request, listener, EventStreamParser.DEFAULT_MAX_EVENT_BYTES);
    }

    /** Opens the stream; events or lines over {@code maxEventBytes} (see {@link EventStreamParser}) break it. */
    static EventStream open(HttpClient http, HttpRequest request, Listener listener, int maxEventBytes) {
        EventStream stream = new EventStream(listener, maxEventBytes);
        // the future sendAsync returned, kept as it is: cancelling it aborts the exchange (a dependent future's
        // cancel promises nothing of the kind), so close() cuts a stream still waiting for its headers too
        CompletableFuture<HttpResponse<Void>> sent = http.sendAsync(request, stream::bodyHandler);
        stream.response = sent;
        sent.whenComplete((r, failure) -> {
            if (failure != null) {
                stream.end(failure instanceof java.util.concurrent.CompletionException c && c.getCause() != null
                        ? c.getCause() : failure);
            }
        });
        if (stream.closed) {
            sent.cancel(true); // closed before the future was kept
        }
        return stream;
    }

    private HttpResponse.BodySubscriber<Void> bodyHandler(HttpResponse.ResponseInfo info) {
        lastActivity = System.nanoTime();
        if (info.statusCode() != 200) {
            // an error answer: read its (small) body for the reason, then report the refusal
            return HttpResponse.BodySubscribers.mapping(boundedString(MAX_ERROR_BODY),
                    body -> {
                        end(IcwsRequestException.of(IcwsCall.STREAM, info.statusCode(), body));
                        return null;
                    });
        }
        listener.onOpen();
        return HttpResponse.BodySubscribers.fromSubscriber(new Bytes());
    }

    /**
     * A body read as UTF-8 text, at most {@code max} bytes of it: the rest is not read (the connection is cut), and
     * the text ends with {@code …}.
     */
    static HttpResponse.BodySubscriber<String> boundedString(int max) {
        return new BoundedString(max);
    }

    /** Nanoseconds since a byte (a line, or the answer's headers) last arrived. */
    public long idleNanos() {
        return System.nanoTime() - lastActivity;
    }

    /** Closes the stream now; the listener hears nothing more. */
    public void close() {
        closed = true;
        Flow.Subscription s = subscription;
        if (s != null) {
            s.cancel();
        }
        CompletableFuture<?> r = response;
        if (r != null) {
            r.cancel(true);
        }
    }

    private void end(Throwable failure) {
        if (!closed && ended.compareAndSet(false, true)) {
            listener.onEnd(failure);
        }
    }

    /** Feeds the parser the bytes as they arrive; an event or line over the limit ends the stream. */
    private final class Bytes implements Flow.Subscriber<List<ByteBuffer>> {

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            if (closed) {
                s.cancel();
            } else {
                s.request(Long.MAX_VALUE);
            }
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            lastActivity = System.nanoTime();
            if (closed || parser.spent()) {
                return;
            }
            try {
                for (ByteBuffer buffer : buffers) {
                    parser.bytes(buffer);
                }
            } catch (EventStreamParser.EventTooLargeException e) {
                end(e);
                Flow.Subscription s = subscription;
                if (s != null) {
                    s.cancel(); // nothing more is read: the connection is closed, not drained
                }
            }
        }

        @Override
        public void onError(Throwable failure) {
            end(failure);
        }

        @Override
        public void onComplete() {
            end(null); // an event cut off before its blank line is dropped, as the format says
        }
    }

    /** Collects at most {@code max} bytes of a body, then cancels it. */
    private static final class BoundedString implements HttpResponse.BodySubscriber<String> {
        private final int max;
        private final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        private final CompletableFuture<String> result = new CompletableFuture<>();
        private Flow.Subscription subscription;
        private boolean cut;

        BoundedString(int max) {
            this.max = max;
        }

        @Override
        public java.util.concurrent.CompletionStage<String> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            if (cut) {
                return;
            }
            for (ByteBuffer b : buffers) {
                int n = Math.min(b.remaining(), max - bytes.size());
                byte[] chunk = new byte[n];
                b.get(chunk);
                bytes.write(chunk, 0, n);
                if (b.hasRemaining()) {
                    cut = true;
                    subscription.cancel();
                    result.complete(text() + "\u2026");
                    return;
                }
            }
        }

        @Override
        public void onError(Throwable failure) {
            if (!cut) {
                result.completeExceptionally(failure instanceof IOException ? failure : new IOException(failure));
            }
        }

        @Override
        public void onComplete() {
            if (!cut) {
                result.complete(text());
            }
        }

        private String text() {
            return bytes.toString(StandardCharsets.UTF_8);
        }
    }
}
