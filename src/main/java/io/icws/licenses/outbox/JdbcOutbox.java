package io.icws.licenses.outbox;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import javax.sql.DataSource;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.icws.licenses.state.LicenseChangeEvent;
import io.icws.licenses.support.PausePoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outbox in a database ({@code icws.store=jdbc}): for replicas on their own disks, which share the license
 * states and the undelivered events through it. Tables ({@link JdbcSchema}, prefix {@code icws.store.jdbc.table-prefix}):
 * <ul>
 *   <li>{@code <prefix>connection}: one row per connection — the sequence of its newest record and the license state
 *       that record left;</li>
 *   <li>{@code <prefix>record}: one row per committed batch — its events (a JSON array of CloudEvents), their
 *       sequences {@code seq … last_seq}, numbered per connection;</li>
 *   <li>{@code <prefix>progress}: per target and connection, the sequence of the last event that target took.</li>
 * </ul>
 *
 * <p><b>One transaction per batch.</b> {@link #commit(String, String, List)} locks the connection's row, checks
 * that its sequence is still the one this process last committed (another process committing for the same
 * connection fences this one: {@link OutboxFencedException}), writes the state and the record, and commits; only
 * then are the events queued for the targets.
 *
 * <p><b>Owned per connection.</b> A connection's records are numbered, written and delivered by the process that
 * owns it ({@link #claim(String)}, through the cluster service): its sequence numbers are gapless and committed
 * in order, so a target's progress per connection is one number and no record can commit "late" behind it — the
 * trap of reading a shared identity column, whose values are not in commit order. A process that takes a
 * connection over reads its state and its undelivered records from the tables and delivers them first. Events a
 * replay sends again belong to the pseudo-connection {@value #REPLAY}, owned by the process that runs the
 * dead-letter replay.
 *
 * <p><b>Cheap.</b> Nothing is read while idle: a target gets a connection's records from the commits of this
 * process, and from the tables only when it or the connection starts here. Progress is written in batches, every
 * {@value #FLUSH_MILLIS} ms and whenever a target or connection stops here: after a crash a target may get the
 * last events again, with their ids — as the file store's cursors. Records every target of this run has taken are
 * deleted as progress is written.
 */
public final class JdbcOutbox extends SharedOutbox {

    /** The pseudo-connection of events sent again by a replay (never a connection id: those start with a letter or digit). */
    public static final String REPLAY = "-";

    static final long FLUSH_MILLIS = 100;

    private static final Logger LOG = LoggerFactory.getLogger(JdbcOutbox.class);
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]*");
    private static final TypeReference<List<LicenseChangeEvent>> EVENTS = new TypeReference<>() {
    };

    private final DataSource dataSource;
    private final String where;
    private final JdbcSchema schema;
    private final ObjectMapper mapper;
    private final boolean initializeSchema;
    private volatile int statementTimeoutSeconds = 10;

    // guarded by this
    private final Map<String, TargetQueue> queues = new LinkedHashMap<>();
    /** Connections this process owns, with the sequence of their newest record (0: none yet). */
    private final Map<String, Long> claimed = new HashMap<>();
    /** The newest record of each claimed connection handed to the queues. */
    private final Map<String, Long> published = new HashMap<>();
    private final Set<String> targetsOfThisRun = new TreeSet<>();
    private boolean deletionAllowed;
    private volatile boolean schemaReady;
    private boolean running;
    private ScheduledExecutorService flusher;

    private final Map<String, CommittedState> states = new ConcurrentHashMap<>();

    /**
     * @param where            the database, for log lines and health (its JDBC URL without credentials)
     * @param tablePrefix      {@code icws.store.jdbc.table-prefix}
     * @param initializeSchema {@code icws.store.jdbc.initialize-schema}: create the tables when missing
     */
    public JdbcOutbox(DataSource dataSource, String where, String tablePrefix, boolean initializeSchema,
                      ObjectMapper mapper) {
        this.dataSource = dataSource;
        this.where = where;
        this.schema = new JdbcSchema(tablePrefix);
        this.mapper = mapper;
        this.initializeSchema = initializeSchema;
    }

    @Override
    public String where() {
        return where;
    }

    /**
     * How long one statement may take before it is cancelled ({@code icws.store.jdbc.statement-timeout}): a database
     * that accepts and never answers fails the commit, it does not hold the connection's lane for good.
     */
    public JdbcOutbox statementTimeout(java.time.Duration timeout) {
        this.statementTimeoutSeconds = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toSeconds()));
        return this;
    }

    private PreparedStatement statement(Connection c, String sql) throws SQLException {
        PreparedStatement statement = c.prepareStatement(sql);
        statement.setQueryTimeout(statementTimeoutSeconds);
        return statement;
    }

    @Override
    public boolean keepsStates() {
        return true;
    }

    @Override
    public boolean ownedPerConnection() {
        return true;
    }

    // ------------------------------------------------------------------------------------------ lifecycle

    @Override
    synchronized void open() {
        try {
            prepareSchema();
        } catch (SQLException e) {
            // the database is away: each connection waits for it when it claims (a target's route starts anyway)
            LOG.debug("The database store {} cannot be opened yet: {}", where, describe(e));
        }
        running = true;
        flusher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "icws-store-progress");
            t.setDaemon(true);
            return t;
        });
        flusher.scheduleWithFixedDelay(this::flushQuietly, FLUSH_MILLIS, FLUSH_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Creates the tables if missing and checks their version, once per opening (a commit after that only reads a flag). */
    private void prepareSchema() throws SQLException {
        if (!schemaReady) {
            prepareSchemaOnce();
        }
    }

    private synchronized void prepareSchemaOnce() throws SQLException {
        if (schemaReady) {
            return;
        }
        try (Connection c = dataSource.getConnection()) {
            schema.prepare(c, initializeSchema, where);
        } catch (SQLException e) {
            problem("opening the database store " + where, e);
            throw e;
        }
        schemaReady = true;
    }

    @Override
    synchronized void close() {
        running = false;
        flushQuietly();
        if (flusher != null) {
            flusher.shutdownNow();
            flusher = null;
        }
        for (TargetQueue queue : queues.values()) {
            queue.close();
        }
        queues.clear();
        schemaReady = false;
        claimed.clear();
        published.clear();
        states.clear();
    }

    @Override
    public synchronized boolean isOpen() {
        return running;
    }

    // ------------------------------------------------------------------------------------------ ownership

    /**
     * This process owns the connection now: its state and newest sequence are read, and its undelivered records are
     * queued for every target running here.
     */
    @Override
    public synchronized void claim(String connection) throws IOException {
        requireRunning();
        try {
            prepareSchema();
        } catch (SQLException e) {
            throw new IOException("opening the database store " + where + " failed: " + describe(e), e);
        }
        try (Connection c = dataSource.getConnection()) {
            long seq = 0;
            try (PreparedStatement read = statement(c, schema.selectConnection())) {
                read.setString(1, connection);
                try (ResultSet rs = read.executeQuery()) {
                    if (rs.next()) {
                        seq = rs.getLong(1);
                        String state = rs.getString(2);
                        if (state != null) {
                            states.put(connection, new CommittedState(seq, state));
                        }
                    } else {
                        states.remove(connection);
                    }
                }
            }
            claimed.put(connection, seq);
            published.put(connection, seq);
            int waiting = 0;
            for (TargetQueue queue : queues.values()) {
                waiting += load(c, queue, connection);
            }
            if (waiting > 0) {
                LOG.info("Outbox {}: {} event(s) of connection {} still waiting for their targets from before; "
                        + "delivering them first", where, waiting, connection);
            }
        } catch (SQLException e) {
            throw new IOException(problem("reading connection " + connection + " from " + where, e), e);
        }
    }

    /** This process no longer owns the connection: what it has queued of it goes (it stays in the tables). */
    @Override
    public void letGo(String connection) {
        List<TargetQueue> open;
        synchronized (this) {
            if (claimed.remove(connection) == null) {
                return;
            }
            published.remove(connection);
            states.remove(connection);
            open = List.copyOf(queues.values());
        }
        for (TargetQueue queue : open) {
            queue.drop(connection);
        }
        flushQuietly();
    }

    /** Queues the records of a connection the target has not taken yet. */
    private int load(Connection c, TargetQueue queue, String connection) throws SQLException {
        JdbcProgress progress = (JdbcProgress) queue.progress();
        long taken = progress.load(c, connection);
        long upTo = published.getOrDefault(connection, 0L);
        List<Entry> pending = new ArrayList<>();
        if (upTo > taken) {
            try (PreparedStatement read = statement(c, schema.selectRecords())) {
                read.setString(1, connection);
                read.setLong(2, taken);
                read.setLong(3, upTo);
                try (ResultSet rs = read.executeQuery()) {
                    while (rs.next()) {
                        long seq = rs.getLong(1);
                        Set<String> targets = targets(rs.getString(2));
                        List<LicenseChangeEvent> events = parse(rs.getString(3), connection, seq);
                        for (LicenseChangeEvent event : events) {
                            long s = seq++;
                            if (s > taken) {
                                pending.add(new Entry(s, connection(connection), targets, event));
                            }
                        }
                    }
                }
            }
        }
        queue.offer(pending);
        return (int) pending.stream().filter(e -> e.isFor(queue.target())).count();
    }

    // ------------------------------------------------------------------------------------------ committing

    @Override
    public Committed commit(String connection, String state, List<LicenseChangeEvent> events) {
        if (connection != null && !NAME.matcher(connection).matches()) {
            throw new IllegalArgumentException("connection ids are [a-z0-9][a-z0-9-]*, not '" + connection + "'");
        }
        return write(connection == null ? REPLAY : connection, state, events, null);
    }

    @Override
    public List<Entry> resend(List<LicenseChangeEvent> events, Set<String> targets) {
        synchronized (this) {
            for (String target : targets) {
                if (!queues.containsKey(target)) {
                    throw new IllegalArgumentException("target '" + target + "' is not running here (running: "
                            + (queues.isEmpty() ? "none" : String.join(", ", queues.keySet())) + ")");
                }
            }
        }
        boolean replayClaimed;
        synchronized (this) {
            replayClaimed = claimed.containsKey(REPLAY);
        }
        if (!replayClaimed) {
            // the replay's route claims it when it starts; a database away then is made up for here
            try {
                claim(REPLAY);
            } catch (IOException e) {
                throw new OutboxWriteException("sending events again through " + where + " failed", e);
            }
        }
        return write(REPLAY, null, events, Set.copyOf(targets)).entries();
    }

    private Committed write(String key, String state, List<LicenseChangeEvent> events, Set<String> targets) {
        Long expected;
        synchronized (this) {
            requireRunning();
            expected = claimed.get(key);
        }
        try {
            prepareSchema();
        } catch (SQLException e) {
            throw new OutboxWriteException("committing to the database store " + where + " failed: " + describe(e),
                    new IOException(e.getMessage(), e));
        }
        List<LicenseChangeEvent> committed = new ArrayList<>(events.size());
        for (LicenseChangeEvent event : events) {
            // an event gets its id when it is committed; one sent again keeps the id it has
            committed.add(targets != null ? event : event.withId(UUID.randomUUID().toString()));
        }
        String eventsJson;
        try {
            eventsJson = mapper.writeValueAsString(committed);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("A change event cannot be written as JSON", e);
        }
        long first;
        long last;
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                CommittedState locked = lockConnection(c, key);
                long current = locked == null ? -1 : locked.sequence();
                if (expected != null && Math.max(current, 0) != expected) {
                    c.rollback();
                    synchronized (this) {
                        if (claimed.containsKey(key)) {
                            // the other process's newest state is the one to go on from
                            claimed.put(key, Math.max(current, 0));
                            published.put(key, Math.max(current, published.getOrDefault(key, 0L)));
                            if (locked != null && locked.state() != null) {
                                states.put(key, locked);
                            }
                        }
                    }
                    throw new OutboxFencedException(key, expected, current, where);
                }
                first = Math.max(current, 0) + 1;
                last = first + Math.max(1, committed.size()) - 1;
                Timestamp now = Timestamp.from(Instant.now());
                if (current < 0) {
                    try (PreparedStatement insert = statement(c, schema.insertConnection())) {
                        insert.setString(1, key);
                        insert.setLong(2, last);
                        insert.setString(3, state);
                        insert.setTimestamp(4, now);
                        insert.executeUpdate();
                    }
                } else {
                    try (PreparedStatement update = statement(c, state == null
                            ? schema.updateConnectionSequence() : schema.updateConnection())) {
                        int i = 1;
                        update.setLong(i++, last);
                        if (state != null) {
                            update.setString(i++, state);
                        }
                        update.setTimestamp(i++, now);
                        update.setString(i, key);
                        update.executeUpdate();
                    }
                }
                if (!committed.isEmpty()) {
                    try (PreparedStatement insert = statement(c, schema.insertRecord())) {
                        insert.setString(1, key);
                        insert.setLong(2, first);
                        insert.setLong(3, last);
                        insert.setString(4, targets == null ? null : String.join(",", new TreeSet<>(targets)));
                        insert.setString(5, eventsJson);
                        insert.setTimestamp(6, now);
                        insert.executeUpdate();
                    }
                }
                PausePoint.reached(PausePoint.COMMIT_WRITTEN);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException rollback) {
                    e.addSuppressed(rollback);
                }
                throw e;
            } finally {
                try {
                    c.setAutoCommit(autoCommit);
                } catch (SQLException e) {
                    LOG.debug("Resetting auto-commit: {}", e.toString());
                }
            }
        } catch (SQLException e) {
            throw new OutboxWriteException(problem("committing to the database store " + where, e),
                    new IOException(e.getMessage(), e));
        }
        List<Entry> entries = new ArrayList<>(committed.size());
        long s = first;
        for (LicenseChangeEvent event : committed) {
            entries.add(new Entry(s++, connection(key), targets, event));
        }
        synchronized (this) {
            if (claimed.containsKey(key)) {
                claimed.put(key, last);
                published.put(key, last);
            }
            if (state != null) {
                states.put(key, new CommittedState(first, state));
            }
            for (TargetQueue queue : queues.values()) {
                queue.offer(entries);
            }
        }
        working(where + " takes commits");
        return new Committed(first, List.copyOf(entries));
    }

    /** Locks the connection's row for this transaction: its newest sequence and state, or null when it has none. */
    private CommittedState lockConnection(Connection c, String key) throws SQLException {
        try (PreparedStatement lock = statement(c, schema.lockConnection())) {
            lock.setString(1, key);
            try (ResultSet rs = lock.executeQuery()) {
                return rs.next() ? new CommittedState(rs.getLong(1), rs.getString(2)) : null;
            }
        }
    }

    @Override
    public CommittedState lastState(String connection) {
        return states.get(connection);
    }

    @Override
    public void reserveAbove(long sequence) {
        // the states live here: there is no checkpoint elsewhere to stay above
    }

    private String problem(String what, SQLException e) {
        return failing(what + " failed: " + describe(e));
    }

    /** A database error in one line, without the statement (it may hold a value). */
    static String describe(SQLException e) {
        String state = e.getSQLState() == null ? "" : " [SQLState " + e.getSQLState() + "]";
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst()
                .orElse("");
        return message + state;
    }

    private void requireRunning() {
        if (!running) {
            throw new IllegalStateException("The outbox in " + where + " is not running");
        }
    }

    // ------------------------------------------------------------------------------------------ targets

    @Override
    public synchronized TargetQueue queue(String target) {
        requireRunning();
        TargetQueue queue = queues.get(target);
        if (queue != null) {
            return queue;
        }
        if (!NAME.matcher(target).matches()) {
            throw new IllegalArgumentException("outbox target names are [a-z0-9][a-z0-9-]*, not '" + target + "'");
        }
        queue = new TargetQueue(target, new JdbcProgress(target), () -> {
        });
        int waiting = 0;
        if (!claimed.isEmpty()) {
            try (Connection c = dataSource.getConnection()) {
                for (String connection : claimed.keySet()) {
                    waiting += load(c, queue, connection);
                }
            } catch (SQLException e) {
                queue.close();
                throw new OutboxWriteException(problem("reading target " + target + " from " + where, e),
                        new IOException(e.getMessage(), e));
            }
        }
        queues.put(target, queue);
        if (waiting > 0) {
            LOG.info("Outbox: {} event(s) still waiting for target {} from before; delivering them first", waiting,
                    target);
        }
        return queue;
    }

    @Override
    public void release(TargetQueue queue) {
        synchronized (this) {
            queues.remove(queue.target(), queue);
        }
        Set<String> moved = ((JdbcProgress) queue.progress()).flush();
        if (!moved.isEmpty()) {
            deleteTaken(moved);
        }
        queue.close();
    }

    @Override
    public synchronized Collection<TargetQueue> queues() {
        return List.copyOf(queues.values());
    }

    @Override
    public synchronized void allowDeletion(Collection<String> targets) {
        targetsOfThisRun.addAll(targets);
        targetsOfThisRun.addAll(queues.keySet());
        deletionAllowed = true;
    }

    /** Writes every target's progress, then deletes the records every target of this run has taken. */
    private void flushQuietly() {
        List<TargetQueue> open;
        synchronized (this) {
            open = List.copyOf(queues.values());
        }
        Set<String> advanced = new TreeSet<>();
        for (TargetQueue queue : open) {
            advanced.addAll(((JdbcProgress) queue.progress()).flush());
        }
        if (!advanced.isEmpty()) {
            deleteTaken(advanced);
        }
    }

    private void deleteTaken(Set<String> connections) {
        Set<String> targets;
        synchronized (this) {
            if (!deletionAllowed || !running) {
                return;
            }
            targets = new TreeSet<>(targetsOfThisRun);
            targets.addAll(queues.keySet());
        }
        try (Connection c = dataSource.getConnection()) {
            for (String connection : connections) {
                Map<String, Long> taken = new HashMap<>();
                try (PreparedStatement read = statement(c, schema.selectProgress())) {
                    read.setString(1, connection);
                    try (ResultSet rs = read.executeQuery()) {
                        while (rs.next()) {
                            taken.put(rs.getString(1), rs.getLong(2));
                        }
                    }
                }
                long all = Long.MAX_VALUE;
                for (String target : targets) {
                    all = Math.min(all, taken.getOrDefault(target, 0L));
                }
                if (all > 0 && all != Long.MAX_VALUE) {
                    try (PreparedStatement delete = statement(c, schema.deleteRecords())) {
                        delete.setString(1, connection);
                        delete.setLong(2, all);
                        delete.executeUpdate();
                    }
                }
            }
        } catch (SQLException e) {
            LOG.debug("Deleting delivered records from {}: {}", where, describe(e));
        }
    }

    private static Set<String> targets(String column) {
        return column == null || column.isBlank() ? null : Set.of(column.split(","));
    }

    private static String connection(String key) {
        return REPLAY.equals(key) ? null : key;
    }

    private List<LicenseChangeEvent> parse(String json, String connection, long seq) throws SQLException {
        try {
            return mapper.readValue(json, EVENTS);
        } catch (IOException e) {
            throw new SQLException("record " + seq + " of connection " + connection + " in " + where
                    + " cannot be read: " + e.getClass().getSimpleName(), e);
        }
    }

    /**
     * A target's progress: per connection, the sequence of the last event it took. Kept in memory as events are
     * taken, written every {@value #FLUSH_MILLIS} ms and when the target or a connection stops here.
     */
    private final class JdbcProgress implements TargetProgress {

        private final String target;
        private final Map<String, Long> taken = new ConcurrentHashMap<>();
        private final Map<String, Long> unwritten = new ConcurrentHashMap<>();

        JdbcProgress(String target) {
            this.target = target;
        }

        /** Reads the target's progress for a connection (0: it took nothing of it yet). */
        long load(Connection c, String connection) throws SQLException {
            try (PreparedStatement read = statement(c, schema.selectTargetProgress())) {
                read.setString(1, target);
                read.setString(2, connection);
                try (ResultSet rs = read.executeQuery()) {
                    long value = rs.next() ? rs.getLong(1) : 0;
                    taken.merge(connection, value, Math::max);
                    return taken.get(connection);
                }
            }
        }

        @Override
        public boolean hasTaken(Entry entry) {
            return entry.sequence() <= taken.getOrDefault(key(entry), 0L);
        }

        @Override
        public void advance(Entry entry) {
            String key = key(entry);
            taken.merge(key, entry.sequence(), Math::max);
            unwritten.merge(key, entry.sequence(), Math::max);
        }

        private String key(Entry entry) {
            return entry.connection() == null ? REPLAY : entry.connection();
        }

        /** Writes what was taken since the last time; returns the connections it moved for. */
        synchronized Set<String> flush() {
            if (unwritten.isEmpty()) {
                return Set.of();
            }
            Map<String, Long> batch = new LinkedHashMap<>(unwritten);
            try (Connection c = dataSource.getConnection()) {
                boolean autoCommit = c.getAutoCommit();
                c.setAutoCommit(false);
                try {
                    for (Map.Entry<String, Long> e : batch.entrySet()) {
                        int updated;
                        try (PreparedStatement update = statement(c, schema.updateProgress())) {
                            update.setLong(1, e.getValue());
                            update.setString(2, target);
                            update.setString(3, e.getKey());
                            updated = update.executeUpdate();
                        }
                        if (updated == 0) {
                            try (PreparedStatement insert = statement(c, schema.insertProgress())) {
                                insert.setString(1, target);
                                insert.setString(2, e.getKey());
                                insert.setLong(3, e.getValue());
                                insert.executeUpdate();
                            }
                        }
                    }
                    c.commit();
                } catch (SQLException e) {
                    c.rollback();
                    throw e;
                } finally {
                    c.setAutoCommit(autoCommit);
                }
                batch.forEach((k, v) -> unwritten.remove(k, v));
                return batch.keySet();
            } catch (SQLException e) {
                // kept in memory and written at the next flush; a crash meanwhile means the events come again
                LOG.debug("Target {}: progress not written to {} yet ({})", target, where, describe(e));
                return Set.of();
            }
        }

        @Override
        public void close() {
            flush();
        }
    }
}
