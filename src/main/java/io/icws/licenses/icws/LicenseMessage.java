package io.icws.licenses.icws;

import java.util.List;

import io.icws.licenses.state.LicenseStatus;

/**
 * {@code urn:inin.com:licenses:licenseMessage}: the assigned status of licenses of the session's user.
 *
 * @param delta    {@code isDelta}: true updates only the licenses carried, false replaces the whole view
 * @param statuses {@code licenseAssignedStatusList}, in the server's order
 */
public record LicenseMessage(boolean delta, List<LicenseStatus> statuses) {
}
