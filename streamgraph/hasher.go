package streamgraph

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spcheck/spcheck/metadata"
)

// Version is a Flink release, major and minor (the patch level does not
// change the hash).
type Version struct {
	Major, Minor int
}

// The releases Hash models. Flink 1.2 introduced StreamGraphHasherV2 and has
// stayed with it since ("DO NOT MODIFY THIS CLASS"); 1.2 itself is left out
// because its StreamGraphUserHashHasher refused setUidHash on an operator
// chained to its input, which is not modelled (nor is it for releases after
// 1.2 that may still have refused it). Versions after 2.3 are refused until
// their sources have been read (2.2 and 2.3: see doc.go).
var (
	MinVersion = Version{1, 3}
	MaxVersion = Version{2, 3}
)

// ParseVersion reads "1.15", "1.15.4", "v1.19" or "1.20-SNAPSHOT".
func ParseVersion(s string) (Version, error) {
	t := strings.TrimPrefix(strings.TrimSpace(s), "v")
	if i := strings.IndexAny(t, "-+ "); i >= 0 {
		t = t[:i]
	}
	parts := strings.Split(t, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return Version{}, fmt.Errorf("streamgraph: Flink version %q: want MAJOR.MINOR or MAJOR.MINOR.PATCH", s)
	}
	var nums [3]int
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return Version{}, fmt.Errorf("streamgraph: Flink version %q: %q is not a number", s, p)
		}
		nums[i] = n
	}
	return Version{nums[0], nums[1]}, nil
}

func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// AtLeast reports whether v is major.minor or later.
func (v Version) AtLeast(major, minor int) bool {
	return v.Major > major || v.Major == major && v.Minor >= minor
}

func supportedVersion(s string) (Version, error) {
	v, err := ParseVersion(s)
	if err != nil {
		return v, err
	}
	if !v.AtLeast(MinVersion.Major, MinVersion.Minor) || v.AtLeast(MaxVersion.Major, MaxVersion.Minor+1) {
		return v, fmt.Errorf("streamgraph: Flink %s is not modelled (supported: %s to %s)", v, MinVersion, MaxVersion)
	}
	return v, nil
}

// OperatorIDPair is the pair of IDs Flink registers for an operator
// (org.apache.flink.runtime.OperatorIDPair): the generated ID, which a
// savepoint's state is matched against first, and the user-defined
// alternative from setUidHash.
type OperatorIDPair struct {
	// Generated is murmur3_128 of the uid, or, for an operator without uid,
	// the hash of its position in the topology.
	Generated metadata.OperatorID
	// UserDefined is the setUidHash value; nil when none is set.
	UserDefined *metadata.OperatorID
	// Auto is true when Generated comes from the topology (no uid).
	Auto bool
}

// Hash returns the OperatorIDs Flink flinkVersion assigns to the nodes of g,
// keyed by node ID, exactly as StreamGraphHasherV2 and
// StreamGraphUserHashHasher compute them (flink-streaming-java, in the 2.x
// line flink-runtime, .../streaming/api/graph/StreamGraphHasherV2.java):
//
//   - The traversal is breadth-first. It starts from the sources in the
//     order of their node IDs and follows each node's output edges in
//     order. A node without uid whose inputs are not all hashed yet is put
//     back; a later input re-enqueues it.
//   - A node with uid gets murmur3_128 of the UTF-8 uid; it needs no input
//     hashed. Flink refuses a uid hash equal to one already assigned.
//   - A node without uid hashes, as little-endian 32-bit ints, the number
//     of hashes assigned so far, once, and once more for each output edge
//     that is chainable (see IsChainable). Then, for each input edge in
//     order, every byte becomes byte*37 XOR the input's byte.
//
// An error is returned for an invalid graph, an unsupported version, a
// chaining strategy the version does not know, or a uid hash collision.
func Hash(g *Graph, flinkVersion string) (map[int]OperatorIDPair, error) {
	v, err := supportedVersion(flinkVersion)
	if err != nil {
		return nil, err
	}
	t, err := newTopology(g, v)
	if err != nil {
		return nil, err
	}

	hashes := make(map[int]metadata.OperatorID, len(g.Nodes))
	visited := make(map[int]bool, len(g.Nodes))
	var queue []int
	for _, id := range t.sources {
		queue = append(queue, id)
		visited[id] = true
	}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		ok, err := t.hashNode(id, hashes)
		if err != nil {
			return nil, err
		}
		if !ok {
			// Revisited when another input has been hashed.
			delete(visited, id)
			continue
		}
		for _, ei := range t.out[id] {
			child := g.Edges[ei].Target
			if !visited[child] {
				queue = append(queue, child)
				visited[child] = true
			}
		}
	}
	if len(hashes) != len(g.Nodes) {
		// Validate rules this out (every node is reachable, no cycles).
		return nil, fmt.Errorf("streamgraph: internal error: %d of %d nodes hashed", len(hashes), len(g.Nodes))
	}

	result := make(map[int]OperatorIDPair, len(g.Nodes))
	for i := range g.Nodes {
		n := &g.Nodes[i]
		pair := OperatorIDPair{Generated: hashes[n.ID], Auto: n.UID == ""}
		if n.UIDHash != "" {
			alt, _ := parseUIDHash(n.UIDHash) // checked by Validate
			pair.UserDefined = &alt
		}
		result[n.ID] = pair
	}
	return result, nil
}

