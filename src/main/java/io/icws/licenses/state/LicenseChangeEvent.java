package io.icws.licenses.state;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * A license change as a CloudEvents 1.0 JSON event (structured mode). Serialized by Jackson as is:
 * <pre>{@code
 * {
 *   "specversion": "1.0",
 *   "id": "4f0c…",
 *   "source": "icws://127.0.0.1:18018/agent1",
 *   "type": "io.icws.license.unassigned",
 *   "time": "2026-11-28T01:30:00.123Z",
 *   "datacontenttype": "application/json",
 *   "data": {"server": "127.0.0.1:18018", "user": "agent1", "license": "I3_ACCESS_CLIENT",
 *            "assigned": false, "previouslyAssigned": true,
 *            "snapshot": {"I3_ACCESS_CLIENT": false, "I3_LICENSE_BASIC_STATION": true},
 *            "changeType": "unassigned"}
 * }
 * }</pre>
 *
 * @see #of(String, String, String, LicenseChange, Map, Instant)
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonPropertyOrder({"specversion", "id", "source", "type", "time", "datacontenttype", "data"})
public record LicenseChangeEvent(String specversion, String id, String source, String type, String time,
                                 String datacontenttype, Data data) {

    /** CloudEvents spec version. */
    public static final String SPEC_VERSION = "1.0";
    /** Content type of {@code data}. */
    public static final String DATA_CONTENT_TYPE = "application/json";
    /** Prefix of {@code type}; followed by the change type value. */
    public static final String TYPE_PREFIX = "io.icws.license.";

    private static final DateTimeFormatter RFC3339_MILLIS =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    /**
     * The event's {@code data}.
     *
     * @param previouslyAssigned null for an {@code observed} change
     * @param snapshot           the user's licenses after the change, sorted by name
     * @param changeType         "observed", "assigned" or "unassigned"
     */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    @JsonPropertyOrder({"server", "user", "license", "changeType", "assigned", "previouslyAssigned", "snapshot"})
    public record Data(String server, String user, String license, boolean assigned, Boolean previouslyAssigned,
                       Map<String, Boolean> snapshot, String changeType) {
    }

    /**
     * Builds the event of one change.
     *
     * <ul>
     *   <li>{@code type}: {@code io.icws.license.} + {@code observed|assigned|unassigned};</li>
     *   <li>{@code source}: {@code icws://{server}/{user}}; the server is percent-encoded except for unreserved
     *       characters and {@code : [ ]} (host, port, IPv6 literal), the user except for unreserved characters
     *       (RFC 3986 {@code A-Z a-z 0-9 - . _ ~}); UTF-8, upper-case hex;</li>
     *   <li>{@code id}: provisional until the outbox commits the event and gives it its own id (see
     *       {@link #withId(String)}); made deterministic from
     *       {@code UUID.nameUUIDFromBytes((epoch + "\n" + server + "\n" + user + "\n" + license + "\n"
     *       + sequence + "\n" + changeType).getBytes(UTF_8))} (a version 3 UUID), where {@code epoch} is the
     *       state's random epoch ({@link LicenseState#epoch()}), {@code sequence} is
     *       {@link LicenseChange#sequence()} and {@code changeType} its lower-case value. Different changes of a
     *       license have different sequences, and a state made afresh has a new epoch: two changes never share
     *       an id;</li>
     *   <li>{@code time}: RFC 3339 in UTC with milliseconds, e.g. {@code 2026-11-28T01:30:00.123Z}.</li>
     * </ul>
     *
     * @param epoch    the epoch of the state the change was derived from
     * @param snapshot the view after the change (copied, sorted); null is taken as empty
     * @throws IllegalArgumentException when epoch, server, user, change or time is null
     */
    public static LicenseChangeEvent of(String epoch, String server, String user, LicenseChange change,
                                        Map<String, Boolean> snapshot, Instant time) {
        require(server, "server");
        require(user, "user");
        return new Maker(server, user).of(epoch, change, snapshot == null ? Collections.emptyMap()
                : Collections.unmodifiableMap(new TreeMap<>(snapshot)), time);
    }

    /**
     * Makes the events of one server and user exactly as {@link #of(String, String, String, LicenseChange, Map,
     * Instant)} does, with what repeats from one event to the next made once: the source, the digest of the id,
     * the text of the last time. A burst of thousands of changes makes thousands of events. Not thread-safe: one
     * per {@link LicenseTracker}, used under its lock.
     */
    public static final class Maker {
        private final String server;
        private final String user;
        private final String source;
        private final MessageDigest md5;
        private String keyEpoch;
        private byte[] keyPrefix;
        private long lastSecond = Long.MIN_VALUE;
        /** {@code yyyy-MM-ddTHH:mm:ss.} of {@link #lastSecond}: only the milliseconds change within a second. */
        private String lastSecondText;

        /** @throws IllegalArgumentException when server or user is null */
        public Maker(String server, String user) {
            require(server, "server");
            require(user, "user");
            this.server = server;
            this.user = user;
            this.source = "icws://" + percentEncode(server, ":[]") + "/" + percentEncode(user, "");
            try {
                this.md5 = MessageDigest.getInstance("MD5");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("MD5 is missing from this JVM", e); // every Java SE has it
            }
        }

        /**
         * The event of one change.
         *
         * @param snapshot the view after the change, sorted by name and not to be changed afterwards (taken as is)
         * @throws IllegalArgumentException when epoch, change, snapshot or time is null
         */
        public LicenseChangeEvent of(String epoch, LicenseChange change, Map<String, Boolean> snapshot, Instant time) {
            require(epoch, "epoch");
            require(change, "change");
            require(snapshot, "snapshot");
            require(time, "time");
            require(change.license(), "change.license");
            require(change.type(), "change.type");
            String changeType = change.type().value();
            String id = id(epoch, change.license(), change.sequence(), change.type());
            Data data = new Data(server, user, change.license(), change.assigned(),
                    change.type() == ChangeType.OBSERVED ? null : change.previouslyAssigned(), snapshot, changeType);
            return new LicenseChangeEvent(SPEC_VERSION, id, source, TYPE_PREFIX + changeType, timeText(time),
                    DATA_CONTENT_TYPE, data);
        }

        /**
         * The deterministic id of a change, see {@link LicenseChangeEvent#of}: the version 3 UUID of
         * {@code epoch \n server \n user \n license \n sequence \n changeType}, its first three lines given to the
         * digest once per epoch.
         */
        String id(String epoch, String license, long sequence, ChangeType type) {
            if (!epoch.equals(keyEpoch)) {
                keyPrefix = (epoch + "\n" + server + "\n" + user + "\n").getBytes(StandardCharsets.UTF_8);
                keyEpoch = epoch;
            }
            md5.reset();
            md5.update(keyPrefix);
            byte[] hash = md5.digest((license + "\n" + sequence + "\n" + type.value()).getBytes(StandardCharsets.UTF_8));
            hash[6] = (byte) ((hash[6] & 0x0f) | 0x30); // version 3, as UUID.nameUUIDFromBytes
            hash[8] = (byte) ((hash[8] & 0x3f) | 0x80); // IETF variant
            long msb = 0;
            long lsb = 0;
            for (int i = 0; i < 8; i++) {
                msb = (msb << 8) | (hash[i] & 0xff);
                lsb = (lsb << 8) | (hash[i + 8] & 0xff);
            }
            return new UUID(msb, lsb).toString();
        }

        private String timeText(Instant time) {
            long second = time.getEpochSecond();
            if (second != lastSecond || lastSecondText == null) {
                String text = RFC3339_MILLIS.format(Instant.ofEpochSecond(second));
                lastSecondText = text.substring(0, text.length() - "000Z".length());
                lastSecond = second;
            }
            int millis = time.getNano() / 1_000_000;
            char[] tail = {(char) ('0' + millis / 100), (char) ('0' + millis / 10 % 10), (char) ('0' + millis % 10), 'Z'};
            return lastSecondText.concat(new String(tail));
        }
    }

    /**
     * The same event with another id: the outbox gives every event its own id when the batch that made it is
     * committed ({@link io.icws.licenses.outbox.Outbox#commit}), and that id stays with it.
     */
    public LicenseChangeEvent withId(String newId) {
        return new LicenseChangeEvent(specversion, newId, source, type, time, datacontenttype, data);
    }

    /** The deterministic event id of a change; see {@link #of(String, String, String, LicenseChange, Map, Instant)}. */
    public static String stableId(String epoch, String server, String user, String license, long sequence,
                                  ChangeType type) {
        // String.valueOf: a null part reads "null" in the key, as it always did here
        return new Maker(String.valueOf(server), String.valueOf(user)).id(String.valueOf(epoch),
                String.valueOf(license), sequence, type);
    }

    /** The change type, from {@code data.changeType} (or, failing that, from {@code type}). */
    @JsonIgnore
    public ChangeType changeType() {
        if (data != null && data.changeType() != null) {
            return ChangeType.fromValue(data.changeType());
        }
        if (type != null && type.startsWith(TYPE_PREFIX)) {
            return ChangeType.fromValue(type.substring(TYPE_PREFIX.length()));
        }
        throw new IllegalStateException("Event " + id + " carries no change type");
    }

    /** {@code data.license}, or null. */
    @JsonIgnore
    public String license() {
        return data == null ? null : data.license();
    }

    /** {@code data.user}, or null. */
    @JsonIgnore
    public String user() {
        return data == null ? null : data.user();
    }

    /** {@code data.server}, or null. */
    @JsonIgnore
    public String server() {
        return data == null ? null : data.server();
    }

    /** {@code time} parsed as an instant. */
    @JsonIgnore
    public Instant instant() {
        return Instant.parse(time);
    }

    private static void require(Object value, String what) {
        if (value == null) {
            throw new IllegalArgumentException("License change event: " + what + " is missing (null)");
        }
    }

    private static String percentEncode(String s, String alsoAllowed) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        StringBuilder b = new StringBuilder(bytes.length);
        for (byte x : bytes) {
            int c = x & 0xFF;
            boolean unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~';
            if (unreserved || (c < 0x80 && alsoAllowed.indexOf(c) >= 0)) {
                b.append((char) c);
            } else {
                b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
            }
        }
        return b.toString();
    }
}
