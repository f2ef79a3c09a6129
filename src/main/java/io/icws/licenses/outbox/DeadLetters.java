package io.icws.licenses.outbox;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.icws.licenses.state.LicenseChangeEvent;
import io.icws.licenses.support.Failures;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What could not be handled, kept whole in {@code icws.dead-letter.directory}, one JSON document per file:
 * {@code origin} (the target that refused an event, or {@code icws-message} for a message from the server
 * that does not fit the model), {@code time}, {@code reason}, and {@code content}: the event as JSON, or the
 * message exactly as received. Files are written under a temporary name, synced, then renamed.
 *
 * <p>A target's dead letter is sent to that target again when its file is moved into the {@code replay}
 * folder inside the dead-letter folder ({@link #replay(Exchange)}, called by the route that watches it).
 */
public class DeadLetters {

    /** Origin of a message from the server that could not be handled. */
    public static final String ICWS_MESSAGE = "icws-message";
    /** The folder inside the dead-letter folder whose files are sent again. */
    public static final String REPLAY_FOLDER = "replay";

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);
    private static final DateTimeFormatter STAMP =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);

    private final Path directory;
    private final ObjectMapper mapper;
    private final Outbox outbox;
    private final Clock clock;

    public DeadLetters(Path directory, ObjectMapper mapper, Outbox outbox, Clock clock) {
        this.directory = directory;
        this.mapper = mapper;
        this.outbox = outbox;
        this.clock = clock;
    }

    public Path directory() {
        return directory;
    }

    /** Keeps an event a target refused after its redeliveries. */
    public Path keepEvent(String target, LicenseChangeEvent event, String reason) throws IOException {
        return write(target, event.id(), reason, mapper.valueToTree(event));
    }

    /**
     * Keeps a message from the server that could not be handled, exactly as received, with the reason
     * (the exception the route caught).
     */
    public Path keepMessage(String message, Exception reason) throws IOException {
        Path file = write(ICWS_MESSAGE, null, Failures.describe(reason), mapper.getNodeFactory().textNode(message));
        LOG.warn("An ICWS message could not be handled ({}); kept whole in {}", Failures.describe(reason), file);
        return file;
    }

    private Path write(String origin, String id, String reason, JsonNode content) throws IOException {
        ObjectNode doc = mapper.createObjectNode()
                .put("origin", origin)
                .put("time", STAMP.format(clock.instant()))
                .put("reason", reason);
        doc.set("content", content);
        String name = origin + "-" + STAMP.format(clock.instant()) + "-" + (id == null ? UUID.randomUUID() : id) + ".json";
        Files.createDirectories(directory);
        Path file = directory.resolve(name.replaceAll("[^A-Za-z0-9_.-]", "_"));
        Path tmp = directory.resolve("." + file.getFileName() + ".tmp");
        ByteBuffer bytes = ByteBuffer.wrap(mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(doc));
        try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
            channel.force(false);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        // the rename lives in the folder: until the folder is forced a power loss may undo it, and the
        // target's cursor moves past the event as soon as this returns
        io.icws.licenses.support.Fsync.forceDirectory(directory);
        return file;
    }

    /**
     * Sends a dead letter (the body: the file's content) again to the target that refused it, through the
     * outbox, with its id. Only a target's dead letters can be sent again, and only to a target running here;
     * anything else is refused with the reason (the file then goes to {@code replay/failed}, kept).
     */
    public void replay(Exchange exchange) throws IOException {
        String name = exchange.getMessage().getHeader(Exchange.FILE_NAME, String.class);
        JsonNode doc = mapper.readTree(exchange.getMessage().getBody(String.class));
        String origin = doc.path("origin").asText("");
        JsonNode content = doc.get("content");
        if (origin.equals(ICWS_MESSAGE) || content == null || !content.isObject()) {
            throw new IllegalArgumentException("Dead letter " + name + " is not an event a target refused (origin '"
                    + origin + "'); only those can be sent again");
        }
        LicenseChangeEvent event = mapper.treeToValue(content, LicenseChangeEvent.class);
        try {
            outbox.resend(java.util.List.of(event), Set.of(origin)); // durable before the replay file goes
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Dead letter " + name + " cannot be sent again: its " + e.getMessage()
                    + "; it stays in replay/failed until that target runs (then move it into replay/ again)", e);
        }
        LOG.info("Dead letter {} sent again to target {} (event {})", name, origin, event.id());
    }
}
