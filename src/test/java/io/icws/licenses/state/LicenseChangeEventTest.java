package io.icws.licenses.state;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LicenseChangeEventTest {

    static final Instant TIME = Instant.parse("2026-11-28T01:30:00.123456Z");
    static final ObjectMapper JSON = new ObjectMapper();

    static LicenseChangeEvent unassigned() {
        Map<String, Boolean> snapshot = new LinkedHashMap<>();
        snapshot.put("I3_LICENSE_BASIC_STATION", true);
        snapshot.put("I3_ACCESS_CLIENT", false);
        return LicenseChangeEvent.of("epoch-1", "127.0.0.1:18018", "agent1",
                new LicenseChange("I3_ACCESS_CLIENT", ChangeType.UNASSIGNED, false, true, 2), snapshot, TIME);
    }

    @Test
    void jsonOfAnEventHasExactlyTheCloudEventsFields() throws Exception {
        LicenseChangeEvent event = unassigned();

        JsonNode json = JSON.readTree(JSON.writeValueAsString(event));

        assertThat(json.fieldNames()).toIterable()
                .containsExactly("specversion", "id", "source", "type", "time", "datacontenttype", "data");
        assertThat(json.get("specversion").asText()).isEqualTo("1.0");
        assertThat(json.get("id").asText()).isEqualTo(event.id());
        assertThat(UUID.fromString(json.get("id").asText()).toString()).isEqualTo(event.id());
        assertThat(json.get("source").asText()).isEqualTo("icws://127.0.0.1:18018/agent1");
        assertThat(json.get("type").asText()).isEqualTo("io.icws.license.unassigned");
        assertThat(json.get("time").asText()).isEqualTo("2026-11-28T01:30:00.123Z");
        assertThat(json.get("datacontenttype").asText()).isEqualTo("application/json");

        JsonNode data = json.get("data");
        assertThat(data.fieldNames()).toIterable().containsExactlyInAnyOrder(
                "server", "user", "license", "changeType", "assigned", "previouslyAssigned", "snapshot");
        assertThat(data.get("server").asText()).isEqualTo("127.0.0.1:18018");
        assertThat(data.get("user").asText()).isEqualTo("agent1");
        assertThat(data.get("license").asText()).isEqualTo("I3_ACCESS_CLIENT");
        assertThat(data.get("changeType").asText()).isEqualTo("unassigned");
        assertThat(data.get("assigned").isBoolean()).isTrue();
        assertThat(data.get("assigned").asBoolean()).isFalse();
        assertThat(data.get("previouslyAssigned").asBoolean()).isTrue();
        assertThat(data.get("snapshot").fieldNames()).toIterable()
                .containsExactly("I3_ACCESS_CLIENT", "I3_LICENSE_BASIC_STATION");
        assertThat(data.get("snapshot").get("I3_LICENSE_BASIC_STATION").asBoolean()).isTrue();
    }

    @Test
    void observedEventHasNullPreviouslyAssignedAndObservedType() throws Exception {
        LicenseChangeEvent event = LicenseChangeEvent.of("epoch-1", "s", "u",
                new LicenseChange("I3_A", ChangeType.OBSERVED, true, null, 1), Map.of("I3_A", true), TIME);

        JsonNode json = JSON.readTree(JSON.writeValueAsString(event));

        assertThat(json.get("type").asText()).isEqualTo("io.icws.license.observed");
        assertThat(json.get("data").get("previouslyAssigned").isNull()).isTrue();
        assertThat(event.changeType()).isEqualTo(ChangeType.OBSERVED);
    }

    @Test
    void jsonReadsBackToAnEqualEvent() throws Exception {
        LicenseChangeEvent event = unassigned();

        LicenseChangeEvent back = JSON.readValue(JSON.writeValueAsBytes(event), LicenseChangeEvent.class);

        assertThat(back).isEqualTo(event);
        assertThat(back.license()).isEqualTo("I3_ACCESS_CLIENT");
        assertThat(back.user()).isEqualTo("agent1");
        assertThat(back.changeType()).isEqualTo(ChangeType.UNASSIGNED);
    }

    @Test
    void idIsStableForTheSameChangeAndDiffersForAnother() {
        LicenseChange change = new LicenseChange("I3_A", ChangeType.UNASSIGNED, false, true, 2);
        LicenseChangeEvent first = LicenseChangeEvent.of("epoch-1", "s", "u", change, Map.of(), TIME);
        LicenseChangeEvent again = LicenseChangeEvent.of("epoch-1", "s", "u", change, Map.of("I3_B", true), TIME.plusSeconds(60));
        LicenseChangeEvent next = LicenseChangeEvent.of("epoch-1", "s", "u",
                new LicenseChange("I3_A", ChangeType.ASSIGNED, true, false, 3), Map.of(), TIME);

        assertThat(again.id()).isEqualTo(first.id());
        assertThat(next.id()).isNotEqualTo(first.id());
        assertThat(LicenseChangeEvent.of("epoch-1", "s", "other", change, Map.of(), TIME).id()).isNotEqualTo(first.id());
        assertThat(LicenseChangeEvent.of("epoch-2", "s", "u", change, Map.of(), TIME).id()).isNotEqualTo(first.id());
        assertThat(first.id()).isEqualTo(
                UUID.nameUUIDFromBytes("epoch-1\ns\nu\nI3_A\n2\nunassigned".getBytes(UTF_8)).toString());
    }

    @Test
    void aMakerMakesTheSameEventsAsOfAlsoWithinOneMillisecondAndAcrossThem() {
        LicenseChangeEvent.Maker maker = new LicenseChangeEvent.Maker("host/x@y:8018", "DOMAIN\\agent é");
        Map<String, Boolean> snapshot = Map.of("I3_A", false);
        LicenseChange first = new LicenseChange("I3_A", ChangeType.UNASSIGNED, false, true, 2);
        LicenseChange second = new LicenseChange("I3_A", ChangeType.ASSIGNED, true, false, 3);
        for (Instant time : new Instant[] {TIME, TIME.plusNanos(1_000), TIME.plusMillis(1), TIME.minusSeconds(86_400),
                Instant.parse("2026-11-28T01:30:59.999999Z"), Instant.parse("2026-11-28T01:31:00.009Z"),
                Instant.parse("2026-11-28T01:31:00Z")}) {
            for (LicenseChange change : new LicenseChange[] {first, second}) {
                for (String epoch : new String[] {"epoch-1", "epoch-2", "epoch-1"}) {
                    LicenseChangeEvent made = maker.of(epoch, change, snapshot, time);
                    assertThat(made).isEqualTo(
                            LicenseChangeEvent.of(epoch, "host/x@y:8018", "DOMAIN\\agent é", change, snapshot, time));
                    // against the definitions themselves, not only against of() (which makes a Maker too)
                    assertThat(made.id()).isEqualTo(UUID.nameUUIDFromBytes((epoch + "\nhost/x@y:8018\nDOMAIN\\agent é\n"
                            + "I3_A\n" + change.sequence() + "\n" + change.type().value()).getBytes(UTF_8)).toString());
                    assertThat(made.time()).isEqualTo(java.time.format.DateTimeFormatter
                            .ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(java.time.ZoneOffset.UTC).format(time));
                }
            }
        }
        assertThat(maker.of("epoch-1", first, snapshot, TIME.plusMillis(1)).time()).isEqualTo("2026-11-28T01:30:00.124Z");
        assertThatThrownBy(() -> maker.of("epoch-1", first, null, TIME)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("snapshot");
    }

    @Test
    void sourcePercentEncodesUnsafeCharacters() {
        LicenseChangeEvent event = LicenseChangeEvent.of("epoch-1", "host/x@y:8018", "DOMAIN\\agent one/é?#",
                new LicenseChange("I3_A", ChangeType.OBSERVED, true, null, 1), Map.of(), TIME);

        assertThat(event.source()).isEqualTo("icws://host%2Fx%40y:8018/DOMAIN%5Cagent%20one%2F%C3%A9%3F%23");
        URI uri = URI.create(event.source());
        assertThat(uri.getScheme()).isEqualTo("icws");
        assertThat(uri.getRawPath()).isEqualTo("/DOMAIN%5Cagent%20one%2F%C3%A9%3F%23");
        assertThat(uri.getQuery()).isNull();
        assertThat(uri.getFragment()).isNull();
    }

    @Test
    void missingArgumentsAreRejectedByName() {
        LicenseChange change = new LicenseChange("I3_A", ChangeType.OBSERVED, true, null, 1);

        assertThatThrownBy(() -> LicenseChangeEvent.of(null, "s", "u", change, Map.of(), TIME))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("epoch");
        assertThatThrownBy(() -> LicenseChangeEvent.of("epoch-1", null, "u", change, Map.of(), TIME))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("server");
        assertThatThrownBy(() -> LicenseChangeEvent.of("epoch-1", "s", null, change, Map.of(), TIME))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("user");
        assertThatThrownBy(() -> LicenseChangeEvent.of("epoch-1", "s", "u", null, Map.of(), TIME))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("change");
        assertThatThrownBy(() -> LicenseChangeEvent.of("epoch-1", "s", "u", change, Map.of(), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("time");
        assertThat(LicenseChangeEvent.of("epoch-1", "s", "u", change, null, TIME).data().snapshot()).isEmpty();
    }
}
