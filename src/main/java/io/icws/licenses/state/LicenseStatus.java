package io.icws.licenses.state;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One item of an ICWS license message's {@code licenseAssignedStatusList}.
 *
 * <p>Jackson maps the ICWS item {@code {"name": "I3_ACCESS_CLIENT", "isAssigned": true}} straight onto this
 * record ({@code assigned} is also accepted when reading); unknown fields are ignored. Both fields are required
 * (as in the ICWS reference): a missing {@code isAssigned} fails deserialization instead of reading as false.
 *
 * @param name     the license name, e.g. {@code I3_ACCESS_CLIENT}; never null when given to {@link LicenseState}
 * @param assigned whether the license is assigned to the subscription's user
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record LicenseStatus(
        @JsonProperty(value = "name", required = true) String name,
        @JsonProperty(value = "isAssigned", required = true) @JsonAlias("assigned") boolean assigned) {
}
