package io.icws.licenses.app;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import io.icws.licenses.config.SettingsReader;
import io.icws.licenses.observe.IcwsObserver;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.main.ManagementHttpServer;
import org.apache.camel.console.DevConsole;
import org.apache.camel.console.DevConsoleRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the jar serves on its health port besides health: the metrics ({@code /observe/metrics}, camel-main's
 * {@code camel.metrics.*}), Camel's dev console restricted to the consoles that print no setting
 * ({@code /q/dev/icws}, {@code health}, {@code route}, {@code context}), and the status page ({@code /status},
 * {@code /} redirects to it). Each can be switched off: {@code icws.metrics.enabled},
 * {@code icws.dev-console.enabled}, {@code icws.status-page.enabled}.
 */
final class ObserveRuntime {

    /**
     * The dev consoles the jar keeps. The others print system properties, the environment, every setting
     * ({@code properties}, {@code main-configuration}, {@code system-properties}, {@code java-security}, …) or
     * message bodies ({@code trace}, {@code message-history}, {@code receive}): a password given as
     * {@code -Dicws.password} would be one request away.
     */
    static final Set<String> SAFE_CONSOLES = Set.of("icws", "health", "route", "context");

    static final String URLS_BEAN = "icwsObserveUrls";

    private static final Logger LOG = LoggerFactory.getLogger("io.icws.licenses");

    private ObserveRuntime() {
    }

    /**
     * camel-main's settings for metrics and the dev console, as defaults under what the user sets: the
     * {@code icws.*} switches, on unless said otherwise.
     */
    static void defaults(org.apache.camel.main.Main main) {
        main.addInitialProperty("camel.metrics.enabled", "{{icws.metrics.enabled:true}}");
        main.addInitialProperty("camel.management.metrics-enabled", "{{icws.metrics.enabled:true}}");
        main.addInitialProperty("camel.metrics.path", "/observe/metrics");
        // camel-micrometer's exchange event notifier searches the whole registry for its gauge at every exchange:
        // with 200 connections that was half of the CPU of a bulk change (the route policy's meters stay)
        main.addInitialProperty("camel.metrics.enable-exchange-event-notifier", "false");
        main.addInitialProperty("camel.main.dev-console-enabled", "{{icws.dev-console.enabled:true}}");
        main.addInitialProperty("camel.management.dev-console-enabled", "{{icws.dev-console.enabled:true}}");
    }

    static void configure(CamelContext context, SettingsReader settings, String host, int port) throws Exception {
        boolean metrics = settings.bool("icws.metrics.enabled", true);
        boolean devConsole = settings.bool("icws.dev-console.enabled", true);
        boolean statusPage = settings.bool("icws.status-page.enabled", true);
        restrictDevConsoles(context);
        String base = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        List<String> urls = new ArrayList<>();
        if (statusPage) {
            urls.add("status page " + base + StatusPage.PATH);
        }
        if (metrics) {
            urls.add("metrics " + base + "/observe/metrics");
        }
        if (devConsole) {
            urls.add("dev console " + base + "/q/dev/icws");
        }
        if (port > 0) {
            context.getRegistry().bind(URLS_BEAN, List.copyOf(urls));
        }
        if ((metrics || devConsole || statusPage) && !loopback(host)) {
            LOG.warn("icws.health.host={} is not a loopback address: the status page, metrics and dev console on port {} "
                    + "are readable by anyone who reaches it (license states, users, servers; no secret). Protect the "
                    + "port (a firewall, or camel.management.authentication-enabled with camel.management.basic-properties-file), "
                    + "or switch them off: icws.status-page.enabled=false, icws.metrics.enabled=false, "
                    + "icws.dev-console.enabled=false", host, port);
        }
        context.addStartupListener(new org.apache.camel.StartupListener() {
            @Override
            public void onCamelContextStarted(CamelContext started, boolean alreadyStarted) {
                if (alreadyStarted) {
                    return;
                }
                ManagementHttpServer server = started.hasService(ManagementHttpServer.class);
                if (statusPage && server != null && server.getRouter() != null) {
                    new StatusPage(IcwsObserver.of(started)).install(server.getRouter());
                }
            }

            @Override
            public void onCamelContextFullyStarted(CamelContext started, boolean alreadyStarted) {
                restrictDevConsoles(started);
            }
        });
    }

    /**
     * Only the safe consoles: the context's console registry becomes one that refuses the others (Camel loads them
     * all again after the routes start, forced), and whatever got in before is taken out.
     */
    static void restrictDevConsoles(CamelContext context) {
        DevConsoleRegistry registry = context.getCamelContextExtension().getContextPlugin(DevConsoleRegistry.class);
        if (registry == null) {
            return;
        }
        if (!(registry instanceof SafeConsoles)) {
            SafeConsoles safe = new SafeConsoles(context);
            registry.stream().forEach(safe::register);
            context.getCamelContextExtension().addContextPlugin(DevConsoleRegistry.class, safe);
            registry = safe;
        }
        for (DevConsole console : registry.stream().toList()) {
            if (!SAFE_CONSOLES.contains(console.getId())) {
                registry.unregister(console);
            }
        }
    }

    /** Camel's console registry, refusing every console but the safe ones. */
    static final class SafeConsoles extends org.apache.camel.impl.console.DefaultDevConsoleRegistry {

        SafeConsoles(CamelContext context) {
            super(context);
        }

        @Override
        public boolean register(DevConsole console) {
            return SAFE_CONSOLES.contains(console.getId()) && super.register(console);
        }

        @Override
        public DevConsole resolveById(String id) {
            return SAFE_CONSOLES.contains(id) ? super.resolveById(id) : null;
        }
    }

    private static boolean loopback(String host) {
        try {
            for (InetAddress address : InetAddress.getAllByName(host)) {
                if (!address.isLoopbackAddress()) {
                    return false;
                }
            }
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
