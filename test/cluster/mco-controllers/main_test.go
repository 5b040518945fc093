package main

import (
	"testing"

	configv1 "github.com/openshift/api/config/v1"
	"github.com/openshift/api/features"
)

func desc(names ...configv1.FeatureGateName) []features.FeatureGateDescription {
	out := make([]features.FeatureGateDescription, 0, len(names))
	for _, n := range names {
		out = append(out, features.FeatureGateDescription{FeatureGateAttributes: configv1.FeatureGateAttributes{Name: n}})
	}
	return out
}

func contains(s []configv1.FeatureGateName, g configv1.FeatureGateName) bool {
	for _, x := range s {
		if x == g {
			return true
		}
	}
	return false
}

func TestGatesMovesOffGatesToDisabled(t *testing.T) {
	set := &features.FeatureGateEnabledDisabled{
		Enabled:  desc("B", features.FeatureGateMachineConfigNodes, "A"),
		Disabled: desc("C", features.FeatureGatePinnedImages),
	}
	enabled, disabled := Gates(set, Off)
	if want := []configv1.FeatureGateName{"A", "B"}; len(enabled) != 2 || enabled[0] != want[0] || enabled[1] != want[1] {
		t.Fatalf("enabled = %v, want %v", enabled, want)
	}
	for _, g := range []configv1.FeatureGateName{
		"C", features.FeatureGateMachineConfigNodes, features.FeatureGatePinnedImages,
	} {
		if !contains(disabled, g) {
			t.Errorf("%s is not disabled: %v", g, disabled)
		}
	}
	if len(disabled) != 3 {
		t.Errorf("disabled = %v, want 3 gates once each", disabled)
	}
}

func TestGatesOfTheReleaseDefaultSet(t *testing.T) {
	set, err := features.FeatureSets(features.SelfManaged, configv1.Default)
	if err != nil {
		t.Fatal(err)
	}
	enabled, disabled := Gates(set, Off)
	for _, g := range Off {
		if contains(enabled, g) || !contains(disabled, g) {
			t.Errorf("%s must be disabled", g)
		}
	}
	for _, g := range enabled {
		if contains(disabled, g) {
			t.Errorf("%s is both enabled and disabled", g)
		}
	}
	if len(enabled) == 0 {
		t.Error("the Default set enables no gate")
	}
}
