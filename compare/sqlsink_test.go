package compare

import (
	"encoding/json"
	"testing"
)

// sinkNode returns a stream-exec-sink node with the given JSON fields, in a
// plan of Flink run that the same Flink runs ("": not known).
func sinkNode(run string, fields map[string]string) *planNode {
	p := &sqlPlan{flinkVersion: run}
	n := &planNode{plan: p, typ: "stream-exec-sink_2", name: "stream-exec-sink", version: 2, fields: map[string]json.RawMessage{}}
	for k, v := range fields {
		n.fields[k] = json.RawMessage(v)
	}
	return n
}

// Which materializer's states the sink's plan entry stands for, by the plan's
// fields and the running Flink (StreamExecSink.createSumOperator, 2.2.0 and
// 2.3.0); the real files of each are in testdata/oracle/*/sink-materializer
// (TestSinkMaterializerOracle).
func TestSQLSinkState(t *testing.T) {
	for _, tc := range []struct {
		run    string
		fields map[string]string
		want   string // the descriptors, "" for no mapping
	}{
		{"2.1", nil, `"values"`},
		{"2.3", nil, `"values"`},
		{"", nil, `"values"`},
		{"2.2", map[string]string{"upsertMaterializeStrategy": `"LEGACY"`}, `"values"`},
		{"2.2", map[string]string{"upsertMaterializeStrategy": `"VALUE"`}, `"list"`},
		{"2.3", map[string]string{"upsertMaterializeStrategy": `"MAP"`}, `"rowToSqnState", "sqnToNodeState", "highestSqnState"`},
		{"2.3", map[string]string{"upsertMaterializeStrategy": `"ADAPTIVE"`}, `"list", "rowToSqnState", "sqnToNodeState", "highestSqnState"`},
		{"2.3", map[string]string{"upsertMaterializeStrategy": `"FUTURE"`}, ""},
		// A Flink before 2.2 has no such field; nor knows spcheck which Flink runs it.
		{"2.1", map[string]string{"upsertMaterializeStrategy": `"MAP"`}, ""},
		{"", map[string]string{"upsertMaterializeStrategy": `"MAP"`}, ""},
		{"2.3", map[string]string{"conflictStrategy": `{"behavior": "ERROR"}`}, `"watermark-buffer", "current-value", "consolidated-checkpoint-id"`},
		{"2.3", map[string]string{"conflictStrategy": `{"behavior": "NOTHING"}`, "upsertMaterializeStrategy": `"MAP"`}, `"watermark-buffer", "current-value", "consolidated-checkpoint-id"`},
		{"2.3", map[string]string{"conflictStrategy": `{"behavior": "DEDUPLICATE"}`, "upsertMaterializeStrategy": `"MAP"`}, `"rowToSqnState", "sqnToNodeState", "highestSqnState"`},
		{"2.3", map[string]string{"conflictStrategy": `{"behavior": "DEDUPLICATE"}`}, `"values"`},
		// ON CONFLICT came with 2.3.
		{"2.2", map[string]string{"conflictStrategy": `{"behavior": "DEDUPLICATE"}`}, ""},
		{"2.3", map[string]string{"conflictStrategy": `{"behavior": "REPLACE"}`}, ""},
		// A Flink after 2.3 may register others.
		{"2.4", nil, ""},
	} {
		n := sinkNode(tc.run, tc.fields)
		got := ""
		if m := sqlStateMapFor(n, "sinkMaterializeState", tc.run); m != nil {
			got = m.names()
		}
		if got != tc.want {
			t.Errorf("Flink %q, %v: %s, want %s", tc.run, tc.fields, got, tc.want)
		}
		if m := sqlStateMapFor(n, "otherState", tc.run); m != nil {
			t.Errorf("Flink %q, %v: otherState mapped to %s", tc.run, tc.fields, m.names())
		}
	}
}

// The materializer and, for ON CONFLICT DO ERROR or NOTHING, the watermark
// timestamp assigner before it: Flink 2.3 materializes an insert-only input
// too (CommonExecSink.java:205 in 2.3.0; before, :190 in 2.2.0).
func TestSinkMaterializerTransformations(t *testing.T) {
	for _, tc := range []struct {
		run, modes, conflict  string
		materialize, assigner presence
	}{
		{"2.2", `["INSERT"]`, "", absent, absent},
		{"2.3", `["INSERT"]`, "", present, absent},
		{"", `["INSERT"]`, "", maybe, absent},
		{"2.2", `["INSERT", "UPDATE_AFTER"]`, "", present, absent},
		{"2.3", `["INSERT"]`, `{"behavior": "ERROR"}`, present, present},
		{"2.3", `["INSERT", "UPDATE_AFTER"]`, `{"behavior": "NOTHING"}`, present, present},
		{"2.3", `["INSERT", "UPDATE_AFTER"]`, `{"behavior": "DEDUPLICATE"}`, present, absent},
		{"2.2", `["INSERT", "UPDATE_AFTER"]`, `{"behavior": "ERROR"}`, present, absent},
	} {
		f := map[string]string{"requireUpsertMaterialize": "true", "inputChangelogMode": tc.modes}
		if tc.conflict != "" {
			f["conflictStrategy"] = tc.conflict
		}
		n := sinkNode(tc.run, f)
		if got := sinkUpsertMaterialize(n); got != tc.materialize {
			t.Errorf("Flink %q, %s %s: materializer %v, want %v", tc.run, tc.modes, tc.conflict, got, tc.materialize)
		}
		if got := sinkWatermarkTimestampAssigner(n); got != tc.assigner {
			t.Errorf("Flink %q, %s %s: assigner %v, want %v", tc.run, tc.modes, tc.conflict, got, tc.assigner)
		}
		delete(f, "requireUpsertMaterialize")
		if n := sinkNode(tc.run, f); sinkUpsertMaterialize(n) != absent || sinkWatermarkTimestampAssigner(n) != absent {
			t.Errorf("Flink %q, %s %s: a sink without requireUpsertMaterialize materializes", tc.run, tc.modes, tc.conflict)
		}
	}
}
