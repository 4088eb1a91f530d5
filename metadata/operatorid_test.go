package metadata

import "testing"

// Test vectors from Flink's own tests (see docs/DESIGN.md) and
// from the corpus (StatefulJobWBroadcastStateMigrationITCase's uids hash to
// the IDs stored in its savepoints).
func TestOperatorIDFromUID(t *testing.T) {
	for _, tc := range []struct{ uid, want string }{
		{"broadcast-source-uid", "3a6f51704798c4f418be51bfb6813b77"},
		{"keyed-broadcast-process-uid", "413c1d6f88ee8627fe4b8bc533b4cf1b"},
		{"BrProcess2", "56a26c4c54bda3adf3700194db4afe93"},
		{"CheckpointingSource1", "69f32d314b97c6f7f9ed7873983167f2"},
	} {
		if got := OperatorIDFromUID(tc.uid).String(); got != tc.want {
			t.Errorf("OperatorIDFromUID(%q) = %s, want %s", tc.uid, got, tc.want)
		}
	}
}

// The MurmurHash3_x64_128 reference vectors cover every tail length.
func TestMurmur3Tails(t *testing.T) {
	for _, tc := range []struct {
		in     string
		h1, h2 uint64
	}{
		{"", 0, 0},
		{"hello", 0xcbd8a7b341bd9b02, 0x5b1e906a48ae1d19},
	} {
		h1, h2 := murmur3x64_128([]byte(tc.in), 0)
		if h1 != tc.h1 || h2 != tc.h2 {
			t.Errorf("murmur3(%q) = %x %x, want %x %x", tc.in, h1, h2, tc.h1, tc.h2)
		}
	}
}
