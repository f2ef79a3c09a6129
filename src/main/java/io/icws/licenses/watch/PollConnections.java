package io.icws.licenses.watch;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import org.apache.hc.client5.http.HttpRoute;
import org.apache.hc.client5.http.io.ConnectionEndpoint;
import org.apache.hc.client5.http.io.HttpClientConnectionManager;
import org.apache.hc.client5.http.io.LeaseRequest;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * The connections of a connection's polls, which a stop can cut: {@link #cut()} closes the pool at once (a poll
 * under way fails now instead of at its time-out) and refuses every poll until {@link #reopen()} (a poll that had
 * just begun when the stop came must not open a new connection to a server that may never answer); the first
 * poll after the route started again gets a new pool. camel-http builds its client once per endpoint, so the client keeps this manager across a route's
 * stop and start; each connection goes back to the pool it came from.
 */
final class PollConnections implements HttpClientConnectionManager {

    private final Supplier<PoolingHttpClientConnectionManager> newPool;
    private final Map<ConnectionEndpoint, PoolingHttpClientConnectionManager> leasedFrom = new ConcurrentHashMap<>();
    private PoolingHttpClientConnectionManager pool;
    private boolean closed;
    /** Cut by a stop: no poll until the connection starts again. */
    private boolean cut;

    PollConnections(Supplier<PoolingHttpClientConnectionManager> newPool) {
        this.newPool = newPool;
    }

    /**
     * Configures camel-http's client for a connection's polls: these connections (TLS set-up, connect and socket
     * time-outs), no cookie handling (the session cookie is sent by hand), no retries, request time-outs.
     *
     * @return the connections, for {@link #cut()}
     */
    static PollConnections configure(org.apache.hc.client5.http.impl.classic.HttpClientBuilder builder,
                                     io.icws.licenses.config.ConnectionSettings s, javax.net.ssl.SSLContext ssl) {
        PollConnections connections = new PollConnections(() -> org.apache.hc.client5.http.impl.io
                .PoolingHttpClientConnectionManagerBuilder.create()
                .setTlsSocketStrategy(org.apache.hc.client5.http.ssl.ClientTlsStrategyBuilder.create().setSslContext(ssl)
                        .setHostnameVerifier(io.icws.licenses.icws.IcwsTls.hostnameVerifier(s.tls())).buildClassic())
                .setDefaultConnectionConfig(org.apache.hc.client5.http.config.ConnectionConfig.custom()
                        .setConnectTimeout(Timeout.of(s.connectTimeout()))
                        .setSocketTimeout(Timeout.of(s.responseTimeout())).build())
                .setMaxConnPerRoute(2)
                .build());
        builder.setConnectionManager(connections)
                .setConnectionManagerShared(false)
                .disableCookieManagement()
                .disableAutomaticRetries()
                .setDefaultRequestConfig(org.apache.hc.client5.http.config.RequestConfig.custom()
                        .setConnectionRequestTimeout(Timeout.of(s.connectTimeout()))
                        .setResponseTimeout(Timeout.of(s.responseTimeout())).build());
        return connections;
    }

    /** Closes the pool now, cutting a poll under way; polls are refused until {@link #reopen()}. */
    synchronized void cut() {
        cut = true;
        if (pool != null) {
            pool.close(CloseMode.IMMEDIATE);
            pool = null;
        }
    }

    /** The connection starts again: its next poll makes a new pool. */
    synchronized void reopen() {
        cut = false;
    }

    private synchronized PoolingHttpClientConnectionManager pool() {
        if (closed) {
            throw new IllegalStateException("Connection pool shut down");
        }
        if (cut) {
            throw new IllegalStateException("the connection is stopping: its polls were cut");
        }
        if (pool == null) {
            pool = newPool.get();
        }
        return pool;
    }

    @Override
    public LeaseRequest lease(String id, HttpRoute route, Timeout requestTimeout, Object state) {
        PoolingHttpClientConnectionManager from = pool();
        LeaseRequest request = from.lease(id, route, requestTimeout, state);
        return new LeaseRequest() {
            @Override
            public ConnectionEndpoint get(Timeout timeout)
                    throws InterruptedException, ExecutionException, TimeoutException {
                ConnectionEndpoint endpoint = request.get(timeout);
                leasedFrom.put(endpoint, from);
                return endpoint;
            }

            @Override
            public boolean cancel() {
                return request.cancel();
            }
        };
    }

    @Override
    public void release(ConnectionEndpoint endpoint, Object newState, TimeValue validDuration) {
        PoolingHttpClientConnectionManager from = leasedFrom.remove(endpoint);
        if (from != null) {
            from.release(endpoint, newState, validDuration);
        }
    }

    @Override
    public void connect(ConnectionEndpoint endpoint, TimeValue timeout, HttpContext context) throws IOException {
        PoolingHttpClientConnectionManager from = owner(endpoint);
        from.connect(endpoint, timeout, context);
        // a cut while the connection was being made may have closed the pool before the connection was in it: that
        // connection would outlive the cut (and wait on a hung server for the whole response time-out)
        if (wasCut(from)) {
            endpoint.close(CloseMode.IMMEDIATE);
            throw new IOException("the poll's connection was cut");
        }
    }

    private synchronized boolean wasCut(PoolingHttpClientConnectionManager from) {
        return from != pool;
    }

    @Override
    public void upgrade(ConnectionEndpoint endpoint, HttpContext context) throws IOException {
        owner(endpoint).upgrade(endpoint, context);
    }

    private PoolingHttpClientConnectionManager owner(ConnectionEndpoint endpoint) throws IOException {
        PoolingHttpClientConnectionManager from = leasedFrom.get(endpoint);
        if (from == null || wasCut(from)) {
            throw new IOException("the poll's connection was cut");
        }
        return from;
    }

    @Override
    public void close(CloseMode mode) {
        synchronized (this) {
            closed = true;
            if (pool != null) {
                pool.close(mode);
                pool = null;
            }
        }
        leasedFrom.clear();
    }

    @Override
    public void close() {
        close(CloseMode.GRACEFUL);
    }
}
