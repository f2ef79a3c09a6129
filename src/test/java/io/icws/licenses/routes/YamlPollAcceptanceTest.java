package io.icws.licenses.routes;

/** The acceptance suite against the yaml routes, receiving by poll. */
class YamlPollAcceptanceTest extends LicenseRoutesAcceptanceTest {

    @Override
    String dsl() {
        return "yaml";
    }

    @Override
    String receive() {
        return "poll";
    }
}
