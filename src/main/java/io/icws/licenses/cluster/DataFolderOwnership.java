package io.icws.licenses.cluster;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.camel.CamelContext;
import org.apache.camel.NamedNode;
import org.apache.camel.cluster.CamelClusterMember;
import org.apache.camel.cluster.CamelClusterService;
import org.apache.camel.cluster.CamelClusterView;
import org.apache.camel.component.file.cluster.FileLockClusterService;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.cluster.ClusteredRoutePolicy;
import org.apache.camel.impl.health.AbstractHealthCheck;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.spi.RoutePolicy;
import org.apache.camel.spi.RoutePolicyFactory;
import org.apache.camel.support.cluster.ClusterServiceHelper;
import org.apache.camel.support.cluster.ClusterServiceSelectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One process owns the data folders (license state, outbox, dead letters) at a time, through Camel's cluster
 * service — no election of our own. Every route of ours that reads or writes them — each connection's route
 * ({@code from icws:…}), each target's ({@code from icws-outbox:…}, built-in or your own) and the dead-letter
 * replay — gets one {@link ClusteredRoutePolicy} of the namespace {@code icws.cluster.namespace}: those routes run
 * only in the process that leads it; another process on the same folders stands by (healthy, not DOWN) and starts
 * them, from the committed state and the outbox, when the leader goes.
 *
 * <p>The cluster service is the one the runtime has (camel-main {@code camel.beans.*}, the Spring Boot and
 * Quarkus cluster-service starters: Kubernetes, ZooKeeper, …). When it has none, a {@link FileLockClusterService}
 * on the outbox folder is the default: a second process on the same folders (a standby on a shared volume, a
 * rolling update) waits. A killed leader loses its operating-system lock at once; its heartbeat counts as stale
 * after {@code heartbeatTimeoutMultiplier} (5) lock intervals, so a standby takes over within about six
 * intervals ({@code icws.cluster.file.acquire-lock-interval}, 1 s); a stopped leader hands over at the next one.
 */
public final class DataFolderOwnership implements RoutePolicyFactory {

    /** The id of the default file-lock cluster service this class adds when the runtime has none. */
    public static final String DEFAULT_SERVICE_ID = "icws-file-lock";

    private static final Logger LOG = LoggerFactory.getLogger(DataFolderOwnership.class);

    private final CamelContext context;
    private final String namespace;
    private final Path lockFolder;
    private final Duration lockInterval;
    private final boolean perConnection;
    /** One policy per namespace: the one namespace, or one per connection (and one for the replay). */
    private final Map<String, ClusteredRoutePolicy> policies = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.Set<String> led = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile CamelClusterService service;
    private volatile String serviceName;

    /**
     * @param namespace    the cluster namespace every route of ours shares ({@code icws.cluster.namespace})
     * @param lockFolder   where the default file lock lives (the outbox folder)
     * @param lockInterval how often the default file lock is tried and its heartbeat written
     */
    public DataFolderOwnership(CamelContext context, String namespace, Path lockFolder, Duration lockInterval) {
        this(context, namespace, lockFolder, lockInterval, false);
    }

    /**
     * @param perConnection true with a store owned per connection (the database store): each connection's route
     *                      leads its own namespace {@code <namespace>-<id>}, the dead-letter replay
     *                      {@code <namespace>-replay}, and the targets' routes run in every process (each delivers
     *                      the records of the connections it owns)
     */
    public DataFolderOwnership(CamelContext context, String namespace, Path lockFolder, Duration lockInterval,
                               boolean perConnection) {
        this.context = context;
        this.namespace = namespace;
        this.lockFolder = lockFolder;
        this.lockInterval = lockInterval;
        this.perConnection = perConnection;
    }

    /** Our routes: those that read or write the data folders. */
    static boolean owned(String routeId, String from) {
        return from != null && (from.startsWith("icws:") || from.startsWith("icws-outbox:"))
                || "dead-letter-replay".equals(routeId);
    }

    @Override
    public RoutePolicy createRoutePolicy(CamelContext camelContext, String routeId, NamedNode route) {
        String from = route instanceof RouteDefinition r && r.getInput() != null ? r.getInput().getEndpointUri() : null;
        if (!owned(routeId, from)) {
            return null;
        }
        if (!perConnection) {
            return policy(namespace);
        }
        if (from != null && from.startsWith("icws:")) {
            String id = camelContext.resolvePropertyPlaceholders(from.substring("icws:".length()));
            int query = id.indexOf('?');
            return policy(namespaceOf(query < 0 ? id : id.substring(0, query)));
        }
        if ("dead-letter-replay".equals(routeId)) {
            return policy(namespace + "-replay");
        }
        return null; // a target's route: it runs everywhere, and delivers what the connections owned here commit
    }

