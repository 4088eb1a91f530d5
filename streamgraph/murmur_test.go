package streamgraph

import (
	"testing"
)

func TestHashBytesKnownValues(t *testing.T) {
	for _, tc := range []struct {
		uid, want string
	}{
		// Both verified against Flink-written savepoints of the corpus.
		{"CheckpointingSource1", "69f32d314b97c6f7f9ed7873983167f2"},
		{"1c4ec0f9-2d96-46e9-99ea-45e8c3df5202", "709a96cf35a587d849796342cfd36979"},
	} {
		if got := UserSpecifiedID(tc.uid).String(); got != tc.want {
			t.Errorf("UserSpecifiedID(%q) = %s, want %s", tc.uid, got, tc.want)
		}
	}
}
