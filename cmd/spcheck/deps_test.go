package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestDeps pins what the binary links (as crane's depcheck does): the
// default build reads GCS over net/http, so none of the heavy trees that
// Google's client library brings may come back, test servers and test
// oracles stay out, and each build tag leaves its driver's SDK out.
func TestDeps(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	deps := func(t *testing.T, tags string) []string {
		t.Helper()
		args := []string{"list", "-deps", "-f", "{{.ImportPath}}"}
		if tags != "" {
			args = append(args, "-tags", tags)
		}
		out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, out)
		}
		return strings.Fields(string(out))
	}
	forbid := func(t *testing.T, pkgs []string, prefixes ...string) {
		t.Helper()
		for _, p := range pkgs {
			for _, f := range prefixes {
				if p == f || strings.HasPrefix(p, f+"/") {
					t.Errorf("the binary links %s", p)
				}
			}
		}
	}
	def := deps(t, "")
	forbid(t, def,
		"cloud.google.com/go/storage", "google.golang.org/grpc", "go.opentelemetry.io", "github.com/envoyproxy",
		"google.golang.org/api", "github.com/fsouza/fake-gcs-server", "github.com/minio", "github.com/stretchr/testify",
		"github.com/spcheck/spcheck/internal/testserver",
		// Tests compare internal/schemacheck with it; linked, it compiled
		// five drafts' meta-schemas at every start (5 ms).
		"github.com/santhosh-tekuri/jsonschema")
	for _, want := range []string{"golang.org/x/oauth2/google", "github.com/aws/aws-sdk-go-v2/service/s3",
		"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob", "github.com/colinmarc/hdfs/v2"} {
		found := false
		for _, p := range def {
			found = found || p == want
		}
		if !found {
			t.Errorf("the default binary does not link %s", want)
		}
	}
	forbid(t, deps(t, "nos3,nogcs,noazure,nohdfs"),
		"github.com/aws", "golang.org/x/oauth2", "github.com/Azure", "github.com/colinmarc/hdfs",
		"github.com/spcheck/spcheck/savepoint/objstore")
}

// TestNoCgo holds that the binary needs no cgo: with cgo on, only the
// standard library's optional cgo parts (name lookups, the runtime's
// glue) have any, which a build with CGO_ENABLED=0 (make build, the
// README's go install) leaves out.
func TestNoCgo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if .CgoFiles}}{{.ImportPath}} {{.Standard}}{{end}}", ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if pkg, std, _ := strings.Cut(line, " "); line != "" && std != "true" {
			t.Errorf("%s uses cgo", pkg)
		}
	}
}
