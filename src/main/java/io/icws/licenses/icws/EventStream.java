package io.icws.licenses.icws;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One server-sent event stream of a session, read as it arrives by the JDK client: no thread is parked for
 * it. Each complete event's data goes to {@link Listener#onEvent(String)}; the end of the stream (the server
 * closed it, the connection broke, or the server refused it) goes once to {@link Listener#onEnd(Throwable)}.
 * {@link #idleNanos()} tells how long no byte arrived, for a watchdog.
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

    private final Listener listener;
    private final AtomicBoolean ended = new AtomicBoolean();
    private final EventStreamParser parser;
    private volatile long lastActivity = System.nanoTime();
    private volatile Flow.Subscription subscription;
    private volatile CompletableFuture<?> response;
    private volatile boolean closed;

    private EventStream(Listener listener) {
        this.listener = listener;
        this.parser = new EventStreamParser(listener::onEvent);
    }

    static EventStream open(HttpClient http, HttpRequest request, Listener listener) {
        EventStream stream = new EventStream(listener);
        stream.response = http.sendAsync(request, stream::bodyHandler).whenComplete((r, failure) -> {
            if (failure != null) {
                stream.end(failure instanceof java.util.concurrent.CompletionException c && c.getCause() != null
                        ? c.getCause() : failure);
            }
        });
        return stream;
    }

    private HttpResponse.BodySubscriber<Void> bodyHandler(HttpResponse.ResponseInfo info) {
        lastActivity = System.nanoTime();
        if (info.statusCode() != 200) {
            // an error answer: read its (small) body for the reason, then report the refusal
            return HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.ofString(StandardCharsets.UTF_8),
                    body -> {
                        end(IcwsRequestException.of(IcwsCall.STREAM, info.statusCode(), body));
                        return null;
                    });
        }
        listener.onOpen();
        return HttpResponse.BodySubscribers.fromLineSubscriber(new Lines());
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

    /** Feeds the parser line by line. */
    private final class Lines implements Flow.Subscriber<String> {

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
        public void onNext(String line) {
            lastActivity = System.nanoTime();
            if (!closed) {
                parser.line(line);
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

}
