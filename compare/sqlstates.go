package compare

import (
	"regexp"
	"strings"
)

// A compiled plan's "state" array (StateMetadata, Flink 1.18+) names the
// states of an exec node for the planner only: the entry's name
// (groupAggregateState, leftState) is a planner constant, not the name of a
// state descriptor, and its only use is the TTL the runtime operator gives
// its descriptors (StateMetadata.getStateTtlForOneInputOperator and
// getStateTtlForMultiInputOperator). The savepoint holds the descriptors'
// names (accState, left-records). This file maps each plan entry to the
// descriptors the runtime operator registers for it, read from Flink's
// planner and runtime sources (paths under flink-table/; lines at the 2.0
// fork 1996fanrui/flink b48ccce1, the same names at 1.16, GangYang-HX/flink
// 810eb1e6):
//
//   - flink-table-planner/.../exec/stream/StreamExec*.java: the STATE_NAME
//     constants (StreamExecGroupAggregate.java:91 and the like).
//   - flink-table-planner/.../typeutils/DataViewUtils.java:132,138: an
//     aggregate's data views are named "agg<i>$<field>" and distinct views
//     "distinctAcc_<i>"; flink-table-runtime/.../dataview/
//     PerKeyStateDataViewStore.java:39 adds "<view>_null_state" for a map
//     view with nullable keys. Their TTL depends on the function (the
//     local aggregate of MiniBatchGlobalGroupAggFunction.java:122 opens its
//     views without TTL), so it is not compared.
//
// A node type, node version or state entry without a mapping here gets no
// name comparison at all: its plan states are not declared, so neither
// SP050 nor SP051 can fire for it.

// sqlDescriptor is a state descriptor a runtime operator registers.
type sqlDescriptor struct {
	name string
	// ttl says the descriptor gets the plan entry's TTL (enableTimeToLive
	// with the StateTtlConfig built from it).
	ttl bool
}

// sqlStateMap is what one plan state entry stands for.
type sqlStateMap struct {
	// descriptors are the states the operator may register for the entry
	// (variants of one function, e.g. the rank functions, are alternatives).
	descriptors []sqlDescriptor
	// dataViews: the entry also covers the aggregate's data views.
	dataViews bool
	// source cites where the names come from.
	source string
}

// sqlDataViewRE matches the state names of an aggregate's data views.
var sqlDataViewRE = regexp.MustCompile(`^(agg[0-9]+\$.+|distinctAcc_[0-9]+)$`)

func (m *sqlStateMap) covers(name string) (ttl, ok bool) {
	for _, d := range m.descriptors {
		if d.name == name {
			return d.ttl, true
		}
	}
	if m.dataViews {
		base := strings.TrimSuffix(name, "_null_state")
		if sqlDataViewRE.MatchString(base) {
			return false, true
		}
	}
	return false, false
}

// names lists the descriptor names for messages.
func (m *sqlStateMap) names() string {
	var s []string
	for _, d := range m.descriptors {
		s = append(s, `"`+d.name+`"`)
	}
	if m.dataViews {
		s = append(s, "the aggregate's data views")
	}
	return strings.Join(s, ", ")
}

var (
	sqlAccState = sqlStateMap{descriptors: []sqlDescriptor{{"accState", true}}, dataViews: true}
	// The rank functions StreamExecRank.translateToPlanInternal chooses
	// from (flink-table-runtime/.../operators/rank/): AppendOnlyTopNFunction.java:112,
	// AppendOnlyFirstNFunction.java:72, FastTop1Function.java:109,
	// RetractableTopNFunction.java:122,129, UpdatableTopNFunction.java:160,
	// and AbstractTopNFunction.java:147 for a variable rank end.
	sqlRankState = sqlStateMap{descriptors: []sqlDescriptor{
		{"data-state-with-append", true}, {"counterState", true}, {"Top1-Rank-State", true},
		{"data-state", true}, {"sorted-map", true}, {"data-state-with-update", true}, {"rankEnd", true},
	}, source: "StreamExecRank.java:100; the rank functions' descriptors"}
)

