package io.icws.licenses.watch;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
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

    /**
     * Camel makes a thread pool whose queue size is 0 or less a SynchronousQueue with CallerRunsPolicy: a task that
     * found every thread busy ran on the thread that gave it — a commit on the HTTP client's selector thread (every
     * stream waited for it), a poll on a receive thread (a hung server held every connection). The component's
     * pools queue instead.
     */
    @Test
    void aTaskGivenWhileEveryThreadIsBusyWaitsInTheQueueNotOnTheThreadThatGaveIt() throws Exception {
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            IcwsComponent component = new IcwsComponent();
            context.addComponent("icws", component);
            context.start();
            assertQueues(component.receivePool(), IcwsComponent.RECEIVE_THREADS);
            assertQueues(component.pollPool(URI.create("https://cic.example.com:8019")),
                    IcwsComponent.POLL_THREADS_PER_SERVER);
            assertQueues(component.checkpointWriter(), 1);
        }
    }

    private static void assertQueues(Executor pool, int threads) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch allBusy = new CountDownLatch(threads);
        for (int i = 0; i < threads; i++) {
            pool.execute(() -> {
                allBusy.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        assertThat(allBusy.await(10, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Thread> ranOn = new CompletableFuture<>();
        pool.execute(() -> ranOn.complete(Thread.currentThread()));
        assertThat(ranOn).isNotDone(); // it waits: it did not run here, at once
        release.countDown();
        assertThat(ranOn.get(10, TimeUnit.SECONDS)).isNotSameAs(Thread.currentThread());
    }
}
