package io.icws.licenses.icws;

import java.util.List;
import java.util.Objects;

import io.icws.licenses.state.LicenseStatus;

/**
 * {@code urn:inin.com:licenses:licenseMessage}: the assigned status of licenses of the session's user, read from
 * either of its two shapes (see {@link Shape}).
 *
 * <p><b>What {@link #delta()} means.</b> It is what the license state must do with the message
 * ({@code LicenseState.apply(delta, statuses)}): true updates only the licenses carried, false replaces the whole
 * view. For the {@link Shape#LIST list} shape it is the server's {@code isDelta}. For the {@link Shape#FLAT flat}
 * shape it is always true, whatever the server's {@code isDelta} said ({@link #sentIsDelta()} keeps that): a flat
 * message carries exactly one license, so "clear the cache and replace it with this message" would make every
 * other subscribed license vanish from the view on each message — a subscription of three licenses answered with
 * three flat {@code isDelta:false} messages would end with a view of one license, and the next message about an
 * other license would read as a license seen for the first time instead of a change. The protocol rule is never to
 * read a subscribed license that a message does not mention as unassigned (or as gone); so a flat
 * {@code isDelta:false} is taken for what it can say for sure: the full, current state of its one license. That
 * license's value is replaced; the others keep theirs. The price: a flat message never drops a license from the view
 * (a license no longer subscribed stays in it with its last value until a list-shaped snapshot or a state reset).
 *
 * @param delta       how the state applies it: true = update the licenses carried, false = replace the view
 *                    (never false for the flat shape, see above)
 * @param statuses    the licenses carried, in the server's order ({@code licenseAssignedStatusList}, or the one
 *                    license of a flat message)
 * @param shape       which of the two shapes the server sent
 * @param sentIsDelta the {@code isDelta} the server sent, as sent
 */
public record LicenseMessage(boolean delta, List<LicenseStatus> statuses, Shape shape, boolean sentIsDelta) {

    /** The two shapes of a license message. */
    public enum Shape {
        /**
         * The SDK's: {@code {"__type":…,"isDelta":false,"licenseAssignedStatusList":[{"name":…,"isAssigned":…},…]}}.
         */
        LIST,
        /**
         * The reference page's: {@code {"__type":…,"isDelta":true,"name":"I3_ACCESS_CLIENT","isAssigned":false}},
         * one license per message.
         */
        FLAT
    }

    public LicenseMessage {
        Objects.requireNonNull(shape, "shape");
        statuses = List.copyOf(statuses);
        if (shape == Shape.FLAT && !delta) {
            throw new IllegalArgumentException("a flat license message is applied as a delta of its one license");
        }
    }

    /** A list-shaped message: {@code delta} is the server's {@code isDelta}. */
    public LicenseMessage(boolean delta, List<LicenseStatus> statuses) {
        this(delta, statuses, Shape.LIST, delta);
    }

    /** A flat message of one license, as the server sent its {@code isDelta}; applied as a delta (see above). */
    public static LicenseMessage flat(boolean sentIsDelta, LicenseStatus status) {
        return new LicenseMessage(true, List.of(status), Shape.FLAT, sentIsDelta);
    }

    /**
     * True when the server meant this message as a full statement ({@code isDelta:false}), of the whole
     * subscription (list shape) or of its one license (flat shape): e.g. the first message after a subscription.
     */
    public boolean snapshot() {
        return !sentIsDelta;
    }
}
