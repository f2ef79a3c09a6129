package io.icws.licenses.outbox;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.icws.licenses.state.LicenseChangeEvent;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static io.icws.licenses.outbox.OutboxTest.event;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The database store's contract on H2 (in PostgreSQL mode, for speed; the integration test runs a real PostgreSQL):
 * one transaction per batch, ownership per connection, fencing, progress, restart and clean-up. Two instances on
 * one database play two replicas.
 */
class JdbcOutboxTest {

    private javax.sql.DataSource dataSource;
    private final List<Outbox> opened = new ArrayList<>();

    @BeforeEach
    void database() throws Exception {
        dataSource = newDatabase();
    }

    /** An empty database for one test: H2 here, a real PostgreSQL in {@code JdbcOutboxPostgresIT}. */
    javax.sql.DataSource newDatabase() throws Exception {
        JdbcDataSource h2 = new JdbcDataSource();
        h2.setURL("jdbc:h2:mem:outbox-" + System.nanoTime() + ";MODE=PostgreSQL;DB_CLOSE_DELAY=-1");
        return h2;
    }

    @AfterEach
    void stopAll() throws Exception {
        for (Outbox outbox : opened) {
            outbox.stop();
        }
    }

    private JdbcOutbox open() throws Exception {
        JdbcOutbox outbox = new JdbcOutbox(dataSource, "test database", "icws_", true, new ObjectMapper());
        outbox.start();
        opened.add(outbox);
        return outbox;
    }

