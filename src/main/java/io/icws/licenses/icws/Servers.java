package io.icws.licenses.icws;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which server a connection logs in to: the configured ones in turn, and the peers a server names in its
 * {@code alternateHostList} (a switchover pair), reached with the same scheme and port. Not thread-safe: one
 * per connection, used on its own lane.
 */
final class Servers {

    private final List<URI> configured;
    private List<URI> candidates;
    private int index;

    Servers(List<URI> configured) {
        if (configured.isEmpty()) {
            throw new IllegalArgumentException("at least one ICWS server is needed");
        }
        this.configured = List.copyOf(configured);
        this.candidates = new ArrayList<>(configured);
    }

    /** The server the next login goes to. */
    URI current() {
        return candidates.get(index);
    }

    /** Moves to the next server; true when that starts a new round (every one was tried). */
    boolean next() {
        index = (index + 1) % candidates.size();
        return index == 0;
    }

    /**
     * Remembers the peers a server named, to try after it: on a login answer (for a switchover later), or on
     * a 503 (then the next {@link #next()} goes to the first peer).
     */
    void learn(URI from, List<String> alternateHosts) {
        Map<String, URI> byAuthority = new LinkedHashMap<>();
        byAuthority.put(from.getAuthority(), from);
        for (String host : alternateHosts) {
            if (host == null || !host.trim().matches("[A-Za-z0-9][A-Za-z0-9.-]*")) {
                continue; // a host name or IPv4 address only: nothing that changes the scheme, port, path or user
            }
            int port = from.getPort();
            URI peer = URI.create(from.getScheme() + "://" + host.trim() + (port > 0 ? ":" + port : ""));
            byAuthority.putIfAbsent(peer.getAuthority(), peer);
        }
        for (URI server : configured) {
            byAuthority.putIfAbsent(server.getAuthority(), server);
        }
        candidates = new ArrayList<>(byAuthority.values());
        index = 0;
    }
}
