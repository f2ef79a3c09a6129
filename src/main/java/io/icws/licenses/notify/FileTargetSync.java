package io.icws.licenses.notify;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.icws.licenses.support.Fsync;
import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;
import org.apache.camel.Header;

/**
 * The file target's last step, after camel-file has written the event under a temporary name and renamed it:
 * forces the file and then its folder to disk, so the event survives a power loss before the outbox moves the
 * target's cursor past it. camel-file 4.18 does not do this itself: its {@code forceWrites} option is declared
 * (default true) but never read; a String or byte[] body is written through {@code Files.writeString} or a
 * {@code SeekableByteChannel} that is closed without {@code force}, and the rename is not followed by a folder
 * sync ({@code FileOperations.storeFile}, {@code GenericFileProducer.processExchange}).
 *
 * <p>The route takes the outbox's events in batches: the split writes each file (and, as the split's aggregation
 * strategy, this bean collects the names camel-file produced in the header {@value #WRITTEN}); then
 * {@link #forceAll(List)} forces all of them at once, on up to {@value #PARALLEL} threads, and each folder once.
 * Forces that run at the same time share the file system's journal commits (ext4: one commit for many
 * {@code fsync}s), so a batch of 200 files is on disk in about the time of a few single ones, not 400
 * {@code fsync}s one after the other.
 *
 * <p>Any failure fails the exchange, so the events are tried again like a failed write.
 */
public class FileTargetSync implements AggregationStrategy {

    /** Header with the names camel-file produced in this batch, in order. */
    public static final String WRITTEN = "IcwsFilesWritten";
    /** Forces of one batch at the same time, at most. */
    static final int PARALLEL = 32;

    private final ThreadPoolExecutor forcing;

    public FileTargetSync() {
        AtomicInteger n = new AtomicInteger();
        forcing = new ThreadPoolExecutor(PARALLEL, PARALLEL, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "icws-file-sync-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        forcing.allowCoreThreadTimeOut(true); // no thread while nothing is written
    }

    /**
     * Forces the file camel-file has just produced, then the folder it was renamed into.
     *
     * @param produced the {@code CamelFileNameProduced} header camel-file sets after it wrote the file
     * @throws IllegalStateException if there is no such header (nothing was written)
     * @throws IOException           if the file is gone or cannot be forced
     */
    public void force(@Header(Exchange.FILE_NAME_PRODUCED) String produced) throws IOException {
        Path file = produced(produced);
        Fsync.forceFile(file);
        Fsync.forceDirectory(file.getParent());
    }

    /**
     * Forces every file of the batch (at the same time, on up to {@value #PARALLEL} threads), then each folder
     * they were renamed into, once.
     *
     * @param produced the names camel-file produced, collected by {@link #aggregate} in {@value #WRITTEN}
     * @throws IllegalStateException if there are none (nothing was written)
     * @throws IOException           if a file is gone or cannot be forced
     */
    public void forceAll(@Header(WRITTEN) List<String> produced) throws IOException {
        if (produced == null || produced.isEmpty()) {
            throw new IllegalStateException("No " + WRITTEN + " header: the split wrote no file, so there is nothing "
                    + "to force to disk");
        }
        List<Path> files = new ArrayList<>(produced.size());
        Set<Path> folders = new LinkedHashSet<>();
        for (String name : produced) {
            Path file = produced(name);
            files.add(file);
            folders.add(file.getParent());
        }
        if (files.size() == 1) {
            Fsync.forceFile(files.get(0));
        } else {
            List<Future<Void>> forces = new ArrayList<>(files.size());
            for (Path file : files) {
                forces.add(forcing.submit(() -> {
                    Fsync.forceFile(file);
                    return null;
                }));
            }
            await(forces);
        }
        for (Path folder : folders) {
            Fsync.forceDirectory(folder);
        }
    }

    /**
     * As the split's aggregation strategy: collects the name camel-file produced for each event into
     * {@value #WRITTEN}; a failed event's exception stays on the result.
     */
    @Override
    public Exchange aggregate(Exchange oldExchange, Exchange newExchange) {
        Exchange result = oldExchange == null ? newExchange : oldExchange;
        @SuppressWarnings("unchecked")
        List<String> written = result.getMessage().getHeader(WRITTEN, List.class);
        if (written == null) {
            written = new ArrayList<>();
            result.getMessage().setHeader(WRITTEN, written);
        }
        String produced = newExchange.getMessage().getHeader(Exchange.FILE_NAME_PRODUCED, String.class);
        if (produced != null) {
            written.add(produced);
        }
        if (newExchange.getException() != null && result != newExchange) {
            result.setException(newExchange.getException());
        }
        return result;
    }

    private static Path produced(String produced) {
        if (produced == null || produced.isBlank()) {
            throw new IllegalStateException("No " + Exchange.FILE_NAME_PRODUCED
                    + " header: the file step wrote no file, so there is nothing to force to disk");
        }
        return Path.of(produced).toAbsolutePath();
    }

    /** Waits for every force; the first failure (after all have ended) fails the batch. */
    private static void await(List<Future<Void>> forces) throws IOException {
        IOException failure = null;
        for (Future<Void> force : forces) {
            try {
                force.get();
            } catch (ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                forces.forEach(f -> f.cancel(true));
                throw new InterruptedIOException("interrupted while forcing the batch's files");
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
