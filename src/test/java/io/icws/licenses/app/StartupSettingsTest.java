package io.icws.licenses.app;

import org.apache.camel.main.Main;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** A bad setting stops camel-main before any server is contacted, with one line naming the key. */
class StartupSettingsTest {

    @Test
    void badLicenseNameStopsStartupNamingTheKey() throws Exception {
        Main main = IcwsLicenseRoutesApplication.createMain();
        main.addOverrideProperty("icws.licenses", "I3_OK,BAD NAME");

        Throwable failure = catchThrowable(main::start);
        main.stop();

        assertThat(failure).isNotNull();
        String line = IcwsLicenseRoutesApplication.startupProblem(failure);
        assertThat(line).startsWith("Invalid setting icws.licenses: 'BAD NAME' is not a license name");
        assertThat(line).doesNotContain("\n");
    }

    @Test
    void unknownDslStopsStartupNamingTheKey() throws Exception {
        Main main = IcwsLicenseRoutesApplication.createMain();
        main.addOverrideProperty("icws.dsl", "xml");

        Throwable failure = catchThrowable(main::start);
        main.stop();

        assertThat(IcwsLicenseRoutesApplication.startupProblem(failure)).startsWith("Invalid setting icws.dsl: 'xml'");
    }
}
