package compare

import (
	"testing"

	"github.com/spcheck/spcheck/metadata"
)

// A state's type as inspect --deep and generated manifests write it: the
// TTL wrapper once, where Flink puts it (around a value state's value, a
// list state's element, a map state's value), so that the declaration reads
// back as the same state (a map state once read TTL(Map<K, TTL(V)>), which
// the comparison took for a TTL wrapper added).
func TestStateTypeStringTTL(t *testing.T) {
	long, str := metadata.SimpleSnapshot("Long"), metadata.SimpleSnapshot("String")
	list := metadata.ListSnapshot(long)
	for _, tc := range []struct {
		s    StateInfo
		want string
	}{
		{StateInfo{Name: "v", Kind: KindValue, Keyed: true, TTL: true, Value: ptr(metadata.TTLSnapshot(long))}, "TTL(Long)"},
		{StateInfo{Name: "v", Kind: KindValue, Keyed: true, TTL: true, Value: ptr(metadata.TTLSnapshot(list))}, "TTL(List<Long>)"},
		{StateInfo{Name: "l", Kind: KindList, Keyed: true, TTL: true, Value: ptr(metadata.ListSnapshot(metadata.TTLSnapshot(long)))}, "List<TTL(Long)>"},
		{StateInfo{Name: "m", Kind: KindMap, Keyed: true, TTL: true, Value: ptr(metadata.MapSnapshot(str, metadata.TTLSnapshot(list)))}, "Map<String, TTL(List<Long>)>"},
		{StateInfo{Name: "m", Kind: KindMap, Keyed: true, Value: ptr(metadata.MapSnapshot(str, long))}, "Map<String, Long>"},
		// Flink 2.x map states with the key serializer apart (KEY_VALUE_V2).
		{StateInfo{Name: "m", Kind: KindMap, Keyed: true, TTL: true, Key: &str, Value: ptr(metadata.TTLSnapshot(long))}, "TTL(Map<String, Long>)"},
	} {
		got := StateTypeString(&tc.s)
		if got != tc.want {
			t.Errorf("%s %s: %s, want %s", tc.s.Kind, tc.s.Name, got, tc.want)
		}
		// The declaration resolves as the savepoint's own state.
		info := &OperatorStateInfo{States: []StateInfo{tc.s}}
		d := StateDecl{Name: tc.s.Name, Kind: tc.s.Kind, Serializer: got}
		if why := selfResolves(info, &info.States[0], &d); why != "" {
			t.Errorf("%s: %s", got, why)
		}
	}
}

func ptr[T any](v T) *T { return &v }
