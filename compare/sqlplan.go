package compare

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/spcheck/spcheck/internal/safeparse"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/spcheck/spcheck/metadata"
)

// This file reads Flink SQL compiled plans (the JSON COMPILE PLAN writes) and
// derives, for every exec node, the transformation uids the planner assigns
// when it restores that plan. The specification is Flink's planner, in
// flink-table/flink-table-planner/src/main/java/org/apache/flink/table/planner/
// plan/nodes/exec/ (abbreviated exec/ below):
//
//   - exec/ExecNodeBase.java: createTransformationMeta sets a uid on a
//     transformation only when ExecNodeConfig.shouldSetUid() holds; the uid
//     is ExecNodeContext.generateUid(transformation, config).
//   - exec/ExecNodeContext.java: generateUid fills table.exec.uid.format with
//     <id> (the node id in the plan), <type> (the node name, e.g.
//     stream-exec-sink), <version> (the node version from the plan's "type",
//     e.g. 1 in stream-exec-sink_1) and <transformation> (a name matching
//     [a-z\-]+). Flink 1.15 did not read the option: it always produced
//     <id>_<type>_<version>_<transformation>.
//   - exec/ExecNodeConfig.java: node configuration from the plan wins over
//     the table configuration; shouldSetUid() is true for ALWAYS, false for
//     DISABLED, and for PLAN_ONLY (the default) true when the pipeline comes
//     from a compiled plan and table.exec.legacy-transformation-uids is false.
//   - table/api/config/ExecutionConfigOptions.java (flink-table-api-java):
//     table.exec.uid.format defaults to <id>_<transformation>; its description
//     records the 1.15 pattern.
//
// Partition transformations (exchanges, a sink's or source's "partitioner")
// get uids too but become no operator, so they carry no state and are not
// listed.

// Configuration keys the reader consults and uid patterns
// (ExecutionConfigOptions.java).
const (
	sqlUIDFormatKey        = "table.exec.uid.format"
	sqlUIDGenerationKey    = "table.exec.uid.generation"
	sqlLegacyUIDsKey       = "table.exec.legacy-transformation-uids"
	sqlTypeLengthKey       = "table.exec.sink.type-length-enforcer"
	sqlNestedEnforcerKey   = "table.exec.sink.nested-constraint-enforcer"
	sqlRowtimeInserterKey  = "table.exec.sink.rowtime-inserter"
	sqlDefaultUIDFormat    = "<id>_<transformation>"
	sqlFlink115UIDFormat   = "<id>_<type>_<version>_<transformation>"
	sqlMaxCharLength       = 2147483647 // CharType/VarCharType/BinaryType.MAX_LENGTH
	sqlUnknownNodeTemplate = "node %d (%s; unknown exec node type, uid guessed)"
)

// ReadSQLPlan reads a compiled plan. name is used in error messages (file name).
//
// It assumes the job runs with the default table configuration (see
// ReadSQLPlanWithConfig), except that for a plan whose flinkVersion is 1.15 it
// uses Flink 1.15's uid pattern: that is what Flink 1.15 runs the plan with,
// and what later versions need table.exec.uid.format set to in order to map
// the 1.15 state (the option's description; Flink's TransformationsTest
// restores 1.15 plans that way).
//
// Exec node types the reader does not know do not fail the read: each gets
// one operator whose uid is guessed from the type name (stream-exec-foo_1 in
// node 7 gives "7_foo", the planner's naming convention), marked Conditional
// and StatefulUnknown, with a Node string saying the type is unknown.
func ReadSQLPlan(r io.Reader, name string) (*JobGraph, error) {
	return ReadSQLPlanWithConfig(r, name, nil)
}

// ReadSQLPlanWithConfig is ReadSQLPlan for a job whose table configuration
// sets the given keys (e.g. "table.exec.uid.format"). Node configuration in
// the plan takes precedence over it, as in Flink's ExecNodeConfig.
func ReadSQLPlanWithConfig(r io.Reader, name string, tableConfig map[string]string) (*JobGraph, error) {
	return ReadSQLPlanWithOptions(r, name, SQLPlanOptions{TableConfig: tableConfig})
}

// SQLPlanOptions are what the operator uids of a compiled plan depend on
// besides the plan: the Flink that runs it and the job's table
// configuration.
type SQLPlanOptions struct {
	// FlinkVersion is the Flink that will run the plan (check
	// --flink-version); zero means the plan's flinkVersion. Flink 1.15
	// always uses <id>_<type>_<version>_<transformation> and does not read
	// table.exec.uid.format; 1.16 and later read it, default
	// <id>_<transformation> (ExecNodeContext.generateUid).
	FlinkVersion FlinkVersion
	// TableConfig is the job's table configuration (check --table-config,
	// a deployment's flinkConfiguration): table.exec.uid.format,
	// table.exec.uid.generation, table.exec.legacy-transformation-uids and
	// the sink options. A node's own configuration in the plan wins.
	TableConfig map[string]string
}