// sqlStateMaps maps exec node type (name_version) and plan state name to
// the operator's descriptors.
var sqlStateMaps = map[string]map[string]sqlStateMap{
	// GroupAggFunction.java:115, MiniBatchGroupAggFunction.java:140.
	"stream-exec-group-aggregate_1": {"groupAggregateState": withSource(sqlAccState, "StreamExecGroupAggregate.java:91; GroupAggFunction.java:115, MiniBatchGroupAggFunction.java:140")},
	// MiniBatchGlobalGroupAggFunction.java:132.
	"stream-exec-global-group-aggregate_1": {"globalGroupAggregateState": withSource(sqlAccState, "StreamExecGlobalGroupAggregate.java:93; MiniBatchGlobalGroupAggFunction.java:132")},
	// MiniBatchIncrementalGroupAggFunction.java:85,88: data views only.
	"stream-exec-incremental-group-aggregate_1": {"incrementalGroupAggregateState": {dataViews: true, source: "StreamExecIncrementalGroupAggregate.java:90; MiniBatchIncrementalGroupAggFunction.java:85,88"}},
	// AbstractStreamingJoinOperator.java:41,42 (and the async-state
	// variant's AbstractAsyncStateStreamingJoinOperator.java:42,43); value
	// or map state by the input's unique key (JoinRecordStateViews.java:83,129,165).
	"stream-exec-join_1": {
		"leftState":  {descriptors: []sqlDescriptor{{"left-records", true}}, source: "StreamExecJoin.java:84; AbstractStreamingJoinOperator.java:41"},
		"rightState": {descriptors: []sqlDescriptor{{"right-records", true}}, source: "StreamExecJoin.java:86; AbstractStreamingJoinOperator.java:42"},
	},
	// DeduplicateFunctionBase.java:61, MiniBatchDeduplicateFunctionBase.java:57.
	"stream-exec-deduplicate_1": {"deduplicateState": {descriptors: []sqlDescriptor{{"deduplicate-state", true}}, source: "StreamExecDeduplicate.java:98; DeduplicateFunctionBase.java:61"}},
	// The keep-last-row deduplicate functions (same bases).
	"stream-exec-changelog-normalize_1": {"changelogNormalizeState": {descriptors: []sqlDescriptor{{"deduplicate-state", true}}, source: "StreamExecChangelogNormalize.java:84; DeduplicateFunctionBase.java:61"}},
	"stream-exec-rank_1":                {"rankState": sqlRankState},
	"stream-exec-limit_1":               {"rankState": sqlRankState},
	"stream-exec-sort-limit_1":          {"rankState": sqlRankState},
	// KeyedLookupJoinWrapper.java:91,98.
	"stream-exec-lookup-join_1": {"lookupJoinState": {descriptors: []sqlDescriptor{{"unique-value", true}, {"values", true}}, source: "StreamExecLookupJoin.java:86; KeyedLookupJoinWrapper.java:91,98"}},
	// stream-exec-sink: sqlSinkState.
}

func withSource(m sqlStateMap, source string) sqlStateMap {
	m.source = source
	return m
}

// sqlStateMapFor returns the mapping of node n's plan state entry name for
// the Flink version that runs the plan ("" when unknown), or nil.
func sqlStateMapFor(n *planNode, name, flinkVersion string) *sqlStateMap {
	// The names were read from Flink 1.16 to 2.0 and checked in 2.2's and
	// 2.3's sources (the planner's STATE_NAME constants of these exec nodes
	// and the runtime classes cited above are the same in the 2.2.0 and
	// 2.3.0 sources jars, but for a bug fix in MiniBatchGroupAggFunction
	// that registers the same state); a later Flink may register others.
	if flinkVersion != "" && !olderThan(flinkVersion, 2, 4) {
		return nil
	}
	if n.name == "stream-exec-sink" {
		return sqlSinkState(n, name, flinkVersion)
	}
	if n.typ == "stream-exec-multi-join_1" {
		return sqlMultiJoinState(name)
	}
	m, ok := sqlStateMaps[n.typ][name]
	if !ok {
		return nil
	}
	return &m
}

// sqlMultiJoinInputRE matches the plan state entry of a multi-way join's
// input i, as Java prints i.
var sqlMultiJoinInputRE = regexp.MustCompile(`^input-state-(0|[1-9][0-9]{0,8})$`)

// sqlMultiJoinState maps a multi-way join's (Flink 2.1+) entry
// "input-state-<i>" (StreamExecMultiJoin.java:187 in 2.1.0, :189 in 2.2.0
// and 2.3.0) to the map state of input i, "multi-join-input-<i>"
// (StreamingMultiJoinOperator.java:811 in 2.1.0, :814 in 2.2.0, :828 in
// 2.3.0), which gets the entry's TTL when it has one
// (MultiJoinStateViews.createStateDescriptor: :113 in 2.1.0, :115 in 2.3.0).
func sqlMultiJoinState(name string) *sqlStateMap {
	i := sqlMultiJoinInputRE.FindStringSubmatch(name)
	if i == nil {
		return nil
	}
	return &sqlStateMap{
		descriptors: []sqlDescriptor{{"multi-join-input-" + i[1], true}},
		source:      "StreamExecMultiJoin.java:189; StreamingMultiJoinOperator.java:828 (Flink 2.3.0)",
	}
}

