package deployment

import (
	"os"
	"testing"
)

// FuzzRead reads FlinkDeployment and FlinkSessionJob YAML.
func FuzzRead(f *testing.F) {
	if b, err := os.ReadFile("testdata/flinkdeployment.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("kind: List\nitems:\n  - &a {kind: FlinkDeployment}\n  - *a\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Read(b, "fuzz")
	})
}
