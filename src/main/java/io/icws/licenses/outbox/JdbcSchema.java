package io.icws.licenses.outbox;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Locale;
import java.util.regex.Pattern;

import io.icws.licenses.config.InvalidSettingException;

/**
 * The tables of the database store and the statements on them. The schema ships as SQL per database
 * ({@code icws/store/postgresql.sql}, {@code icws/store/h2.sql} in the jar), is created at the first start when
 * allowed ({@code icws.store.jdbc.initialize-schema}), and carries its version in {@code <prefix>schema}: a
 * later release migrates from it, and this one refuses a newer schema rather than misreading it.
 */
final class JdbcSchema {

    /** The schema version this release writes and reads. */
    static final int VERSION = 1;

    private static final Pattern PREFIX = Pattern.compile("[a-z][a-z0-9_]{0,30}");

    private final String p;

    JdbcSchema(String prefix) {
        if (!PREFIX.matcher(prefix).matches()) {
            throw new InvalidSettingException("icws.store.jdbc.table-prefix", "'" + prefix + "' is not a table "
                    + "prefix: lower-case letters, digits and '_', starting with a letter, at most 31 characters");
        }
        this.p = prefix;
    }

    /** Creates the tables when missing (if allowed) and checks the schema version. */
    void prepare(Connection c, boolean initialize, String where) throws SQLException {
        String product = c.getMetaData().getDatabaseProductName().toLowerCase(Locale.ROOT);
        String script = product.contains("h2") ? "h2.sql" : "postgresql.sql";
        if (!exists(c)) {
            if (!initialize) {
                throw new InvalidSettingException("icws.store.jdbc.initialize-schema", "is false, and " + where
                        + " has no table " + p + "schema: create the tables with icws/store/" + script
                        + " (in the jar; ${prefix} = " + p + "), or let the store create them");
            }
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                for (String statement : strip(read(script)).split(";")) {
                    String sql = statement.trim();
                    if (!sql.isEmpty()) {
                        s.execute(sql);
                    }
                }
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                if (!exists(c)) {
                    throw e;
                }
                // another replica created them at the same moment
            } finally {
                c.setAutoCommit(autoCommit);
            }
        }
        Integer version = null;
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT MAX(version) FROM " + p
                + "schema")) {
            if (rs.next()) {
                int v = rs.getInt(1);
                version = rs.wasNull() ? null : v;
            }
        }
        if (version == null) {
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO " + p
                    + "schema (version, installed_at) VALUES (?, ?)")) {
                insert.setInt(1, VERSION);
                insert.setTimestamp(2, Timestamp.from(Instant.now()));
                insert.executeUpdate();
            }
        } else if (version > VERSION) {
            throw new IllegalStateException("The database store " + where + " has schema version " + version
                    + " (tables " + p + "*), newer than this release knows (" + VERSION + "): run the release that "
                    + "wrote it, or a newer one");
        }
    }

    /** True when the schema table is there (asked of the metadata: a failing query would log on the server). */
    private boolean exists(Connection c) throws SQLException {
        String table = p + "schema";
        for (String name : new String[] {table, table.toUpperCase(Locale.ROOT)}) {
            try (ResultSet rs = c.getMetaData().getTables(null, null, name, new String[] {"TABLE"})) {
                if (rs.next()) {
                    return true;
                }
            }
        }
        return false;
    }

    private String read(String script) {
        try (InputStream in = JdbcSchema.class.getClassLoader().getResourceAsStream("icws/store/" + script)) {
            if (in == null) {
                throw new IllegalStateException("icws/store/" + script + " is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("${prefix}", p);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read icws/store/" + script, e);
        }
    }

    /** A script without its comment lines. */
    private static String strip(String statement) {
        StringBuilder sql = new StringBuilder();
        for (String line : statement.split("\n")) {
            if (!line.trim().startsWith("--")) {
                sql.append(line).append('\n');
            }
        }
        return sql.toString().trim();
    }

    String selectConnection() {
        return "SELECT seq, state FROM " + p + "connection WHERE connection = ?";
    }

    String lockConnection() {
        return "SELECT seq, state FROM " + p + "connection WHERE connection = ? FOR UPDATE";
    }

    String insertConnection() {
        return "INSERT INTO " + p + "connection (connection, seq, state, committed_at) VALUES (?, ?, ?, ?)";
    }

    String updateConnection() {
        return "UPDATE " + p + "connection SET seq = ?, state = ?, committed_at = ? WHERE connection = ?";
    }

    String updateConnectionSequence() {
        return "UPDATE " + p + "connection SET seq = ?, committed_at = ? WHERE connection = ?";
    }

    String insertRecord() {
        return "INSERT INTO " + p + "record (connection, seq, last_seq, targets, events, committed_at) "
                + "VALUES (?, ?, ?, ?, ?, ?)";
    }

    String selectRecords() {
        return "SELECT seq, targets, events FROM " + p + "record WHERE connection = ? AND last_seq > ? AND seq <= ? "
                + "ORDER BY seq";
    }

    String deleteRecords() {
        return "DELETE FROM " + p + "record WHERE connection = ? AND last_seq <= ?";
    }

    String selectTargetProgress() {
        return "SELECT seq FROM " + p + "progress WHERE target = ? AND connection = ?";
    }

    String selectProgress() {
        return "SELECT target, seq FROM " + p + "progress WHERE connection = ?";
    }

    String updateProgress() {
        return "UPDATE " + p + "progress SET seq = GREATEST(seq, ?) WHERE target = ? AND connection = ?";
    }

    String insertProgress() {
        return "INSERT INTO " + p + "progress (target, connection, seq) VALUES (?, ?, ?)";
    }
}
