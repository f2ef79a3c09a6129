package io.icws.licenses.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;

import org.apache.camel.CamelContext;
import org.apache.camel.ServiceStatus;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The default file lock is tried while the routes are still being made: a lock taken before the context starts
 * still starts the owned routes once it has started (two contexts on one folder: {@code ReplicasTest}).
 */
class DataFolderOwnershipStartTest {

    @TempDir
    Path folder;

    @Test
    void aLockTakenBeforeTheContextStartsStillStartsTheRoutes() throws Exception {
        try (CamelContext context = new DefaultCamelContext()) {
            DataFolderOwnership ownership = owner(context);
            context.init(); // the routes are made, and the lock service with them

            // the lock is held before the context starts
            await().atMost(Duration.ofSeconds(10)).until(() -> ownership.service() != null
                    && ownership.service().isLeader("icws"));
            assertThat(context.getRouteController().getRouteStatus("dead-letter-replay"))
                    .isNotEqualTo(ServiceStatus.Started);

            context.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> context.getRouteController()
                    .getRouteStatus("dead-letter-replay") == ServiceStatus.Started);
            assertThat(ownership.leads()).isTrue();
        }
    }

    private DataFolderOwnership owner(CamelContext context) throws Exception {
        DataFolderOwnership ownership = new DataFolderOwnership(context, "icws", folder, Duration.ofMillis(100));
        context.addRoutePolicyFactory(ownership);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:replay").routeId("dead-letter-replay").log("replay");
            }
        });
        return ownership;
    }
}
