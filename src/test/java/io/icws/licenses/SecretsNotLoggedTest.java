package io.icws.licenses;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import com.icegreen.greenmail.configuration.GreenMailConfiguration;
import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetupTest;
import io.icws.licenses.app.EmbeddedJmsBroker;
import io.icws.licenses.app.IcwsLicenseRoutesApplication;
import io.icws.licenses.icws.IcwsSession;
import io.icws.licenses.simulator.IcwsSimulator;
import io.icws.licenses.simulator.SimulatedUser;
import io.icws.licenses.watch.IcwsComponent;
import io.icws.licenses.watch.LicenseWatch;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * No secret reaches the log of a host that logs everything at TRACE — the HTTP client's wire and header
 * loggers and Camel's property resolution included: the whole flow (log in, subscribe, poll with camel-http, a
 * change delivered by mail with SMTP authentication and by JMS with a broker login, a session lost and made
 * again, log out; the states and outbox in a database with a password) runs with every logger at TRACE and every line is searched. The ICWS, SMTP and JMS
 * passwords appear nowhere; the session cookie and CSRF token appear nowhere but in the HTTP client's own wire
 * and header lines (the README names those two loggers).
 */
class SecretsNotLoggedTest {

    private static final String PASSWORD = "Pw-7c1e9b2d-very-secret";
    private static final String SMTP_PASSWORD = "Smtp-5e0a77-secret";
    private static final String JMS_PASSWORD = "Jms-91b3f0-secret";
    private static final String STORE_PASSWORD = "Store-4d2c88-secret";
    private static final List<String> HTTP_CLIENT_LOGGERS =
            List.of("org.apache.hc.client5.http.wire", "org.apache.hc.client5.http.headers");

    @RegisterExtension
    static GreenMailExtension smtp = new GreenMailExtension(ServerSetupTest.SMTP.dynamicPort())
            .withConfiguration(GreenMailConfiguration.aConfig().withUser("smtp-user", SMTP_PASSWORD));

