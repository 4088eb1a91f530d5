package suggest

import "testing"

func TestClosest(t *testing.T) {
	for _, tc := range []struct {
		s          string
		candidates []string
		want       string
	}{
		{"acept", []string{"version", "rules", "accept"}, "accept"},      // a deletion
		{"opreator", []string{"rule", "operator", "reason"}, "operator"}, // a transposition counts one
		{"Operater", []string{"rule", "operator"}, "operator"},           // case is ignored
		{"initialSavepointPth", []string{"initialSavepointPath", "parallelism"}, "initialSavepointPath"},
		{"xyz", []string{"accept", "rules"}, ""},      // too far: no guess
		{"ab", []string{"abcd"}, ""},                  // two edits on a short word is too many
		{"stat", []string{"state", "start"}, "state"}, // a tie goes to the first
		{"", []string{"a"}, ""},                       // nothing typed, nothing guessed
	} {
		if got := Closest(tc.s, tc.candidates); got != tc.want {
			t.Errorf("Closest(%q, %q) = %q, want %q", tc.s, tc.candidates, got, tc.want)
		}
	}
}