// hashNode is StreamGraphHasherV2#generateNodeHash: it reports false when an
// input of a node without uid has no hash yet.
func (t *topology) hashNode(id int, hashes map[int]metadata.OperatorID) (bool, error) {
	n := t.nodes[id]
	if n.UID != "" {
		h := UserSpecifiedID(n.UID)
		for other, prev := range hashes {
			if prev == h {
				return false, fmt.Errorf("streamgraph: hash collision on user-specified ID %q of %s with %s; Flink refuses the job (uids must be unique)",
					n.UID, n.label(), t.nodes[other].label())
			}
		}
		hashes[id] = h
		return true, nil
	}
	for _, ei := range t.in[id] {
		if _, ok := hashes[t.g.Edges[ei].Source]; !ok {
			return false, nil
		}
	}

	// generateDeterministicHash: Guava's Hasher.putInt writes little-endian.
	index := uint32(len(hashes))
	buf := binary.LittleEndian.AppendUint32(nil, index)
	for _, ei := range t.out[id] {
		if t.isChainable(ei) {
			buf = binary.LittleEndian.AppendUint32(buf, index)
		}
	}
	h := HashBytes(buf)
	for _, ei := range t.in[id] {
		in := hashes[t.g.Edges[ei].Source]
		for j := range h {
			h[j] = h[j]*37 ^ in[j]
		}
	}
	hashes[id] = h
	return true, nil
}

// IsChainable reports whether Flink flinkVersion chains the edge with index
// edge of g (g.Edges[edge]), by the rule the hasher applies:
//
//   - 1.3 to 1.10: StreamGraphHasherV2's own copy of the rule. The target has
//     exactly one input; both nodes are in the same slot sharing group; the
//     target's strategy is ALWAYS and the source's HEAD or ALWAYS; the
//     partitioner is forward; the parallelisms are equal; chaining is
//     enabled.
//   - 1.11 and later: StreamingJobGraphGenerator#isChainable, to which the
//     hasher delegates. The same conditions, and: a BATCH exchange does not
//     chain; a yielding operator (async I/O) does not chain to a chain headed
//     by a legacy source; from 1.12 a HEAD_WITH_SOURCES target chains to a
//     FLIP-27 source only (areOperatorsChainable); from 1.18, with
//     Settings.NoChainingWithDifferentMaxParallelism, the max parallelisms
//     must be equal.
func IsChainable(g *Graph, edge int, flinkVersion string) (bool, error) {
	v, err := supportedVersion(flinkVersion)
	if err != nil {
		return false, err
	}
	t, err := newTopology(g, v)
	if err != nil {
		return false, err
	}
	if edge < 0 || edge >= len(g.Edges) {
		return false, fmt.Errorf("streamgraph: edge index %d out of range (the graph has %d edges)", edge, len(g.Edges))
	}
	return t.isChainable(edge), nil
}

// Chains groups the node IDs of g into the operator chains (job vertices)
// Flink flinkVersion builds from its chainable edges, by the rule of
// IsChainable (for 1.3-1.10 the hasher's copy of the rule): each chain
// starts with
// its head and lists the chained nodes depth-first along output edges, as
// StreamingJobGraphGenerator#createChain visits them; chains are ordered by
// the ID of their head. Sources that Flink 1.12+ chains into a
// multiple-input operator (HEAD_WITH_SOURCES with several inputs) are
// reported as chains of their own.
func Chains(g *Graph, flinkVersion string) ([][]int, error) {
	v, err := supportedVersion(flinkVersion)
	if err != nil {
		return nil, err
	}
	t, err := newTopology(g, v)
	if err != nil {
		return nil, err
	}
	var heads []int
	for id := range t.nodes {
		chained := false
		for _, ei := range t.in[id] {
			if t.isChainable(ei) {
				chained = true
			}
		}
		if !chained {
			heads = append(heads, id)
		}
	}
	slices.Sort(heads)
	var chains [][]int
	for _, head := range heads {
		var chain []int
		var walk func(id int)
		walk = func(id int) {
			chain = append(chain, id)
			for _, ei := range t.out[id] {
				if t.isChainable(ei) {
					walk(g.Edges[ei].Target)
				}
			}
		}
		walk(head)
		chains = append(chains, chain)
	}
	return chains, nil
}

// topology is a validated graph with its edges per node.
type topology struct {
	g       *Graph
	v       Version
	nodes   map[int]*Node
	ssg     map[int]string // slot sharing group per node, as Flink determines it
	in, out map[int][]int  // edge indexes in edge order
	sources []int          // sorted
}

