package io.icws.licenses.cluster;

import java.util.List;
import java.util.Optional;

import org.apache.camel.CamelContext;
import org.apache.camel.cluster.CamelClusterEventListener;
import org.apache.camel.cluster.CamelClusterMember;
import org.apache.camel.cluster.CamelClusterService;
import org.apache.camel.cluster.CamelClusterView;
import org.apache.camel.spi.LifecycleStrategy;
import org.apache.camel.support.LifecycleStrategySupport;
import org.apache.camel.support.cluster.AbstractCamelClusterService;
import org.apache.camel.support.cluster.AbstractCamelClusterView;

/**
 * The cluster service the routes' {@link org.apache.camel.impl.cluster.ClusteredRoutePolicy} policies see when the
 * default file lock is started before the context (so that its first try, which waits for the next whole lock
 * interval, overlaps the making of the routes): the same views, leaders and members as the file lock, but a
 * leadership taken before the context starts is told to the policies only when it starts. Camel 4.18's policy
 * defers the start of its routes to the end of the start-up only for a leadership told while the context is
 * starting; one told before that (the context still initializing its routes) would leave the routes stopped.
 */
final class StartGatedClusterService extends AbstractCamelClusterService<StartGatedClusterService.GatedView> {

    private final CamelClusterService delegate;
    private final List<GatedView> made = new java.util.concurrent.CopyOnWriteArrayList<>();

    StartGatedClusterService(CamelClusterService delegate, CamelContext context) {
        super(delegate.getId() + "-routes", context);
        this.delegate = delegate;
    }

    /** Tells each view's policies of a leadership taken before the context started, as it starts. */
    LifecycleStrategy releaseAtStart() {
        return new LifecycleStrategySupport() {
            @Override
            public void onContextStarting(CamelContext context) {
                made.forEach(GatedView::release);
            }
        };
    }

    @Override
    protected GatedView createView(String namespace) {
        GatedView view = new GatedView(this, namespace);
        made.add(view);
        return view;
    }

    @Override
    public <T extends CamelClusterService> T unwrap(Class<T> clazz) {
        return clazz.isInstance(delegate) ? clazz.cast(delegate) : super.unwrap(clazz);
    }

    final class GatedView extends AbstractCamelClusterView {

        private final CamelClusterEventListener.Leadership relay = (v, leader) -> changed(leader);
        private volatile CamelClusterView view;
        private boolean held;

        GatedView(CamelClusterService service, String namespace) {
            super(service, namespace);
        }

        @Override
        protected void doStart() throws Exception {
            CamelClusterView v = delegate.getView(getNamespace());
            view = v;
            v.addEventListener(relay);
            // a leadership taken before this view listened
            v.getLeader().ifPresent(this::changed);
        }

        @Override
        protected void doStop() throws Exception {
            CamelClusterView v = view;
            if (v != null) {
                v.removeEventListener(relay);
                delegate.releaseView(v);
                view = null;
            }
        }

        private synchronized void changed(CamelClusterMember leader) {
            CamelContext context = getCamelContext();
            if (context != null && !context.isStarting() && !context.isStarted()) {
                held = true; // told at onContextStarting
                return;
            }
            held = false;
            fireLeadershipChangedEvent(leader);
        }

        synchronized void release() {
            CamelClusterView v = view;
            if (held && v != null) {
                held = false;
                fireLeadershipChangedEvent(v.getLeader().orElse(null));
            }
        }

        @Override
        public Optional<CamelClusterMember> getLeader() {
            CamelClusterView v = view;
            return v == null ? Optional.empty() : v.getLeader();
        }

        @Override
        public CamelClusterMember getLocalMember() {
            CamelClusterView v = view;
            return v == null ? null : v.getLocalMember();
        }

        @Override
        public List<CamelClusterMember> getMembers() {
            CamelClusterView v = view;
            return v == null ? List.of() : v.getMembers();
        }
    }
}
