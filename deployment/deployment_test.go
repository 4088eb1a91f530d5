package deployment

import (
	"os"
	"strings"
	"testing"
)

func TestReadFlinkDeployment(t *testing.T) {
	b, err := os.ReadFile("testdata/flinkdeployment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d, err := Read(b, "flinkdeployment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if d.Kind != "FlinkDeployment" || d.Name != "orders" || d.Namespace != "streaming" || d.FlinkVersion != "2.0" ||
		d.Parallelism != 4 || d.MaxParallelism != 128 || d.AllowNonRestoredState ||
		d.Savepoint != "s3://flink/savepoints/savepoint-4f2a1c-0123456789ab" ||
		d.SavepointFrom != "status.jobStatus.upgradeSnapshotReference.path" || len(d.Notes) != 1 {
		t.Errorf("%+v", d)
	}
}

func TestReadVariants(t *testing.T) {
	const head = "apiVersion: flink.apache.org/v1beta1\nkind: FlinkSessionJob\nmetadata: {name: j}\nspec:\n  deploymentName: session\n"
	for _, tc := range []struct {
		name, yaml string
		from, sp   string
		anrs       bool
		err        string
	}{
		{"initial path", head + "  job: {initialSavepointPath: 'hdfs:///sp/1', allowNonRestoredState: true}\n", "spec.job.initialSavepointPath", "hdfs:///sp/1", true, ""},
		{"state reference wins", head + "  job: {initialSavepointPath: /a, initialStateReference: {path: /b}}\n", "spec.job.initialStateReference.path", "/b", false, ""},
		{"reference by name", head + "  job: {initialStateReference: {name: snap-1}}\n", "", "", false, "FlinkStateSnapshot \"snap-1\""},
		{"old status", head + "  job: {parallelism: 2}\nstatus:\n  jobStatus:\n    savepointInfo:\n      lastSavepoint: {location: /old}\n", "status.jobStatus.savepointInfo.lastSavepoint.location", "/old", false, ""},
		{"ignore-unclaimed-state", head + "  flinkConfiguration: {execution.savepoint.ignore-unclaimed-state: 'true'}\n  job: {}\n", "", "", true, ""},
		{"list", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: flink.apache.org/v1beta1\n  kind: FlinkDeployment\n  metadata: {name: x}\n  spec:\n    job: {initialSavepointPath: /x}\n", "spec.job.initialSavepointPath", "/x", false, ""},
		{"two", head + "  job: {}\n---\n" + head + "  job: {}\n", "", "", false, "2 resources"},
		{"none", "apiVersion: v1\nkind: ConfigMap\n", "", "", false, "no FlinkDeployment or FlinkSessionJob"},
		{"no job", head, "", "", false, "has no spec.job"},
		{"bad yaml", "kind: [", "", "", false, "not valid YAML"},
		{"bad max parallelism", head + "  flinkConfiguration: {pipeline.max-parallelism: lots}\n  job: {}\n", "", "", false, "is not a number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Read([]byte(tc.yaml), "f.yaml")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), "f.yaml:") {
					t.Fatalf("error %v, want one containing %q naming the file", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.SavepointFrom != tc.from || d.Savepoint != tc.sp || d.AllowNonRestoredState != tc.anrs {
				t.Errorf("%+v", d)
			}
		})
	}
}

// The table.* keys of flinkConfiguration decide a SQL plan's uids.
func TestReadTableConfig(t *testing.T) {
	y := "apiVersion: flink.apache.org/v1beta1\nkind: FlinkSessionJob\nmetadata: {name: j}\nspec:\n  deploymentName: s\n" +
		"  flinkConfiguration: {table.exec.uid.format: '<id>_<type>_<version>_<transformation>', pipeline.max-parallelism: 128}\n  job: {}\n"
	d, err := Read([]byte(y), "j.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.TableConfig) != 1 || d.TableConfig["table.exec.uid.format"] != "<id>_<type>_<version>_<transformation>" {
		t.Errorf("table config %v", d.TableConfig)
	}
}

// Errors point at the value in the file (name:line:column), and a key of
// spec.job that JobSpec does not have is noted with the closest field.
func TestReadPositions(t *testing.T) {
	const head = "apiVersion: flink.apache.org/v1beta1\nkind: FlinkSessionJob\nmetadata: {name: j}\nspec:\n  deploymentName: session\n"
	for _, tc := range []struct{ name, yaml, err string }{
		{"api version", "apiVersion: example.com/v1\nkind: FlinkDeployment\nmetadata: {name: j}\nspec:\n  job: {}\n",
			`f.yaml:1:13: FlinkDeployment/j has apiVersion "example.com/v1", not flink.apache.org/…`},
		{"max parallelism", head + "  flinkConfiguration:\n    pipeline.max-parallelism: lots\n  job: {}\n",
			`f.yaml:7:31: spec.flinkConfiguration pipeline.max-parallelism "lots" is not a number`},
		{"parallelism type", head + "  job:\n    parallelism: many\n",
			`f.yaml:7:18: "many" is not a valid int`},
		{"no job", head, "f.yaml:5:3: FlinkSessionJob/j has no spec.job"},
		{"snapshot by name", head + "  job:\n    initialStateReference: {name: snap-1}\n", `f.yaml:7:35: spec.job.initialStateReference names the FlinkStateSnapshot "snap-1"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read([]byte(tc.yaml), "f.yaml")
			if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
				t.Errorf("error %v\nwant %s…", err, tc.err)
			}
		})
	}
	d, err := Read([]byte(head+"  job:\n    initialSavepointPth: /sp\n    futureField: 1\n"), "f.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"f.yaml:7:5: spec.job.initialSavepointPth is not a field of the operator's JobSpec; it is ignored (did you mean initialSavepointPath?)",
		"f.yaml:8:5: spec.job.futureField is not a field of the operator's JobSpec; it is ignored",
	}
	if strings.Join(d.Notes, "\n") != strings.Join(want, "\n") {
		t.Errorf("notes\n%s\nwant\n%s", strings.Join(d.Notes, "\n"), strings.Join(want, "\n"))
	}
}