    /** The namespace of a connection when each has its own. */
    public String namespaceOf(String connection) {
        return perConnection ? namespace + "-" + connection : namespace;
    }

    /** The policy of a namespace (made when the first route asks, after the runtime bound its services). */
    private synchronized ClusteredRoutePolicy policy(String ns) {
        ClusteredRoutePolicy policy = policies.get(ns);
        if (policy == null) {
            try {
                CamelClusterService chosen = service != null ? service : named();
                if (chosen == null) {
                    chosen = ClusterServiceHelper.lookupService(context).orElse(null);
                }
                if (chosen == null) {
                    chosen = boundInRegistryOnly();
                }
                if (chosen == null) {
                    FileLockClusterService files = new FileLockClusterService();
                    files.setId(DEFAULT_SERVICE_ID);
                    files.setRoot(lockFolder.toAbsolutePath().toString());
                    files.setAcquireLockInterval(lockInterval.toMillis(), TimeUnit.MILLISECONDS);
                    files.setAcquireLockDelay(lockInterval.toMillis(), TimeUnit.MILLISECONDS);
                    context.addService(files, true, true);
                    chosen = files;
                    if (perConnection) {
                        LOG.warn("icws.store=jdbc and no cluster service bound: a file lock in {} decides who owns each "
                                + "connection, which only processes that see that folder share; replicas on their own "
                                + "disks need a cluster service (a Kubernetes Lease: README, Replicas and Kubernetes)",
                                lockFolder);
                    } else {
                        LOG.debug("No cluster service bound: the data folders are guarded by a file lock in {}",
                                lockFolder);
                    }
                }
                service = chosen;
                ClusteredRoutePolicy made = ClusteredRoutePolicy.forNamespace(chosen, ns);
                made.setCamelContext(context);
                policy = made;
                policies.put(ns, made);
                watchLeadership(chosen, ns);
            } catch (Exception e) {
                throw new IllegalStateException("Cannot set up the cluster policy of namespace " + ns, e);
            }
        }
        return policy;
    }

    /**
     * A cluster service that is in the registry but not a service of the context, made one. camel-main 4.18 adds the
     * registry's cluster services to the context before it binds the {@code camel.beans.*} beans, so a service
     * configured that way ({@code camel.beans.cluster=#class:…KubernetesClusterService}) is only in the registry.
     */
    private CamelClusterService boundInRegistryOnly() throws Exception {
        Set<CamelClusterService> bound = context.getRegistry().findByType(CamelClusterService.class);
        if (bound.isEmpty()) {
            return null;
        }
        CamelClusterService found = ClusterServiceSelectors.DEFAULT_SELECTOR.select(bound).orElse(null);
        if (found == null) {
            // several and none preferred: guessing would be a silent file lock, or the wrong service
            java.util.List<String> ids = bound.stream().map(b -> b.getId() == null ? b.getClass().getSimpleName()
                    : b.getId()).sorted().toList();
            throw new io.icws.licenses.config.InvalidSettingException("icws.cluster.service", "is needed: "
                    + bound.size() + " cluster services are bound (" + String.join(", ", ids) + "); name the bean "
                    + "our routes use (a RebalancingCamelClusterService wrapping the other, for one)");
        }
        if (found != null) {
            context.addService(found, true, true);
            LOG.debug("The data folders are guarded by the cluster service bound in the registry: {}", found);
        }
        return found;
    }

    /**
     * The cluster service named by {@code icws.cluster.service}, made a service of the context if it is only in the
     * registry; null when no name is given.
     */
    private CamelClusterService named() throws Exception {
        if (serviceName == null) {
            return null;
        }
        CamelClusterService found = context.getRegistry().lookupByNameAndType(serviceName, CamelClusterService.class);
        if (found == null) {
            throw new io.icws.licenses.config.InvalidSettingException("icws.cluster.service", "names no "
                    + "CamelClusterService bean ('" + serviceName + "')");
        }
        if (!context.hasService(found)) {
            context.addService(found, true, true);
        }
        return found;
    }

    /** {@code icws.cluster.service}: the bean name of the cluster service to use; null: the one bound. */
    public DataFolderOwnership serviceName(String name) {
        this.serviceName = name;
        return this;
    }

