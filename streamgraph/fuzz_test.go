package streamgraph

import (
	"os"
	"testing"
)

// FuzzParseGraph reads stream graphs (JSON).
func FuzzParseGraph(f *testing.F) {
	f.Add([]byte(`{"nodes":[{"id":1,"name":"a"}],"edges":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseGraph(b)
	})
}

// FuzzParsePlan reads execution plans (the JSON of flink info).
func FuzzParsePlan(f *testing.F) {
	for _, p := range []string{"testdata/plan_stateful_udf.json", "testdata/flink_info_nonkeyed.txt"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParsePlan(b)
	})
}
