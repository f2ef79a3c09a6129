package io.icws.licenses.bench;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * When complete files appear in a folder: a {@link WatchService} (inotify on Linux) on the folder, read by a
 * thread of its own that takes {@link System#nanoTime()} as it gets each event. A file written under a temporary
 * name ({@code .writing-…}, {@code .tmp-…}) and renamed shows as its final name being created. Names starting with
 * {@code .} or not ending in {@code .json} are left out.
 *
 * <p>Resolution: the time the watching thread gets the event, normally well under a millisecond after the rename.
 * When the JDK's event queue for the folder overflows (more than 512 events not yet taken), the folder is listed
 * again and each new name gets the time of that listing: those arrivals are counted in {@link #rescans()}.
 */
final class FileArrivals implements AutoCloseable {

    /** One file, and when it was seen. */
    record Arrival(String name, long nanos, boolean fromRescan) {
    }

    private final Path dir;
    private final WatchService watcher;
    private final Thread thread;
    private final Set<String> seen = new HashSet<>(); // guarded by this
    private final List<Arrival> arrivals = new ArrayList<>(); // guarded by this
    private final AtomicInteger count = new AtomicInteger();
    private final AtomicInteger overflows = new AtomicInteger();
    private final AtomicInteger rescued = new AtomicInteger();
    private volatile boolean closed;

    FileArrivals(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.watcher = FileSystems.getDefault().newWatchService();
        dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE);
        rescan(); // whatever is there already
        this.thread = new Thread(this::watch, "bench-watch-" + dir.getFileName());
        thread.setDaemon(true);
        thread.setPriority(Thread.MAX_PRIORITY);
        thread.start();
    }

    private void watch() {
        try {
            while (!closed) {
                WatchKey key = watcher.take();
                long now = System.nanoTime();
                for (WatchEvent<?> event : key.pollEvents()) {
                    if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
                        overflows.incrementAndGet();
                        rescan();
                    } else if (event.context() instanceof Path p) {
                        add(p.getFileName().toString(), now, false);
                    }
                }
                key.reset();
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closed
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void rescan() throws IOException {
        long now = System.nanoTime();
        List<String> names;
        try (Stream<Path> files = Files.list(dir)) {
            names = files.map(p -> p.getFileName().toString()).sorted().toList();
        }
        for (String name : names) {
            if (add(name, now, true)) {
                rescued.incrementAndGet();
            }
        }
    }

    private synchronized boolean add(String name, long nanos, boolean fromRescan) {
        if (name.startsWith(".") || !name.endsWith(".json") || !seen.add(name)) {
            return false;
        }
        arrivals.add(new Arrival(name, nanos, fromRescan));
        count.incrementAndGet();
        return true;
    }

    int count() {
        return count.get();
    }

    /** The arrivals so far, in the order seen. */
    synchronized List<Arrival> arrivals() {
        return List.copyOf(arrivals);
    }

    /** The n-th arrival (1-based). */
    synchronized Arrival nth(int n) {
        return arrivals.get(n - 1);
    }

    int overflows() {
        return overflows.get();
    }

    /** Files whose time is that of a folder listing after an overflow, not of their own event. */
    int rescans() {
        return rescued.get();
    }

    /** The complete files in the folder now (a listing, to check the count). */
    long listCount() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> !n.startsWith(".") && n.endsWith(".json")).count();
        }
    }

    Path dir() {
        return dir;
    }

    @Override
    public void close() throws IOException {
        closed = true;
        watcher.close();
        thread.interrupt();
    }
}
