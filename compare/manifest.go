package compare

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/spcheck/spcheck/internal/safeparse"
	"github.com/spcheck/spcheck/internal/schemacheck"
	"github.com/spcheck/spcheck/internal/suggest"

	"go.yaml.in/yaml/v3"

	"github.com/spcheck/spcheck/metadata"
	"github.com/spcheck/spcheck/schemas"
	"github.com/spcheck/spcheck/streamgraph"
)

// ManifestFormat is the value of a manifest's "format" field.
const ManifestFormat = "spcheck/jobgraph/v1"

// manifestSchema is schemas/jobgraph-v1.json, compiled once.
var manifestSchema = sync.OnceValues(func() (*schemacheck.Schema, error) {
	return schemacheck.Compile(schemas.JobGraphV1)
})

// manifest mirrors the schema.
type manifest struct {
	Format         string                   `json:"format"`
	Job            string                   `json:"job"`
	FlinkVersion   string                   `json:"flinkVersion"`
	StateBackend   string                   `json:"stateBackend"`
	MaxParallelism int                      `json:"maxParallelism"`
	Operators      []manifestOperator       `json:"operators"`
	Vertices       []manifestVertex         `json:"vertices"`
	Topology       *streamgraph.Graph       `json:"topology"`
	ExecutionPlan  json.RawMessage          `json:"executionPlan"`
	PlanOptions    *streamgraph.PlanOptions `json:"planOptions"`
}

type manifestOperator struct {
	UID            string          `json:"uid"`
	UIDHash        string          `json:"uidHash"`
	ID             string          `json:"id"`
	Name           string          `json:"name"`
	Parallelism    int             `json:"parallelism"`
	MaxParallelism int             `json:"maxParallelism"`
	Stateful       *bool           `json:"stateful"`
	Source         bool            `json:"source"`
	Vertex         string          `json:"vertex"`
	States         []manifestState `json:"states"`
}

type manifestVertex struct {
	ID     string `json:"id"`
	Inputs []struct {
		Vertex       string `json:"vertex"`
		Distribution string `json:"distribution"`
		Partitioner  string `json:"partitioner"`
	} `json:"inputs"`
}

type manifestState struct {
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	Keyed      bool   `json:"keyed"`
	Serializer string `json:"serializer"`
	AvroSchema any    `json:"avroSchema"`
	TTL        string `json:"ttl"`
}

// ReadManifest reads a job-graph manifest (JSON, or YAML) and validates it
// against ManifestSchema. name is used in errors.
func ReadManifest(data []byte, name string) (*JobGraph, error) {
	var doc any
	orig := data
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		if err := safeparse.CheckJSON(data); err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		var probe any
		if err := json.Unmarshal(data, &probe); err != nil {
			return nil, syntaxError(name, data, err, "JSON")
		}
		d, err := schemacheck.Unmarshal(data)
		if err != nil {
			return nil, fmt.Errorf("%s: not valid JSON: %v", name, err)
		}
		doc = d
	} else {
		var y any
		if err := safeparse.CheckYAML(data); err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		if err := yaml.Unmarshal(data, &y); err != nil {
			return nil, syntaxError(name, data, err, "JSON or YAML")
		}
		// Round-trip through JSON so numbers and maps look as the
		// validator expects.
		j, err := json.Marshal(y)
		if err != nil {
			return nil, fmt.Errorf("%s: YAML that has no JSON form: %v", name, err)
		}
		d, err := schemacheck.Unmarshal(j)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		doc = d
		data = j
	}
	sch, err := manifestSchema()
	if err != nil {
		return nil, fmt.Errorf("the built-in manifest schema: %v", err)
	}
	// Positions are looked up only after safeparse has vetted the input.
	loc := newLocator(orig)
	if errs := sch.Validate(doc); len(errs) > 0 {
		return nil, fmt.Errorf("%s: not a valid %s manifest (schemas/jobgraph-v1.json):\n%s", name, ManifestFormat, schemaErrorText(errs, name, loc))
	}
	var m manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	g := &JobGraph{Source: name, Format: "manifest", FlinkVersion: m.FlinkVersion, MaxParallelism: m.MaxParallelism}
	if m.StateBackend != "" {
		b, err := ParseStateBackend(m.StateBackend)
		if err != nil {
			return nil, fmt.Errorf("%s: stateBackend: %v", name, err)
		}
		g.StateBackend = b
	}
	if m.FlinkVersion != "" {
		if _, err := ParseFlinkVersion(m.FlinkVersion); err != nil {
			return nil, fmt.Errorf("%s: flinkVersion: %v", name, err)
		}
	}
	if m.Topology != nil || m.ExecutionPlan != nil {
		if err := addTopology(g, &m, name); err != nil {
			return nil, err
		}
		return g, nil
	}
	for i, mo := range m.Operators {
		op := &Operator{UID: mo.UID, Name: mo.Name, Parallelism: mo.Parallelism, Source: mo.Source,
			Node: fmt.Sprintf("operators[%d]", i)}
		switch {
		case mo.ID != "":
			op.ID, _ = metadata.ParseOperatorID(strings.ToLower(mo.ID))
		case mo.UID != "":
			op.ID = metadata.OperatorIDFromUID(mo.UID)
		}
		if mo.UIDHash != "" {
			h, _ := metadata.ParseOperatorID(strings.ToLower(mo.UIDHash))
			op.UIDHash = &h
			if mo.UID == "" {
				// Without a uid the generated ID is the topology hash,
				// which a manifest does not give; the uid hash stands in.
				op.ID = h
			}
		}
		switch {
		case mo.MaxParallelism > 0:
			op.MaxParallelism, op.MaxParallelismConfigured = mo.MaxParallelism, true
		case m.MaxParallelism > 0:
			op.MaxParallelism, op.MaxParallelismConfigured, op.MaxParallelismFromJob = m.MaxParallelism, true, true
		}
		switch {
		case mo.Stateful != nil && *mo.Stateful:
			op.Stateful = Stateful
		case mo.Stateful != nil:
			op.Stateful = Stateless
		case len(mo.States) > 0:
			op.Stateful = Stateful
		}
		for j, s := range mo.States {
			ttl, err := parseDuration(s.TTL)
			if err != nil {
				line, col := loc.pos([]string{"operators", fmt.Sprint(i), "states", fmt.Sprint(j), "ttl"}, "")
				return nil, fmt.Errorf("%s: operators[%d].states[%d].ttl (state %q): %v", at(name, line, col), i, j, s.Name, err)
			}
			op.States = append(op.States, StateDecl{Name: s.Name, Kind: s.Kind, Keyed: s.Keyed,
				Serializer: s.Serializer, AvroSchema: s.AvroSchema, TTL: ttl})
		}
		g.Operators = append(g.Operators, op)
	}
	if err := addManifestVertices(g, &m, name); err != nil {
		return nil, err
	}
	return g, nil
}

