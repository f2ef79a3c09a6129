package io.icws.licenses.watch;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The component's session scheduler holds what every connection waits for — its heartbeat, its backoff, the login
 * spread, the jitter of a cron firing — so its queue grows with the connections and must take them all: Camel's
 * default profile bounds a scheduled pool at 1,000 waiting tasks and refuses the next with
 * {@code RejectedExecutionException: Task rejected due queue size limit reached}, which lost logins, subscriptions and
 * cron re-subscriptions at 1,000 connections.
 */
class IcwsComponentSchedulerTest {

    @Test
    void theSessionSchedulerTakesWhatThousandsOfConnectionsWaitFor() throws Exception {
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            IcwsComponent component = new IcwsComponent();
            context.addComponent("icws", component);
            context.start();
            List<ScheduledFuture<?>> waiting = new ArrayList<>();
            // 1,000 connections: a heartbeat each, and the cron firing's jittered re-subscription each, and more
            for (int i = 0; i < 3_000; i++) {
                waiting.add(component.scheduler().schedule(() -> { }, 1, TimeUnit.HOURS));
            }
            for (int i = 0; i < 1_000; i++) {
                waiting.add(component.scheduler().scheduleAtFixedRate(() -> { }, 1, 1, TimeUnit.HOURS));
            }
            assertThat(waiting).hasSize(4_000).noneMatch(ScheduledFuture::isDone);
        }
    }
}
