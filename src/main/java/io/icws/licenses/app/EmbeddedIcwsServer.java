package io.icws.licenses.app;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.icws.licenses.simulator.IcwsSimulator;
import io.icws.licenses.simulator.SimulatedUser;
import io.icws.licenses.watch.LicenseWatch;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code icws.server=embedded}: the built-in ICWS simulator, in this process, on a free loopback port,
 * holding the configured user. With the demo on, it unassigns and reassigns one license every few seconds
 * so that a newcomer sees events arrive. Added to the CamelContext as a service, so it stops after the
 * routes have logged out.
 */
public final class EmbeddedIcwsServer extends ServiceSupport implements LicenseWatch.EmbeddedServer {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedIcwsServer.class);

    private final IcwsSimulator simulator;
    private final String user;
    private final String demoLicense;
    private final Duration demoInterval;
    private ScheduledExecutorService demo;

    public EmbeddedIcwsServer(String user, String password, List<String> licenses, String demoLicense,
                              Duration demoInterval) {
        Map<String, Boolean> held = new LinkedHashMap<>();
        Map<String, Boolean> demoHeld = SimulatedUser.demo().licenses();
        for (String license : licenses) {
            held.put(license, demoHeld.getOrDefault(license, true));
        }
        this.simulator = IcwsSimulator.builder().host("127.0.0.1").port(0)
                .users(List.of(new SimulatedUser(user, password, held))).build();
        this.user = user;
        this.demoLicense = demoLicense;
        this.demoInterval = demoInterval;
        simulator.start();
    }

    /** The simulator's base URL, e.g. {@code http://127.0.0.1:40123}. */
    @Override
    public URI baseUri() {
        return simulator.baseUri();
    }

    public IcwsSimulator simulator() {
        return simulator;
    }

    @Override
    protected void doStart() {
        LOG.info("icws.server=embedded: using the built-in ICWS simulator at {} as user {}. To watch a real CIC "
                + "server set icws.server (e.g. https://cic.example.com:8019), icws.user and icws.password "
                + "(or ICWS_PASSWORD); see README.md", simulator.baseUri(), user);
        if (demoLicense != null && !demoLicense.isBlank()) {
            demo = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "icws-embedded-demo");
                t.setDaemon(true);
                return t;
            });
            long period = demoInterval.toMillis();
            boolean[] assigned = {true};
            demo.scheduleAtFixedRate(() -> {
                assigned[0] = !assigned[0];
                simulator.setLicenseAssigned(user, demoLicense, assigned[0]);
            }, period, period, TimeUnit.MILLISECONDS);
            LOG.info("Demo: {} is unassigned and reassigned every {} ms (icws.demo.license, icws.demo.interval)",
                    demoLicense, period);
        }
    }

    @Override
    protected void doStop() {
        if (demo != null) {
            demo.shutdownNow();
            demo = null;
        }
        simulator.close();
    }
}
