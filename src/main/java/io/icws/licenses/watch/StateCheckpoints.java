package io.icws.licenses.watch;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import io.icws.licenses.state.LicenseTracker;
import io.icws.licenses.state.StateFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Saves the connections' state checkpoints off their lanes, on one writer thread of the component, several at
 * once. A commit only marks its connection's checkpoint due; the writer saves every due one together
 * ({@link StateFiles#saveAll(List)}: one force of the folder for all). While it writes, more commits come due and
 * go into the next round: idle, a checkpoint follows its commit at once; in a bulk change of hundreds of
 * connections they share their forces, and no lane waits for a state file. A checkpoint may lag the outbox (at
 * start the newer of the file and the outbox's newest record is taken), never lead it: it is taken after the
 * commit. One writer, so an older checkpoint of a connection is never renamed over a newer one.
 */
final class StateCheckpoints {

    private static final Logger LOG = LoggerFactory.getLogger(StateCheckpoints.class);
    private static final long STOP_WAIT_SECONDS = 10;

    /** What a checkpoint's owner is told. */
    interface Owner {
        /** The tracker whose checkpoint is due; null once the connection stopped. */
        LicenseTracker checkpointTracker();

        /** Saved, or nothing was due any more. */
        void checkpointSaved();

        /** Could not be saved; it stays due. */
        void checkpointFailed(IOException failure);
    }

    private final ExecutorService writer;
    private final Set<Owner> due = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean roundQueued = new AtomicBoolean();

    StateCheckpoints(ExecutorService writer) {
        this.writer = writer;
    }

    /** The owner's checkpoint is due: saved in the writer's next round. */
    void due(Owner owner) {
        due.add(owner);
        if (roundQueued.compareAndSet(false, true)) {
            try {
                writer.execute(this::round);
            } catch (RejectedExecutionException e) {
                roundQueued.set(false);
                LOG.debug("State checkpoints: the writer is stopped; the checkpoint is saved at the connection's stop");
            }
        }
    }

    /**
     * Saves the owner's due checkpoint now, on the writer (after what it holds), and waits for it: a connection
     * that stops leaves its state file current.
     */
    void saveNow(Owner owner) {
        due.remove(owner);
        try {
            Future<?> saved = writer.submit(() -> save(List.of(owner)));
            saved.get(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (RejectedExecutionException e) {
            save(List.of(owner)); // the writer is stopped: nothing else writes any more
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("State checkpoints: the last checkpoint was not saved within {} s ({}); the outbox holds the "
                    + "state", STOP_WAIT_SECONDS, e.toString());
        }
    }

    private void round() {
        roundQueued.set(false); // a checkpoint due from now on gets a round of its own
        List<Owner> owners = new ArrayList<>();
        for (Iterator<Owner> it = due.iterator(); it.hasNext(); ) {
            owners.add(it.next());
            it.remove();
        }
        save(owners);
    }

    private static void save(List<Owner> owners) {
        List<Owner> saving = new ArrayList<>(owners.size());
        List<LicenseTracker> trackers = new ArrayList<>(owners.size());
        List<LicenseTracker.Checkpoint> checkpoints = new ArrayList<>(owners.size());
        List<StateFiles.Save> saves = new ArrayList<>(owners.size());
        for (Owner owner : owners) {
            LicenseTracker tracker = owner.checkpointTracker();
            LicenseTracker.Checkpoint checkpoint = tracker == null ? null : tracker.dueCheckpoint();
            if (checkpoint == null) {
                owner.checkpointSaved(); // nothing due (a later round saved it): a past failure is over
                continue;
            }
            saving.add(owner);
            trackers.add(tracker);
            checkpoints.add(checkpoint);
            saves.add(new StateFiles.Save(checkpoint.file(), checkpoint.bytes()));
        }
        if (saves.isEmpty()) {
            return;
        }
        Map<Path, IOException> failures = StateFiles.saveAll(saves);
        for (int i = 0; i < saving.size(); i++) {
            IOException failure = failures.get(checkpoints.get(i).file().toAbsolutePath());
            if (failure == null) {
                trackers.get(i).checkpointed(checkpoints.get(i));
                saving.get(i).checkpointSaved();
            } else {
                saving.get(i).checkpointFailed(failure);
            }
        }
    }
}
