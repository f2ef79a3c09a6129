package io.icws.licenses.support;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** A lane: one task at a time, in order; a held turn that needs no thread; no task lost without its caller knowing. */
class SerialExecutorTest {

    private final ExecutorService pool = Executors.newSingleThreadExecutor();

    @AfterEach
    void stopPool() {
        pool.shutdownNow();
    }

    @Test
    void aHeldTaskKeepsTheLaneUntilItsStageCompletesWithoutHoldingAThread() throws Exception {
        SerialExecutor held = new SerialExecutor(pool, "held");
        SerialExecutor other = new SerialExecutor(pool, "other");
        CompletableFuture<Void> answer = new CompletableFuture<>();
        List<String> ran = new CopyOnWriteArrayList<>();

        held.executeHeld(() -> answer, null);
        held.execute(() -> ran.add("held: next"));
        CountDownLatch otherRan = new CountDownLatch(1);
        other.execute(() -> {
            ran.add("other");
            otherRan.countDown();
        });

        // the pool's only thread is free: the other lane runs while the held one waits
        assertThat(otherRan.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(ran).containsExactly("other");
        answer.complete(null);
        await().atMost(java.time.Duration.ofSeconds(5)).until(() -> ran.contains("held: next"));
        assertThat(ran).containsExactly("other", "held: next");
    }

    @Test
    void workOfAHeldTurnRunsRunOrExecuteInlineAsOnTheLane() throws Exception {
        SerialExecutor lane = new SerialExecutor(pool, "c1");
        ExecutorService elsewhere = Executors.newSingleThreadExecutor();
        try {
            AtomicBoolean inline = new AtomicBoolean();
            CompletableFuture<Void> done = new CompletableFuture<>();
            lane.executeHeld(() -> CompletableFuture.runAsync(() -> lane.runInHeldTurn(() -> {
                boolean[] now = new boolean[1];
                lane.runOrExecute(() -> now[0] = true);
                inline.set(now[0]);
            }), elsewhere).whenComplete((ok, e) -> done.complete(null)), null);
            done.get(5, TimeUnit.SECONDS);
            assertThat(inline).isTrue();
        } finally {
            elsewhere.shutdownNow();
        }
    }

    @Test
    void aLaneWhosePoolStoppedTellsEveryCallerAndRunsNothingMore() throws Exception {
        ExecutorService single = Executors.newSingleThreadExecutor();
        SerialExecutor lane = new SerialExecutor(single, "c1");
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<String> notRun = new CopyOnWriteArrayList<>();
        lane.execute(() -> {
            running.countDown();
            try {
                release.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(running.await(5, TimeUnit.SECONDS)).isTrue();
        lane.execute(() -> notRun.add("ran!"), () -> notRun.add("queued task told"));
        single.shutdown(); // the running task may end; nothing new is taken
        release.countDown();

        await().atMost(java.time.Duration.ofSeconds(5)).until(lane::stopped);
        assertThat(notRun).containsExactly("queued task told");
        assertThatThrownBy(() -> lane.execute(() -> notRun.add("ran!"), () -> notRun.add("later task told")))
                .isInstanceOf(RejectedExecutionException.class);
        assertThat(notRun).containsExactly("queued task told", "later task told");
    }

    @Test
    void aTurnThatAPoolShutDownNowWillNeverRunStopsItsLaneAndTellsItsTasks() throws Exception {
        ExecutorService single = Executors.newSingleThreadExecutor();
        CountDownLatch busy = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        single.execute(() -> {
            busy.countDown();
            try {
                release.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(busy.await(5, TimeUnit.SECONDS)).isTrue();
        SerialExecutor lane = new SerialExecutor(single, "c1");
        List<String> told = new CopyOnWriteArrayList<>();
        lane.execute(() -> told.add("ran!"), () -> told.add("first told"));
        lane.execute(() -> told.add("ran!"), () -> told.add("second told"));

        List<Runnable> neverRun = single.shutdownNow(); // the lane's turn waits in the queue
        release.countDown();
        assertThat(neverRun).hasSize(1);
        assertThat(SerialExecutor.abandon(neverRun.get(0))).isTrue();

        assertThat(lane.stopped()).isTrue();
        assertThat(told).containsExactly("first told", "second told");
        assertThat(SerialExecutor.abandon(() -> { })).isFalse();
    }
}
