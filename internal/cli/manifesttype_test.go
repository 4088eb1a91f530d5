package cli

import "testing"

// inspect --deep prints a state's type as a manifest declares it
// (compare.StateTypeString): TTL once, on the value, element or map value.
func TestManifestType(t *testing.T) {
	for _, tc := range []struct {
		key, value string
		ttl        bool
		want       string
	}{
		{"", "TTL(Long)", true, "TTL(Long)"},
		{"", "Long", true, "TTL(Long)"},
		{"", "List<TTL(Long)>", true, "List<TTL(Long)>"},
		{"", "Map<STRING, TTL(INT)>", true, "Map<STRING, TTL(INT)>"},
		{"", "Map<STRING, INT>", false, "Map<STRING, INT>"},
		{"String", "TTL(Long)", true, "TTL(Map<String, Long>)"},
		{"String", "Long", false, "Map<String, Long>"},
		{"", "", true, "type unknown"},
	} {
		if got := manifestType(tc.key, tc.value, tc.ttl); got != tc.want {
			t.Errorf("manifestType(%q, %q, %v) = %q, want %q", tc.key, tc.value, tc.ttl, got, tc.want)
		}
	}
}