// addManifestVertices builds the job vertices an operators manifest gives
// with its operators' vertex fields (as spcheck-graph writes them from
// Flink's JobGraph): operators with one vertex ID are one chain, head
// first, the vertex's output operator last. The head's max parallelism is
// the vertex's (addVertices).
func addManifestVertices(g *JobGraph, m *manifest, name string) error {
	byID := map[string]*Vertex{}
	var order []string
	given := 0
	for i, mo := range m.Operators {
		if mo.Vertex == "" {
			continue
		}
		given++
		id := strings.ToLower(mo.Vertex)
		v := byID[id]
		if v == nil {
			v = &Vertex{}
			byID[id] = v
			order = append(order, id)
		}
		op := g.Operators[i]
		op.Vertex = v
		v.Operators = append(v.Operators, op)
	}
	if given == 0 {
		if len(m.Vertices) > 0 {
			return fmt.Errorf("%s: vertices needs the operators' vertex fields", name)
		}
		return nil
	}
	if given != len(m.Operators) {
		return fmt.Errorf("%s: %d of %d operators give their vertex: give it for every operator or for none", name, given, len(m.Operators))
	}
	for _, id := range order {
		v := byID[id]
		g.Vertices = append(g.Vertices, v)
		v.Output = v.Operators[len(v.Operators)-1]
		head := v.Head()
		for _, op := range v.Operators[1:] {
			op.MaxParallelism, op.MaxParallelismConfigured, op.MaxParallelismFromJob = head.MaxParallelism, head.MaxParallelismConfigured, head.MaxParallelismFromJob
		}
	}
	g.VertexInputsKnown = len(m.Vertices) > 0
	g.GateOrderKnown = g.VertexInputsKnown
	seen := map[string]bool{}
	for i, mv := range m.Vertices {
		id := strings.ToLower(mv.ID)
		v := byID[id]
		if v == nil {
			return fmt.Errorf("%s: vertices[%d]: no operator is in vertex %s", name, i, mv.ID)
		}
		if seen[id] {
			return fmt.Errorf("%s: vertices[%d]: vertex %s is listed twice", name, i, mv.ID)
		}
		seen[id] = true
		for j, in := range mv.Inputs {
			from := byID[strings.ToLower(in.Vertex)]
			if from == nil {
				return fmt.Errorf("%s: vertices[%d].inputs[%d]: no operator is in vertex %s", name, i, j, in.Vertex)
			}
			v.addInput(from, in.Distribution == "ALL_TO_ALL", streamgraph.Partitioner(in.Partitioner))
		}
	}
	return nil
}

