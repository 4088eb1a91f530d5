package schemas_test

import (
	"bytes"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/spcheck/spcheck/schemas"
)

// Compile compiles one of the package's schemas; tests of other packages
// use it to validate their output.
func compile(t *testing.T, name string, data []byte) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(name, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return s
}

func TestSchemasCompile(t *testing.T) {
	compile(t, "jobgraph-v1.json", schemas.JobGraphV1)
	compile(t, "inspect-v1.json", schemas.InspectV1)
	compile(t, "check-v1.json", schemas.CheckV1)
	compile(t, "diff-v1.json", schemas.DiffV1)
	compile(t, "ls-v1.json", schemas.LsV1)
}
