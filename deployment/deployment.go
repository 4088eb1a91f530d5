// Package deployment reads what a restore needs from a Flink Kubernetes
// Operator resource (FlinkDeployment or FlinkSessionJob, apiVersion
// flink.apache.org/v1beta1): the savepoint it restores from, whether it
// allows non-restored state, and its parallelism.
//
// Field names follow the operator's CRD classes (flink-kubernetes-operator-api:
// spec/JobSpec.java, spec/FlinkStateSnapshotReference.java,
// status/JobStatus.java, status/SavepointInfo.java).
package deployment

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/spcheck/spcheck/internal/safeparse"
	"github.com/spcheck/spcheck/internal/suggest"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// A Deployment is the restore-relevant part of one resource.
type Deployment struct {
	Kind      string // FlinkDeployment or FlinkSessionJob
	Name      string
	Namespace string
	// Savepoint is the location the job restores from, and SavepointFrom
	// the field it was taken from; empty when the resource names none.
	Savepoint     string
	SavepointFrom string
	// AllowNonRestoredState is spec.job.allowNonRestoredState, or the
	// ignore-unclaimed-state setting of spec.flinkConfiguration.
	AllowNonRestoredState bool
	// Parallelism is spec.job.parallelism (0: not set).
	Parallelism int
	// MaxParallelism is pipeline.max-parallelism from
	// spec.flinkConfiguration (0: not set).
	MaxParallelism int
	// FlinkVersion is spec.flinkVersion as "1.19" (FlinkDeployment only).
	FlinkVersion string
	// TableConfig holds the table.* keys of spec.flinkConfiguration
	// (table.exec.uid.format, …), which decide a SQL plan's operator uids.
	TableConfig map[string]string
	// Notes explain choices made, for the user.
	Notes []string
}

type resource struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name      string `yaml:"name"`
		Namespace string `yaml:"namespace"`
	} `yaml:"metadata"`
	Spec struct {
		FlinkVersion       string         `yaml:"flinkVersion"`
		FlinkConfiguration map[string]any `yaml:"flinkConfiguration"`
		Job                *jobSpec       `yaml:"job"`
		DeploymentName     string         `yaml:"deploymentName"`
		Extra              map[string]any `yaml:",inline"`
	} `yaml:"spec"`
	Status struct {
		JobStatus struct {
			UpgradeSnapshotReference *snapshotRef `yaml:"upgradeSnapshotReference"`
			SavepointInfo            *struct {
				LastSavepoint *struct {
					Location string `yaml:"location"`
				} `yaml:"lastSavepoint"`
			} `yaml:"savepointInfo"`
		} `yaml:"jobStatus"`
	} `yaml:"status"`
	Items []resource `yaml:"items"`

	// node is the resource's mapping, for positions in errors.
	node *yaml.Node
}

type jobSpec struct {
	Parallelism           int          `yaml:"parallelism"`
	InitialSavepointPath  string       `yaml:"initialSavepointPath"`
	InitialStateReference *snapshotRef `yaml:"initialStateReference"`
	AllowNonRestoredState *bool        `yaml:"allowNonRestoredState"`
	UpgradeMode           string       `yaml:"upgradeMode"`
}

