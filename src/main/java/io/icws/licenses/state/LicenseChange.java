package io.icws.licenses.state;

/**
 * One change worth reporting, as computed by {@link LicenseState#apply(boolean, java.util.List)}.
 *
 * @param license            the license name
 * @param type               what happened
 * @param assigned           the new value
 * @param previouslyAssigned the cached value before the change; {@code null} for {@link ChangeType#OBSERVED}
 * @param sequence           the license's change counter after this change (1 for the first observation);
 *                           it never goes back, also across a license leaving and re-entering the view,
 *                           so (server, user, license, sequence, type) identifies one change
 */
public record LicenseChange(String license, ChangeType type, boolean assigned, Boolean previouslyAssigned,
                            long sequence) {
}