// ReadSQLPlanWithOptions reads a compiled plan for the given Flink and
// table configuration.
func ReadSQLPlanWithOptions(r io.Reader, name string, o SQLPlanOptions) (*JobGraph, error) {
	tableConfig := o.TableConfig
	data, err := io.ReadAll(io.LimitReader(r, maxPlanSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > maxPlanSize {
		return nil, fmt.Errorf("%s: larger than the %d MiB spcheck reads", name, maxPlanSize>>20)
	}
	p, err := parseSQLPlan(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p.tableConfig = tableConfig
	if !o.FlinkVersion.IsZero() {
		p.runFlinkVersion = o.FlinkVersion.String()
		// COMPILE PLAN and EXECUTE PLAN came with Flink 1.15 (FLIP-190).
		if o.FlinkVersion.Before(1, 15) {
			return nil, fmt.Errorf("%s: Flink %s cannot run a compiled plan (Flink 1.15 introduced them)", name, o.FlinkVersion)
		}
	}
	g := &JobGraph{Source: name, Format: "sql-plan", FlinkVersion: p.flinkVersion}
	for _, n := range p.nodes {
		ops, err := p.operators(n)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", name, n, err)
		}
		g.Operators = append(g.Operators, ops...)
	}
	return g, nil
}

// presence says whether a node creates a transformation.
type presence int8

const (
	absent presence = iota
	present
	maybe // depends on something the plan does not record
)

// transformSpec describes one transformation an exec node may create.
type transformSpec struct {
	// name is the <transformation> of the uid (a *_TRANSFORMATION constant).
	name string
	// stateful is the statefulness; statefulFn, when set, overrides it.
	stateful   Statefulness
	statefulFn func(*planNode) Statefulness
	// when says whether the node creates it; nil means always.
	when func(*planNode) presence
	// source marks a source transformation.
	source bool
	// states marks the transformation the node's "state" array belongs to.
	states bool
	// legacyUIDOnly marks transformations that get their uid only when
	// table.exec.legacy-transformation-uids is true (the inverse of every
	// other transformation; StreamExecIntervalJoin.createNegativeWindowSizeJoin).
	legacyUIDOnly bool
	// guess, when set, says why the uid is only a guess for node n ("" when
	// it is not): the operator is then IDGuessed (SP007).
	guess func(n *planNode) string
	// uidField names a node field whose value, when set, is the uid instead
	// of a generated one (a process table function's "uid" argument). Such
	// a transformation always gets a uid, whatever table.exec.uid.generation
	// says (StreamExecProcessTableFunction calls createTransformationUid
	// directly).
	uidField string
}

// nodeSpec describes an exec node type. A spec without transformations is a
// node that creates no operator (exchange, union).
type nodeSpec struct {
	transformations []transformSpec
}

// one is a node creating a single transformation that always exists.
func one(name string, s Statefulness) nodeSpec {
	return nodeSpec{transformations: []transformSpec{{name: name, stateful: s, states: s != Stateless}}}
}

// execNodes maps exec node names (the "type" of a plan node without its
// version) to the transformations the node creates. Each entry cites the
// Java class under exec/ its transformation names and conditions come from.
var execNodes = map[string]nodeSpec{
	// stream/StreamExecTableSourceScan.java, common/CommonExecTableSourceScan.java:
	// "source"; the scan's state depends on the connector (FLIP-27 split
	// state, SourceFunction state, none). A source with configured
	// parallelism may add a "partitioner" partition transformation.
	"stream-exec-table-source-scan": {transformations: []transformSpec{
		{name: "source", stateful: StatefulUnknown, source: true, guess: sourceScanUIDGuess},
	}},
	// stream/StreamExecValues.java, common/CommonExecValues.java: "values",
	// an input-format source.
	"stream-exec-values": {transformations: []transformSpec{
		{name: "values", stateful: StatefulUnknown, source: true},
	}},
	// stream/StreamExecSink.java, common/CommonExecSink.java.
	"stream-exec-sink": {transformations: []transformSpec{
		// applyConstraintValidations: only when NOT NULL columns or, with
		// TRIM_PAD, CHAR/BINARY length constraints (or, with a nested
		// enforcer, nested rows) need enforcing; the plan records the
		// sink schema and the enforcer options.
		{name: "constraint-validator", stateful: Stateless, when: sinkConstraintValidator},
		// applyUpsertMaterialize (StreamExecSink.java:298-398 in 2.3.0): with
		// ON CONFLICT DO ERROR or NOTHING (Flink 2.3) a stateless
		// WatermarkTimestampAssigner first, then the keyed materializer
		// (sqlSinkState says which), only when requireUpsertMaterialize and,
		// before Flink 2.3, the input is not insert-only.
		{name: "watermark-timestamp-assigner", stateful: Stateless, when: sinkWatermarkTimestampAssigner},
		{name: "upsert-materialize", stateful: Stateful, states: true, when: sinkUpsertMaterialize},
		// applyRowKindSetter: only for row-level delete/update abilities.
		{name: "row-kind-setter", stateful: Stateless, when: sinkRowKindSetter},
		// applyRowtimeTransformation: only for DataStreamSinkProvider and
		// SinkV2Provider sinks (connector-dependent) with one rowtime column.
		{name: "timestamp-inserter", stateful: Stateless, when: sinkTimestampInserter},
		// applySinkProvider: the sink itself; state depends on the connector.
		{name: "sink", stateful: StatefulUnknown},
	}},
	// stream/StreamExecCalc.java, common/CommonExecCalc.java.
	"stream-exec-calc": one("calc", Stateless),
	// stream/StreamExecAsyncCalc.java, common/CommonExecAsyncCalc.java:
	// AsyncWaitOperator keeps in-flight records in operator state.
	"stream-exec-async-calc": one("async-calc", Stateful),
	// stream/StreamExecCorrelate.java, common/CommonExecCorrelate.java.
	"stream-exec-correlate": one("correlate", Stateless),
	// stream/StreamExecAsyncCorrelate.java, common/CommonExecAsyncCorrelate.java:
	// AsyncWaitOperator.
	"stream-exec-async-correlate": one("async-correlate", Stateful),
	// stream/StreamExecExpand.java, common/CommonExecExpand.java.
	"stream-exec-expand": one("expand", Stateless),
	// stream/StreamExecDropUpdateBefore.java.
	"stream-exec-drop-update-before": one("drop-update-before", Stateless),
	// stream/StreamExecWatermarkAssigner.java.
	"stream-exec-watermark-assigner": one("watermark-assigner", Stateless),
	// stream/StreamExecMiniBatchAssigner.java.
	"stream-exec-mini-batch-assigner": one("mini-batch-assigner", Stateless),
	// stream/StreamExecExchange.java, common/CommonExecExchange.java: a
	// partition transformation only.
	"stream-exec-exchange": {},
	// stream/StreamExecUnion.java, common/CommonExecUnion.java: a union
	// transformation only.
	"stream-exec-union": {},
	// stream/StreamExecChangelogNormalize.java: keyed.
	"stream-exec-changelog-normalize": one("changelog-normalize", Stateful),
	// stream/StreamExecDeduplicate.java: keyed.
	"stream-exec-deduplicate": one("deduplicate", Stateful),
	// stream/StreamExecGroupAggregate.java: keyed.
	"stream-exec-group-aggregate": one("group-aggregate", Stateful),
	// stream/StreamExecLocalGroupAggregate.java: MapBundleOperator, which
	// flushes its bundle before each checkpoint and keeps no state.
	"stream-exec-local-group-aggregate": one("local-group-aggregate", Stateless),
	// stream/StreamExecGlobalGroupAggregate.java: keyed.
	"stream-exec-global-group-aggregate": one("global-group-aggregate", Stateful),
	// stream/StreamExecIncrementalGroupAggregate.java: keyed.
	"stream-exec-incremental-group-aggregate": one("incremental-group-aggregate", Stateful),
	// stream/StreamExecGroupWindowAggregate.java: keyed window operator.
	"stream-exec-group-window-aggregate": one("group-window-aggregate", Stateful),
	// stream/StreamExecWindowAggregate.java: keyed slicing window operator.
	"stream-exec-window-aggregate": one("window-aggregate", Stateful),
	// stream/StreamExecLocalWindowAggregate.java: buffers, flushed before
	// each checkpoint.
	"stream-exec-local-window-aggregate": one("local-window-aggregate", Stateless),
	// stream/StreamExecGlobalWindowAggregate.java: keyed.
	"stream-exec-global-window-aggregate": one("global-window-aggregate", Stateful),
	// stream/StreamExecWindowTableFunction.java, common/CommonExecWindowTableFunction.java:
	// "window"; stateless for tumble/hop/cumulate windows, keyed state for
	// session windows.
	"stream-exec-window-table-function": {transformations: []transformSpec{
		{name: "window", statefulFn: windowTableFunctionState, states: true},
	}},
	// stream/StreamExecWindowRank.java: keyed.
	"stream-exec-window-rank": one("window-rank", Stateful),
	// stream/StreamExecWindowDeduplicate.java: keyed.
	"stream-exec-window-deduplicate": one("window-deduplicate", Stateful),
	// stream/StreamExecWindowJoin.java: keyed.
	"stream-exec-window-join": one("window-join", Stateful),
	// stream/StreamExecRank.java: keyed.
	"stream-exec-rank": one("rank", Stateful),
	// stream/StreamExecLimit.java: a StreamExecRank, RANK_TRANSFORMATION.
	"stream-exec-limit": one("rank", Stateful),
	// stream/StreamExecSortLimit.java: a StreamExecRank, RANK_TRANSFORMATION.
	"stream-exec-sort-limit": one("rank", Stateful),
	// stream/StreamExecSort.java: StreamSortOperator buffers in operator state.
	"stream-exec-sort": one("sort", Stateful),
	// stream/StreamExecTemporalSort.java: keyed sort operators.
	"stream-exec-temporal-sort": one("temporal-sort", Stateful),
	// stream/StreamExecOverAggregate.java: keyed.
	"stream-exec-over-aggregate": one("over-aggregate", Stateful),
	// stream/StreamExecJoin.java: keyed (leftState, rightState).
	"stream-exec-join": one("join", Stateful),
	// stream/StreamExecMultiJoin.java: keyed.
	"stream-exec-multi-join": one("multi-join", Stateful),
	// stream/StreamExecDeltaJoin.java: async lookups with operator state.
	"stream-exec-delta-join": one("delta-join", Stateful),
	// stream/StreamExecTemporalJoin.java: keyed.
	"stream-exec-temporal-join": one("temporal-join", Stateful),
	// stream/StreamExecIntervalJoin.java: "interval-join" (keyed) unless the
	// window is negative; then filter-left/-right and pad-left/-right by join
	// type, which get a uid only with table.exec.legacy-transformation-uids.
	"stream-exec-interval-join": {transformations: []transformSpec{
		{name: "filter-left", stateful: Stateless, when: intervalJoinNegative("INNER", "RIGHT"), legacyUIDOnly: true},
		{name: "filter-right", stateful: Stateless, when: intervalJoinNegative("INNER", "LEFT"), legacyUIDOnly: true},
		{name: "pad-left", stateful: Stateless, when: intervalJoinNegative("LEFT", "FULL"), legacyUIDOnly: true},
		{name: "pad-right", stateful: Stateless, when: intervalJoinNegative("RIGHT", "FULL"), legacyUIDOnly: true},
		{name: "interval-join", stateful: Stateful, states: true, when: intervalJoinPositive},
	}},
	// stream/StreamExecLookupJoin.java, common/CommonExecLookupJoin.java:
	// "lookup-join" (stateful only as an AsyncWaitOperator, i.e. when the
	// plan has asyncOptions), or, with requireUpsertMaterialize, the keyed
	// "lookup-join-materialize" behind a "partitioner".
	"stream-exec-lookup-join": {transformations: []transformSpec{
		{name: "lookup-join", statefulFn: lookupJoinState, when: not(lookupJoinMaterialize)},
		{name: "lookup-join-materialize", stateful: Stateful, states: true, when: lookupJoinMaterialize},
	}},
	// stream/StreamExecMatch.java, common/CommonExecMatch.java: a
	// "timestamp-inserter" when the first ORDER BY field is a rowtime
	// attribute, then the keyed CEP operator "match".
	"stream-exec-match": {transformations: []transformSpec{
		{name: "timestamp-inserter", stateful: Stateless, when: matchTimestampInserter},
		{name: "match", stateful: Stateful, states: true},
	}},
	// stream/StreamExecProcessTableFunction.java: "process", or the uid the
	// call passes (the node's "uid" field); state depends on the function.
	"stream-exec-process-table-function": {transformations: []transformSpec{
		{name: "process", stateful: StatefulUnknown, states: true, uidField: "uid"},
	}},
	// stream/StreamExecMLPredictTableFunction.java (Flink 2.1+),
	// common/CommonExecMLPredictTableFunction.java:171-219 (2.3.0): one
	// "ml-predict-table-function", an AsyncWaitOperator with asyncOptions,
	// else a ProcessOperator.
	"stream-exec-ml-predict-table-function": {transformations: []transformSpec{
		{name: "ml-predict-table-function", statefulFn: asyncWaitState},
	}},
	// stream/StreamExecVectorSearchTableFunction.java (Flink 2.2+),
	// common/CommonExecVectorSearchTableFunction.java:142-163,202,289-299
	// (2.3.0): the same with "vector-search-table-function".
	"stream-exec-vector-search-table-function": {transformations: []transformSpec{
		{name: "vector-search-table-function", statefulFn: asyncWaitState},
	}},
	// stream/StreamExecPythonCalc.java, common/CommonExecPythonCalc.java.
	"stream-exec-python-calc": one("python-calc", StatefulUnknown),
	// stream/StreamExecPythonCorrelate.java, common/CommonExecPythonCorrelate.java.
	"stream-exec-python-correlate": one("python-correlate", StatefulUnknown),
	// stream/StreamExecPythonGroupAggregate.java: keyed.
	"stream-exec-python-group-aggregate": one("python-group-aggregate", Stateful),
	// stream/StreamExecPythonOverAggregate.java: keyed.
	"stream-exec-python-over-aggregate": one("python-over-aggregate", Stateful),
}

// A sqlPlan is a parsed compiled plan.
type sqlPlan struct {
	flinkVersion string
	// runFlinkVersion is the Flink version that will run the plan, when
	// the caller knows it.
	runFlinkVersion string
	nodes           []*planNode
	byID            map[int]*planNode
	inputs          map[int][]int // target node id → source node ids, in edge order
	tableConfig     map[string]string
}

// A planNode is one exec node of the plan.
type planNode struct {
	plan    *sqlPlan
	id      int
	typ     string // as in the plan, e.g. stream-exec-sink_1
	name    string // stream-exec-sink
	version int
	desc    string
	config  map[string]string
	fields  map[string]json.RawMessage
	states  []StateDecl
}

func (n *planNode) String() string { return fmt.Sprintf("node %d (%s)", n.id, n.typ) }

// conf returns the node's value for key, falling back to the table
// configuration (ExecNodeConfig.get).
func (n *planNode) conf(key string) (string, bool) {
	if v, ok := n.config[key]; ok {
		return v, true
	}
	v, ok := n.plan.tableConfig[key]
	return v, ok
}

// field unmarshals the node's JSON field key into v; it reports whether the
// field is present and not null.
func (n *planNode) field(key string, v any) bool {
	raw, ok := n.fields[key]
	if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return false
	}
	return json.Unmarshal(raw, v) == nil
}

// input returns the node feeding input i, or nil.
func (n *planNode) input(i int) *planNode {
	ins := n.plan.inputs[n.id]
	if i >= len(ins) {
		return nil
	}
	return n.plan.byID[ins[i]]
}

var (
	execNodeTypeRE       = regexp.MustCompile(`^([a-z][a-z0-9-]*)_([0-9]+)$`)
	transformationNameRE = regexp.MustCompile(`^[a-z-]+$`) // ExecNodeContext
)

// parseSQLPlan parses and validates the plan's structure.
func parseSQLPlan(data []byte) (*sqlPlan, error) {
	var top map[string]json.RawMessage
	if err := safeparse.CheckJSON(data); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("not a compiled plan: %w", err)
	}
	p := &sqlPlan{byID: map[int]*planNode{}, inputs: map[int][]int{}}
	if raw, ok := top["flinkVersion"]; ok {
		if err := json.Unmarshal(raw, &p.flinkVersion); err != nil {
			return nil, fmt.Errorf(`"flinkVersion" is not a string`)
		}
	}
	rawNodes, ok := top["nodes"]
	if !ok {
		return nil, errors.New(`not a compiled plan: no "nodes"`)
	}
	var nodes []map[string]json.RawMessage
	if err := json.Unmarshal(rawNodes, &nodes); err != nil {
		return nil, fmt.Errorf(`"nodes" is not a list of objects: %w`, err)
	}
	for i, fields := range nodes {
		n, err := parsePlanNode(p, fields)
		if err != nil {
			return nil, fmt.Errorf("nodes[%d]: %w", i, err)
		}
		if prev, dup := p.byID[n.id]; dup {
			return nil, fmt.Errorf("nodes[%d]: duplicate node id %d (also %s)", i, n.id, prev.typ)
		}
		p.byID[n.id] = n
		p.nodes = append(p.nodes, n)
	}
	if raw, ok := top["edges"]; ok {
		var edges []struct {
			Source *int `json:"source"`
			Target *int `json:"target"`
		}
		if err := json.Unmarshal(raw, &edges); err != nil {
			return nil, fmt.Errorf(`"edges" is not a list of edges: %w`, err)
		}
		for i, e := range edges {
			if e.Source == nil || e.Target == nil {
				return nil, fmt.Errorf("edges[%d]: no source or target", i)
			}
			for _, id := range []int{*e.Source, *e.Target} {
				if p.byID[id] == nil {
					return nil, fmt.Errorf("edges[%d]: no node %d", i, id)
				}
			}
			p.inputs[*e.Target] = append(p.inputs[*e.Target], *e.Source)
		}
	}
	return p, nil
}