type snapshotRef struct {
	Namespace string `yaml:"namespace"`
	Name      string `yaml:"name"`
	Path      string `yaml:"path"`
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// Read reads one FlinkDeployment or FlinkSessionJob from YAML (or JSON):
// a single resource, a multi-document file, or a kubectl List, holding
// exactly one such resource. name is used in errors.
func Read(data []byte, name string) (*Deployment, error) {
	var found []resource
	if err := safeparse.CheckYAML(data); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// "yaml: line N: msg" → "name:N: not valid YAML: msg", the
			// form editors jump to (the YAML parser reports no column).
			msg := err.Error()
			if m := yamlLine.FindStringSubmatch(msg); m != nil {
				return nil, fmt.Errorf("%s:%s: not valid YAML: %s", name, m[1], strings.TrimPrefix(msg, m[0]))
			}
			return nil, fmt.Errorf("%s: not valid YAML: %s", name, strings.TrimPrefix(msg, "yaml: "))
		}
		var r resource
		if err := doc.Decode(&r); err != nil {
			return nil, typeError(name, &doc, err)
		}
		root := &doc
		if len(doc.Content) > 0 {
			root = doc.Content[0]
		}
		r.node = root
		for i := range r.Items {
			if items := child(root, "items"); items != nil && i < len(items.Content) {
				r.Items[i].node = items.Content[i]
			}
		}
		for _, x := range append([]resource{r}, r.Items...) {
			if x.Kind == "FlinkDeployment" || x.Kind == "FlinkSessionJob" {
				found = append(found, x)
			}
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%s: no FlinkDeployment or FlinkSessionJob in the file", name)
	case 1:
	default:
		var names []string
		for _, r := range found {
			names = append(names, r.Kind+"/"+r.Metadata.Name)
		}
		return nil, fmt.Errorf("%s: %d resources (%s); pass a file with one", name, len(found), strings.Join(names, ", "))
	}
	r := found[0]
	if !strings.HasPrefix(r.APIVersion, "flink.apache.org/") {
		return nil, fmt.Errorf("%s: %s/%s has apiVersion %q, not flink.apache.org/…", pos(name, r.node, "apiVersion"), r.Kind, r.Metadata.Name, r.APIVersion)
	}
	d := &Deployment{Kind: r.Kind, Name: r.Metadata.Name, Namespace: r.Metadata.Namespace}
	if v := r.Spec.FlinkVersion; v != "" {
		d.FlinkVersion = strings.ReplaceAll(strings.TrimPrefix(strings.ToLower(v), "v"), "_", ".")
	}
	conf := map[string]string{}
	for k, v := range r.Spec.FlinkConfiguration {
		conf[k] = fmt.Sprint(v)
	}
	job := r.Spec.Job
	if job == nil {
		return nil, fmt.Errorf("%s: %s/%s has no spec.job: a session cluster without a job restores nothing", pos(name, r.node, "spec"), r.Kind, r.Metadata.Name)
	}
	d.Parallelism = job.Parallelism
	d.Notes = append(d.Notes, unknownJobFields(name, child(child(r.node, "spec"), "job"))...)
	for k, v := range conf {
		if strings.HasPrefix(k, "table.") {
			if d.TableConfig == nil {
				d.TableConfig = map[string]string{}
			}
			d.TableConfig[k] = v
		}
	}
	if v, ok := conf["pipeline.max-parallelism"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("%s: spec.flinkConfiguration pipeline.max-parallelism %q is not a number", pos(name, r.node, "spec", "flinkConfiguration", "pipeline.max-parallelism"), v)
		}
		d.MaxParallelism = n
	}
	switch {
	case job.AllowNonRestoredState != nil:
		d.AllowNonRestoredState = *job.AllowNonRestoredState
	case conf["execution.state-recovery.ignore-unclaimed-state"] != "":
		d.AllowNonRestoredState = conf["execution.state-recovery.ignore-unclaimed-state"] == "true"
	case conf["execution.savepoint.ignore-unclaimed-state"] != "":
		d.AllowNonRestoredState = conf["execution.savepoint.ignore-unclaimed-state"] == "true"
	}

	// Which savepoint the job restores from: the one the spec names for a
	// first deployment or a redeploy, else the one the operator recorded
	// to upgrade from.
	switch ref := job.InitialStateReference; {
	case ref != nil && ref.Path != "":
		d.Savepoint, d.SavepointFrom = ref.Path, "spec.job.initialStateReference.path"
	case ref != nil && ref.Name != "":
		return nil, fmt.Errorf("%s: spec.job.initialStateReference names the FlinkStateSnapshot %q, whose path is in the cluster: look it up (kubectl get flinkstatesnapshot %s -o jsonpath='{.status.path}') and pass it as LOCATION", pos(name, r.node, "spec", "job", "initialStateReference", "name"), ref.Name, ref.Name)
	case job.InitialSavepointPath != "":
		d.Savepoint, d.SavepointFrom = job.InitialSavepointPath, "spec.job.initialSavepointPath"
	}
	js := r.Status.JobStatus
	if d.Savepoint == "" && js.UpgradeSnapshotReference != nil && js.UpgradeSnapshotReference.Path != "" {
		d.Savepoint, d.SavepointFrom = js.UpgradeSnapshotReference.Path, "status.jobStatus.upgradeSnapshotReference.path"
	}
	if d.Savepoint == "" && js.SavepointInfo != nil && js.SavepointInfo.LastSavepoint != nil && js.SavepointInfo.LastSavepoint.Location != "" {
		d.Savepoint, d.SavepointFrom = js.SavepointInfo.LastSavepoint.Location, "status.jobStatus.savepointInfo.lastSavepoint.location"
	}
	if d.SavepointFrom != "" && strings.HasPrefix(d.SavepointFrom, "status.") && job.UpgradeMode == "savepoint" {
		d.Notes = append(d.Notes, "with upgradeMode savepoint the operator takes a new savepoint when it upgrades; the last recorded one stands in for it")
	}
	return d, nil
}

