package io.icws.licenses.notify;

import java.io.IOException;
import java.nio.file.Path;

import io.icws.licenses.support.Fsync;
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
 * <p>Any failure fails the exchange, so the event is tried again like a failed write.
 */
public class FileTargetSync {

    /**
     * Forces the file camel-file has just produced, then the folder it was renamed into.
     *
     * @param produced the {@code CamelFileNameProduced} header camel-file sets after it wrote the file
     * @throws IllegalStateException if there is no such header (nothing was written)
     * @throws IOException           if the file is gone or cannot be forced
     */
    public void force(@Header(Exchange.FILE_NAME_PRODUCED) String produced) throws IOException {
        if (produced == null || produced.isBlank()) {
            throw new IllegalStateException("No " + Exchange.FILE_NAME_PRODUCED
                    + " header: the file step wrote no file, so there is nothing to force to disk");
        }
        Path file = Path.of(produced).toAbsolutePath();
        Fsync.forceFile(file);
        Fsync.forceDirectory(file.getParent());
    }
}
