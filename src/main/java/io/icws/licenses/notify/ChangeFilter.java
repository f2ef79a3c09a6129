package io.icws.licenses.notify;

import java.util.Collections;
import java.util.Set;

import io.icws.licenses.state.ChangeType;
import io.icws.licenses.state.LicenseChangeEvent;

/**
 * Which change types a target gets: the bean {@code changeFilter} each route made from the template
 * {@code icws-endpoint-target} owns (a template bean, so every target has its own list). An event this target
 * does not want is taken without being sent: its cursor moves on.
 */
public final class ChangeFilter {

    private final Set<ChangeType> wanted;

    /**
     * @param changesCsv a comma list of observed, assigned, unassigned
     * @throws IllegalArgumentException naming an entry that is not a change type, or when it names none
     */
    public ChangeFilter(String changesCsv) {
        Set<ChangeType> parsed = ChangeFormats.parseChanges(changesCsv);
        if (parsed.isEmpty()) {
            throw new IllegalArgumentException("No change type in '" + changesCsv
                    + "'; allowed: observed, assigned, unassigned");
        }
        this.wanted = Collections.unmodifiableSet(parsed);
    }

    /** Whether the target gets this event; an event of a type it cannot read is passed on (the target decides). */
    public boolean matches(LicenseChangeEvent event) {
        try {
            return wanted.contains(event.changeType());
        } catch (RuntimeException e) {
            return true;
        }
    }

    public Set<ChangeType> wanted() {
        return wanted;
    }
}