func newTopology(g *Graph, v Version) (*topology, error) {
	if g == nil {
		return nil, fmt.Errorf("streamgraph: nil graph")
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	t := &topology{
		g:     g,
		v:     v,
		nodes: make(map[int]*Node, len(g.Nodes)),
		in:    make(map[int][]int, len(g.Nodes)),
		out:   make(map[int][]int, len(g.Nodes)),
	}
	for i := range g.Nodes {
		n := &g.Nodes[i]
		t.nodes[n.ID] = n
		if n.Kind == KindSource {
			t.sources = append(t.sources, n.ID)
		}
		if n.Chaining == ChainHeadWithSources && !v.AtLeast(1, 12) {
			return nil, fmt.Errorf("streamgraph: %s: chaining strategy HEAD_WITH_SOURCES does not exist before Flink 1.12 (have %s)", n.label(), v)
		}
	}
	slices.Sort(t.sources)
	for i, e := range g.Edges {
		t.out[e.Source] = append(t.out[e.Source], i)
		t.in[e.Target] = append(t.in[e.Target], i)
	}
	t.ssg = slotSharingGroups(g, t.in)
	return t, nil
}

// slotSharingGroups is StreamGraphGenerator#determineSlotSharingGroup
// (flink-streaming-java/src/main/java/org/apache/flink/streaming/api/graph/StreamGraphGenerator.java
// L851-L866, Flink 1.20): a node's own group when it sets one; else its
// inputs' group when all inputs are in one group; else the default group
// (also for a node without inputs). Nodes are translated in creation
// (ID) order, so a node's inputs have their group before it.
func slotSharingGroups(g *Graph, in map[int][]int) map[int]string {
	order := make([]*Node, len(g.Nodes))
	for i := range g.Nodes {
		order[i] = &g.Nodes[i]
	}
	slices.SortFunc(order, func(a, b *Node) int { return a.ID - b.ID })
	groups := make(map[int]string, len(order))
	for _, n := range order {
		if n.SlotSharingGroup != "" {
			groups[n.ID] = n.SlotSharingGroup
			continue
		}
		group := ""
		for _, ei := range in[n.ID] {
			cand, ok := groups[g.Edges[ei].Source]
			if !ok {
				continue // a feedback edge from a later node
			}
			if group == "" {
				group = cand
			} else if group != cand {
				group = DefaultSlotSharingGroup
				break
			}
		}
		if group == "" {
			group = DefaultSlotSharingGroup
		}
		groups[n.ID] = group
	}
	return groups
}

// isChainable is StreamingJobGraphGenerator#isChainable (1.11+) or
// StreamGraphHasherV2#isChainable (1.3-1.10).
func (t *topology) isChainable(ei int) bool {
	return len(t.in[t.g.Edges[ei].Target]) == 1 && t.isChainableInput(ei)
}

// isChainableInput is StreamingJobGraphGenerator#isChainableInput; for
// 1.3-1.10 it is the rest of the hasher's own rule.
func (t *topology) isChainableInput(ei int) bool {
	e := &t.g.Edges[ei]
	up, down := t.nodes[e.Source], t.nodes[e.Target]
	if t.g.Settings.DisableOperatorChaining ||
		t.ssg[up.ID] != t.ssg[down.ID] ||
		e.Partitioner != PartitionForward ||
		normParallelism(up.Parallelism) != normParallelism(down.Parallelism) {
		return false
	}
	if !t.v.AtLeast(1, 11) {
		upS, downS := up.EffectiveChaining(), down.EffectiveChaining()
		return downS == ChainAlways && (upS == ChainHead || upS == ChainAlways)
	}
	if e.ExchangeMode == ExchangeBatch || !t.areOperatorsChainable(up, down) {
		return false
	}
	if t.v.AtLeast(1, 18) && t.g.Settings.NoChainingWithDifferentMaxParallelism &&
		normParallelism(up.MaxParallelism) != normParallelism(down.MaxParallelism) {
		return false
	}
	// A union into one input never chains.
	for _, other := range t.in[e.Target] {
		if other != ei && t.g.Edges[other].TypeNumber == e.TypeNumber {
			return false
		}
	}
	return true
}

// areOperatorsChainable is StreamingJobGraphGenerator#areOperatorsChainable
// (1.11+).
func (t *topology) areOperatorsChainable(up, down *Node) bool {
	if down.Yielding {
		if head := t.headOf(up); head.Kind == KindSource && !head.FLIP27 {
			return false
		}
	}
	if up.EffectiveChaining() == ChainNever {
		return false
	}
	switch down.EffectiveChaining() {
	case ChainAlways:
		return true
	case ChainHeadWithSources:
		return up.Kind == KindSource && up.FLIP27
	default: // HEAD, NEVER
		return false
	}
}

// headOf is StreamingJobGraphGenerator#getHeadOperator: the head of the
// chain n belongs to.
func (t *topology) headOf(n *Node) *Node {
	for {
		in := t.in[n.ID]
		if len(in) != 1 || !t.isChainable(in[0]) {
			return n
		}
		n = t.nodes[t.g.Edges[in[0]].Source]
	}
}
