package io.icws.licenses.routes;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.icws.licenses.simulator.IcwsSimulator;
import io.icws.licenses.simulator.SimulatedUser;
import org.apache.camel.cluster.CamelClusterService;
import org.apache.camel.component.kubernetes.cluster.KubernetesClusterService;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;
import org.apache.camel.support.cluster.ClusterServiceHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two replicas on one shared data folder (a {@code ReadWriteMany} volume), each with its own Camel
 * {@link KubernetesClusterService} on a Kubernetes Lease — bound by configuration, the {@code camel.beans.*} block
 * the README gives for camel-main — against fabric8's mock API server in CRUD mode (it keeps the Lease and the Pods,
 * and refuses an update of a stale {@code resourceVersion}, as the API server does). One replica holds the Lease and
 * watches the connection; the other stands by, ready, without a session; when the holder stops and its pod goes, the
 * other acquires the Lease, waits one lease duration (camel-kubernetes lets an old holder finish) and takes over from
 * the committed state: the change made in between is reported once, as a change, and nothing twice. The services ask
 * the API server only what the Role in {@code docs/kubernetes/} grants.
 */
class KubernetesLeaseReplicasTest {

    private static final String STATION = RoutesTestSupport.STATION;
    private static final String NAMESPACE = "test";
    private static final String LEASE_PREFIX = "icws-license-routes";
    /** A Lease resource per cluster namespace: {@code <kubernetesResourceName>-<icws.cluster.namespace>}. */
    private static final String LEASE = LEASE_PREFIX + "-icws";
    private static final Map<String, String> LABELS = Map.of("app", "icws-license-routes");
    private static final String TEST_CLIENT = "icws-test-client";
    /**
     * The cluster service as {@code docs/kubernetes/deployment.yaml} binds it (its {@code -D} options) and the README
     * gives it for camel-main: the replicas here run with exactly these, plus a pod name and short timings.
     */
    static final Map<String, String> LEASE_SETTINGS = new java.util.LinkedHashMap<>();

    static {
        LEASE_SETTINGS.put("camel.beans.icwsCluster", "#class:" + KubernetesClusterService.class.getName());
        LEASE_SETTINGS.put("camel.beans.icwsCluster.leaseResourceType", "Lease");
        LEASE_SETTINGS.put("camel.beans.icwsCluster.kubernetesResourceName", LEASE_PREFIX);
        LEASE_SETTINGS.put("camel.beans.icwsCluster.clusterLabels[app]", "icws-license-routes");
    }

    @TempDir
    Path folder;

    private KubernetesMockServer apiServer;
    private KubernetesClient kubernetes;
    private IcwsSimulator simulator;
    private RoutesHarness first;
    private RoutesHarness second;

