package io.icws.licenses.support;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes what was written survive a power loss, not only a process crash. The pattern this project uses for
 * every file a guarantee rests on: write a temporary file, {@link #forceFile force it}, rename it over the real
 * name, then {@link #forceDirectory force its folder} — the rename lives in the folder, and until the folder is
 * forced the operating system may lose it (and with it the new file) although the file's own bytes were forced.
 * See {@code fsync(2)}: "Calling fsync() does not necessarily ensure that the entry in the directory containing
 * the file has also reached disk. For that an explicit fsync() on a file descriptor for the directory is also
 * needed."
 */
public final class Fsync {

    private static final Logger LOG = LoggerFactory.getLogger(Fsync.class);
    private static final AtomicBoolean DIRECTORY_UNSUPPORTED_LOGGED = new AtomicBoolean();

    /** How a directory is opened; replaced only in tests. */
    interface Opener {
        FileChannel open(Path directory) throws IOException;
    }

    private static final Opener READ = directory -> FileChannel.open(directory, StandardOpenOption.READ);

    private Fsync() {
    }

    /**
     * Forces a file's content and metadata to storage ({@code fsync}). Opened for writing without creating or
     * truncating anything, because some systems (Windows) only flush a handle that may write.
     *
     * @throws NoSuchFileException if the file is not there
     * @throws IOException         if it cannot be opened or forced: what was written may not be on disk
     */
    public static void forceFile(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
    }

    /**
     * Forces a directory's entries — the files created, renamed into or deleted from it — to storage. Call it
     * after every rename a guarantee rests on, with the folder the file was renamed into.
     *
     * <p>Where the operating system or file system cannot open or force a directory (Windows cannot open one as
     * a channel; some network and FUSE file systems refuse {@code fsync} on one), that is logged once at DEBUG
     * and {@code false} is returned: there the rename is as durable as that system makes it, and a save must not
     * fail for it.
     *
     * @return true if the directory was forced, false where that cannot be done
     * @throws NoSuchFileException   if the directory is not there
     * @throws NotDirectoryException if the path is not a directory
     */
    public static boolean forceDirectory(Path directory) throws IOException {
        return forceDirectory(directory, READ);
    }

    static boolean forceDirectory(Path directory, Opener opener) throws IOException {
        if (!Files.isDirectory(directory)) {
            if (Files.exists(directory)) {
                throw new NotDirectoryException(directory.toString());
            }
            throw new NoSuchFileException(directory.toString());
        }
        try (FileChannel channel = opener.open(directory)) {
            channel.force(true);
            return true;
        } catch (IOException e) {
            if (DIRECTORY_UNSUPPORTED_LOGGED.compareAndSet(false, true)) {
                LOG.debug("A folder cannot be forced to disk here ({}: {}); renames are as durable as this file "
                        + "system makes them (logged once)", directory, Failures.describe(e));
            }
            return false;
        }
    }
}