// child is the value of key in mapping n, or nil.
func child(n *yaml.Node, key string) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// pos is "name:line:column" of the value at path below n, or of the
// deepest part of the path that is written; name alone without a node.
func pos(name string, n *yaml.Node, path ...string) string {
	if n == nil {
		return name
	}
	for _, p := range path {
		c := child(n, p)
		if c == nil {
			break
		}
		n = c
	}
	return fmt.Sprintf("%s:%d:%d", name, n.Line, n.Column)
}

var unmarshalLine = regexp.MustCompile(`line (\d+): cannot unmarshal !!\w+ ` + "`" + `([^` + "`" + `]*)` + "`" + ` into (\S+)`)

// typeError turns yaml's "cannot unmarshal" error into one naming the
// line and column of the offending value.
func typeError(name string, doc *yaml.Node, err error) error {
	m := unmarshalLine.FindStringSubmatch(err.Error())
	if m == nil {
		return fmt.Errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	line, _ := strconv.Atoi(m[1])
	col := 0
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		if col != 0 || n == nil {
			return
		}
		if n.Line == line && n.Kind == yaml.ScalarNode && strings.HasPrefix(n.Value, strings.TrimSuffix(m[2], "...")) {
			col = n.Column
			return
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(doc)
	what := strings.TrimPrefix(m[3], "deployment.")
	if col == 0 {
		return fmt.Errorf("%s:%d: %q is not a valid %s", name, line, m[2], what)
	}
	return fmt.Errorf("%s:%d:%d: %q is not a valid %s", name, line, col, m[2], what)
}

// jobSpecFields are the fields of the operator's JobSpec
// (flink-kubernetes-operator-api spec/JobSpec.java, release 1.10).
var jobSpecFields = []string{"jarURI", "parallelism", "entryClass", "args", "state", "savepointTriggerNonce",
	"initialSavepointPath", "checkpointTriggerNonce", "upgradeMode", "allowNonRestoredState",
	"savepointRedeployNonce", "autoscalerResetNonce", "initialStateReference"}

// unknownJobFields notes the keys of spec.job that JobSpec does not have,
// with the closest field: a misspelt initialSavepointPath would otherwise
// silently check another savepoint. A note, not an error: a newer operator
// may add fields.
func unknownJobFields(name string, job *yaml.Node) []string {
	if job == nil || job.Kind != yaml.MappingNode {
		return nil
	}
	var notes []string
	for i := 0; i+1 < len(job.Content); i += 2 {
		k := job.Content[i]
		known := false
		for _, f := range jobSpecFields {
			if f == k.Value {
				known = true
			}
		}
		if known {
			continue
		}
		msg := fmt.Sprintf("%s:%d:%d: spec.job.%s is not a field of the operator's JobSpec; it is ignored", name, k.Line, k.Column, k.Value)
		if c := suggest.Closest(k.Value, jobSpecFields); c != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", c)
		}
		notes = append(notes, msg)
	}
	return notes
}
