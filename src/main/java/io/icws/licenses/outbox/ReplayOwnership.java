package io.icws.licenses.outbox;

import org.apache.camel.CamelContext;
import org.apache.camel.NamedNode;
import org.apache.camel.Route;
import org.apache.camel.spi.RoutePolicy;
import org.apache.camel.spi.RoutePolicyFactory;
import org.apache.camel.support.RoutePolicySupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * With a store owned per connection (the database store), the events a replay sends again belong to the
 * pseudo-connection {@link JdbcOutbox#REPLAY}, owned by the process that runs the dead-letter replay route (its
 * cluster namespace {@code <namespace>-replay}): that process claims it when the route starts — and delivers what a
 * replay of a process that died left undelivered — and lets it go when the route stops.
 */
public final class ReplayOwnership implements RoutePolicyFactory {

    private static final Logger LOG = LoggerFactory.getLogger(ReplayOwnership.class);
    static final String ROUTE = "dead-letter-replay";

    private final Outbox outbox;

    public ReplayOwnership(Outbox outbox) {
        this.outbox = outbox;
    }

    @Override
    public RoutePolicy createRoutePolicy(CamelContext camelContext, String routeId, NamedNode route) {
        return ROUTE.equals(routeId) && outbox.ownedPerConnection() ? new Claim() : null;
    }

    private final class Claim extends RoutePolicySupport {
        private boolean claimed;

        @Override
        public synchronized void onStart(Route route) {
            try {
                outbox.start();
                outbox.claim(JdbcOutbox.REPLAY);
                claimed = true;
            } catch (Exception e) {
                LOG.error("The dead-letter replay could not claim its events in {}: {}", outbox.where(), e.getMessage());
            }
        }

        @Override
        public synchronized void onStop(Route route) {
            if (claimed) {
                claimed = false;
                outbox.letGo(JdbcOutbox.REPLAY);
                try {
                    outbox.stop();
                } catch (Exception e) {
                    LOG.debug("Closing the outbox after the replay: {}", e.toString());
                }
            }
        }

        @Override
        public void onRemove(Route route) {
            onStop(route);
        }
    }
}
