package io.icws.licenses.routes;

/** The failover suite against the yaml routes, receiving by sse. */
class YamlSseFailoverTest extends FailoverRoutesTest {

    @Override
    String dsl() {
        return "yaml";
    }

    @Override
    String receive() {
        return "sse";
    }
}
