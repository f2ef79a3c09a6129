package io.icws.licenses.state;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LicenseStateTest {

    static LicenseStatus on(String name) {
        return new LicenseStatus(name, true);
    }

    static LicenseStatus off(String name) {
        return new LicenseStatus(name, false);
    }

    @Test
    void firstSnapshotObservesEachLicenseInMessageOrder() {
        LicenseState state = new LicenseState();

        List<LicenseChange> changes = state.apply(false, List.of(on("I3_B"), off("I3_A")));

        assertThat(changes).containsExactly(
                new LicenseChange("I3_B", ChangeType.OBSERVED, true, null, 1),
                new LicenseChange("I3_A", ChangeType.OBSERVED, false, null, 1));
        assertThat(state.snapshot()).containsExactly(Map.entry("I3_A", false), Map.entry("I3_B", true));
    }

    @Test
    void repeatedIdenticalSnapshotGivesNoChange() {
        LicenseState state = new LicenseState();
        state.apply(false, List.of(on("I3_A"), off("I3_B")));

        assertThat(state.apply(false, List.of(on("I3_A"), off("I3_B")))).isEmpty();
        assertThat(state.apply(true, List.of(on("I3_A")))).isEmpty();
    }

    @Test
    void deltaUnassignGivesExactlyOneUnassignedWithPreviouslyAssignedTrue() {
        LicenseState state = new LicenseState();
        state.apply(false, List.of(on("I3_A"), on("I3_B")));

        List<LicenseChange> changes = state.apply(true, List.of(off("I3_A")));

        assertThat(changes).containsExactly(new LicenseChange("I3_A", ChangeType.UNASSIGNED, false, true, 2));
    }

    @Test
    void deltaAssignGivesAssignedWithPreviouslyAssignedFalse() {
        LicenseState state = new LicenseState();
        state.apply(false, List.of(off("I3_A")));

        assertThat(state.apply(true, List.of(on("I3_A"))))
                .containsExactly(new LicenseChange("I3_A", ChangeType.ASSIGNED, true, false, 2));
    }

    @Test
    void deltaKeepsOtherLicenses() {
        LicenseState state = new LicenseState();
        state.apply(false, List.of(on("I3_A"), on("I3_B"), off("I3_C")));

        state.apply(true, List.of(off("I3_B"), on("I3_D")));

        assertThat(state.snapshot()).containsExactly(
                Map.entry("I3_A", true), Map.entry("I3_B", false), Map.entry("I3_C", false), Map.entry("I3_D", true));
    }

    @Test
    void deltaWithNewLicenseObservesIt() {
        LicenseState state = new LicenseState();
        state.apply(false, List.of(on("I3_A")));

        assertThat(state.apply(true, List.of(off("I3_NEW"))))
                .containsExactly(new LicenseChange("I3_NEW", ChangeType.OBSERVED, false, null, 1));
    }

    @Test
    void fullSnapshotReplacesAndDroppedLicenseReturnsWithHigherSequence() {
        LicenseState state = new LicenseState();
        state.apply(false, List.of(on("I3_A"), on("I3_B")));

        assertThat(state.apply(false, List.of(on("I3_A")))).isEmpty();
        assertThat(state.snapshot()).containsOnlyKeys("I3_A");
        assertThat(state.sequences()).containsEntry("I3_B", 1L);

        List<LicenseChange> back = state.apply(true, List.of(on("I3_B")));
        assertThat(back).containsExactly(new LicenseChange("I3_B", ChangeType.OBSERVED, true, null, 2));
        assertThat(LicenseChangeEvent.stableId("e", "s", "u", "I3_B", 2, ChangeType.OBSERVED))
                .isNotEqualTo(LicenseChangeEvent.stableId("e", "s", "u", "I3_B", 1, ChangeType.OBSERVED));
    }

    @Test
    void emptyFullSnapshotClearsTheView() {
        LicenseState state = new LicenseState();
        state.apply(false, List.of(on("I3_A")));

        assertThat(state.apply(false, List.of())).isEmpty();
        assertThat(state.snapshot()).isEmpty();
    }

    @Test
    void duplicateNamesInOneMessageLastWinsWithAtMostOneChange() {
        LicenseState state = new LicenseState();
        state.apply(false, List.of(on("I3_A")));

        List<LicenseChange> changes = state.apply(true, List.of(off("I3_A"), on("I3_B"), on("I3_A"), off("I3_A")));

        assertThat(changes).containsExactly(
                new LicenseChange("I3_A", ChangeType.UNASSIGNED, false, true, 2),
                new LicenseChange("I3_B", ChangeType.OBSERVED, true, null, 1));
        assertThat(state.apply(true, List.of(off("I3_X"), on("I3_X"))))
                .containsExactly(new LicenseChange("I3_X", ChangeType.OBSERVED, true, null, 1));
    }

    @Test
    void duplicateNamesThatEndUnchangedGiveNoChange() {
        LicenseState state = new LicenseState();
        state.apply(false, List.of(on("I3_A")));

        assertThat(state.apply(true, List.of(off("I3_A"), on("I3_A")))).isEmpty();
    }

    @Test
    void nullListIsRejectedNamingIt() {
        assertThatThrownBy(() -> new LicenseState().apply(false, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("list");
    }

    @Test
    void nullNameIsRejectedAndStateIsUnchanged() {
        LicenseState state = new LicenseState();
        state.apply(false, List.of(on("I3_A")));

        assertThatThrownBy(() -> state.apply(false, List.of(on("I3_B"), new LicenseStatus(null, true))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("name");
        List<LicenseStatus> withNullItem = new ArrayList<>(Arrays.asList(on("I3_C"), null));
        assertThatThrownBy(() -> state.apply(true, withNullItem))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("item #1");
        assertThat(state.snapshot()).containsOnlyKeys("I3_A");
        assertThat(state.sequences()).containsOnlyKeys("I3_A");
    }

    @Test
    void snapshotIsUnmodifiableAndDetached() {
        LicenseState state = new LicenseState();
        state.apply(false, List.of(on("I3_A")));
        Map<String, Boolean> snapshot = state.snapshot();

        state.apply(true, List.of(off("I3_A")));

        assertThat(snapshot).containsExactly(Map.entry("I3_A", true));
        assertThatThrownBy(() -> snapshot.put("I3_B", true)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void changeTypeValuesRoundTripAndBadValueIsNamed() {
        for (ChangeType t : ChangeType.values()) {
            assertThat(ChangeType.fromValue(t.value())).isSameAs(t);
        }
        assertThat(ChangeType.fromValue(" Unassigned ")).isSameAs(ChangeType.UNASSIGNED);
        assertThat(ChangeType.OBSERVED.value()).isEqualTo("observed");
        assertThatThrownBy(() -> ChangeType.fromValue("removed"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'removed'").hasMessageContaining("observed, assigned, unassigned");
        assertThatThrownBy(() -> ChangeType.fromValue(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void licenseStatusReadsIcwsItems() throws Exception {
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        LicenseStatus[] items = mapper.readValue(
                "[{\"name\":\"I3_ACCESS_CLIENT\",\"isAssigned\":true,\"extra\":1},{\"name\":\"I3_X\",\"isAssigned\":false}]",
                LicenseStatus[].class);

        assertThat(items).containsExactly(on("I3_ACCESS_CLIENT"), off("I3_X"));
    }

    @Test
    void licenseStatusWithoutIsAssignedFailsToRead() {
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();

        assertThatThrownBy(() -> mapper.readValue("{\"name\":\"I3_A\"}", LicenseStatus.class))
                .hasMessageContaining("isAssigned");
    }
}
