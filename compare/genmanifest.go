package compare

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spcheck/spcheck/metadata"
)

// GeneratedManifest is a job-graph manifest (ManifestFormat, the schema
// schemas/jobgraph-v1.json) written from a savepoint: the job that wrote
// it, as far as restoring state is concerned. Checking the savepoint
// against it gives no finding above info.
type GeneratedManifest struct {
	Format    string              `json:"format" yaml:"format"`
	Job       string              `json:"job,omitempty" yaml:"job,omitempty"`
	Operators []GeneratedOperator `json:"operators" yaml:"operators"`
	// Notes say what the manifest could not express; the CLI writes them
	// as YAML comments (JSON has none), never into the manifest.
	Notes []string `json:"-" yaml:"-"`
}

// GeneratedOperator is one operator of a GeneratedManifest.
type GeneratedOperator struct {
	UID            string           `json:"uid,omitempty" yaml:"uid,omitempty"`
	UIDHash        string           `json:"uidHash,omitempty" yaml:"uidHash,omitempty"`
	ID             string           `json:"id,omitempty" yaml:"id,omitempty"`
	Name           string           `json:"name,omitempty" yaml:"name,omitempty"`
	Parallelism    int              `json:"parallelism,omitempty" yaml:"parallelism,omitempty"`
	MaxParallelism int              `json:"maxParallelism,omitempty" yaml:"maxParallelism,omitempty"`
	Stateful       bool             `json:"stateful" yaml:"stateful"`
	States         []GeneratedState `json:"states,omitempty" yaml:"states,omitempty"`
}

// GeneratedState is one state of a GeneratedOperator.
type GeneratedState struct {
	Name       string `json:"name" yaml:"name"`
	Kind       string `json:"kind,omitempty" yaml:"kind,omitempty"`
	Keyed      bool   `json:"keyed,omitempty" yaml:"keyed,omitempty"`
	Serializer string `json:"serializer,omitempty" yaml:"serializer,omitempty"`
	AvroSchema any    `json:"avroSchema,omitempty" yaml:"avroSchema,omitempty"`
}

// ManifestOptions are what ManifestFromSavepoint knows beyond the metadata.
type ManifestOptions struct {
	// Job names the job in the manifest.
	Job string
	// UIDs map operator IDs back to uids (inspect --uids).
	UIDs map[metadata.OperatorID]string
	// States are the savepoint's states as deep mode reads them; nil
	// writes no states.
	States SavepointStates
}

// ManifestFromSavepoint writes the manifest of the job that wrote m:
// every operator with its uid where known (stored by format version 5+,
// or given in opts.UIDs), its parallelism, max parallelism and whether it
// holds state; with opts.States, each state with its kind and serializer
// in the manifest's type syntax (metadata.SerializerSnapshot.TypeString,
// the form inspect --deep prints).
//
// An operator whose uid is not known is written by ID: a stateful one as
// uidHash, the ID Flink matches its state against and which the job keeps
// with .setUidHash (a stateful operator given by raw id alone would be
// SP005); a stateless one as id. A stored uid that does not hash to the
// operator's ID (the job pinned the ID with setUidHash) is written with
// the ID as uidHash.
//
// The max parallelism is written as if set explicitly: a savepoint does
// not say whether it was, and the explicit value is the one that must
// stay the same (SP010).
func ManifestFromSavepoint(m *metadata.Metadata, opts ManifestOptions) *GeneratedManifest {
	// Operators is never null: the schema wants an array, also for a
	// savepoint without operators.
	g := &GeneratedManifest{Format: ManifestFormat, Job: opts.Job, Operators: []GeneratedOperator{}}
	for i := range m.Operators {
		op := &m.Operators[i]
		o := GeneratedOperator{Name: op.Name, Parallelism: int(op.Parallelism), MaxParallelism: int(op.MaxParallelism),
			Stateful: op.HasState()}
		uid := op.UID
		if uid == "" {
			uid = opts.UIDs[op.ID]
		}
		switch {
		case uid != "":
			o.UID = uid
			if metadata.OperatorIDFromUID(uid) != op.ID {
				o.UIDHash = op.ID.String()
			}
		case o.Stateful:
			o.UIDHash = op.ID.String()
		default:
			o.ID = op.ID.String()
		}
		if o.Parallelism <= 0 || o.Parallelism > 32768 {
			o.Parallelism = 0
		}
		if o.MaxParallelism <= 0 || o.MaxParallelism > 32768 {
			o.MaxParallelism = 0
		}
		if info := opts.States[op.ID]; info != nil && o.Stateful {
			ref := op.ID.String()
			if o.UID != "" {
				ref = fmt.Sprintf("%s (uid %q)", ref, o.UID)
			}
			if info.Incomplete {
				g.Notes = append(g.Notes, fmt.Sprintf("operator %s: some state headers could not be read; its states may be incomplete", ref))
			}
			for j := range info.States {
				s, note := generatedState(info, &info.States[j])
				o.States = append(o.States, s)
				if note != "" {
					g.Notes = append(g.Notes, fmt.Sprintf("operator %s, state %q: %s", ref, s.Name, note))
				}
			}
		}
		g.Operators = append(g.Operators, o)
	}
	return g
}

