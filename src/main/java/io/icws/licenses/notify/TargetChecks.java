package io.icws.licenses.notify;

import java.nio.file.Files;
import java.nio.file.Path;

import io.icws.licenses.config.IcwsSettings;
import io.icws.licenses.outbox.Outbox;
import io.icws.licenses.outbox.TargetQueue;
import io.icws.licenses.support.Failures;
import io.icws.licenses.support.SafeText;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At start, each enabled target is tried once, in the background: the changes folder written to, the JMS
 * broker connected to, the SMTP server greeted. A target that cannot be reached is logged clearly and its
 * health check shows it; the routes start anyway, and the outbox holds its events until it is back.
 */
public final class TargetChecks {

    private static final Logger LOG = LoggerFactory.getLogger(TargetChecks.class);

    private TargetChecks() {
    }

    public static void runInBackground(CamelContext context, IcwsSettings.Targets targets, Outbox outbox) {
        Thread thread = new Thread(() -> run(context, targets, outbox), "icws-target-checks");
        thread.setDaemon(true);
        thread.start();
    }

    static void run(CamelContext context, IcwsSettings.Targets targets, Outbox outbox) {
        if (targets.file()) {
            check(outbox, "file", "folder " + targets.fileDirectory().toAbsolutePath(), () -> {
                Path dir = targets.fileDirectory();
                Files.createDirectories(dir);
                Path probe = Files.createTempFile(dir, ".check-", ".tmp");
                Files.delete(probe);
            });
        }
        // (the JMS and mail classes are only touched when those targets are on: a host may lack them)
        if (targets.jms()) {
            check(outbox, "jms", "broker " + SafeText.url(targets.jmsBrokerUrl()) + ", queue " + targets.jmsDestination(),
                    () -> JmsTarget.check(context));
        }
        if (targets.email()) {
            check(outbox, "email", "SMTP server " + targets.emailHost() + ":" + targets.emailPort() + " ("
                    + targets.emailSecurity().name().toLowerCase(java.util.Locale.ROOT) + "), to " + targets.emailTo(),
                    () -> MailSettings.check(context, targets));
        }
    }

    interface Check {
        void run() throws Exception;
    }

    private static void check(Outbox outbox, String target, String where, Check check) {
        TargetQueue queue = outbox.queues().stream().filter(q -> q.target().equals(target)).findFirst().orElse(null);
        try {
            check.run();
            LOG.info("Target {}: {}: reachable", target, where);
            if (queue != null) {
                queue.reachable();
            }
        } catch (Exception | LinkageError e) {
            String reason = Failures.describe(e);
            LOG.warn("Target {}: {}: NOT reachable ({}); its events wait in the outbox until it is back", target,
                    where, reason);
            if (queue != null) {
                queue.unreachable("startup check: " + reason);
            }
        }
    }
}
