package io.icws.licenses.app;

import java.util.Map;
import java.util.Optional;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.icws.licenses.config.SettingsReader;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;

/** The one WARN when the health port, with the page, metrics and console on it, listens beyond loopback. */
class ObserveRuntimeTest {

    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger("io.icws.licenses");

    @BeforeEach
    void capture() {
        log.start();
        logger.addAppender(log);
    }

    @AfterEach
    void release() {
        logger.detachAppender(log);
    }

    private long warnings(String host, Map<String, String> settings) throws Exception {
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            ObserveRuntime.configure(context, new SettingsReader(k -> Optional.ofNullable(settings.get(k))), host, 9876);
        }
        return log.list.stream().filter(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN
                && e.getFormattedMessage().contains("readable by anyone who reaches it")).count();
    }

    @Test
    void anAddressBeyondLoopbackIsWarnedOnceNamingTheSwitches() throws Exception {
        assertThat(warnings("0.0.0.0", Map.of())).isEqualTo(1);
        assertThat(log.list.get(0).getFormattedMessage()).contains("icws.status-page.enabled=false",
                "icws.metrics.enabled=false", "icws.dev-console.enabled=false", "camel.management.authentication-enabled");
    }

    @Test
    void loopbackIsNotWarned() throws Exception {
        assertThat(warnings("127.0.0.1", Map.of())).isZero();
        assertThat(warnings("localhost", Map.of())).isZero();
    }

    @Test
    void nothingServedNothingWarned() throws Exception {
        assertThat(warnings("0.0.0.0", Map.of("icws.metrics.enabled", "false", "icws.dev-console.enabled", "false",
                "icws.status-page.enabled", "false"))).isZero();
    }
}