    @Test
    void everyLoggerAtTraceShowsNoPasswordAndNoSessionSecretOutsideTheHttpClientsOwnLines(@TempDir Path folder)
            throws Exception {
        LoggerContext logging = (LoggerContext) LoggerFactory.getILoggerFactory();
        Map<Logger, Level> before = new HashMap<>();
        for (Logger logger : logging.getLoggerList()) {
            before.put(logger, logger.getLevel());
            logger.setLevel(Level.TRACE);
        }
        for (String name : List.of(org.slf4j.Logger.ROOT_LOGGER_NAME, "org.apache.camel", "org.apache.camel.component.properties",
                HTTP_CLIENT_LOGGERS.get(0), HTTP_CLIENT_LOGGERS.get(1), "org.apache.activemq", "jakarta.mail")) {
            Logger logger = logging.getLogger(name);
            before.putIfAbsent(logger, logger.getLevel());
            logger.setLevel(Level.TRACE);
        }
        Logger root = logging.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        CapturingAppender captured = new CapturingAppender();
        captured.start();
        root.addAppender(captured);
        List<String> sessionSecrets = new ArrayList<>();
        try (IcwsSimulator simulator = IcwsSimulator.builder().port(0).users(List.of(
                new SimulatedUser("agent1", PASSWORD, SimulatedUser.demo().licenses()))).build().start();
             EmbeddedBroker broker = new EmbeddedBroker(folder.resolve("broker"))) {
            System.setProperty("icws.password", PASSWORD);
            Main main = IcwsLicenseRoutesApplication.createMain();
            main.addOverrideProperty("icws.server", simulator.baseUri().toString());
            main.addOverrideProperty("icws.user", "agent1");
            main.addOverrideProperty("icws.receive", "poll");
            main.addOverrideProperty("icws.poll.interval", "100");
            main.addOverrideProperty("icws.health.enabled", "false");
            main.addOverrideProperty("icws.state.directory", folder.resolve("state").toString());
            main.addOverrideProperty("icws.outbox.directory", folder.resolve("outbox").toString());
            main.addOverrideProperty("icws.dead-letter.directory", folder.resolve("dead-letter").toString());
            main.addOverrideProperty("icws.notify.file.directory", folder.resolve("changes").toString());
            main.addOverrideProperty("icws.notify.jms.broker-url", broker.broker.tcpUrl());
            main.addOverrideProperty("icws.notify.jms.username", "jms-user");
            main.addOverrideProperty("icws.notify.jms.password", JMS_PASSWORD);
            main.addOverrideProperty("icws.notify.email.enabled", "true");
            main.addOverrideProperty("icws.notify.email.host", "127.0.0.1");
            main.addOverrideProperty("icws.notify.email.port", Integer.toString(smtp.getSmtp().getPort()));
            main.addOverrideProperty("icws.notify.email.to", "alerts@example.com");
            main.addOverrideProperty("icws.notify.email.from", "icws@example.com");
            main.addOverrideProperty("icws.notify.email.username", "smtp-user");
            main.addOverrideProperty("icws.notify.email.password", SMTP_PASSWORD);
            // the database store with its own pool (HikariCP logs its configuration at DEBUG)
            main.addOverrideProperty("icws.store", "jdbc");
            main.addOverrideProperty("icws.store.jdbc.url", "jdbc:h2:mem:secrets-" + System.nanoTime()
                    + ";DB_CLOSE_DELAY=-1");
            main.addOverrideProperty("icws.store.jdbc.username", "sa");
            main.addOverrideProperty("icws.store.jdbc.password", STORE_PASSWORD);
            main.start();
            try {
                // the routes start once this process owns the data folders (a moment after the start)
                IcwsComponent icws = main.getCamelContext().getComponent("icws", IcwsComponent.class);
                await().atMost(Duration.ofSeconds(20)).until(() -> !icws.watches().isEmpty());
                LicenseWatch watch = icws.watches().get(0);
                await().atMost(Duration.ofSeconds(20)).until(() -> watch.status().healthy());
                remember(session(main), sessionSecrets);
                simulator.setLicenseAssigned("agent1", "I3_ACCESS_CLIENT", false);
                await().atMost(Duration.ofSeconds(20)).until(() -> smtp.getReceivedMessages().length == 1);
                simulator.expireSessions();
                await().atMost(Duration.ofSeconds(20)).until(() -> session(main) != null
                        && !sessionSecrets.contains(session(main).csrfToken()) && watch.status().healthy());
                remember(session(main), sessionSecrets);
            } finally {
                main.stop();
            }
        } finally {
            System.clearProperty("icws.password");
            root.detachAppender(captured);
            before.forEach(Logger::setLevel);
        }

        assertThat(captured.events).hasSizeGreaterThan(1000);
        assertThat(captured.events).anyMatch(e -> HTTP_CLIENT_LOGGERS.contains(e.getLoggerName()));
        String everything = render(captured.events, false);
        assertThat(everything).contains("Logged in to ICWS");
        for (String secret : List.of(PASSWORD, SMTP_PASSWORD, JMS_PASSWORD, STORE_PASSWORD)) {
            assertThat(everything).doesNotContain(secret);
        }
        String outsideTheHttpClient = render(captured.events, true);
        for (String secret : sessionSecrets) {
            assertThat(outsideTheHttpClient).doesNotContain(secret);
        }
    }

    private static IcwsSession session(Main main) {
        LicenseWatch watch = main.getCamelContext().getComponent("icws", IcwsComponent.class).watches().get(0);
        return watch.session();
    }

    private static void remember(IcwsSession session, List<String> secrets) {
        secrets.add(session.csrfToken());
        for (String cookie : session.cookies().split("; ")) {
            secrets.add(cookie.substring(cookie.indexOf('=') + 1));
        }
    }

    private static String render(Queue<ILoggingEvent> events, boolean skipHttpClient) {
        StringBuilder b = new StringBuilder();
        for (ILoggingEvent event : events) {
            if (skipHttpClient && HTTP_CLIENT_LOGGERS.contains(event.getLoggerName())) {
                continue;
            }
            b.append(event.getFormattedMessage());
            if (event.getThrowableProxy() != null) {
                b.append('\n').append(ThrowableProxyUtil.asString(event.getThrowableProxy()));
            }
            b.append(' ').append(event.getMDCPropertyMap()).append('\n');
        }
        return b.toString();
    }

    /** Keeps every event; appended to from many threads while the test reads. */
    private static final class CapturingAppender extends AppenderBase<ILoggingEvent> {
        final Queue<ILoggingEvent> events = new ConcurrentLinkedQueue<>();

        @Override
        protected void append(ILoggingEvent event) {
            event.prepareForDeferredProcessing();
            events.add(event);
        }
    }

    /** A broker reached over TCP with a login, as a team's own broker would be. */
    private static final class EmbeddedBroker implements AutoCloseable {
        final EmbeddedJmsBroker broker;

        EmbeddedBroker(Path data) throws Exception {
            int port;
            try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
                port = socket.getLocalPort();
            }
            broker = new EmbeddedJmsBroker(data, port);
        }

        @Override
        public void close() throws Exception {
            broker.stop();
        }
    }
}
