package io.icws.licenses;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import io.icws.licenses.icws.IcwsConnection;
import io.icws.licenses.icws.IcwsSession;
import io.icws.licenses.simulator.IcwsSimulator;
import io.icws.licenses.simulator.SimulatedUser;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The password, the CSRF token and the session cookie never reach the log, at any level: the whole flow —
 * log in, subscribe, poll, a change, a session lost and made again, log out — runs with the root logger at
 * TRACE, and every captured line is searched. (The HTTP client's own header and wire loggers are switched
 * off in the jar's logging configuration, as they would print every request header; see README.)
 */
class SecretsNotLoggedTest {

    private static final String PASSWORD = "Pw-7c1e9b2d-very-secret";

    @Test
    void fullFlowAtTraceLogsNoPasswordTokenNorCookie(@TempDir Path folder) throws Exception {
        LoggerContext logging = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = logging.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Logger camel = logging.getLogger("org.apache.camel");
        Level rootLevel = root.getLevel();
        Level camelLevel = camel.getLevel();
        CapturingAppender captured = new CapturingAppender();
        captured.start();
        root.addAppender(captured);
        root.setLevel(Level.TRACE);
        camel.setLevel(Level.TRACE);
        List<String> secrets = new java.util.ArrayList<>(List.of(PASSWORD));
        try (IcwsSimulator simulator = IcwsSimulator.builder().port(0).users(List.of(
                new SimulatedUser("agent1", PASSWORD, SimulatedUser.demo().licenses()))).build().start()) {
            Main main = IcwsLicenseRoutesApplication.createMain();
            main.addOverrideProperty("icws.server", simulator.baseUri().toString());
            main.addOverrideProperty("icws.user", "agent1");
            main.addOverrideProperty("icws.password", PASSWORD);
            main.addOverrideProperty("icws.poll.interval", "100");
            main.addOverrideProperty("icws.health.enabled", "false");
            main.addOverrideProperty("icws.notify.jms.enabled", "false");
            main.addOverrideProperty("icws.state.directory", folder.resolve("state").toString());
            main.addOverrideProperty("icws.notify.file.directory", folder.resolve("changes").toString());
            main.start();
            try {
                IcwsConnection connection = main.getCamelContext().getRegistry()
                        .lookupByNameAndType("icwsConnection", IcwsConnection.class);
                await().until(() -> connection.status() == IcwsConnection.Status.SUBSCRIBED);
                remember(connection.session().orElseThrow(), secrets);
                simulator.setLicenseAssigned("agent1", "I3_ACCESS_CLIENT", false);
                await().until(() -> captured.list.stream().anyMatch(e -> e.getFormattedMessage().contains("unassigned")));
                simulator.expireSessions();
                await().until(() -> connection.session().map(s -> !secrets.contains(s.csrfToken())).orElse(false)
                        && connection.status() == IcwsConnection.Status.SUBSCRIBED);
                remember(connection.session().orElseThrow(), secrets);
            } finally {
                main.stop();
            }
        } finally {
            root.setLevel(rootLevel);
            camel.setLevel(camelLevel);
            root.detachAppender(captured);
        }

        assertThat(captured.list).hasSizeGreaterThan(100);
        String everything = captured.list.stream().map(SecretsNotLoggedTest::render).collect(Collectors.joining("\n"));
        assertThat(everything).contains("Logged in to ICWS");
        for (String secret : secrets) {
            assertThat(everything).doesNotContain(secret);
        }
    }

    /** Keeps every event; appended to from many threads while the test reads. */
    private static final class CapturingAppender extends AppenderBase<ILoggingEvent> {
        final java.util.Queue<ILoggingEvent> list = new java.util.concurrent.ConcurrentLinkedQueue<>();

        @Override
        protected void append(ILoggingEvent event) {
            list.add(event);
        }
    }

    private static void remember(IcwsSession session, List<String> secrets) {
        secrets.add(session.csrfToken());
        secrets.add(session.cookie());
        secrets.add(session.cookie().substring(session.cookie().indexOf('=') + 1));
    }

    private static String render(ILoggingEvent event) {
        String text = event.getFormattedMessage();
        if (event.getThrowableProxy() != null) {
            text += "\n" + ThrowableProxyUtil.asString(event.getThrowableProxy());
        }
        return text + " " + event.getMDCPropertyMap();
    }
}