// addTopology derives the operators of a manifest that describes the
// stream graph (topology) or gives Flink's execution plan: IDs of operators
// with a uid from the uid, the others as StreamGraphHasherV2 generates them.
func addTopology(g *JobGraph, m *manifest, name string) error {
	sg := m.Topology
	how := "topology"
	if m.ExecutionPlan != nil {
		var opts streamgraph.PlanOptions
		if m.PlanOptions != nil {
			opts = *m.PlanOptions
		}
		var err error
		if sg, err = streamgraph.GraphFromPlan(m.ExecutionPlan, opts); err != nil {
			return fmt.Errorf("%s: executionPlan: %v", name, err)
		}
		how = "execution plan"
	} else if err := sg.Validate(); err != nil {
		return fmt.Errorf("%s: topology: %v", name, err)
	}
	version := m.FlinkVersion
	if version == "" {
		return fmt.Errorf("%s: a manifest with a %s needs flinkVersion: the generated IDs depend on the Flink version's chaining rules", name, how)
	}
	// The job-wide max parallelism is every transformation's that sets
	// none (StreamGraphGenerator#transform, StreamGraphGenerator.java
	// L489-L496, Flink 1.20; L466-L472, Flink 2.0), so the StreamNodes
	// carry it: it counts where Flink 1.18+ compares max parallelisms for
	// chaining.
	hashed := sg
	if m.MaxParallelism > 0 {
		c := *sg
		c.Nodes = append([]streamgraph.Node(nil), sg.Nodes...)
		for i := range c.Nodes {
			if c.Nodes[i].MaxParallelism <= 0 {
				c.Nodes[i].MaxParallelism = m.MaxParallelism
			}
		}
		hashed = &c
	}
	ids, err := streamgraph.Hash(hashed, version)
	if err != nil {
		return fmt.Errorf("%s: %s: %v", name, how, err)
	}
	chains, err := streamgraph.Chains(hashed, version)
	if err != nil {
		return fmt.Errorf("%s: %s: %v", name, how, err)
	}
	g.Topology = sg
	byNode := map[int]*Operator{}
	for _, n := range sg.Nodes {
		pair := ids[n.ID]
		op := &Operator{ID: pair.Generated, UIDHash: pair.UserDefined, UID: n.UID, Name: n.Name,
			AutoID: pair.Auto, Source: n.Kind == streamgraph.KindSource,
			Node: fmt.Sprintf("%s node %d", how, n.ID)}
		if n.Parallelism > 0 {
			op.Parallelism = n.Parallelism
		}
		if n.Stateful {
			op.Stateful = Stateful
		}
		byNode[n.ID] = op
		g.Operators = append(g.Operators, op)
	}
	addVertices(g, sg, chains, byNode, m.MaxParallelism)
	return nil
}

// addVertices groups the operators into Flink's job vertices and gives
// every operator its vertex's max parallelism: the job vertex takes the
// max parallelism of its head's StreamNode alone
// (StreamingJobGraphGenerator#createJobVertex, called for the chain's start
// node only: StreamingJobGraphGenerator.java L756 and L1049, Flink 1.20;
// flink-runtime/.../StreamingJobGraphGenerator.java L784 and L1100, Flink
// 2.0), and Flink checks the savepoint's max parallelism of every operator
// against its vertex's (Checkpoints.java L169-L177). An explicit max
// parallelism on a chained operator that is not the head does not reach
// the vertex; the head's applies to the whole chain.
func addVertices(g *JobGraph, sg *streamgraph.Graph, chains [][]int, byNode map[int]*Operator, jobMax int) {
	g.VertexInputsKnown = true
	vertexOf := map[int]*Vertex{}
	head := map[*Vertex]int{}
	for _, chain := range chains {
		v := &Vertex{}
		for _, id := range chain {
			op := byNode[id]
			op.Vertex = v
			v.Operators = append(v.Operators, op)
			vertexOf[id] = v
		}
		head[v] = chain[0]
		g.Vertices = append(g.Vertices, v)
		hn := sg.Node(chain[0])
		maxPar, fromJob := hn.MaxParallelism, false
		if maxPar <= 0 && jobMax > 0 {
			maxPar, fromJob = jobMax, true
		}
		for _, op := range v.Operators {
			op.Parallelism = v.Operators[0].Parallelism
			if maxPar > 0 {
				op.MaxParallelism, op.MaxParallelismConfigured, op.MaxParallelismFromJob = maxPar, true, fromJob
			}
		}
	}
	// An edge inside a chain ends at an operator that is not the head (a
	// chained operator has exactly one input, the chained edge); every
	// other edge connects two vertices.
	out := map[int][]streamgraph.Edge{}
	for _, e := range sg.Edges {
		out[e.Source] = append(out[e.Source], e)
		from, to := vertexOf[e.Source], vertexOf[e.Target]
		if from == to && head[to] != e.Target {
			continue
		}
		// Forward and rescale edges are POINTWISE, all others ALL_TO_ALL
		// (StreamingJobGraphGenerator#connect).
		to.addInput(from, e.Partitioner != streamgraph.PartitionForward && e.Partitioner != streamgraph.PartitionRescale, e.Partitioner)
	}
	// The output operator: from the head, the first chained output, until
	// an operator has none.
	for _, v := range g.Vertices {
		id := head[v]
		for {
			next := -1
			for _, e := range out[id] {
				if vertexOf[e.Target] == v && head[v] != e.Target {
					next = e.Target
					break
				}
			}
			if next < 0 {
				break
			}
			id = next
		}
		v.Output = byNode[id]
	}
}

