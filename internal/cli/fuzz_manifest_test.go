package cli

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/spcheck/spcheck/compare"
	"github.com/spcheck/spcheck/metadata"
	"github.com/spcheck/spcheck/savepoint"
)

// FuzzGeneratedManifest holds, for any keyed or operator state header
// that decodes, what ManifestFromSavepoint promises: the savepoint checks
// against the manifest written from it with no finding above info. The
// header is a savepoint's inline keyed or operator state, read by
// savepoint.ReadStates and StatesFromDeep as check --deep reads it; the
// manifest goes through JSON and ReadManifest, as inspect -o manifest-json
// --deep writes it. Seeds: the headers at the start of the state files of
// the corpus and the fixtures.
func FuzzGeneratedManifest(f *testing.F) {
	seen := map[string]bool{}
	for _, root := range []string{corpus, fixtures} {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() == "_metadata" || len(seen) >= 96 {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return nil
			}
			n := 0
			if h, k, err := metadata.DecodeKeyedHeader(b, nil); err == nil && len(h.States) > 0 {
				n = k
			} else if h, k, err := metadata.DecodeOperatorHeader(b, nil); err == nil && len(h.OperatorStates)+len(h.BroadcastStates) > 0 {
				n = k
			}
			if n > 0 && !seen[string(b[:n])] {
				seen[string(b[:n])] = true
				f.Add(b[:n])
			}
			return nil
		})
	}
	if len(seen) < 10 {
		f.Fatalf("%d keyed headers in the corpus and fixtures", len(seen))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, _, err := metadata.DecodeKeyedHeader(b, nil); err == nil {
			checkOwnManifest(t, keyedInline(b))
		}
		if _, _, err := metadata.DecodeOperatorHeader(b, nil); err == nil {
			checkOwnManifest(t, operatorInline(b))
		}
	})
}

var fuzzOp = metadata.OperatorIDFromUID("op")

// keyedInline is a savepoint whose one operator has the bytes b as inline
// keyed state, every key group starting after them.
func keyedInline(b []byte) *metadata.Metadata {
	offsets := make([]int64, 128)
	for i := range offsets {
		offsets[i] = int64(len(b))
	}
	return &metadata.Metadata{Version: 5, Operators: []metadata.OperatorState{{
		ID: fuzzOp, UID: "op", Parallelism: 1, MaxParallelism: 128,
		Subtasks: []metadata.SubtaskState{{ManagedKeyedState: &metadata.KeyGroupsHandle{Tag_: metadata.TagSavepointKeyGroupsHandle,
			Range: metadata.KeyGroupRange{Start: 0, Count: 128}, Offsets: offsets,
			Delegate: &metadata.ByteStreamHandle{Name: "k", Data: b}}}},
	}}}
}

// operatorInline is a savepoint whose one operator has the bytes b as
// inline operator state.
func operatorInline(b []byte) *metadata.Metadata {
	return &metadata.Metadata{Version: 5, Operators: []metadata.OperatorState{{
		ID: fuzzOp, UID: "op", Parallelism: 1, MaxParallelism: 128,
		Subtasks: []metadata.SubtaskState{{ManagedOperatorState: []*metadata.OperatorStreamHandle{{
			Delegate: &metadata.ByteStreamHandle{Name: "o", Data: b}}}}},
	}}}
}

// checkOwnManifest reads the states of m as check --deep does, writes the
// manifest inspect -o manifest-json --deep writes, and checks m against
// it: nothing above info.
func checkOwnManifest(t *testing.T, m *metadata.Metadata) {
	t.Helper()
	res, err := savepoint.ReadStates(context.Background(), &savepoint.Savepoint{Metadata: m}, savepoint.DeepOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) > 0 {
		return // Problems make check --deep's verdict unknown, as they should.
	}
	checkAgainstOwnManifest(t, m, StatesFromDeep(res))
}

// checkAgainstOwnManifest writes the manifest of m (with states, as deep
// mode read them, or none), reads it back from JSON and checks m against
// it: nothing above info.
func checkAgainstOwnManifest(t *testing.T, m *metadata.Metadata, states compare.SavepointStates) {
	t.Helper()
	gm := compare.ManifestFromSavepoint(m, compare.ManifestOptions{States: states})
	js, err := json.Marshal(gm)
	if err != nil {
		t.Fatalf("manifest does not marshal: %v", err)
	}
	g, err := compare.ReadManifest(js, "generated")
	if err != nil {
		t.Fatalf("generated manifest does not read: %v\n%s", err, js)
	}
	r := compare.Check(m, "mem:/sp", g, compare.Options{States: states})
	for _, fd := range r.Findings {
		if fd.Severity > compare.Info {
			t.Fatalf("the savepoint against its own manifest: %s %s: %s\n%s", fd.Rule, fd.Severity, fd.Message, js)
		}
	}
}

// FuzzGeneratedManifestMetadata holds the same promise without deep mode,
// for any _metadata that decodes: the operators, uids, parallelism and
// max parallelism inspect -o manifest writes check against the savepoint
// with no finding above info. Seeds: the small _metadata files of the
// corpus and the fixtures.
func FuzzGeneratedManifestMetadata(f *testing.F) {
	n := 0
	for _, root := range []string{corpus, fixtures} {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() != "_metadata" || n >= 48 {
				return nil
			}
			if b, err := os.ReadFile(p); err == nil && len(b) <= 16<<10 {
				f.Add(b)
				n++
			}
			return nil
		})
	}
	if n < 10 {
		f.Fatalf("%d small _metadata files in the corpus and fixtures", n)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := metadata.Decode(b); err == nil {
			checkAgainstOwnManifest(t, m, nil)
		}
	})
}