// The states of the sink's upsert materializers, by the runtime class
// (flink-table-runtime/.../operators/sink/ and .../sequencedmultisetstate/,
// the same in the 2.2.0 and 2.3.0 sources jars).
var (
	// SinkUpsertMaterializer.java:129-130: with the entry's TTL.
	sqlSinkLegacy = sqlStateMap{descriptors: []sqlDescriptor{{"values", true}},
		source: "StreamExecSink.java:150; SinkUpsertMaterializer.java:130 (Flink 2.3.0)"}
	// SinkUpsertMaterializerV2 keeps a SequencedMultiSetState
	// (SequencedMultiSetState.java:208-224): VALUE a ValueStateMultiSetState
	// (ValueStateMultiSetState.java:66), MAP a LinkedMultiSetState
	// (LinkedMultiSetState.java:121,132,139), ADAPTIVE both. The planner
	// turns their TTL off (StreamExecSink.createStateConfig, :459-468 in
	// 2.3.0, FLINK-38463), so none takes the entry's.
	sqlSinkValue = sqlStateMap{descriptors: []sqlDescriptor{{"list", false}},
		source: "StreamExecSink.java:432-451; ValueStateMultiSetState.java:66 (Flink 2.3.0)"}
	sqlSinkMap = sqlStateMap{descriptors: []sqlDescriptor{{"rowToSqnState", false}, {"sqnToNodeState", false}, {"highestSqnState", false}},
		source: "StreamExecSink.java:432-451; LinkedMultiSetState.java:121,132,139 (Flink 2.3.0)"}
	sqlSinkAdaptive = sqlStateMap{descriptors: []sqlDescriptor{{"list", false}, {"rowToSqnState", false}, {"sqnToNodeState", false}, {"highestSqnState", false}},
		source: "StreamExecSink.java:432-451; SequencedMultiSetState.java:217-222 (Flink 2.3.0)"}
	// WatermarkCompactingSinkMaterializer.java:161-192: all three with the
	// entry's TTL (the buffer's 5 s, the checkpoint ID's 10 s longer).
	sqlSinkCompacting = sqlStateMap{descriptors: []sqlDescriptor{{"watermark-buffer", true}, {"current-value", true}, {"consolidated-checkpoint-id", true}},
		source: "StreamExecSink.java:413-424; WatermarkCompactingSinkMaterializer.java:161-192 (Flink 2.3.0)"}
)

// sqlSinkState maps a sink's "sinkMaterializeState" (StreamExecSink.java:150
// in 2.3.0) to the states of the upsert materializer the running Flink
// creates for the plan. The plan says which (StreamExecSink.createSumOperator,
// :400-452 in 2.3.0, :334-366 in 2.2.0): an ON CONFLICT DO ERROR or NOTHING
// ("conflictStrategy", Flink 2.3) makes a WatermarkCompactingSinkMaterializer;
// otherwise "upsertMaterializeStrategy" (Flink 2.2; the planner leaves LEGACY
// out, StreamPhysicalSink.scala:122-129 in 2.3.0) chooses between
// SinkUpsertMaterializer (LEGACY, or no strategy) and
// SinkUpsertMaterializerV2 (VALUE, MAP, ADAPTIVE). A Flink before 2.2 knows
// neither field: a plan that sets one gets no mapping there.
func sqlSinkState(n *planNode, name, flinkVersion string) *sqlStateMap {
	if name != "sinkMaterializeState" {
		return nil
	}
	var strategy string
	hasStrategy := n.field("upsertMaterializeStrategy", &strategy)
	conflict, hasConflict := sinkConflict(n)
	if !hasStrategy && !hasConflict {
		return copyStateMap(sqlSinkLegacy)
	}
	if flinkVersion == "" || olderThan(flinkVersion, 2, 2) {
		return nil
	}
	if hasConflict {
		switch {
		case olderThan(flinkVersion, 2, 3):
			return nil
		case conflict == "ERROR" || conflict == "NOTHING":
			return copyStateMap(sqlSinkCompacting)
		case conflict != "DEDUPLICATE":
			return nil
		}
	}
	switch strategy {
	case "", "LEGACY":
		return copyStateMap(sqlSinkLegacy)
	case "VALUE":
		return copyStateMap(sqlSinkValue)
	case "MAP":
		return copyStateMap(sqlSinkMap)
	case "ADAPTIVE":
		return copyStateMap(sqlSinkAdaptive)
	}
	return nil
}

func copyStateMap(m sqlStateMap) *sqlStateMap { return &m }