    /**
     * The fabric8 client of each service finds its API server and namespace as in a pod (there from the service
     * account), here from these system properties: camel-kubernetes 4.18 ignores the service's own
     * {@code masterUrl} and {@code namespace} when it is made by {@code camel.beans.*} (no configuration object).
     */
    private static final String[] CLIENT_PROPERTIES = {"kubernetes.master", "kubernetes.namespace",
        "kubernetes.auth.tryKubeConfig", "kubernetes.auth.tryServiceAccount"};
    private final Map<String, String> savedProperties = new HashMap<>();
    /** The mock API server logs every request (JUL; held here, or the level set on it could be collected). */
    private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    @BeforeEach
    void start() throws Exception {
        MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("org.apache.camel.component.kubernetes.cluster"))
                .setLevel(ch.qos.logback.classic.Level.INFO);
        apiServer = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(List.of()), false);
        apiServer.init(InetAddress.getByName("127.0.0.1"), 0);
        String master = "http://127.0.0.1:" + apiServer.getPort() + "/";
        // the test's own client (pods, Lease reads) says who it is, so the services' requests can be told apart
        kubernetes = new KubernetesClientBuilder().withConfig(new ConfigBuilder(Config.empty()).withMasterUrl(master)
                .withNamespace(NAMESPACE).withUserAgent(TEST_CLIENT).build()).build();
        String[] values = {master, NAMESPACE, "false", "false"};
        for (int i = 0; i < CLIENT_PROPERTIES.length; i++) {
            savedProperties.put(CLIENT_PROPERTIES[i], System.getProperty(CLIENT_PROPERTIES[i]));
            System.setProperty(CLIENT_PROPERTIES[i], values[i]);
        }
        simulator = IcwsSimulator.builder().port(0).users(List.of(SimulatedUser.demo())).build().start();
    }

    @AfterEach
    void stopAll() throws Exception {
        for (RoutesHarness h : new RoutesHarness[] {second, first}) {
            if (h != null) {
                h.stop();
            }
        }
        simulator.close();
        kubernetes.close();
        apiServer.destroy();
        savedProperties.forEach((k, v) -> {
            if (v == null) {
                System.clearProperty(k);
            } else {
                System.setProperty(k, v);
            }
        });
    }

    /** The pod Kubernetes would show for a replica: running and ready, with the Deployment's labels. */
    private void runningPod(String name) {
        Pod pod = new PodBuilder()
                .withNewMetadata().withName(name).withNamespace(NAMESPACE).withLabels(LABELS).endMetadata()
                .withNewStatus().withPhase("Running")
                .addNewCondition().withType("Ready").withStatus("True").endCondition()
                .endStatus().build();
        kubernetes.pods().inNamespace(NAMESPACE).resource(pod).create();
        // the CRUD mock may drop a status given at creation, as the API server does: set it as the kubelet would
        kubernetes.pods().inNamespace(NAMESPACE).resource(pod).updateStatus();
    }

    /** A replica in pod {@code podName}: the Lease service bound with camel-main's camel.beans.* keys. */
    private RoutesHarness replica(String podName) {
        RoutesHarness h = new RoutesHarness("yaml", "sse", folder, 0);
        h.replaceSimulator(simulator);
        String bean = "camel.beans.icwsCluster";
        LEASE_SETTINGS.forEach(h::with);
        return h.with("icws.server", simulator.baseUri().toString())
                .with("icws.notify.jms.enabled", "false")
                .with("icws.notify.email.enabled", "false")
                .with(bean + ".podName", podName)
                // short: a lease of 2 s (it counts in whole seconds), renewed within 1 s, tried every 200 ms
                .with(bean + ".leaseDurationMillis", "2000")
                .with(bean + ".renewDeadlineMillis", "1000")
                .with(bean + ".retryPeriodMillis", "200");
    }

    private long logins() {
        return simulator.receivedRequests().stream()
                .filter(r -> r.method().equals("POST") && r.path().equals("/icws/connection")).count();
    }

    private static Map<String, Object> cluster(RoutesHarness h) {
        HealthCheck.Result result = h.health("icws-cluster");
        assertThat(result.getState()).as("standing by is healthy").isEqualTo(HealthCheck.State.UP);
        return result.getDetails();
    }

    private String holder() {
        Lease lease = kubernetes.leases().inNamespace(NAMESPACE).withName(LEASE).get();
        return lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
    }

    @Test
    void oneReplicaHoldsTheLeaseTheOtherStandsByAndTakesOverWhenItStops() throws Exception {
        runningPod("pod-a");
        runningPod("pod-b");

        first = replica("pod-a").start();
        CamelClusterService used = ClusterServiceHelper.lookupService(first.context()).orElseThrow();
        assertThat(used).as("the bound Lease service, not the default file lock").isInstanceOf(KubernetesClusterService.class);
        first.awaitFileEvent(STATION, "observed");
        await().atMost(Duration.ofSeconds(10)).until(() -> "pod-a".equals(holder()));
        assertThat(cluster(first)).containsEntry("role", "leader").containsEntry("leader", "pod-a");

        second = replica("pod-b").start();
        await().atMost(Duration.ofSeconds(10)).until(() -> "pod-a".equals(cluster(second).get("leader")));
        assertThat(cluster(second)).containsEntry("role", "standby");
        assertThat(cluster(first)).containsEntry("role", "leader");
        assertThat(HealthCheckHelper.invokeReadiness(second.context()))
                .as("the standby is ready: camel-kubernetes counts only Ready pods as members that may take the Lease")
                .allSatisfy(r -> assertThat(r.getState()).as(r.getCheck().getId()).isEqualTo(HealthCheck.State.UP));
        assertThat(logins()).as("one session at the server: the standby never logged in").isEqualTo(1);
        assertThat(simulator.openStreams()).isEqualTo(1);

        // while both run, a change is reported once, by the leader alone
        simulator.setLicenseAssigned("agent1", STATION, false);
        first.awaitFileEvent(STATION, "unassigned");

        // the holder's process stops, and Kubernetes removes its pod (a rolling update, a scale-down, a node drain):
        // camel-kubernetes 4.18 counts a holder valid while its pod is a member (Running and Ready, with the labels),
        // whatever the Lease's renew time says, so the pod leaving is what frees the Lease
        first.stop();
        long stoppedAt = System.nanoTime();
        kubernetes.pods().inNamespace(NAMESPACE).withName("pod-a").delete();
        // a change made while nobody watches: the new holder's first snapshot reports it, as a change
        simulator.setLicenseAssigned("agent1", STATION, true);
        await().atMost(Duration.ofSeconds(30)).until(() -> "leader".equals(cluster(second).get("role")));
        second.awaitFileEvent(STATION, "assigned");
        Duration takeover = Duration.ofNanos(System.nanoTime() - stoppedAt);
        System.out.printf("Lease takeover: holder stopped → the gap's change delivered in %d ms%n", takeover.toMillis());

        assertThat(holder()).isEqualTo("pod-b");
        assertThat(cluster(second)).containsEntry("leader", "pod-b");
        List<JsonNode> events = second.fileEvents();
        assertThat(events).extracting(e -> e.path("data").path("changeType").asText())
                .containsExactlyInAnyOrder("observed", "observed", "observed", "unassigned", "assigned");
        Set<String> ids = new HashSet<>();
        events.forEach(e -> assertThat(ids.add(e.path("id").asText())).as("id %s twice", e.path("id")).isTrue());
        assertThat(logins()).as("the standby logged in only once it held the Lease").isEqualTo(2);

        // what the services asked of the API server is what the Role in docs/kubernetes/ grants: leases get, create,
        // update (a PUT with the resourceVersion read); pods list, by label
        Set<String> asked = new java.util.TreeSet<>();
        for (int i = apiServer.getRequestCount(); i > 0; i--) {
            io.fabric8.mockwebserver.http.RecordedRequest r = apiServer.takeRequest();
            if (!TEST_CLIENT.equals(r.getHeader("User-Agent"))) {
                asked.add(r.getMethod() + " " + r.getPath().replaceAll("\\?.*", ""));
            }
        }
        String leases = "/apis/coordination.k8s.io/v1/namespaces/test/leases";
        assertThat(asked).containsExactlyInAnyOrder("GET /api/v1/namespaces/test/pods", "POST " + leases,
                "GET " + leases + "/" + LEASE, "PUT " + leases + "/" + LEASE);
    }

    /**
     * A holder whose pod stops being Ready (its readiness probe fails) is no member any more and loses the Lease while
     * it runs: the other replica takes over, the first stops its routes and logs out, and nothing is reported twice.
     * This is why {@code docs/kubernetes/deployment.yaml} probes readiness on the liveness path: with
     * {@code /observe/health/ready} an outage of the CIC server or of a target would move the ownership.
     */
    /**
     * Three replicas on their own disks with the database store (one database: an H2 in this JVM, as PostgreSQL
     * would be for pods), each with a {@code RebalancingCamelClusterService} over its Lease service, bound by code and
     * named by {@code icws.cluster.service}: six connections, each with its own Lease, spread two per replica; each
     * has one session, and each reports its user's change once.
     */
    @Test
    void withTheDatabaseStoreARebalancingServiceSpreadsTheConnectionsOverTheReplicas() throws Exception {
        List<String> pods = List.of("pod-a", "pod-b", "pod-c");
        List<String> connections = List.of("c1", "c2", "c3", "c4", "c5", "c6");
        String database = "jdbc:h2:mem:rebalance-" + System.nanoTime() + ";MODE=PostgreSQL;DB_CLOSE_DELAY=-1";
        List<RoutesHarness> replicas = new java.util.ArrayList<>();
        try {
            for (String pod : pods) {
                runningPod(pod);
            }
            for (String pod : pods) {
                KubernetesClusterService lease = new KubernetesClusterService();
                lease.setLeaseResourceType(org.apache.camel.component.kubernetes.cluster.LeaseResourceType.Lease);
                lease.setKubernetesResourceName(LEASE_PREFIX);
                lease.setClusterLabels(LABELS);
                lease.setPodName(pod);
                lease.setLeaseDurationMillis(2000);
                lease.setRenewDeadlineMillis(1000);
                lease.setRetryPeriodMillis(200);
                RoutesHarness h = new RoutesHarness("yaml", "sse",
                        java.nio.file.Files.createDirectories(folder.resolve(pod)), 0);
                h.replaceSimulator(simulator);
                h.changesIn(folder.resolve("changes"))
                        .bind("icwsCluster", new org.apache.camel.support.cluster.RebalancingCamelClusterService(lease,
                                300))
                        .with("icws.cluster.service", "icwsCluster")
                        .with("icws.store", "jdbc")
                        .with("icws.store.jdbc.url", database)
                        .with("icws.server", simulator.baseUri().toString())
                        .with("icws.notify.jms.enabled", "false")
                        .with("icws.notify.email.enabled", "false");
                for (String c : connections) {
                    h.with("icws.connections." + c + ".user", "agent1");
                }
                replicas.add(h.start());
            }

            // each replica ends up with two of the six connections, and each connection has exactly one owner
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                Set<String> all = new java.util.TreeSet<>();
                for (RoutesHarness h : replicas) {
                    Set<String> mine = leadConnections(h);
                    assertThat(mine).as("connections of one replica").hasSize(2);
                    all.addAll(mine);
                }
                assertThat(all).containsExactlyElementsOf(connections);
            });
            await().atMost(Duration.ofSeconds(30)).until(() -> simulator.openStreams() == 6);
            await().atMost(Duration.ofSeconds(30)).until(() -> replicas.get(0).fileEvents().size() >= 18);

            simulator.setLicenseAssigned("agent1", STATION, false); // every connection watches agent1
            await().atMost(Duration.ofSeconds(30)).until(() -> replicas.get(0).fileEvents(STATION, "unassigned")
                    .size() >= 6);
            List<JsonNode> events = replicas.get(0).fileEvents();
            assertThat(events).extracting(e -> e.path("data").path("changeType").asText())
                    .as("three licenses observed once per connection, wherever it moved, and the change once each")
                    .containsOnly("observed", "unassigned").hasSize(18 + 6);
            Set<String> ids = new HashSet<>();
            events.forEach(e -> assertThat(ids.add(e.path("id").asText())).as("id %s twice", e.path("id")).isTrue());
        } finally {
            for (RoutesHarness h : replicas) {
                h.stop();
            }
        }
    }

    /** The connections a replica owns now (the namespaces icws-<id> it leads). */
    private static Set<String> leadConnections(RoutesHarness h) {
        io.icws.licenses.cluster.DataFolderOwnership ownership = h.context().getRegistry()
                .lookupByNameAndType("icwsOwnership", io.icws.licenses.cluster.DataFolderOwnership.class);
        Set<String> mine = new java.util.TreeSet<>();
        for (String ns : ownership.led()) {
            if (!ns.equals("icws-replay")) {
                mine.add(ns.substring("icws-".length()));
            }
        }
        return mine;
    }

    @Test
    void aHolderWhosePodIsNotReadyLosesTheLeaseToTheOther() throws Exception {
        runningPod("pod-a");
        runningPod("pod-b");
        first = replica("pod-a").start();
        await().atMost(Duration.ofSeconds(20)).until(() -> "pod-a".equals(holder()) && first.fileEvents().size() == 3);
        second = replica("pod-b").start();
        await().atMost(Duration.ofSeconds(10)).until(() -> "pod-a".equals(cluster(second).get("leader")));

        Pod a = kubernetes.pods().inNamespace(NAMESPACE).withName("pod-a").get();
        a.getStatus().getConditions().forEach(c -> c.setStatus("False"));
        kubernetes.pods().inNamespace(NAMESPACE).resource(a).updateStatus();

        await().atMost(Duration.ofSeconds(30)).until(() -> "leader".equals(cluster(second).get("role"))
                && "standby".equals(cluster(first).get("role")));
        assertThat(holder()).isEqualTo("pod-b");
        await().atMost(Duration.ofSeconds(10)).until(() -> simulator.openStreams() == 1);
        simulator.setLicenseAssigned("agent1", STATION, false);
        second.awaitFileEvent(STATION, "unassigned");

        List<JsonNode> events = second.fileEvents();
        assertThat(events).extracting(e -> e.path("data").path("changeType").asText())
                .containsExactlyInAnyOrder("observed", "observed", "observed", "unassigned");
        // camel-kubernetes 4.18: the pod that lost the Lease may, at its next look, read its own name still in the Lease
        // (the other has not written it yet) and report itself leader once more: its routes start again for a moment,
        // until the look after (one retry period), well within the new holder's wait of one lease duration
        assertThat(logins()).as("the first's login, perhaps one more of it for a moment, the second's").isBetween(2L, 3L);
        assertThat(simulator.requests()).as("the first logged out when it lost the Lease")
                .anyMatch(r -> r.method().equals("DELETE") && r.path().endsWith("/connection") && r.status() == 204);
        Set<String> ids = new HashSet<>();
        events.forEach(e -> assertThat(ids.add(e.path("id").asText())).as("id %s twice", e.path("id")).isTrue());
    }

    /**
     * The manifests of {@code docs/kubernetes/}: the Deployment binds the service with the settings the test above runs
     * (two replicas, one shared ReadWriteMany claim, the password from a Secret, the probes on the jar's health port and
     * its liveness path), and the Role grants what the services were seen to ask: leases get, create, update; pods list.
     */
    @Test
    void theManifestsBindTheServiceAsTestedAndGrantWhatItAsks() throws Exception {
        Path docs = Path.of(System.getProperty("basedir", "")).toAbsolutePath().resolve("docs/kubernetes");
        List<io.fabric8.kubernetes.api.model.HasMetadata> all = new java.util.ArrayList<>();
        for (String file : List.of("deployment.yaml", "rbac.yaml", "storage.yaml")) {
            try (java.io.InputStream in = java.nio.file.Files.newInputStream(docs.resolve(file))) {
                all.addAll(kubernetes.load(in).items());
            }
        }
        io.fabric8.kubernetes.api.model.apps.Deployment deployment = one(all, io.fabric8.kubernetes.api.model.apps.Deployment.class);
        assertThat(deployment.getSpec().getReplicas()).isEqualTo(2);
        io.fabric8.kubernetes.api.model.PodSpec pod = deployment.getSpec().getTemplate().getSpec();
        assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels()).containsAllEntriesOf(LABELS);
        io.fabric8.kubernetes.api.model.Container container = pod.getContainers().get(0);
        LEASE_SETTINGS.forEach((k, v) -> assertThat(container.getArgs()).contains("-D" + k + "=" + v));
        assertThat(container.getEnv()).anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo("ICWS_PASSWORD");
            assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("icws");
        });
        assertThat(container.getPorts()).singleElement()
                .satisfies(p -> assertThat(p.getContainerPort()).isEqualTo(9876)); // icws.health.port's default
        for (io.fabric8.kubernetes.api.model.Probe probe : List.of(container.getLivenessProbe(),
                container.getReadinessProbe(), container.getStartupProbe())) {
            assertThat(probe.getHttpGet().getPath()).isEqualTo("/observe/health/live");
            assertThat(probe.getHttpGet().getPort().getStrVal()).isEqualTo("health");
        }
        String claim = pod.getVolumes().get(0).getPersistentVolumeClaim().getClaimName();
        assertThat(one(all, io.fabric8.kubernetes.api.model.PersistentVolumeClaim.class))
                .satisfies(c -> assertThat(c.getMetadata().getName()).isEqualTo(claim))
                .satisfies(c -> assertThat(c.getSpec().getAccessModes()).containsExactly("ReadWriteMany"));

        io.fabric8.kubernetes.api.model.rbac.Role role = one(all, io.fabric8.kubernetes.api.model.rbac.Role.class);
        assertThat(role.getRules()).extracting(r -> r.getApiGroups() + " " + r.getResources() + " " + r.getVerbs())
                .containsExactlyInAnyOrder("[coordination.k8s.io] [leases] [get, create, update]", "[] [pods] [list]");
        io.fabric8.kubernetes.api.model.rbac.RoleBinding binding =
                one(all, io.fabric8.kubernetes.api.model.rbac.RoleBinding.class);
        assertThat(binding.getRoleRef().getName()).isEqualTo(role.getMetadata().getName());
        assertThat(binding.getSubjects()).singleElement().satisfies(s -> assertThat(s.getName())
                .isEqualTo(pod.getServiceAccountName()).isEqualTo(one(all,
                        io.fabric8.kubernetes.api.model.ServiceAccount.class).getMetadata().getName()));
    }

    private static <T> T one(List<io.fabric8.kubernetes.api.model.HasMetadata> all, Class<T> type) {
        List<T> found = all.stream().filter(type::isInstance).map(type::cast).toList();
        assertThat(found).as(type.getSimpleName()).hasSize(1);
        return found.get(0);
    }
}
