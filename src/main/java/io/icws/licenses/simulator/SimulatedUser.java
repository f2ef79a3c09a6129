package io.icws.licenses.simulator;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A user the simulator accepts at log-in, with the licenses assigned (true) or known but not assigned
 * (false) to it. The map keeps its iteration order.
 *
 * @param userId   the ICWS user id ({@code userID} in the connection request)
 * @param password the password
 * @param licenses license name to assigned state
 */
public record SimulatedUser(String userId, String password, Map<String, Boolean> licenses) {

    public SimulatedUser {
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(password, "password");
        if (userId.isBlank()) {
            throw new IllegalArgumentException("userId must not be blank");
        }
        Map<String, Boolean> copy = new LinkedHashMap<>();
        if (licenses != null) {
            licenses.forEach((name, assigned) -> {
                Objects.requireNonNull(name, "license name");
                copy.put(name, Objects.requireNonNull(assigned, "assigned state of " + name));
            });
        }
        licenses = Collections.unmodifiableMap(copy);
    }

    /**
     * The demo user {@code agent1} / {@code secret}: {@code I3_ACCESS_CLIENT} and
     * {@code I3_LICENSE_BASIC_STATION} assigned, {@code I3_ACCESS_FEEDBACK} not assigned.
     */
    public static SimulatedUser demo() {
        Map<String, Boolean> licenses = new LinkedHashMap<>();
        licenses.put("I3_ACCESS_CLIENT", true);
        licenses.put("I3_LICENSE_BASIC_STATION", true);
        licenses.put("I3_ACCESS_FEEDBACK", false);
        return new SimulatedUser("agent1", "secret", licenses);
    }
}
