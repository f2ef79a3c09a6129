package io.icws.licenses.state;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

import io.icws.licenses.support.Fsync;

/**
 * Saves state files atomically, several at once: every file is written to a temporary file next to it and
 * forced, then renamed over its name, then each folder is forced once. Written one by one, each save cost two
 * journal commits of the file system (the new file, then the rename in the folder); written together, the first
 * force commits what the others wrote too, and one force of the folder covers every rename in it. What fails
 * fails alone: the other files are saved, and no temporary file is left behind.
 */
public final class StateFiles {

    /** One file to save: its bytes, as the state file holds them. */
    public record Save(Path file, byte[] bytes) {
    }

    /** The next temporary file's number; starts at random, so two processes seldom pick the same names. */
    private static final AtomicLong TEMPORARY = new AtomicLong(ThreadLocalRandom.current().nextLong());

    private StateFiles() {
    }

    /** Saves one file; see {@link #saveAll(List)}. */
    public static void save(Path file, byte[] bytes) throws IOException {
        IOException failure = saveAll(List.of(new Save(file, bytes))).get(file.toAbsolutePath());
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * Saves every file, each whole or not at all.
     *
     * @return the failure of each file that could not be saved, by its absolute path (empty: all saved)
     */
    public static Map<Path, IOException> saveAll(List<Save> saves) {
        Map<Path, IOException> failures = new LinkedHashMap<>();
        Map<Path, Path> temporaries = new LinkedHashMap<>(); // target -> temporary file
        Set<Path> folders = new LinkedHashSet<>(); // each made (if missing) once per call, not once per file
        for (Save save : saves) {
            Path target = save.file().toAbsolutePath();
            Path tmp = null;
            try {
                Path dir = target.getParent();
                if (folders.add(dir) && !Files.isDirectory(dir)) {
                    Files.createDirectories(dir);
                }
                Temporary created = Temporary.create(dir, target);
                tmp = created.path();
                try (FileChannel ch = created.channel()) {
                    ByteBuffer buffer = ByteBuffer.wrap(save.bytes());
                    while (buffer.hasRemaining()) {
                        ch.write(buffer);
                    }
                }
                temporaries.put(target, tmp);
            } catch (IOException e) {
                failures.put(target, e);
                deleteQuietly(tmp, e);
            }
        }
        // forced after all are written: the first force commits the journal with every other new file in it
        List<Path> renamed = new ArrayList<>();
        for (Map.Entry<Path, Path> e : temporaries.entrySet()) {
            Path target = e.getKey();
            Path tmp = e.getValue();
            try {
                Fsync.forceFile(tmp);
                move(tmp, target);
                renamed.add(target);
            } catch (IOException failure) {
                failures.put(target, failure);
                deleteQuietly(tmp, failure);
            }
        }
        // the renames live in the folders: until a folder is forced a power loss may undo them
        Set<Path> renamedIn = new LinkedHashSet<>();
        renamed.forEach(target -> renamedIn.add(target.getParent()));
        for (Path folder : renamedIn) {
            try {
                Fsync.forceDirectory(folder);
            } catch (IOException failure) {
                renamed.stream().filter(target -> target.getParent().equals(folder))
                        .forEach(target -> failures.put(target, failure));
            }
        }
        return failures;
    }

    /**
     * A new temporary file next to the target, {@code .<name>.<n>.tmp}, open for writing. Named from a counter,
     * not by {@link Files#createTempFile} (a {@code SecureRandom} draw per file: a tenth of the checkpoint thread's
     * time with 200 connections); created with {@code CREATE_NEW}, so a name left by an earlier process is skipped,
     * never written into.
     */
    private record Temporary(Path path, FileChannel channel) {
        static Temporary create(Path dir, Path target) throws IOException {
            for (int attempt = 0; ; attempt++) {
                Path tmp = dir.resolve("." + target.getFileName() + "."
                        + Long.toUnsignedString(TEMPORARY.getAndIncrement(), 36) + ".tmp");
                try {
                    return new Temporary(tmp, FileChannel.open(tmp, StandardOpenOption.CREATE_NEW,
                            StandardOpenOption.WRITE));
                } catch (FileAlreadyExistsException e) {
                    if (attempt >= 100) {
                        throw e;
                    }
                    TEMPORARY.set(ThreadLocalRandom.current().nextLong()); // another process's names: go elsewhere
                }
            }
        }
    }

    private static void move(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void deleteQuietly(Path tmp, IOException cause) {
        if (tmp == null) {
            return;
        }
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException e) {
            cause.addSuppressed(e);
        }
    }
}
