package io.icws.licenses.state;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The client-side license cache of one ICWS licenses subscription (one server + user), with its persistence.
 *
 * <p>Semantics of {@link #apply(boolean, List)} follow the ICWS reference for {@code isDelta}:
 * {@code false} clears the cache and replaces it with the message's content; {@code true} updates only the
 * licenses the message carries and keeps all others.
 *
 * <p>Besides the current view, the state keeps a change counter ("sequence") for every license ever seen,
 * including licenses that have since left the view, and an {@code epoch}: a random id made when the state is
 * made (first start, state folder deleted, corrupt file moved aside). Change ids are built from epoch and
 * sequence, so the same change read twice has the same id, and two changes never share one, also after the
 * state was reset.
 *
 * <p>State file (UTF-8 JSON, pretty printed):
 * <pre>{@code
 * {
 *   "format" : 2,
 *   "epoch" : "3f0c5c2e-…",
 *   "server" : "127.0.0.1:18018",
 *   "user" : "agent1",
 *   "record" : 41,
 *   "licenses" : { "I3_ACCESS_CLIENT" : true, "I3_LICENSE_BASIC_STATION" : false },
 *   "sequences" : { "I3_ACCESS_CLIENT" : 3, "I3_LICENSE_BASIC_STATION" : 1, "I3_OLD" : 2 }
 * }
 * }</pre>
 * {@code licenses} is the current view; {@code sequences} holds the counter of every license ever seen
 * (every key of {@code licenses} must have one, at least 1). A format 1 file (no epoch) is read and given a
 * new epoch. {@code record} is the outbox record the state was committed in (absent: none known). Unknown
 * extra fields are ignored.
 *
 * <p>Thread-safe: every method is synchronized on the instance.
 */
public final class LicenseState {

    /** The version written to the state file's {@code "format"} field; format 1 (no epoch) is still read. */
    public static final int FORMAT = 2;

    private static final Logger LOG = LoggerFactory.getLogger(LicenseState.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper ONE_LINE = new ObjectMapper();
    private static final DateTimeFormatter CORRUPT_STAMP =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final int PREFIX_MAX = 60;

    private final String epoch;
    private final String server;
    private final String user;
    private final TreeMap<String, Boolean> current = new TreeMap<>();
    private final TreeMap<String, Long> sequences = new TreeMap<>();
    /** The outbox sequence of the record this state was committed in (0: none known). */
    private long record;

    /** An empty state with a new epoch and no server or user recorded. */
    public LicenseState() {
        this(null, null);
    }

    /** An empty state with a new epoch for the given server and user (recorded in the state file; may be null). */
    public LicenseState(String server, String user) {
        this(UUID.randomUUID().toString(), server, user);
    }

    private LicenseState(String epoch, String server, String user) {
        this.epoch = Objects.requireNonNull(epoch, "epoch");
        this.server = server;
        this.user = user;
    }

    /** The random id of this state's life: part of every change id, new whenever the state starts afresh. */
    public String epoch() {
        return epoch;
    }

    /** The server recorded with this state, or null. */
    public String server() {
        return server;
    }

    /** The user recorded with this state, or null. */
    public String user() {
        return user;
    }

    /**
     * Applies one ICWS license message.
     *
     * @param isDelta  the message's {@code isDelta}: false replaces the whole cache, true updates the carried licenses
     * @param statuses the message's {@code licenseAssignedStatusList}; when a name occurs more than once the last
     *                 occurrence wins (at most one change per license, at the position of its first occurrence)
     * @return the changes in the message's order: {@link ChangeType#OBSERVED} for a license not in the current
     *         view, {@link ChangeType#ASSIGNED}/{@link ChangeType#UNASSIGNED} when the value differs; nothing for an
     *         unchanged license. Licenses dropped by a full snapshot produce no change.
     * @throws IllegalArgumentException when the list, an item or an item's name is null (the state is then unchanged)
     */
    public synchronized List<LicenseChange> apply(boolean isDelta, List<LicenseStatus> statuses) {
        if (statuses == null) {
            throw new IllegalArgumentException("License status list is missing (null)");
        }
        LinkedHashMap<String, Boolean> incoming = new LinkedHashMap<>();
        int index = 0;
        for (LicenseStatus status : statuses) {
            if (status == null) {
                throw new IllegalArgumentException("License status item #" + index + " is missing (null)");
            }
            if (status.name() == null) {
                throw new IllegalArgumentException("License status item #" + index + " has no license name (null)");
            }
            incoming.put(status.name(), status.assigned());
            index++;
        }

        List<LicenseChange> changes = new ArrayList<>();
        for (Map.Entry<String, Boolean> e : incoming.entrySet()) {
            String name = e.getKey();
            boolean assigned = e.getValue();
            Boolean previous = current.get(name);
            ChangeType type;
            if (previous == null) {
                type = ChangeType.OBSERVED;
            } else if (previous != assigned) {
                type = assigned ? ChangeType.ASSIGNED : ChangeType.UNASSIGNED;
            } else {
                continue;
            }
            long sequence = sequences.merge(name, 1L, Long::sum);
            changes.add(new LicenseChange(name, type, assigned, type == ChangeType.OBSERVED ? null : previous, sequence));
        }

        if (!isDelta) {
            current.clear();
        }
        current.putAll(incoming);
        return List.copyOf(changes);
    }

    /** The current view: license name to assigned, sorted by name, unmodifiable (a copy). */
    public synchronized Map<String, Boolean> snapshot() {
        return Collections.unmodifiableMap(new TreeMap<>(current));
    }

    /**
     * The change counter of every license ever seen (also those no longer in the view), sorted, unmodifiable.
     */
    public synchronized Map<String, Long> sequences() {
        return Collections.unmodifiableMap(new TreeMap<>(sequences));
    }

    /** A deep copy, with the same epoch, server, user and record. */
    public synchronized LicenseState copy() {
        LicenseState copy = new LicenseState(epoch, server, user);
        copy.current.putAll(current);
        copy.sequences.putAll(sequences);
        copy.record = record;
        return copy;
    }

    /**
     * The outbox sequence of the record this state was committed in: of two copies of a connection's state (the
     * outbox's newest record and the state file, a checkpoint that may lag), the one with the higher record is
     * the newer. 0 when none is known (a state file of an older version, or a state never committed).
     */
    public synchronized long record() {
        return record;
    }

    /** Records in which outbox record this state was committed. */
    public synchronized void committedIn(long sequence) {
        this.record = sequence;
    }

    /** True when view and counters are those of the other state (epoch and record aside). */
    public synchronized boolean sameAs(LicenseState other) {
        LicenseState o = other.copy();
        return current.equals(o.current) && sequences.equals(o.sequences);
    }

    /** This state as the JSON object of the state file (one line), e.g. for an outbox record. */
    public synchronized String toJsonString() {
        try {
            return ONE_LINE.writeValueAsString(toJson());
        } catch (IOException e) {
            throw new IllegalStateException("A license state cannot be written as JSON", e);
        }
    }

    /**
     * A state from the JSON object {@link #toJsonString()} or a state file holds.
     *
     * @throws IOException when it is not a state
     */
    public static LicenseState fromJsonString(String json) throws IOException {
        return fromJson(json.getBytes(StandardCharsets.UTF_8));
    }

    /** A copy of this state's epoch, view and counters recorded under another server and user. */
    public synchronized LicenseState withIdentity(String newServer, String newUser) {
        LicenseState copy = new LicenseState(epoch, newServer, newUser);
        copy.current.putAll(current);
        copy.sequences.putAll(sequences);
        copy.record = record;
        return copy;
    }

    // ------------------------------------------------------------------------------------------------ persistence

    /**
     * Saves this state atomically: writes a temporary file in the same directory (flushed to disk), then moves it
     * over {@code file} with {@code ATOMIC_MOVE} (falling back to a plain replacing move where atomic moves are not
     * supported). Creates missing parent directories. No temporary file is left behind, also on failure.
     */
    public void save(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        StateFiles.save(file, toFileBytes());
    }

    /** This state as the state file holds it (pretty printed, one newline at the end). */
    public byte[] toFileBytes() {
        byte[] json;
        synchronized (this) {
            try {
                json = JSON.writeValueAsBytes(toJson());
            } catch (IOException e) {
                throw new IllegalStateException("A license state cannot be written as JSON", e);
            }
        }
        byte[] bytes = java.util.Arrays.copyOf(json, json.length + 1);
        bytes[json.length] = '\n';
        return bytes;
    }

    private ObjectNode toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("epoch", epoch);
        root.put("server", server);
        root.put("user", user);
        if (record > 0) {
            root.put("record", record);
        }
        ObjectNode lic = root.putObject("licenses");
        current.forEach(lic::put);
        ObjectNode seq = root.putObject("sequences");
        sequences.forEach(seq::put);
        return root;
    }

    /** {@link #load(Path, Clock)} with the system UTC clock. */
    public static LicenseState load(Path file) {
        return load(file, Clock.systemUTC());
    }

    /**
     * Loads a state saved by {@link #save(Path)}. Never throws for a bad file:
     * <ul>
     *   <li>missing file: an empty state;</li>
     *   <li>unreadable, corrupt or not the expected shape: the file is moved aside to
     *       {@code <name>.corrupt-<yyyyMMdd'T'HHmmss'Z'>} in the same folder (a {@code -N} suffix is added if that
     *       name is taken), one WARN names both paths and the reason, and an empty state is returned.</li>
     * </ul>
     *
     * @param clock gives the time stamp of the moved-aside file's name
     */
    public static LicenseState load(Path file, Clock clock) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(clock, "clock");
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return new LicenseState();
        } catch (IOException | RuntimeException e) {
            if (!Files.exists(file)) {
                return new LicenseState();
            }
            return moveAside(file, clock, "unreadable: " + describe(e));
        }
        try {
            return fromJson(bytes);
        } catch (IOException | RuntimeException e) {
            return moveAside(file, clock, describe(e));
        }
    }

    private static String describe(Exception e) {
        String msg = e.getMessage();
        if (msg == null) {
            return e.getClass().getSimpleName();
        }
        // Jackson messages can be long and carry source excerpts; keep the first line.
        int nl = msg.indexOf('\n');
        return nl < 0 ? msg : msg.substring(0, nl);
    }

    private static LicenseState fromJson(byte[] bytes) throws IOException {
        if (bytes.length == 0) {
            throw new CorruptStateException("empty file");
        }
        JsonNode root = JSON.readTree(bytes);
        if (root == null || !root.isObject()) {
            throw new CorruptStateException("not a JSON object");
        }
        JsonNode format = root.get("format");
        if (format == null || !format.isIntegralNumber()) {
            throw new CorruptStateException("missing or non-integer \"format\"");
        }
        if (format.asInt() != 1 && format.asInt() != FORMAT) {
            throw new CorruptStateException("unsupported format " + format.asText() + " (expected 1 or " + FORMAT + ")");
        }
        String epoch = optionalText(root, "epoch");
        if (format.asInt() == FORMAT && (epoch == null || epoch.isBlank())) {
            throw new CorruptStateException("missing \"epoch\"");
        }
        String server = optionalText(root, "server");
        String user = optionalText(root, "user");
        JsonNode licenses = root.get("licenses");
        JsonNode sequences = root.get("sequences");
        if (licenses == null || !licenses.isObject()) {
            throw new CorruptStateException("missing or non-object \"licenses\"");
        }
        if (sequences == null || !sequences.isObject()) {
            throw new CorruptStateException("missing or non-object \"sequences\"");
        }
        LicenseState state = epoch == null ? new LicenseState(server, user) : new LicenseState(epoch, server, user);
        JsonNode record = root.get("record");
        if (record != null) {
            if (!record.isIntegralNumber() || record.asLong() < 0) {
                throw new CorruptStateException("\"record\" is not a sequence");
            }
            state.record = record.asLong();
        }
        for (Map.Entry<String, JsonNode> e : sequences.properties()) {
            JsonNode v = e.getValue();
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 1) {
                throw new CorruptStateException("sequence of a license is not a positive integer");
            }
            state.sequences.put(e.getKey(), v.asLong());
        }
        for (Map.Entry<String, JsonNode> e : licenses.properties()) {
            if (!e.getValue().isBoolean()) {
                throw new CorruptStateException("value of a license is not true/false");
            }
            if (!state.sequences.containsKey(e.getKey())) {
                throw new CorruptStateException("a license in \"licenses\" has no entry in \"sequences\"");
            }
            state.current.put(e.getKey(), e.getValue().booleanValue());
        }
        return state;
    }

    private static String optionalText(JsonNode root, String field) throws CorruptStateException {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isTextual()) {
            throw new CorruptStateException("\"" + field + "\" is not a string");
        }
        return n.asText();
    }

    private static LicenseState moveAside(Path file, Clock clock, String reason) {
        String stamp = CORRUPT_STAMP.format(clock.instant());
        String base = file.getFileName() + ".corrupt-" + stamp;
        Path aside = file.resolveSibling(base);
        for (int i = 1; Files.exists(aside) && i < 1000; i++) {
            aside = file.resolveSibling(base + "-" + i);
        }
        try {
            Files.move(file, aside);
            LOG.warn("License state file {} is unusable ({}); moved it to {} and starting with an empty state",
                    file, reason, aside);
        } catch (IOException | RuntimeException e) {
            LOG.warn("License state file {} is unusable ({}); could not move it to {} ({}); starting with an empty state",
                    file, reason, aside, describe(e));
        }
        return new LicenseState();
    }

    /**
     * The state file of one server + user in {@code directory}: a readable prefix made of the server and user
     * (every character outside {@code [A-Za-z0-9_.-]} replaced by {@code _}, at most 60 characters, no leading dot),
     * then {@code -}, the first 16 hex digits of SHA-256 of {@code server + "\n" + user}, and {@code .json}.
     * Whatever the strings contain, the result is a plain file name directly inside {@code directory}.
     *
     * @throws IllegalArgumentException when an argument is null
     */
    public static Path stateFile(Path directory, String server, String user) {
        if (directory == null) {
            throw new IllegalArgumentException("State directory is missing (null)");
        }
        if (server == null) {
            throw new IllegalArgumentException("Server is missing (null)");
        }
        if (user == null) {
            throw new IllegalArgumentException("User is missing (null)");
        }
        String prefix = sanitize(server + "_" + user, PREFIX_MAX);
        String name = prefix + "-" + sha256Hex16(server + "\n" + user) + ".json";
        Path file = directory.resolve(name);
        if (!Objects.equals(file.getParent(), directory) || !file.normalize().startsWith(directory.normalize())) {
            throw new IllegalStateException("State file name escapes its directory"); // cannot happen: name is [A-Za-z0-9_.-]
        }
        return file;
    }

    /**
     * The state file of one connection in {@code directory}: the connection id, {@code _}, then the name
     * {@link #stateFile(Path, String, String)} gives for the server and user. The connection id is
     * {@code [a-z0-9][a-z0-9-]*}; anything else in it is replaced like the rest of the name.
     */
    public static Path stateFile(Path directory, String connection, String server, String user) {
        Path plain = stateFile(directory, server, user);
        if (connection == null) {
            throw new IllegalArgumentException("Connection is missing (null)");
        }
        return directory.resolve(sanitize(connection, PREFIX_MAX) + "_" + plain.getFileName());
    }

    private static String sanitize(String s, int max) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), max));
        for (int i = 0; i < s.length() && b.length() < max; i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '_' || c == '.' || c == '-';
            b.append(ok ? c : '_');
        }
        if (b.length() > 0 && b.charAt(0) == '.') {
            b.setCharAt(0, '_');
        }
        return b.toString();
    }

    private static String sha256Hex16(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    @Override
    public synchronized String toString() {
        return "LicenseState[epoch=" + epoch + ", licenses=" + current.size() + ", known=" + sequences.size() + "]";
    }

    /** Reason a state file was rejected. */
    private static final class CorruptStateException extends IOException {
        CorruptStateException(String message) {
            super(message);
        }
    }
}
