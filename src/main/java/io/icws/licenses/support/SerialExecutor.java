package io.icws.licenses.support;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs tasks one at a time, in the order given, on a shared pool: a lane of one connection that needs no
 * thread of its own. A task that fails is logged and the lane goes on. Every task runs with the MDC key
 * {@code icws.connection} set to the lane's connection id.
 *
 * <p>A <em>held</em> task ({@link #executeHeld}) keeps the lane's turn until the stage it returns completes: the
 * lane runs nothing else meanwhile, yet holds no thread — the work it waits for runs elsewhere (a poll on its
 * server's pool) and, while it does, may act as the lane's turn ({@link #runInHeldTurn}).
 *
 * <p>No task is lost silently. When the pool no longer runs tasks (it was shut down), {@link #execute} throws
 * {@link RejectedExecutionException} to its caller, and every task already waiting is dropped with its
 * {@code ifNotRun} run instead (given to {@link #execute(Runnable, Runnable)}), so its caller learns it too; from
 * then on the lane refuses every task.
 */
public final class SerialExecutor implements Executor {

    private static final Logger LOG = LoggerFactory.getLogger(SerialExecutor.class);

    private record Task(Runnable run, Supplier<? extends CompletionStage<?>> held, Runnable ifNotRun) {
    }

    private final Executor pool;
    private final String connection;
    private final ArrayDeque<Task> tasks = new ArrayDeque<>();
    private boolean running;
    private boolean stopped;
    /** The thread running one of this lane's tasks (or a held turn's work) now, or null. */
    private final AtomicReference<Thread> runner = new AtomicReference<>();
    /** What the pool runs for this lane: one task per turn. */
    private final Turn turn = new Turn();

    public SerialExecutor(Executor pool, String connection) {
        this.pool = pool;
        this.connection = connection;
    }

    /**
     * Runs the task after those already given.
     *
     * @throws RejectedExecutionException when the pool no longer runs tasks (it was shut down): the task and those
     *                                    waiting are not run, and the caller learns it
     */
    @Override
    public void execute(Runnable task) {
        add(new Task(task, null, null));
    }

    /**
     * Runs the task after those already given; should the lane stop before its turn, {@code ifNotRun} runs instead
     * (on the thread that found the pool shut down, or at once with the exception thrown).
     *
     * @throws RejectedExecutionException when the pool no longer runs tasks ({@code ifNotRun} has run)
     */
    public void execute(Runnable task, Runnable ifNotRun) {
        add(new Task(task, null, ifNotRun));
    }

    /**
     * Runs the task after those already given, and keeps the lane's turn until the stage it returns completes
     * (normally or not): nothing else of this lane runs meanwhile, and no thread waits for it. The stage must
     * complete, by a bound (a time-out), or the lane stops for good.
     *
     * @throws RejectedExecutionException as {@link #execute(Runnable, Runnable)}
     */
    public void executeHeld(Supplier<? extends CompletionStage<?>> task, Runnable ifNotRun) {
        add(new Task(null, task, ifNotRun));
    }

    /** Runs the task now when called from this lane's own task (it is the lane's turn), else as {@link #execute}. */
    public void runOrExecute(Runnable task) {
        if (runner.get() == Thread.currentThread()) {
            task.run();
        } else {
            execute(task);
        }
    }

    /**
     * Runs {@code work} on this thread as part of the held task whose turn it is (the caller makes sure it is:
     * called from the work a held task waits for): with the lane's MDC, and with {@link #runOrExecute} running
     * inline, as on the lane itself.
     */
    public void runInHeldTurn(Runnable work) {
        String previous = MDC.get(Mdc.CONNECTION);
        MDC.put(Mdc.CONNECTION, connection);
        Thread self = Thread.currentThread();
        runner.set(self);
        try {
            work.run();
        } finally {
            runner.compareAndSet(self, null);
            restore(previous);
        }
    }

    /** True once the pool refused the lane: it runs nothing more. */
    public boolean stopped() {
        synchronized (tasks) {
            return stopped;
        }
    }

    private void add(Task task) {
        boolean refused;
        synchronized (tasks) {
            refused = stopped;
            if (!refused) {
                tasks.addLast(task);
                if (running) {
                    return;
                }
                running = true;
            }
        }
        if (refused) {
            notRun(List.of(task));
            throw new RejectedExecutionException("the lane of connection " + connection + " no longer runs tasks");
        }
        schedule(true);
    }

    private void schedule(boolean rethrow) {
        try {
            pool.execute(turn);
        } catch (RejectedExecutionException e) {
            stop();
            if (rethrow) {
                throw e;
            }
        }
    }

    /** The pool no longer runs this lane's turns: every task waiting is dropped with its {@code ifNotRun}. */
    private void stop() {
        List<Task> lost;
        synchronized (tasks) {
            stopped = true;
            lost = new ArrayList<>(tasks);
            tasks.clear();
            running = false;
        }
        LOG.debug("Lane of connection {} stopped: its pool no longer runs tasks ({} not run)", connection, lost.size());
        notRun(lost);
    }

    /**
     * A pool shut down with {@code shutdownNow} returns what it will never run: a lane's turn among them stops its
     * lane as a refusal would ({@code ifNotRun} of each waiting task), so no task is lost silently.
     *
     * @return true when the runnable was a lane's turn
     */
    public static boolean abandon(Runnable neverRun) {
        if (neverRun instanceof Turn t) {
            t.lane().stop();
            return true;
        }
        return false;
    }

    private final class Turn implements Runnable {
        @Override
        public void run() {
            drain();
        }

        SerialExecutor lane() {
            return SerialExecutor.this;
        }
    }

    private void notRun(List<Task> lost) {
        for (Task t : lost) {
            if (t.ifNotRun() != null) {
                try {
                    t.ifNotRun().run();
                } catch (RuntimeException | Error e) {
                    LOG.error("Connection {}: unexpected failure: {}", connection, Failures.describe(e), e);
                }
            }
        }
    }

    private void drain() {
        Task task;
        synchronized (tasks) {
            task = tasks.pollFirst();
            if (task == null) {
                running = false;
                return;
            }
        }
        String previous = MDC.get(Mdc.CONNECTION);
        MDC.put(Mdc.CONNECTION, connection);
        Thread self = Thread.currentThread();
        runner.set(self);
        CompletionStage<?> hold = null;
        try {
            if (task.held() != null) {
                hold = task.held().get();
            } else {
                task.run().run();
            }
        } catch (RuntimeException | Error e) {
            LOG.error("Connection {}: unexpected failure: {}", connection, Failures.describe(e), e);
        } finally {
            runner.compareAndSet(self, null); // (a held turn's work may have taken it over already)
            restore(previous);
        }
        if (hold != null) {
            // the turn goes on until the stage completes; then the next task gets its turn on the pool
            hold.whenComplete((ok, failure) -> next());
        } else {
            next();
        }
    }

    private void next() {
        boolean more;
        synchronized (tasks) {
            more = !tasks.isEmpty();
            if (!more) {
                running = false;
            }
        }
        if (more) {
            schedule(false); // one task per pool turn: lanes share the pool fairly
        }
    }

    private static void restore(String previous) {
        if (previous == null) {
            MDC.remove(Mdc.CONNECTION);
        } else {
            MDC.put(Mdc.CONNECTION, previous);
        }
    }
}
