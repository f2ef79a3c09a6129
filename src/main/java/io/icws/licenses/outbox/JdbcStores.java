package io.icws.licenses.outbox;

import java.util.Set;

import javax.sql.DataSource;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.icws.licenses.config.IcwsSettings;
import io.icws.licenses.config.InvalidSettingException;
import io.icws.licenses.config.Secrets;
import org.apache.camel.CamelContext;
import org.apache.camel.support.service.ServiceSupport;

/**
 * Makes the database store ({@code icws.store=jdbc}) and chooses its {@link DataSource}:
 * <ol>
 *   <li>{@code icws.store.jdbc.url} given: a connection pool of its own (HikariCP), with
 *       {@code icws.store.jdbc.username} and the password from {@code ICWS_STORE_JDBC_PASSWORD} or
 *       {@code icws.store.jdbc.password-file} (read around property resolution, never logged), closed when the
 *       CamelContext stops;</li>
 *   <li>else {@code icws.store.jdbc.data-source} given: the host's DataSource bean of that name;</li>
 *   <li>else the host's only DataSource bean (Spring Boot's, Quarkus' Agroal); none or several: start-up stops,
 *       saying so.</li>
 * </ol>
 */
public final class JdbcStores {

    private JdbcStores() {
    }

    /** The database store, its pool (when it has its own) a service of the context, stopped after the store. */
    public static JdbcOutbox create(CamelContext context, IcwsSettings.Store store, Secrets secrets,
                                    ObjectMapper mapper) throws Exception {
        DataSource dataSource;
        String where;
        if (store.url() != null) {
            where = withoutQuery(store.url());
            dataSource = pool(context, store, secrets, where);
        } else if (store.dataSource() != null) {
            dataSource = context.getRegistry().lookupByNameAndType(store.dataSource(), DataSource.class);
            if (dataSource == null) {
                throw new InvalidSettingException("icws.store.jdbc.data-source", "names no javax.sql.DataSource bean ('"
                        + store.dataSource() + "')");
            }
            where = "data source " + store.dataSource();
        } else {
            Set<DataSource> found = context.getRegistry().findByType(DataSource.class);
            if (found.size() != 1) {
                throw new InvalidSettingException("icws.store.jdbc.url", found.isEmpty()
                        ? "is needed with icws.store=jdbc (jdbc:postgresql://host:5432/db), unless the runtime binds a "
                          + "javax.sql.DataSource"
                        : "is not set and the runtime has " + found.size() + " DataSource beans: name one with "
                          + "icws.store.jdbc.data-source");
            }
            dataSource = found.iterator().next();
            where = "the runtime's data source";
        }
        return new JdbcOutbox(dataSource, where, store.tablePrefix(), store.initializeSchema(), mapper)
                .statementTimeout(store.statementTimeout());
    }

    private static DataSource pool(CamelContext context, IcwsSettings.Store store, Secrets secrets, String where)
            throws Exception {
        try {
            Class.forName("com.zaxxer.hikari.HikariDataSource", false, JdbcStores.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new InvalidSettingException("icws.store.jdbc.url", "needs HikariCP on the classpath "
                    + "(com.zaxxer:HikariCP 7.1.0) and the database's JDBC driver (org.postgresql:postgresql 42.7.14), "
                    + "or bind a javax.sql.DataSource of the runtime and leave icws.store.jdbc.url out");
        }
        return HikariPool.open(context, store, secrets.read("icws.store.jdbc.password").orElse(null), where);
    }

    static String withoutQuery(String url) {
        int q = url.indexOf('?');
        return q < 0 ? url : url.substring(0, q);
    }

    /** Kept apart so that HikariCP is loaded only when the store has a pool of its own. */
    private static final class HikariPool {

        static DataSource open(CamelContext context, IcwsSettings.Store store, String password, String where)
                throws Exception {
            com.zaxxer.hikari.HikariConfig config = new com.zaxxer.hikari.HikariConfig();
            config.setPoolName("icws-store");
            config.setJdbcUrl(store.url());
            if (store.username() != null) {
                config.setUsername(store.username());
            }
            if (password != null) {
                config.setPassword(password);
            }
            config.setMaximumPoolSize(store.poolSize());
            config.setMinimumIdle(1);
            config.setConnectionTimeout(Math.max(250, store.connectTimeout().toMillis()));
            config.setValidationTimeout(Math.max(250, Math.min(store.connectTimeout().toMillis(), 5000)));
            // the pool starts without a connection: a database down at start-up is a commit that waits, not a
            // process that cannot start (the store says what failed when a connection first opens)
            config.setInitializationFailTimeout(-1);
            com.zaxxer.hikari.HikariDataSource pool;
            try {
                pool = new com.zaxxer.hikari.HikariDataSource(config);
            } catch (RuntimeException e) {
                throw new InvalidSettingException("icws.store.jdbc.url", "cannot be used for " + where + " ("
                        + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
            }
            context.addService(new ServiceSupport() {
                @Override
                protected void doStop() {
                    pool.close();
                }
            }, true, true);
            return pool;
        }
    }
}
