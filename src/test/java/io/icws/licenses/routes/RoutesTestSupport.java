package io.icws.licenses.routes;

import java.nio.file.Path;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetupTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the acceptance and fault suites share: GreenMail on a free port, a temp folder, and a fresh
 * {@link RoutesHarness} per test in the DSL and receive mode a subclass names.
 */
abstract class RoutesTestSupport {

    static final String CLIENT = "I3_ACCESS_CLIENT";
    static final String STATION = "I3_LICENSE_BASIC_STATION";
    static final String FEEDBACK = "I3_ACCESS_FEEDBACK";

    @RegisterExtension
    static GreenMailExtension smtp = new GreenMailExtension(ServerSetupTest.SMTP.dynamicPort());

    @TempDir
    Path folder;

    RoutesHarness routes;

    /** {@code yaml} or {@code java}. */
    abstract String dsl();

    /** {@code sse} or {@code poll}. */
    abstract String receive();

    @BeforeEach
    void createHarness() {
        routes = new RoutesHarness(dsl(), receive(), folder, smtp.getSmtp().getPort());
    }

    @AfterEach
    void closeHarness() throws Exception {
        routes.close();
    }
}
