package io.icws.licenses.simulator;

import java.time.Instant;

/**
 * One ICWS request (admin {@code /simulator/} requests are not recorded). In {@link IcwsSimulator#requests()} it was
 * answered and {@code time} is when; in {@link IcwsSimulator#receivedRequests()} {@code time} is its arrival and
 * {@code status} is 0 while it is not answered.
 *
 * @param method the HTTP method
 * @param path   the request path, without the query
 * @param status the status answered (0: not yet, in {@code receivedRequests()})
 * @param time   when the answer was sent ({@code requests()}) or the request arrived ({@code receivedRequests()})
 */
public record RecordedRequest(String method, String path, int status, Instant time) {
}