// generatedState declares a savepoint state as the manifest does. The
// serializer is left out (with a note saying why) when spcheck cannot
// write it in a form its own comparison resolves as the same.
func generatedState(info *OperatorStateInfo, s *StateInfo) (GeneratedState, string) {
	out := GeneratedState{Name: s.Name, Kind: s.Kind, Keyed: s.Keyed && s.Kind != KindTimers}
	switch s.Kind {
	case KindUnknown, KindFolding:
		// Flink ≤1.5 headers do not record the kind; folding state is
		// gone since Flink 1.14 and has no manifest kind.
		out.Kind = ""
	case KindValue, KindMap, KindReducing, KindAggregating:
		// Keyed by kind; "keyed" is only needed for list states.
		out.Keyed = false
	}
	typ := StateTypeString(s)
	if typ == "" {
		return out, "the header gives no type"
	}
	if s.Keyed && s.Kind != KindTimers && info.KeySerializer != nil {
		typ += " keyed by " + info.KeySerializer.TypeString()
	}
	if avro := findAvro(s.Value); avro != nil {
		var v any
		if err := json.Unmarshal([]byte(avro.AvroSchema), &v); err == nil {
			out.AvroSchema = v
		}
	}
	d := StateDecl{Name: s.Name, Kind: out.Kind, Keyed: out.Keyed, Serializer: typ, AvroSchema: out.AvroSchema}
	if why := selfResolves(info, s, &d); why != "" {
		out.AvroSchema = nil
		return out, "serializer left out: " + why
	}
	out.Serializer = typ
	return out, ""
}

// StateTypeString is a state's type in the manifest's syntax, as inspect
// --deep prints it: the TypeString of its value serializer, Map<K, V> for
// broadcast states and Flink 2.x map states (whose key serializer is kept
// apart), with the TTL(…) wrapper when the state has time-to-live.
func StateTypeString(s *StateInfo) string {
	v := s.ValueType
	if s.Value != nil {
		v = s.Value.TypeString()
	}
	if v == "" {
		return ""
	}
	if s.Key != nil && (s.Kind == KindBroadcast || s.Kind == KindMap) {
		inner := v
		ttl := strings.HasPrefix(inner, "TTL(") && strings.HasSuffix(inner, ")")
		if ttl {
			inner = inner[len("TTL(") : len(inner)-1]
		}
		v = "Map<" + s.Key.TypeString() + ", " + inner + ">"
		if ttl {
			v = "TTL(" + v + ")"
		}
	}
	// A list or map state with TTL wraps its element or map value
	// (Map<String, TTL(Long)>, as the vocabulary writes it), a value state
	// its value.
	if s.TTL && !strings.HasPrefix(v, "TTL(") && (s.Value == nil || stripSnapshotTTL(s.Value) == s.Value) {
		v = "TTL(" + v + ")"
	}
	return v
}

// findAvro is the first Avro serializer snapshot in s, depth first.
func findAvro(s *metadata.SerializerSnapshot) *metadata.SerializerSnapshot {
	if s == nil {
		return nil
	}
	if s.Family == metadata.FamilyAvro && s.AvroSchema != "" {
		return s
	}
	for i := range s.Nested {
		if a := findAvro(&s.Nested[i]); a != nil {
			return a
		}
	}
	return nil
}

// selfResolves runs the state-level comparison of d against s and says
// why it is not "the same" ("" when it is).
func selfResolves(info *OperatorStateInfo, s *StateInfo, d *StateDecl) string {
	val, key, err := parseDeclared(d.Serializer)
	if err != nil {
		return err.Error()
	}
	if key != nil && info.KeySerializer != nil {
		r := &resolver{}
		if res := r.resolve(info.KeySerializer, key, ""); res.level != asIs {
			return "key: " + res.why
		}
	}
	if val.hasTTL() != s.TTL && s.Value != nil {
		return "TTL wrapper not recognised"
	}
	r := &resolver{avro: d.AvroSchema}
	if res := r.stateValue(s, val); res.level != asIs {
		return res.why
	}
	return ""
}
