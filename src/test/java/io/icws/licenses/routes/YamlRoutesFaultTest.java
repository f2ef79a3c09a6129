package io.icws.licenses.routes;

/** The fault suite against the YAML DSL routes. */
class YamlRoutesFaultTest extends LicenseRoutesFaultTest {

    @Override
    String dsl() {
        return "yaml";
    }
}