    /** One line when this process comes to own a namespace, and one when it loses it. */
    private void watchLeadership(CamelClusterService chosen, String ns) throws Exception {
        CamelClusterView view = chosen.getView(ns);
        String what = perConnection ? (ns.equals(namespace + "-replay") ? "the dead-letter replay"
                : "connection " + ns.substring(namespace.length() + 1)) : "the data folders";
        org.apache.camel.cluster.CamelClusterEventListener.Leadership listener = (v, leader) -> {
            boolean ours = leader != null && leader.isLocal();
            if (ours && led.add(ns)) {
                LOG.info("This process owns {} now (cluster namespace {}): {} start{}", what, ns,
                        perConnection ? "its route and deliveries" : "its connections and targets",
                        perConnection ? "s" : "");
            } else if (!ours && led.remove(ns)) {
                LOG.warn("This process no longer owns {} (cluster namespace {}{}): it stops and stands by", what, ns,
                        leader == null ? "" : ", owner " + leader.getId());
            }
        };
        view.addEventListener(listener);
        context.addService(new org.apache.camel.support.service.ServiceSupport() {
            @Override
            protected void doStop() throws Exception {
                view.removeEventListener(listener);
                chosen.releaseView(view);
            }
        }, true, false);
    }

    /** True while this process leads the namespace, or with one per connection, all of them. */
    public boolean leads() {
        if (policies.isEmpty()) {
            return false;
        }
        for (ClusteredRoutePolicy p : policies.values()) {
            if (!p.isLeader()) {
                return false;
            }
        }
        return true;
    }

    /** True while this process owns the connection (leads its namespace). */
    public boolean leadsConnection(String connection) {
        ClusteredRoutePolicy p = policies.get(namespaceOf(connection));
        return p != null && p.isLeader();
    }

    /** The namespaces this process leads now. */
    public java.util.SortedSet<String> led() {
        java.util.SortedSet<String> names = new java.util.TreeSet<>();
        policies.forEach((ns, p) -> {
            if (p.isLeader()) {
                names.add(ns);
            }
        });
        return names;
    }

    /** The leader's member id, when the cluster service knows it. */
    public Optional<String> leader() {
        return leader(namespace);
    }

    private Optional<String> leader(String ns) {
        CamelClusterService s = service;
        if (s == null) {
            return Optional.empty();
        }
        CamelClusterView view = null;
        try {
            view = s.getView(ns);
            return view.getLeader().map(CamelClusterMember::getId);
        } catch (Exception e) {
            return Optional.empty();
        } finally {
            if (view != null) {
                try {
                    s.releaseView(view);
                } catch (Exception e) {
                    LOG.debug("Releasing the cluster view {}: {}", ns, e.toString());
                }
            }
        }
    }

    public String namespace() {
        return namespace;
    }

    /** The cluster service in use, or null before the first route asked for the policy. */
    public CamelClusterService service() {
        return service;
    }

    /**
     * Readiness check {@code icws-cluster}: always UP — standing by is healthy, so a rolling update completes — with
     * the namespace, whether this process leads it, the leader when the service knows it, and the service.
     */
    public AbstractHealthCheck healthCheck() {
        return new AbstractHealthCheck("icws", "icws-cluster") {
            @Override
            public boolean isLiveness() {
                return false;
            }

            @Override
            protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
                if (perConnection) {
                    java.util.SortedSet<String> mine = led();
                    builder.detail("namespace", namespace + "-<connection>");
                    builder.detail("role", mine.isEmpty() ? "standby" : mine.size() == policies.size() ? "leader"
                            : "leader of some");
                    builder.detail("leads", String.join(",", mine));
                    builder.detail("namespaces", policies.size());
                    CamelClusterService s = service;
                    if (s != null) {
                        builder.detail("cluster.service", s.getId() == null ? s.getClass().getSimpleName() : s.getId());
                    }
                    builder.message(mine.isEmpty() ? "standing by: other processes own every connection"
                            : "this process owns " + mine.size() + " of " + policies.size() + " namespaces");
                    builder.up();
                    return;
                }
                boolean leads = leads();
                builder.detail("namespace", namespace);
                builder.detail("role", leads ? "leader" : "standby");
                leader().ifPresent(id -> builder.detail("leader", id));
                CamelClusterService s = service;
                if (s != null) {
                    builder.detail("cluster.service", s.getId() == null ? s.getClass().getSimpleName() : s.getId());
                }
                builder.message(leads ? "this process watches the connections" : "standing by: another process "
                        + "owns the data folders (namespace " + namespace + ")");
                builder.up();
            }
        };
    }
}
