package io.icws.licenses.state;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
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
        for (Save save : saves) {
            Path target = save.file().toAbsolutePath();
            Path tmp = null;
            try {
                Path dir = target.getParent();
                Files.createDirectories(dir);
                tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)) {
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
        Set<Path> folders = new LinkedHashSet<>();
        renamed.forEach(target -> folders.add(target.getParent()));
        for (Path folder : folders) {
            try {
                Fsync.forceDirectory(folder);
            } catch (IOException failure) {
                renamed.stream().filter(target -> target.getParent().equals(folder))
                        .forEach(target -> failures.put(target, failure));
            }
        }
        return failures;
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
