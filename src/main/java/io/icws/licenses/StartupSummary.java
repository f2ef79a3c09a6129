package io.icws.licenses;

import java.util.ArrayList;
import java.util.List;

import io.icws.licenses.config.ConnectionSettings;
import io.icws.licenses.config.IcwsSettings;
import io.icws.licenses.observe.IcwsObserver;
import io.icws.licenses.support.SafeText;
import io.icws.licenses.watch.LicenseWatch;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a person needs to know once the routes run, in a handful of lines: which server(s) and user(s), which
 * licenses, which targets where, and where the state, outbox and dead letters are. No secret, nothing
 * unresolved; and where to look (status page, metrics, dev console). Each connection adds one line when its first snapshot arrives ({@link LicenseWatch}).
 */
final class StartupSummary {

    private static final Logger LOG = LoggerFactory.getLogger("io.icws.licenses");

    private StartupSummary() {
    }

    static void log(CamelContext context, IcwsSettings settings) {
        List<String> lines = new ArrayList<>();
        // every connection of this context, running or waiting to own the data folders (its endpoint exists)
        List<LicenseWatch> watches = context.getEndpoints().stream()
                .filter(e -> e instanceof io.icws.licenses.watch.IcwsEndpoint)
                .map(e -> ((io.icws.licenses.watch.IcwsEndpoint) e).getWatch())
                .filter(w -> w != null).distinct().toList();
        lines.add("ICWS license routes running: " + watches.size() + " connection(s)");
        for (LicenseWatch watch : watches) {
            ConnectionSettings c = watch.settings();
            if (c != null) {
                lines.add("  connection " + c.id() + ": " + c.user() + " at " + server(c, watch) + ", "
                        + c.receive().name().toLowerCase(java.util.Locale.ROOT) + ", licenses "
                        + String.join(", ", c.licenses()));
            }
        }
        IcwsSettings.Targets t = settings.targets();
        List<String> targets = new ArrayList<>();
        if (t.log()) {
            targets.add("log");
        }
        if (t.file()) {
            targets.add("file -> " + t.fileDirectory());
        }
        if (t.jms()) {
            targets.add("jms -> " + t.jmsDestination() + " on " + SafeText.url(t.jmsBrokerUrl()));
        }
        targets.add(t.email() ? "email -> " + t.emailTo() + " via " + t.emailHost() + ":" + t.emailPort()
                : "email off");
        lines.add("  targets: " + String.join("; ", targets));
        lines.add("  " + observe(context));
        Object ownership = context.getRegistry().lookupByName("icwsOwnership");
        if (settings.store().jdbc()) {
            Object outbox = context.getRegistry().lookupByName(io.icws.licenses.outbox.OutboxComponent.OUTBOX_BEAN);
            lines.add("  states and outbox in the database store (" + (outbox instanceof io.icws.licenses.outbox.Outbox o
                    ? o.where() : "jdbc") + "), dead letters " + settings.deadLetterDirectory()
                    + " (sent again from its replay/ folder)");
            if (ownership instanceof io.icws.licenses.cluster.DataFolderOwnership o) {
                lines.add("  each connection is owned by one process at a time (cluster namespace " + o.namespace()
                        + "-<id>): it watches it and delivers its events; other processes stand by for it");
            }
        } else {
            lines.add("  outbox " + settings.outboxDirectory() + ", dead letters " + settings.deadLetterDirectory()
                    + " (sent again from its replay/ folder)");
        }
        if (!settings.store().jdbc() && ownership instanceof io.icws.licenses.cluster.DataFolderOwnership o) {
            lines.add("  one process at a time owns these folders (cluster namespace " + o.namespace() + "): the "
                    + "connections and targets run in the one that owns them; another process stands by");
        }
        LOG.info(String.join(System.lineSeparator(), lines));
    }

    /**
     * Where to look: the jar's status page, metrics and dev console URLs (its runtime binds them), or in a host
     * whether the icws_* meters went into its Micrometer registry.
     */
    private static String observe(CamelContext context) {
        IcwsObserver observer = IcwsObserver.of(context);
        observer.targetsStarted(); // the targets' routes have their queues by now
        Object urls = context.getRegistry().lookupByName("icwsObserveUrls");
        if (urls instanceof List<?> list && !list.isEmpty()) {
            return list.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining("; "));
        }
        return observer.hasMeters() ? "metrics: icws_* meters in the host's Micrometer registry"
                : "metrics: none (no Micrometer registry in this runtime)";
    }

    private static String server(ConnectionSettings c, LicenseWatch watch) {
        if (!c.embedded()) {
            return c.servers().size() == 1 ? c.servers().get(0).toString() : c.servers().toString();
        }
        return "the built-in simulator" + (watch.status() != null && watch.status().server() != null
                ? " " + watch.status().server() : "");
    }
}