    private static List<Outbox.Entry> take(TargetQueue queue, int n) throws Exception {
        List<Outbox.Entry> taken = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Outbox.Entry entry = queue.next(2, TimeUnit.SECONDS);
            assertThat(entry).as("event %d of %d", i + 1, n).isNotNull();
            taken.add(entry);
            queue.taken(entry, false);
        }
        return taken;
    }

    private long count(String sql) throws Exception {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void aBatchAndItsStateAreCommittedTogetherAndQueuedWithNewIds() throws Exception {
        JdbcOutbox outbox = open();
        outbox.claim("site-a");
        TargetQueue file = outbox.queue("file");

        Outbox.Committed committed = outbox.commit("site-a", "{\"n\":1}",
                List.of(event("I3_A", 1), event("I3_B", 1)));

        assertThat(committed.sequence()).isEqualTo(1);
        List<Outbox.Entry> taken = take(file, 2);
        assertThat(taken).extracting(e -> e.event().license()).containsExactly("I3_A", "I3_B");
        assertThat(taken).extracting(Outbox.Entry::connection).containsOnly("site-a");
        assertThat(taken.get(0).event().id()).isNotEqualTo(taken.get(1).event().id()).isNotEqualTo(
                event("I3_A", 1).id());
        assertThat(outbox.lastState("site-a").state()).isEqualTo("{\"n\":1}");
        assertThat(count("SELECT COUNT(*) FROM icws_record")).isEqualTo(1);
        assertThat(count("SELECT seq FROM icws_connection WHERE connection = 'site-a'")).isEqualTo(2);
    }

    @Test
    void theNextOwnerStartsFromTheStateAndDeliversWhatWasNotTaken() throws Exception {
        JdbcOutbox first = open();
        first.claim("site-a");
        TargetQueue file = first.queue("file");
        first.commit("site-a", "{\"n\":1}", List.of(event("I3_A", 1), event("I3_B", 1), event("I3_C", 1)));
        List<Outbox.Entry> delivered = take(file, 1);
        first.letGo("site-a"); // writes the progress
        first.stop();
        opened.remove(first);

        JdbcOutbox next = open();
        TargetQueue fileNext = next.queue("file");
        next.claim("site-a");

        assertThat(next.lastState("site-a").state()).isEqualTo("{\"n\":1}");
        List<Outbox.Entry> rest = take(fileNext, 2);
        assertThat(rest).extracting(e -> e.event().license()).containsExactly("I3_B", "I3_C");
        assertThat(rest).extracting(e -> e.event().id()).doesNotContain(delivered.get(0).event().id());
        assertThat(fileNext.next(50, TimeUnit.MILLISECONDS)).isNull();
        // its commits follow the old owner's sequences
        assertThat(next.commit("site-a", "{\"n\":2}", List.of(event("I3_D", 1))).sequence()).isEqualTo(4);
    }

    @Test
    void aProcessThatNoLongerOwnsAConnectionIsFencedAndGoesOnFromTheOthersState() throws Exception {
        JdbcOutbox a = open();
        JdbcOutbox b = open();
        a.claim("site-a");
        b.claim("site-a"); // a leadership that changed hands while a was still committing
        b.commit("site-a", "{\"by\":\"b\"}", List.of(event("I3_A", 1)));

        assertThatThrownBy(() -> a.commit("site-a", "{\"by\":\"a\"}", List.of(event("I3_B", 1))))
                .isInstanceOf(OutboxFencedException.class).hasMessageContaining("another process");

        assertThat(a.lastState("site-a").state()).isEqualTo("{\"by\":\"b\"}");
        assertThat(count("SELECT COUNT(*) FROM icws_record")).isEqualTo(1); // nothing of a's batch
        // once it goes on from b's state, its commits are taken again
        assertThat(a.commit("site-a", "{\"by\":\"a\"}", List.of(event("I3_B", 1))).sequence()).isEqualTo(2);
    }

    @Test
    void replicasAppendConcurrentlyAndEachTargetGetsEveryEventOnceInOrder() throws Exception {
        JdbcOutbox a = open();
        JdbcOutbox b = open();
        List<String> ofA = List.of("a1", "a2", "a3");
        List<String> ofB = List.of("b1", "b2", "b3");
        for (String c : ofA) {
            a.claim(c);
        }
        for (String c : ofB) {
            b.claim(c);
        }
        TargetQueue fileA = a.queue("file");
        TargetQueue fileB = b.queue("file");
        int batches = 200;
        ExecutorService pool = Executors.newFixedThreadPool(6);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> writers = new ArrayList<>();
        for (String c : ofA) {
            writers.add(pool.submit(() -> commitMany(a, c, batches, go)));
        }
        for (String c : ofB) {
            writers.add(pool.submit(() -> commitMany(b, c, batches, go)));
        }
        go.countDown();
        for (Future<?> w : writers) {
            w.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();

        List<Outbox.Entry> gotA = take(fileA, 3 * batches);
        List<Outbox.Entry> gotB = take(fileB, 3 * batches);
        assertThat(fileA.next(50, TimeUnit.MILLISECONDS)).isNull();
        assertThat(fileB.next(50, TimeUnit.MILLISECONDS)).isNull();
        for (List<Outbox.Entry> got : List.of(gotA, gotB)) {
            Set<String> ids = new HashSet<>();
            got.forEach(e -> ids.add(e.event().id()));
            assertThat(ids).as("no event twice").hasSize(got.size());
            for (String c : got.stream().map(Outbox.Entry::connection).distinct().toList()) {
                List<Long> seqs = got.stream().filter(e -> e.connection().equals(c)).map(Outbox.Entry::sequence)
                        .toList();
                List<Long> sorted = new ArrayList<>(seqs);
                Collections.sort(sorted);
                assertThat(seqs).as("in order for %s", c).isEqualTo(sorted).hasSize(batches);
            }
        }
        assertThat(gotA).extracting(Outbox.Entry::connection).containsOnly("a1", "a2", "a3");
        assertThat(gotB).extracting(Outbox.Entry::connection).containsOnly("b1", "b2", "b3");
        assertThat(count("SELECT COUNT(*) FROM icws_record")).isEqualTo(6L * batches);
    }

    @Test
    void aTargetThatStartsWhileCommitsGoOnGetsEachOfThemOnceInOrder() throws Exception {
        // the reader never reads past what this process has published: a commit still under way (not visible to
        // a query yet) is handed over by its publish step, whichever comes first
        JdbcOutbox outbox = open();
        outbox.claim("site-a");
        int batches = 300;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Future<Void> writer = pool.submit(() -> commitMany(outbox, "site-a", batches, go));
        go.countDown();
        // a third of the stream committed (or the writer ended: its failure is thrown below)
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).pollInterval(
                java.time.Duration.ofMillis(5)).until(() -> writer.isDone()
                || count("SELECT COUNT(*) FROM icws_record") >= batches / 3);
        TargetQueue late = outbox.queue("late"); // made in the middle of the stream
        writer.get(60, TimeUnit.SECONDS);
        pool.shutdown();

        List<Outbox.Entry> got = take(late, batches);
        assertThat(got).extracting(Outbox.Entry::sequence)
                .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, batches).boxed().toList());
        assertThat(late.next(50, TimeUnit.MILLISECONDS)).isNull();
    }

    private static Void commitMany(JdbcOutbox outbox, String connection, int batches, CountDownLatch go)
            throws Exception {
        go.await();
        for (int i = 1; i <= batches; i++) {
            outbox.commit(connection, "{\"i\":" + i + "}", List.of(event("I3_" + connection, i)));
        }
        return null;
    }

    @Test
    void recordsEveryTargetHasTakenAreDeletedTheStateStays() throws Exception {
        JdbcOutbox outbox = open();
        outbox.claim("site-a");
        TargetQueue file = outbox.queue("file");
        TargetQueue jms = outbox.queue("jms");
        outbox.allowDeletion(List.of("file", "jms"));
        outbox.commit("site-a", "{\"n\":1}", List.of(event("I3_A", 1)));
        outbox.commit("site-a", "{\"n\":2}", List.of(event("I3_B", 1)));
        take(file, 2);
        outbox.release(file); // writes its progress
        assertThat(count("SELECT COUNT(*) FROM icws_record")).as("jms has taken nothing").isEqualTo(2);

        take(jms, 1);
        outbox.release(jms);
        assertThat(count("SELECT COUNT(*) FROM icws_record")).isEqualTo(1);
        assertThat(outbox.lastState("site-a").state()).isEqualTo("{\"n\":2}");
    }

    @Test
    void eventsSentAgainBelongToTheReplayAndKeepTheirIds() throws Exception {
        JdbcOutbox outbox = open();
        outbox.claim(JdbcOutbox.REPLAY);
        TargetQueue file = outbox.queue("file");
        TargetQueue jms = outbox.queue("jms");
        LicenseChangeEvent dead = event("I3_A", 1).withId("the-id");

        outbox.resend(List.of(dead), Set.of("jms"));

        Outbox.Entry entry = take(jms, 1).get(0);
        assertThat(entry.event().id()).isEqualTo("the-id");
        assertThat(entry.connection()).isNull();
        assertThat(file.next(50, TimeUnit.MILLISECONDS)).as("only the target that refused it").isNull();
        assertThatThrownBy(() -> outbox.resend(List.of(dead), Set.of("email")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'email' is not running here");
    }

    @Test
    void aDatabaseThatDoesNotAnswerFailsTheCommitWithinTheStatementTimeout() throws Exception {
        JdbcOutbox outbox = open().statementTimeout(java.time.Duration.ofSeconds(1));
        outbox.claim("site-a");
        outbox.commit("site-a", "{\"n\":1}", List.of(event("I3_A", 1)));
        try (Connection blocker = dataSource.getConnection()) {
            blocker.setAutoCommit(false);
            try (Statement s = blocker.createStatement()) {
                // another transaction holds the connection's row and never lets go: the commit waits on it
                s.executeQuery("SELECT seq FROM icws_connection WHERE connection = 'site-a' FOR UPDATE").close();
            }
            long started = System.nanoTime();
            assertThatThrownBy(() -> outbox.commit("site-a", "{\"n\":2}", List.of(event("I3_B", 1))))
                    .isInstanceOf(OutboxWriteException.class).hasMessageContaining("test database");
            assertThat(java.time.Duration.ofNanos(System.nanoTime() - started)).isLessThan(
                    java.time.Duration.ofSeconds(15));
            blocker.rollback();
        }
        assertThat(count("SELECT COUNT(*) FROM icws_record")).as("nothing of the failed batch").isEqualTo(1);
        assertThat(outbox.commit("site-a", "{\"n\":2}", List.of(event("I3_B", 1))).sequence()).isEqualTo(2);
    }

    @Test
    void aSchemaNewerThanThisReleaseStopsTheStart() throws Exception {
        open().stop();
        opened.clear();
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO icws_schema (version, installed_at) VALUES (99, CURRENT_TIMESTAMP)");
        }
        JdbcOutbox outbox = new JdbcOutbox(dataSource, "h2", "icws_", true, new ObjectMapper());

        assertThatThrownBy(outbox::start).hasMessageContaining("schema version 99").hasMessageContaining("newer");
    }

    @Test
    void withoutInitialisationMissingTablesAreNamed() {
        JdbcOutbox outbox = new JdbcOutbox(dataSource, "h2", "other_", false, new ObjectMapper());

        assertThatThrownBy(outbox::start).hasMessageContaining("icws.store.jdbc.initialize-schema")
                .hasMessageContaining("other_schema").hasMessageContaining("icws/store/");
    }
}