// schemaErrorText lists the schema errors, one per line in the order of
// the file, each with where it is (name:line:column) and the field's path;
// an unknown field gets a "did you mean" suggestion from the fields the
// schema allows there, and the properties an anyOf of "required" misses
// at one place make one line.
func schemaErrorText(errs []schemacheck.Error, name string, loc *locator) string {
	type line struct {
		line, col int
		where     string // name:line:column: field
		msg       string
		missing   string // the one property a "required" misses
	}
	var lines []line
	for _, e := range errs {
		if len(e.Unknown) > 0 {
			for _, p := range e.Unknown {
				l, c := loc.pos(e.Path, p)
				m := fmt.Sprintf("unknown field %q", p)
				if s := suggest.Closest(p, e.Allowed); s != "" {
					m += fmt.Sprintf(" (did you mean %q?)", s)
				} else if len(e.Allowed) > 0 {
					m += " (allowed: " + strings.Join(e.Allowed, ", ") + ")"
				}
				lines = append(lines, line{l, c, fmt.Sprintf("  %s: %s", at(name, l, c), fieldPath(e.Path)), m, ""})
			}
			continue
		}
		l, c := loc.pos(e.Path, "")
		ln := line{l, c, fmt.Sprintf("  %s: %s", at(name, l, c), fieldPath(e.Path)), e.Message, ""}
		switch {
		case len(e.Together) > 1:
			// The schema's "not": exactly one of the properties.
			ln.msg = fmt.Sprintf("%s are given together; give only one of them", joinQuoted(e.Together))
		case len(e.Missing) == 1:
			ln.missing = e.Missing[0]
		}
		lines = append(lines, ln)
	}
	slices.SortStableFunc(lines, func(a, b line) int {
		if a.line != b.line {
			return a.line - b.line
		}
		return a.col - b.col
	})
	var out []string
	seen := map[string]bool{}
	emit := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for i := 0; i < len(lines); {
		l := lines[i]
		if l.missing == "" {
			emit(l.where + ": " + l.msg)
			i++
			continue
		}
		// The alternatives of an anyOf of "required" at one place: one
		// line that names them all.
		var props []string
		for ; i < len(lines) && lines[i].missing != "" && lines[i].where == l.where; i++ {
			if q := "'" + lines[i].missing + "'"; !slices.Contains(props, q) {
				props = append(props, q)
			}
		}
		if len(props) == 1 {
			emit(fmt.Sprintf("%s: missing property %s", l.where, props[0]))
		} else {
			emit(fmt.Sprintf("%s: needs one of the properties %s", l.where, strings.Join(props, ", ")))
		}
	}
	return strings.Join(out, "\n")
}

// joinQuoted writes 'a', 'b' and 'c'.
func joinQuoted(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = "'" + s + "'"
	}
	return joinList(q)
}

// parseDuration reads a Flink-style duration: "", "3600000 ms", "1 h",
// "30 min", "10 s", "2 d" (a bare number is milliseconds). It returns
// milliseconds.
func parseDuration(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("%q does not start with a number", s)
	}
	var n int64
	if _, err := fmt.Sscan(s[:i], &n); err != nil {
		return 0, fmt.Errorf("%q: %v", s, err)
	}
	unit := strings.ToLower(strings.TrimSpace(s[i:]))
	mult := map[string]int64{"": 1, "ms": 1, "milli": 1, "millis": 1, "milliseconds": 1,
		"s": 1000, "sec": 1000, "secs": 1000, "second": 1000, "seconds": 1000,
		"min": 60000, "m": 60000, "minute": 60000, "minutes": 60000,
		"h": 3600000, "hour": 3600000, "hours": 3600000, "d": 86400000, "day": 86400000, "days": 86400000}
	f, ok := mult[unit]
	if !ok {
		return 0, fmt.Errorf("%q: unknown unit %q", s, unit)
	}
	return n * f, nil
}