func parsePlanNode(p *sqlPlan, fields map[string]json.RawMessage) (*planNode, error) {
	n := &planNode{plan: p, fields: fields, config: map[string]string{}}
	rawID, ok := fields["id"]
	if !ok {
		return nil, errors.New(`node without "id"`)
	}
	if err := json.Unmarshal(rawID, &n.id); err != nil {
		return nil, fmt.Errorf("node id %s is not an integer", rawID)
	}
	rawType, ok := fields["type"]
	if !ok {
		return nil, fmt.Errorf(`node %d without "type"`, n.id)
	}
	if err := json.Unmarshal(rawType, &n.typ); err != nil {
		return nil, fmt.Errorf("node %d: type %s is not a string", n.id, rawType)
	}
	// ExecNodeContext(String): <name>_<version>.
	m := execNodeTypeRE.FindStringSubmatch(n.typ)
	if m == nil {
		return nil, fmt.Errorf("node %d: type %q is not <name>_<version>", n.id, n.typ)
	}
	n.name = m[1]
	var err error
	if n.version, err = strconv.Atoi(m[2]); err != nil {
		return nil, fmt.Errorf("node %d: type %q: version out of range", n.id, n.typ)
	}
	if raw, ok := fields["description"]; ok {
		_ = json.Unmarshal(raw, &n.desc)
	}
	if raw, ok := fields["configuration"]; ok {
		var conf map[string]json.RawMessage
		if err := json.Unmarshal(raw, &conf); err != nil {
			return nil, fmt.Errorf("%s: configuration is not an object", n)
		}
		for k, v := range conf {
			var s string
			if json.Unmarshal(v, &s) != nil {
				s = string(bytes.TrimSpace(v))
			}
			n.config[k] = s
		}
	}
	if raw, ok := fields["state"]; ok && !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		var states []struct {
			Index int    `json:"index"`
			TTL   string `json:"ttl"`
			Name  string `json:"name"`
		}
		if err := json.Unmarshal(raw, &states); err != nil {
			return nil, fmt.Errorf("%s: state is not a list of state metadata: %w", n, err)
		}
		for _, s := range states {
			ttl, err := parseFlinkDuration(s.TTL)
			if err != nil {
				return nil, fmt.Errorf("%s: state %q: ttl: %w", n, s.Name, err)
			}
			n.states = append(n.states, StateDecl{Name: s.Name, Keyed: true, TTL: ttl})
		}
	}
	return n, nil
}

