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
		var r resource
		err := dec.Decode(&r)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// "yaml: line N: msg" → "name:N: not valid YAML: msg", the
			// form editors jump to.
			msg := err.Error()
			if m := yamlLine.FindStringSubmatch(msg); m != nil {
				return nil, fmt.Errorf("%s:%s: not valid YAML: %s", name, m[1], strings.TrimPrefix(msg, m[0]))
			}
			return nil, fmt.Errorf("%s: not valid YAML: %s", name, strings.TrimPrefix(msg, "yaml: "))
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
		return nil, fmt.Errorf("%s: %s/%s has apiVersion %q, not flink.apache.org/…", name, r.Kind, r.Metadata.Name, r.APIVersion)
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
		return nil, fmt.Errorf("%s: %s/%s has no spec.job: a session cluster without a job restores nothing", name, r.Kind, r.Metadata.Name)
	}
	d.Parallelism = job.Parallelism
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
			return nil, fmt.Errorf("%s: spec.flinkConfiguration pipeline.max-parallelism %q is not a number", name, v)
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
		return nil, fmt.Errorf("%s: spec.job.initialStateReference names the FlinkStateSnapshot %q, whose path is in the cluster: look it up (kubectl get flinkstatesnapshot %s -o jsonpath='{.status.path}') and pass it as LOCATION", name, ref.Name, ref.Name)
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
