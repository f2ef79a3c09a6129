package io.icws.licenses.simulator;

import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** Starts a simulator with the demo user on a free port for each test. */
abstract class SimulatorTestBase {

    protected IcwsSimulator sim;
    protected IcwsTestClient client;

    protected IcwsSimulator.Builder configure(IcwsSimulator.Builder builder) {
        return builder;
    }

    @BeforeEach
    void startSimulator() {
        sim = configure(IcwsSimulator.builder().port(0).keepAliveInterval(Duration.ofMillis(200))).build().start();
        client = new IcwsTestClient(sim.baseUri());
    }

    @AfterEach
    void stopSimulator() {
        if (sim != null) {
            sim.close();
        }
    }
}
