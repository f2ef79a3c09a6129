package io.icws.licenses.watch;

import java.util.concurrent.atomic.AtomicInteger;

import org.apache.hc.client5.http.HttpRoute;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.io.LeaseRequest;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.util.Timeout;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A stop's cut holds until the connection starts again: a poll that had begun just before the cut, and asks for
 * its connection after it, is refused at once instead of opening a new one to a server that may never answer (a
 * hung server then held the stop for the whole graceful-shutdown time-out).
 */
class PollConnectionsTest {

    private static final HttpRoute ROUTE = new HttpRoute(new HttpHost("http", "127.0.0.1", 9));

    @Test
    void afterTheCutEveryLeaseIsRefusedUntilTheConnectionStartsAgainOnANewPool() {
        AtomicInteger pools = new AtomicInteger();
        PollConnections connections = new PollConnections(() -> {
            pools.incrementAndGet();
            return new PoolingHttpClientConnectionManager();
        });
        connections.lease("a", ROUTE, Timeout.ofSeconds(1), null).cancel();
        assertThat(pools).hasValue(1);

        connections.cut();

        assertThatThrownBy(() -> connections.lease("b", ROUTE, Timeout.ofSeconds(1), null))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("polls were cut");
        assertThat(pools).hasValue(1);

        connections.reopen();
        LeaseRequest again = connections.lease("c", ROUTE, Timeout.ofSeconds(1), null);
        again.cancel();
        assertThat(pools).hasValue(2);
        connections.close();
    }

    @Test
    void aConnectionLeasedBeforeTheCutIsNotMadeAfterIt() throws Exception {
        PollConnections connections = new PollConnections(PoolingHttpClientConnectionManager::new);
        var endpoint = connections.lease("a", ROUTE, Timeout.ofSeconds(1), null).get(Timeout.ofSeconds(1));

        connections.cut();

        assertThatThrownBy(() -> connections.connect(endpoint, Timeout.ofSeconds(1), null))
                .isInstanceOf(java.io.IOException.class).hasMessageContaining("was cut");
        connections.close();
    }
}
