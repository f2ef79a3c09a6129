package io.icws.licenses.routes;

import org.junit.jupiter.api.BeforeEach;

/**
 * The faults that touch the store, with the database store ({@code icws.store=jdbc}, an H2 database in this JVM
 * through the store's own HikariCP pool): a refusal tried and dead-lettered, a dead letter replayed exactly once
 * (through the replay's pseudo-connection), targets down held without dead letters, the server gone and back, a
 * bounded shutdown. The rest of {@link LicenseRoutesFaultTest} is about the session or the file store's folders and
 * runs with the file store only: those tests are overridden here without {@code @Test}, so they do not run twice.
 */
class JdbcStoreFaultTest extends LicenseRoutesFaultTest {

    @Override
    String dsl() {
        return "yaml";
    }

    @Override
    String receive() {
        return "sse";
    }

    @BeforeEach
    void databaseStore() {
        routes.with("icws.store", "jdbc")
                .with("icws.store.jdbc.url", "jdbc:h2:mem:faults-" + System.nanoTime() + ";MODE=PostgreSQL;DB_CLOSE_DELAY=-1");
    }

    @Override
    void serverErrorsWhileReceivingBackOffKeepHealthDownAndLoseNothing() {
    }

    @Override
    void aServerThatStopsAnsweringIsCutByTheTimeOutAndAskedAgainAfterTheBackoff() {
    }

    @Override
    void switchoverAt503MovesToTheAlternateHostAndStaysThere() {
    }

    @Override
    void severalConfiguredServersAreTriedInTurnAndTheOneThatAnswersIsKept() {
    }

    @Override
    void permanentLoginFailureIsNotRetriedInAStormAndRecoversAtTheNextCronFiring() {
    }

    @Override
    void aClientErrorWhileReceivingIsRetriedWithBackoffNotEveryPoll() {
    }

    @Override
    void connectionStateDownMessageMeansLogInAgain() {
    }

    @Override
    void faultedSubscriptionIsRenewed() {
    }

    @Override
    void aBrokenFileTargetDelaysNeitherJmsNorMail() {
    }

    @Override
    void aTargetHealthCheckIsDownWhileItFailsAndUpAfterItDrained() {
    }

    @Override
    void aStateThatCannotBeSavedIsRetriedNotDeadLetteredAndNothingIsLost() {
    }

    @Override
    void theStateComesBackFromTheOutboxWhenTheStateFolderIsDeleted() {
    }

    @Override
    void eventIdsDifferAfterTheStateAndTheOutboxAreDeleted() {
    }

    @Override
    void shutdownWhileALoginIsUnderWayLogsThatSessionOutWhenItsAnswerComes() {
    }

    @Override
    void hostileLicenseNamesCannotEscapeTheFolderInjectMailHeadersOrBreakJmsProperties() {
    }
}
