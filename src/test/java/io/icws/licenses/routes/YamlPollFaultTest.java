package io.icws.licenses.routes;

/** The fault suite against the yaml routes, receiving by poll. */
class YamlPollFaultTest extends LicenseRoutesFaultTest {

    @Override
    String dsl() {
        return "yaml";
    }

    @Override
    String receive() {
        return "poll";
    }
}
