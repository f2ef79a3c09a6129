package io.icws.licenses.simulator;

import java.time.Instant;

/**
 * One ICWS request the simulator answered (admin {@code /simulator/} requests are not recorded).
 *
 * @param method the HTTP method
 * @param path   the request path, without the query
 * @param status the status answered
 * @param time   when the answer was sent
 */
public record RecordedRequest(String method, String path, int status, Instant time) {
}
