package io.icws.licenses.support;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs tasks one at a time, in the order given, on a shared pool: a lane of one connection that needs no
 * thread of its own. A task that fails is logged and the lane goes on. Every task runs with the MDC key
 * {@code icws.connection} set to the lane's connection id.
 */
public final class SerialExecutor implements Executor {

    private static final Logger LOG = LoggerFactory.getLogger(SerialExecutor.class);

    private final Executor pool;
    private final String connection;
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private boolean running;
    /** The thread running one of this lane's tasks now, or null. */
    private volatile Thread runner;

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
        synchronized (tasks) {
            tasks.addLast(task);
            if (running) {
                return;
            }
            running = true;
        }
        schedule(true);
    }

    /** Runs the task now when called from this lane's own task (it is the lane's turn), else as {@link #execute}. */
    public void runOrExecute(Runnable task) {
        if (runner == Thread.currentThread()) {
            task.run();
        } else {
            execute(task);
        }
    }

    private void schedule(boolean rethrow) {
        try {
            pool.execute(this::drain);
        } catch (RejectedExecutionException e) {
            int lost;
            synchronized (tasks) {
                lost = tasks.size();
                tasks.clear();
                running = false;
            }
            LOG.debug("Lane of connection {} stopped: its pool no longer runs tasks ({} not run)", connection, lost);
            if (rethrow) {
                throw e;
            }
        }
    }

    private void drain() {
        Runnable task;
        synchronized (tasks) {
            task = tasks.pollFirst();
            if (task == null) {
                running = false;
                return;
            }
        }
        String previous = MDC.get(Mdc.CONNECTION);
        MDC.put(Mdc.CONNECTION, connection);
        runner = Thread.currentThread();
        try {
            task.run();
        } catch (RuntimeException | Error e) {
            LOG.error("Connection {}: unexpected failure: {}", connection, Failures.describe(e), e);
        } finally {
            runner = null;
            if (previous == null) {
                MDC.remove(Mdc.CONNECTION);
            } else {
                MDC.put(Mdc.CONNECTION, previous);
            }
        }
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
}