// operators returns the operators node n contributes.
func (p *sqlPlan) operators(n *planNode) ([]*Operator, error) {
	if strings.HasPrefix(n.name, "batch-exec-") {
		return nil, errors.New("a batch exec node: batch jobs do not restore savepoints")
	}
	spec, known := execNodes[n.name]
	if !known {
		return p.guessOperator(n)
	}
	var ops []*Operator
	for _, t := range spec.transformations {
		pres := present
		if t.when != nil {
			pres = t.when(n)
		}
		if pres == absent {
			continue
		}
		uid, err := p.uid(n, t)
		if err != nil {
			return nil, err
		}
		if uid == "" {
			continue
		}
		op := &Operator{
			ID:          metadata.OperatorIDFromUID(uid),
			UID:         uid,
			Name:        operatorName(n, t.name, len(spec.transformations) > 1),
			Stateful:    t.stateful,
			Source:      t.source,
			Conditional: pres == maybe,
			Node:        n.String(),
		}
		if t.statefulFn != nil {
			op.Stateful = t.statefulFn(n)
		}
		if t.guess != nil {
			if why := t.guess(n); why != "" {
				op.IDGuessed, op.IDGuess = true, why
			}
		}
		if t.states && len(n.states) > 0 {
			op.States = p.mappedStates(n)
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// mappedStates returns the node's plan state entries, each with the
// descriptors its operator registers for it, or nil when one entry has no
// known mapping: then no state names are compared (sqlstates.go).
func (p *sqlPlan) mappedStates(n *planNode) []StateDecl {
	out := make([]StateDecl, 0, len(n.states))
	for _, s := range n.states {
		m := sqlStateMapFor(n, s.Name, p.runningVersion())
		if m == nil {
			return nil
		}
		s.sql = m
		out = append(out, s)
	}
	return out
}

// runningVersion is the Flink version that will run the plan: the one
// given for it, else the plan's.
func (p *sqlPlan) runningVersion() string {
	if p.runFlinkVersion != "" {
		return p.runFlinkVersion
	}
	return p.flinkVersion
}

// guessOperator returns the operator an unknown exec node most likely
// creates: the planner names a node's transformation after the node
// (stream-exec-foo creates "foo") in all but a few nodes.
func (p *sqlPlan) guessOperator(n *planNode) ([]*Operator, error) {
	t := strings.TrimPrefix(n.name, "stream-exec-")
	if !transformationNameRE.MatchString(t) {
		return nil, nil
	}
	uid, err := p.uid(n, transformSpec{name: t})
	if err != nil || uid == "" {
		return nil, err
	}
	return []*Operator{{
		ID:          metadata.OperatorIDFromUID(uid),
		UID:         uid,
		Name:        operatorName(n, t, false),
		Stateful:    StatefulUnknown,
		Conditional: true,
		IDGuessed:   true,
		Node:        fmt.Sprintf(sqlUnknownNodeTemplate, n.id, n.typ),
	}}, nil
}

// uid returns the uid Flink sets on transformation t of node n, or "" when it
// sets none but the transformation does not need one to be matched either.
func (p *sqlPlan) uid(n *planNode, t transformSpec) (string, error) {
	if t.uidField != "" {
		var uid string
		if n.field(t.uidField, &uid) && uid != "" {
			return uid, nil
		}
	}
	legacy, _ := n.conf(sqlLegacyUIDsKey)
	legacyOn := strings.EqualFold(strings.TrimSpace(legacy), "true")
	switch {
	case t.uidField != "":
		// Always set, like the call's own uid above.
	case t.legacyUIDOnly:
		if !legacyOn {
			// Flink leaves these (stateless) operators without uid; their
			// IDs come from the topology.
			return "", nil
		}
	case !p.shouldSetUID(n, legacyOn):
		gen, _ := n.conf(sqlUIDGenerationKey)
		return "", fmt.Errorf("%s=%q, %s=%q: Flink sets no uid on transformation %q and generates its operator ID from the job topology, which cannot be derived from a compiled plan",
			sqlUIDGenerationKey, gen, sqlLegacyUIDsKey, legacy, t.name)
	}
	format := p.uidFormat(n)
	return strings.NewReplacer(
		"<id>", strconv.Itoa(n.id),
		"<type>", n.name,
		"<version>", strconv.Itoa(n.version),
		"<transformation>", t.name,
	).Replace(format), nil
}

// uidFormat is the uid pattern of node n: Flink 1.15 always used
// <id>_<type>_<version>_<transformation> (the description of
// table.exec.uid.format, ExecutionConfigOptions.java); 1.16 and later
// read table.exec.uid.format, node configuration first
// (ExecNodeContext.generateUid, ExecNodeConfig.get). When the running
// Flink is not known, the plan's flinkVersion stands for it.
//
// When the running Flink is not given, a configured table.exec.uid.format
// says it is 1.16 or later (1.15 has no such option), which is how later
// Flinks restore 1.15 plans.
func (p *sqlPlan) uidFormat(n *planNode) string {
	format, configured := n.conf(sqlUIDFormatKey)
	if p.runFlinkVersion != "" {
		if strings.HasPrefix(p.runFlinkVersion+".", "1.15.") {
			return sqlFlink115UIDFormat
		}
	} else if !configured && strings.HasPrefix(p.flinkVersion+".", "1.15.") {
		return sqlFlink115UIDFormat
	}
	if configured {
		return format
	}
	return sqlDefaultUIDFormat
}

// shouldSetUID is ExecNodeConfig.shouldSetUid for a pipeline restored from a
// compiled plan.
func (p *sqlPlan) shouldSetUID(n *planNode, legacy bool) bool {
	gen, ok := n.conf(sqlUIDGenerationKey)
	if !ok {
		return !legacy // PLAN_ONLY
	}
	switch strings.ToUpper(strings.TrimSpace(gen)) {
	case "ALWAYS":
		return true
	case "DISABLED":
		return false
	default:
		return !legacy
	}
}

func operatorName(n *planNode, transformation string, several bool) string {
	name := n.desc
	if name == "" {
		name = n.name
	}
	if several || n.desc == "" {
		name += " [" + transformation + "]"
	}
	return name
}

func not(f func(*planNode) presence) func(*planNode) presence {
	return func(n *planNode) presence {
		switch f(n) {
		case absent:
			return present
		case present:
			return absent
		}
		return maybe
	}
}

// sinkConstraintValidator follows CommonExecSink.applyConstraintValidations
// (ConstraintEnforcer.Builder up to 1.20, ConstraintEnforcerExecutor.create
// since): a validator exists when any constraint does.
func sinkConstraintValidator(n *planNode) presence {
	var spec struct {
		Table struct {
			ResolvedTable *struct {
				Schema struct {
					Columns []struct {
						Kind      string          `json:"kind"`
						IsVirtual bool            `json:"isVirtual"`
						DataType  json.RawMessage `json:"dataType"`
					} `json:"columns"`
				} `json:"schema"`
			} `json:"resolvedTable"`
		} `json:"table"`
	}
	if !n.field("dynamicTableSink", &spec) || spec.Table.ResolvedTable == nil {
		return maybe // the planner reads the schema from the catalog
	}
	typeLength, _ := n.conf(sqlTypeLengthKey)
	trimPad := strings.EqualFold(typeLength, "TRIM_PAD")
	nested, _ := n.conf(sqlNestedEnforcerKey)
	nested = strings.ToUpper(nested)
	nestedOn := nested != "" && nested != "IGNORE"
	unknown := false
	for _, c := range spec.Table.ResolvedTable.Schema.Columns {
		// StreamExecSink.getPersistedRowType: physical and non-virtual
		// metadata columns.
		switch strings.ToUpper(c.Kind) {
		case "", "PHYSICAL":
		case "METADATA":
			if c.IsVirtual {
				continue
			}
		default: // COMPUTED
			continue
		}
		t, ok := parseLogicalType(c.DataType)
		if !ok {
			unknown = true
			continue
		}
		if !t.nullable {
			return present
		}
		if trimPad {
			switch t.root {
			case "CHAR", "BINARY":
				return present
			case "VARCHAR", "VARBINARY":
				if t.length < sqlMaxCharLength {
					return present
				}
			}
		}
		if nestedOn {
			switch t.root {
			case "ROW", "STRUCTURED_TYPE":
				return present
			case "ARRAY", "MAP", "MULTISET":
				if nested != "ROWS" {
					return present
				}
			}
		}
	}
	if unknown {
		return maybe
	}
	return absent
}

// sinkUpsertMaterialize follows CommonExecSink.createSinkTransformation:
// materialization only if the input has changes and the plan asks for it.
func sinkUpsertMaterialize(n *planNode) presence {
	var required bool
	if !n.field("requireUpsertMaterialize", &required) || !required {
		return absent
	}
	var modes []string
	if !n.field("inputChangelogMode", &modes) {
		return maybe
	}
	for _, m := range modes {
		if m != "INSERT" {
			return present
		}
	}
	// An insert-only input: Flink 2.3 materializes whenever the plan says
	// so (CommonExecSink.java:205 in 2.3.0), before only an input with
	// updates (:190 in 2.2.0, :194 in 2.0).
	switch v := n.plan.runningVersion(); {
	case v == "":
		return maybe
	case !olderThan(v, 2, 3):
		return present
	}
	return absent
}

// sinkWatermarkTimestampAssigner: the WatermarkTimestampAssigner Flink 2.3
// puts before the materializer of an ON CONFLICT DO ERROR or NOTHING sink
// (StreamExecSink.java:362-375 in 2.3.0; the planner's
// WATERMARK_TIMESTAMP_ASSIGNER_TRANSFORMATION, :140).
func sinkWatermarkTimestampAssigner(n *planNode) presence {
	if b, _ := sinkConflict(n); b != "ERROR" && b != "NOTHING" {
		return absent
	}
	if v := n.plan.runningVersion(); v != "" && olderThan(v, 2, 3) {
		return absent
	}
	return sinkUpsertMaterialize(n)
}

// sinkConflict is the behaviour of a sink's ON CONFLICT clause (Flink 2.3:
// "conflictStrategy": {"behavior": "ERROR"}, InsertConflictStrategyJsonSerializer)
// and whether the plan has the field.
func sinkConflict(n *planNode) (string, bool) {
	var conflict struct {
		Behavior string `json:"behavior"`
	}
	ok := n.field("conflictStrategy", &conflict)
	return conflict.Behavior, ok
}

// sinkRowKindSetter follows CommonExecSink.getTargetRowKind.
func sinkRowKindSetter(n *planNode) presence {
	var spec struct {
		Abilities []struct {
			Type       string `json:"type"`
			DeleteMode string `json:"rowLevelDeleteMode"`
			UpdateMode string `json:"rowLevelUpdateMode"`
		} `json:"abilities"`
	}
	if !n.field("dynamicTableSink", &spec) {
		return absent
	}
	for _, a := range spec.Abilities {
		if (a.Type == "RowLevelDelete" && a.DeleteMode == "DELETED_ROWS") ||
			(a.Type == "RowLevelUpdate" && a.UpdateMode == "UPDATED_ROWS") {
			return present
		}
	}
	return absent
}

// sinkTimestampInserter follows StreamExecSink.translateToPlanInternal and
// CommonExecSink.applyRowtimeTransformation: with exactly one rowtime column
// in the input and the inserter enabled, DataStreamSinkProvider and
// SinkV2Provider sinks get the inserter; which provider the connector uses
// the plan does not say.
func sinkTimestampInserter(n *planNode) presence {
	if v, ok := n.conf(sqlRowtimeInserterKey); ok && strings.EqualFold(v, "DISABLED") {
		return absent
	}
	in := n.input(0)
	if in == nil {
		return maybe
	}
	rowtimes, ok := rowtimeFields(in.fields["outputType"])
	switch {
	case !ok:
		return maybe
	case len(rowtimes) == 1:
		return maybe
	}
	return absent // none, or several (which Flink rejects)
}

// matchTimestampInserter follows StreamExecMatch.translateOrder.
func matchTimestampInserter(n *planNode) presence {
	var spec struct {
		OrderBy struct {
			Fields []struct {
				Index int `json:"index"`
			} `json:"fields"`
		} `json:"orderBy"`
	}
	if !n.field("matchSpec", &spec) || len(spec.OrderBy.Fields) == 0 {
		return maybe
	}
	in := n.input(0)
	if in == nil {
		return maybe
	}
	rowtimes, ok := rowtimeFields(in.fields["outputType"])
	if !ok {
		return maybe
	}
	for _, i := range rowtimes {
		if i == spec.OrderBy.Fields[0].Index {
			return present
		}
	}
	return absent
}

// intervalJoinBounds returns the interval join's relative window size and
// join type.
func intervalJoinBounds(n *planNode) (size int64, joinType string, ok bool) {
	var spec struct {
		JoinSpec struct {
			JoinType string `json:"joinType"`
		} `json:"joinSpec"`
		WindowBounds *struct {
			LeftLowerBound *int64 `json:"leftLowerBound"`
			LeftUpperBound *int64 `json:"leftUpperBound"`
		} `json:"windowBounds"`
	}
	if !n.field("intervalJoinSpec", &spec) || spec.WindowBounds == nil ||
		spec.WindowBounds.LeftLowerBound == nil || spec.WindowBounds.LeftUpperBound == nil {
		return 0, "", false
	}
	return *spec.WindowBounds.LeftUpperBound - *spec.WindowBounds.LeftLowerBound, spec.JoinSpec.JoinType, true
}

func intervalJoinPositive(n *planNode) presence {
	size, _, ok := intervalJoinBounds(n)
	switch {
	case !ok:
		return maybe
	case size < 0:
		return absent
	}
	return present
}

// intervalJoinNegative returns when a negative-window interval join of one
// of the given join types creates a transformation
// (StreamExecIntervalJoin.createNegativeWindowSizeJoin).
func intervalJoinNegative(joinTypes ...string) func(*planNode) presence {
	return func(n *planNode) presence {
		size, joinType, ok := intervalJoinBounds(n)
		switch {
		case !ok:
			return maybe
		case size >= 0:
			return absent
		}
		for _, t := range joinTypes {
			if joinType == t {
				return present
			}
		}
		return absent
	}
}

func lookupJoinMaterialize(n *planNode) presence {
	var required bool
	if n.field("requireUpsertMaterialize", &required) && required {
		return present
	}
	return absent
}

// sourceScanUIDGuess: from version 2 (Flink 2.3) a table source scan no
// longer gives its uid and name to the transformation a
// DataStreamScanProvider or TransformationScanProvider connector returns
// (StreamExecTableSourceScan.java:54-59,106-109 and
// CommonExecTableSourceScan.java:185-201, Flink 2.3.0): that source keeps
// the uid its connector sets, if any. The plan does not record which kind
// of provider the connector has, so the uid is right only for the others
// (SourceProvider, InputFormatProvider, ...).
func sourceScanUIDGuess(n *planNode) string {
	if n.version < 2 {
		return ""
	}
	return "a table source scan of version 2 (Flink 2.3+) gives this uid to its source only when the connector is not a DataStreamScanProvider or TransformationScanProvider, which the plan does not record"
}

// lookupJoinState: CommonExecLookupJoin uses an AsyncWaitOperator (operator
// state) when the plan has asyncOptions, else a stateless ProcessOperator.
// Plans of Flink 1.15 do not record the choice.
func lookupJoinState(n *planNode) Statefulness {
	if s := asyncWaitState(n); s == Stateful || n.plan.flinkVersion != "1.15" {
		return s
	}
	return StatefulUnknown
}

// asyncWaitState: a node with asyncOptions runs an AsyncWaitOperator,
// which keeps its in-flight records in operator state; without, a
// ProcessOperator over the function, which keeps none.
func asyncWaitState(n *planNode) Statefulness {
	var opts map[string]any
	if n.field("asyncOptions", &opts) {
		return Stateful
	}
	return Stateless
}

// windowTableFunctionState: WindowTableFunctionOperator is stateless for
// tumbling, hopping and cumulative windows; session windows keep keyed state.
func windowTableFunctionState(n *planNode) Statefulness {
	var spec struct {
		Window struct {
			Type string `json:"type"`
		} `json:"window"`
	}
	if !n.field("windowing", &spec) {
		return StatefulUnknown
	}
	switch spec.Window.Type {
	case "TumblingWindow", "HoppingWindow", "CumulativeWindow":
		return Stateless
	case "SessionWindow":
		return Stateful
	}
	return StatefulUnknown
}

// logicalType is what the reader needs of a serialized LogicalType.
type logicalType struct {
	root     string // LogicalTypeRoot name, e.g. VARCHAR
	nullable bool
	length   int // for CHAR, VARCHAR, BINARY, VARBINARY
}

// parseLogicalType reads a type as the plan serializes it
// (LogicalTypeJsonSerializer, DataTypeJsonSerializer): a summary string such
// as "VARCHAR(10) NOT NULL", or an object with "type" (and "nullable",
// "length"), or a data type object with "logicalType".
func parseLogicalType(raw json.RawMessage) (logicalType, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return parseLogicalTypeString(s)
	}
	var obj struct {
		LogicalType json.RawMessage `json:"logicalType"`
		Type        string          `json:"type"`
		Nullable    *bool           `json:"nullable"`
		Length      *int            `json:"length"`
	}
	if json.Unmarshal(raw, &obj) != nil {
		return logicalType{}, false
	}
	if len(obj.LogicalType) > 0 {
		return parseLogicalType(obj.LogicalType)
	}
	if obj.Type == "" {
		return logicalType{}, false
	}
	t := logicalType{root: obj.Type, nullable: obj.Nullable == nil || *obj.Nullable}
	switch t.root {
	case "CHAR", "VARCHAR", "BINARY", "VARBINARY":
		if obj.Length == nil {
			return logicalType{}, false
		}
		t.length = *obj.Length
	}
	return t, true
}

var typeStringRE = regexp.MustCompile(`^([A-Z_]+(?: [A-Z_]+)*?)(?:\((\d+)\))?(?:[ <(]|$)`)

func parseLogicalTypeString(s string) (logicalType, bool) {
	s = strings.TrimSpace(s)
	t := logicalType{nullable: true}
	if rest, ok := strings.CutSuffix(s, " NOT NULL"); ok {
		t.nullable = false
		s = rest
	}
	m := typeStringRE.FindStringSubmatch(s)
	if m == nil {
		return logicalType{}, false
	}
	t.root = m[1]
	switch t.root {
	case "STRING":
		t.root, t.length = "VARCHAR", sqlMaxCharLength
	case "BYTES":
		t.root, t.length = "VARBINARY", sqlMaxCharLength
	case "CHAR", "VARCHAR", "BINARY", "VARBINARY":
		t.length = 1
		if m[2] != "" {
			n, err := strconv.Atoi(m[2])
			if err != nil {
				return logicalType{}, false
			}
			t.length = n
		}
	}
	return t, true
}

// rowtimeFields returns the indexes of the rowtime attributes of a row type
// as a plan serializes it ("ROW<`a` INT, `t` TIMESTAMP(3) *ROWTIME*>" or
// {"type": "ROW", "fields": [{"name", "fieldType"}]}).
func rowtimeFields(raw json.RawMessage) ([]int, bool) {
	if len(raw) == 0 {
		return nil, false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		fields, ok := splitRowTypeString(s)
		if !ok {
			return nil, false
		}
		var idx []int
		for i, f := range fields {
			if strings.Contains(f, "*ROWTIME*") {
				idx = append(idx, i)
			}
		}
		return idx, true
	}
	var obj struct {
		Type   string `json:"type"`
		Fields []struct {
			FieldType json.RawMessage `json:"fieldType"`
		} `json:"fields"`
	}
	if json.Unmarshal(raw, &obj) != nil || obj.Type != "ROW" {
		return nil, false
	}
	var idx []int
	for i, f := range obj.Fields {
		var fs string
		if json.Unmarshal(f.FieldType, &fs) == nil {
			if strings.Contains(fs, "*ROWTIME*") {
				idx = append(idx, i)
			}
			continue
		}
		var ft struct {
			Kind string `json:"kind"`
		}
		if json.Unmarshal(f.FieldType, &ft) != nil {
			return nil, false
		}
		if ft.Kind == "ROWTIME" {
			idx = append(idx, i)
		}
	}
	return idx, true
}

// splitRowTypeString splits "ROW<`a` INT, `b` ROW<`c` INT>> NOT NULL" into
// its top-level fields, with their names removed.
func splitRowTypeString(s string) ([]string, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, " NOT NULL")
	body, ok := strings.CutPrefix(s, "ROW<")
	if !ok || !strings.HasSuffix(body, ">") {
		return nil, false
	}
	body = body[:len(body)-1]
	var fields []string
	var cur strings.Builder
	depth, quoted, inName := 0, false, false
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '`':
			// `` inside a quoted name is an escaped backtick.
			if quoted && i+1 < len(body) && body[i+1] == '`' {
				i++
				continue
			}
			quoted = !quoted
			inName = quoted
			continue
		case quoted || inName:
			continue
		case c == '\'':
			// A field comment: skip to its closing quote ('' escapes).
			for i++; i < len(body); i++ {
				if body[i] == '\'' {
					if i+1 < len(body) && body[i+1] == '\'' {
						i++
						continue
					}
					break
				}
			}
			continue
		case c == '<' || c == '(':
			depth++
		case c == '>' || c == ')':
			depth--
		case c == ',' && depth == 0:
			fields = append(fields, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	if quoted || depth != 0 {
		return nil, false
	}
	if strings.TrimSpace(cur.String()) != "" || len(fields) > 0 {
		fields = append(fields, cur.String())
	}
	return fields, true
}

// durationUnits are the unit labels TimeUtils.parseDuration accepts, in
// milliseconds.
var durationUnits = map[string]float64{
	"d": 86400000, "day": 86400000, "days": 86400000,
	"h": 3600000, "hour": 3600000, "hours": 3600000,
	"min": 60000, "m": 60000, "minute": 60000, "minutes": 60000,
	"s": 1000, "sec": 1000, "secs": 1000, "second": 1000, "seconds": 1000,
	"ms": 1, "milli": 1, "millis": 1, "millisecond": 1, "milliseconds": 1,
	"µs": 1e-3, "micro": 1e-3, "micros": 1e-3, "microsecond": 1e-3, "microseconds": 1e-3,
	"ns": 1e-6, "nano": 1e-6, "nanos": 1e-6, "nanosecond": 1e-6, "nanoseconds": 1e-6,
}

// parseFlinkDuration parses a duration as StateMetadata writes it ("0 ms",
// "1 d"), in milliseconds; a bare number is milliseconds.
func parseFlinkDuration(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("%q is not a duration", s)
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration", s)
	}
	unit := strings.ToLower(strings.TrimSpace(t[i:]))
	if unit == "" {
		return n, nil
	}
	f, ok := durationUnits[unit]
	if !ok {
		return 0, fmt.Errorf("%q: unknown time unit %q", s, unit)
	}
	return int64(float64(n) * f), nil
}

// maxPlanSize bounds the compiled plans ReadSQLPlan reads.
const maxPlanSize = 32 << 20
