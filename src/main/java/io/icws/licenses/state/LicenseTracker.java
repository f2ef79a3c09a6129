package io.icws.licenses.state;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The bean the routes call (bean name {@code licenseTracker}): one per ICWS server + user. Keeps the
 * {@link LicenseState} of the subscription, persists it in {@code stateDirectory} between runs, and turns each
 * license message into {@link LicenseChangeEvent}s.
 *
 * <p>{@link #apply(boolean, List)} is all-or-nothing: the message is applied to a copy of the state, the copy is
 * saved, and only then does it become the current state. If saving fails the call throws and the state is as
 * before, so a redelivery of the same message yields the same changes with the same ids.
 *
 * <p>Thread-safe: calls are serialized on the instance.
 */
public final class LicenseTracker {

    private static final Logger LOG = LoggerFactory.getLogger(LicenseTracker.class);

    private final String server;
    private final String user;
    private final Path stateFile;
    private final Clock clock;
    private LicenseState state;

    /**
     * Creates the tracker and loads its saved state, if any (a corrupt file is moved aside; see
     * {@link LicenseState#load(Path, Clock)}).
     *
     * @param server         the ICWS server, as used in the event source (e.g. {@code 127.0.0.1:18018})
     * @param user           the ICWS user of the subscription
     * @param stateDirectory where the state file lives ({@link LicenseState#stateFile}); null: in memory only
     * @param clock          gives event times; null: the system UTC clock
     * @throws IllegalArgumentException when server or user is null
     */
    public LicenseTracker(String server, String user, Path stateDirectory, Clock clock) {
        if (server == null) {
            throw new IllegalArgumentException("License tracker: server is missing (null)");
        }
        if (user == null) {
            throw new IllegalArgumentException("License tracker: user is missing (null)");
        }
        this.server = server;
        this.user = user;
        this.clock = clock == null ? Clock.systemUTC() : clock;
        this.stateFile = stateDirectory == null ? null : LicenseState.stateFile(stateDirectory, server, user);
        LicenseState loaded = stateFile == null ? new LicenseState() : LicenseState.load(stateFile, this.clock);
        if (!matches(loaded.server(), server) || !matches(loaded.user(), user)) {
            LOG.warn("License state file {} belongs to another server or user; starting with an empty state", stateFile);
            loaded = new LicenseState();
        }
        this.state = loaded.withIdentity(server, user);
    }

    /** In-memory tracker with the system UTC clock. */
    public LicenseTracker(String server, String user) {
        this(server, user, null, null);
    }

    private static boolean matches(String recorded, String expected) {
        return recorded == null || recorded.equals(expected);
    }

    /**
     * Applies one ICWS license message and returns one event per change, in the message's order, each carrying the
     * snapshot taken after the whole message was applied. Saves the state when something changed, and always after
     * a full snapshot ({@code isDelta=false}).
     *
     * @throws IllegalArgumentException when the list, an item or a name is null (state unchanged)
     * @throws UncheckedIOException     when the state cannot be saved (state unchanged)
     */
    public synchronized List<LicenseChangeEvent> apply(boolean isDelta, List<LicenseStatus> statuses) {
        LicenseState next = state.copy();
        List<LicenseChange> changes = next.apply(isDelta, statuses);
        if (stateFile != null && (!changes.isEmpty() || !isDelta)) {
            try {
                next.save(stateFile);
            } catch (IOException e) {
                throw new UncheckedIOException("Could not save license state to " + stateFile, e);
            }
        }
        state = next;
        Map<String, Boolean> snapshot = next.snapshot();
        Instant now = clock.instant();
        List<LicenseChangeEvent> events = new ArrayList<>(changes.size());
        for (LicenseChange change : changes) {
            events.add(LicenseChangeEvent.of(server, user, change, snapshot, now));
        }
        LOG.debug("License message (isDelta={}, {} items): {} change(s)", isDelta, statuses.size(), changes.size());
        return List.copyOf(events);
    }

    /**
     * Applies one ICWS license message given as parsed JSON (what Camel's Jackson data format or a JSON split yields):
     * <pre>{@code {"__type": "urn:inin.com:licenses:licenseMessage", "isDelta": false,
     *  "licenseAssignedStatusList": [{"name": "I3_ACCESS_CLIENT", "isAssigned": true}, ...]}}</pre>
     * {@code isDelta} must be a boolean; the list must be present (it may be empty); each item needs a string
     * {@code name} and a boolean {@code isAssigned} (both required by the ICWS reference; a missing
     * {@code isAssigned} is rejected rather than read as false, which would raise a false "unassigned"). Other fields ({@code __type}, …) are ignored.
     *
     * @throws IllegalArgumentException naming what is missing or malformed (state unchanged), for the dead-letter path
     * @see #apply(boolean, List)
     */
    public List<LicenseChangeEvent> applyMessage(Map<String, ?> licenseMessage) {
        if (licenseMessage == null) {
            throw new IllegalArgumentException("License message is missing (null)");
        }
        Object isDelta = licenseMessage.get("isDelta");
        if (!(isDelta instanceof Boolean)) {
            throw new IllegalArgumentException("License message: \"isDelta\" is missing or not true/false");
        }
        Object list = licenseMessage.get("licenseAssignedStatusList");
        if (!(list instanceof List<?> items)) {
            throw new IllegalArgumentException("License message: \"licenseAssignedStatusList\" is missing or not a list");
        }
        List<LicenseStatus> statuses = new ArrayList<>(items.size());
        int index = 0;
        for (Object item : items) {
            if (!(item instanceof Map<?, ?> m)) {
                throw new IllegalArgumentException("License message: item #" + index + " is not an object");
            }
            if (!(m.get("name") instanceof String name)) {
                throw new IllegalArgumentException("License message: item #" + index + " has no string \"name\"");
            }
            Object assigned = m.get("isAssigned");
            if (!(assigned instanceof Boolean a)) {
                throw new IllegalArgumentException("License message: item #" + index
                        + " has no boolean \"isAssigned\"");
            }
            statuses.add(new LicenseStatus(name, a));
            index++;
        }
        return apply((Boolean) isDelta, statuses);
    }

    /** The current view: license name to assigned, sorted by name, unmodifiable. */
    public synchronized Map<String, Boolean> snapshot() {
        return state.snapshot();
    }

    /** The server this tracker watches. */
    public String server() {
        return server;
    }

    /** The user this tracker watches. */
    public String user() {
        return user;
    }

    /** The state file, or null when the tracker keeps its state in memory only. */
    public Path stateFile() {
        return stateFile;
    }

    @Override
    public String toString() {
        return "LicenseTracker[stateFile=" + stateFile + "]";
    }
}
