package compare

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spcheck/spcheck/metadata"
)

// Provenance is what a savepoint tells of the Flink release and the state
// backend that wrote it, and of its format. Every conclusion comes from
// something in the file: the metadata format version, the handle types
// (each appeared in a known release, docs/FORMAT.md §5), the recorded
// checkpoint properties and, with deep reads, the serializer snapshots.
type Provenance struct {
	// MinFlink and MaxFlink bound the Flink release that wrote the file;
	// MaxFlink is zero when no upper bound is known.
	MinFlink, MaxFlink FlinkVersion
	// Backends are the state backends that could have written the keyed
	// state; nil when the file holds no keyed state (any backend).
	Backends []StateBackend
	// Snapshot says how the keyed state was written: "incremental"
	// (RocksDB or ForSt files), "full" (a full snapshot in the backend's own
	// format), "savepoint" (the canonical, backend-independent format),
	// "" without keyed state.
	Snapshot string
	// Changelog says the changelog state backend was on (its handles wrap
	// the backend's).
	Changelog bool
	// Format is "canonical", "native" or "checkpoint"; Guessed says the
	// file does not record it (format versions 1-3).
	Format  string
	Guessed bool
	// Evidence lists, for people, what each conclusion rests on.
	Evidence []string
}

// formatReleases bounds the Flink releases that write each metadata
// version (docs/FORMAT.md §2: Checkpoints.storeCheckpointMetadata writes
// the newest MetadataVNSerializer of the release). Flink 2.0 writes 5
// (Checkpoints.java:88 in 2.0.0 and 2.0.1), 2.1 to 2.3 write 6 (:88 in
// 2.1.0, 2.2.0 and 2.3.0; the restore oracle's snapshots of each), and no
// release up to 2.3 writes 7, which 2.3 does not read either
// (MetadataSerializers.java:36-41).
var formatReleases = map[int32][2]FlinkVersion{
	1: {V(1, 2), V(1, 2)},
	2: {V(1, 3), V(1, 10)},
	3: {V(1, 11), V(1, 15)},
	4: {V(1, 16), V(1, 20)},
	5: {V(2, 0), V(2, 0)},
	6: {V(2, 1), {}},
	7: {V(2, 4), {}},
}

// tagSince is the first release that writes each handle tag
// (docs/FORMAT.md §5, the commits cited there).
var tagSince = map[metadata.HandleTag]FlinkVersion{
	metadata.TagRelativeFileHandle:           V(1, 11),
	metadata.TagSavepointKeyGroupsHandle:     V(1, 13),
	metadata.TagChangelogBackendHandle:       V(1, 14),
	metadata.TagInMemoryChangelogHandle:      V(1, 14),
	metadata.TagChangelogStreamHandle:        V(1, 14),
	metadata.TagIncrementalKeyGroupsHandleV2: V(1, 15),
	metadata.TagKeyGroupsHandleV2:            V(1, 15),
	metadata.TagChangelogStreamHandleV2:      V(1, 16),
	metadata.TagChangelogBackendHandleV2:     V(1, 16),
	metadata.TagSegmentFileHandle:            V(1, 20),
	metadata.TagEmptySegmentFileHandle:       V(1, 20),
	metadata.TagFileMergingOperatorHandle:    V(1, 20),
}

// ProvenanceOf reads the provenance of m; states (from deep reads, may be
// nil) add what the serializer snapshots tell.
func ProvenanceOf(m *metadata.Metadata, states SavepointStates) Provenance {
	p := Provenance{}
	if r, ok := formatReleases[m.Version]; ok {
		p.MinFlink, p.MaxFlink = r[0], r[1]
		p.Evidence = append(p.Evidence, fmt.Sprintf("metadata format version %d (%s)", m.Version, metadata.FlinkReleases[m.Version]))
	}
	raise := func(v FlinkVersion, why string) {
		if v.Compare(p.MinFlink) > 0 {
			p.MinFlink = v
			p.Evidence = append(p.Evidence, why)
		}
	}
	lower := func(v FlinkVersion, why string) {
		if p.MaxFlink.IsZero() || v.Compare(p.MaxFlink) < 0 {
			p.MaxFlink = v
			p.Evidence = append(p.Evidence, why)
		}
	}
	for _, q := range m.Quirks {
		switch q {
		case metadata.QuirkChangelog114:
			lower(V(1, 14), "changelog handles in the Flink 1.14 layout")
		case metadata.QuirkNoChannelSubtaskIndex:
			lower(V(1, 11), "channel-state handles without subtask index (FLINK-19533, changed in 1.12)")
		}
	}
	var incremental, full, canonical, changelog, finished bool
	for i := range m.Operators {
		if m.Operators[i].FullyFinished {
			finished = true
		}
	}
	// The tags, not the handles: m may hold summaries only
	// (metadata.DecodeSummaries).
	tags := m.HandleTags()
	for t := range m.KeyedTags() {
		keyedKinds(t, &incremental, &full, &canonical, &changelog)
	}
	// The highest tag that raises the lower bound, for a stable message.
	var best metadata.HandleTag
	for t := range tags {
		if v, ok := tagSince[t]; ok && (best == 0 || v.Compare(tagSince[best]) > 0 || v == tagSince[best] && t < best) {
			best = t
		}
	}
	if best != 0 {
		raise(tagSince[best], fmt.Sprintf("%s handles (Flink %s+)", best, tagSince[best]))
	}
	if finished {
		raise(V(1, 14), "fully finished operators (Flink 1.14+, FLIP-147)")
	}
	k := m.Kind()
	switch {
	case k.Savepoint && k.Format == "NATIVE":
		p.Format = "native"
		raise(V(1, 15), "a native savepoint (Flink 1.15+, FLIP-203)")
	case k.Savepoint:
		p.Format = "canonical"
	case k.Known:
		p.Format = "checkpoint"
	case incremental || changelog:
		p.Format = "checkpoint or native savepoint"
	}
	p.Guessed = !k.Known && p.Format != ""
	p.Changelog = changelog
	switch {
	case incremental:
		p.Snapshot = "incremental"
		p.Backends = []StateBackend{BackendRocksDB}
		if p.MinFlink.AtLeast(2, 0) {
			p.Backends = append(p.Backends, BackendForSt)
		}
		p.Evidence = append(p.Evidence, "IncrementalRemoteKeyedStateHandle: RocksDB (or, on Flink 2.x, ForSt) files")
	case full:
		p.Snapshot = "full"
		p.Backends = []StateBackend{BackendHashMap, BackendRocksDB}
		p.Evidence = append(p.Evidence, "KeyGroupsStateHandle: a full snapshot, of the hashmap backend or of RocksDB without incremental checkpoints")
	case canonical:
		p.Snapshot = "savepoint"
		p.Evidence = append(p.Evidence, "KeyGroupsSavepointStateHandle: the savepoint format every backend reads")
	}
	if changelog {
		p.Evidence = append(p.Evidence, "ChangelogStateBackendHandle: the changelog state backend was on")
	}
	if states != nil {
		p.fromStates(states)
	}
	return p
}

// KeyedFormatEvidence is what the bytes of a full keyed-state snapshot (a
// KeyGroupsStateHandle: a checkpoint, a native savepoint, a savepoint
// before Flink 1.13) say of the backend that wrote it: the heap backend
// writes each key group's index at its offset, the full-snapshot format of
// RocksDB a state id and a key (savepoint/keyedformat.go cites Flink's
// writers).
type KeyedFormatEvidence struct {
	// Writer is BackendHashMap (the heap format) or BackendRocksDB (the
	// full-snapshot format); BackendUnknown when the bytes did not tell.
	Writer StateBackend
	// Evidence says what the answer rests on, or why there is none.
	Evidence string
}

// ApplyKeyedFormat narrows the backends of a full snapshot by what its
// bytes say.
func (p *Provenance) ApplyKeyedFormat(k *KeyedFormatEvidence) {
	if k == nil || p.Snapshot != "full" || k.Writer == BackendUnknown {
		return
	}
	p.Backends = []StateBackend{k.Writer}
	p.Evidence = append(p.Evidence, k.Evidence)
}

// keyedKinds classifies a keyed handle, looking into the changelog
// backend's materialized state.
// keyedKinds sets what a keyed handle's tag says about the backend.
func keyedKinds(t metadata.HandleTag, incremental, full, canonical, changelog *bool) {
	switch t {
	case metadata.TagIncrementalKeyGroupsHandle, metadata.TagIncrementalKeyGroupsHandleV2:
		*incremental = true
	case metadata.TagSavepointKeyGroupsHandle:
		*canonical = true
	case metadata.TagKeyGroupsHandle, metadata.TagKeyGroupsHandleV2:
		*full = true
	case metadata.TagChangelogBackendHandle, metadata.TagChangelogBackendHandleV2:
		*changelog = true
	}
}

// fromStates narrows the range by the serializer snapshots: a legacy
// TypeSerializerConfigSnapshot was last written by Flink 1.16 (FLINK-29807).
func (p *Provenance) fromStates(states SavepointStates) {
	legacy := false
	for _, info := range states {
		forEachSnapshot(info, func(s *metadata.SerializerSnapshot) {
			if s.Legacy {
				legacy = true
			}
		})
	}
	if legacy && (p.MaxFlink.IsZero() || p.MaxFlink.Compare(V(1, 16)) > 0) {
		p.MaxFlink = V(1, 16)
		p.Evidence = append(p.Evidence, "legacy TypeSerializerConfigSnapshot serializers (written up to Flink 1.16, FLINK-29807)")
	}
}

// forEachSnapshot calls fn for every serializer snapshot of an operator's
// states, nested ones included.
func forEachSnapshot(info *OperatorStateInfo, fn func(*metadata.SerializerSnapshot)) {
	var walk func(s *metadata.SerializerSnapshot, depth int)
	walk = func(s *metadata.SerializerSnapshot, depth int) {
		if s == nil || depth > 64 {
			return
		}
		fn(s)
		for i := range s.Nested {
			walk(&s.Nested[i], depth+1)
		}
	}
	if info == nil {
		return
	}
	walk(info.KeySerializer, 0)
	for i := range info.States {
		walk(info.States[i].Value, 0)
		walk(info.States[i].Key, 0)
		walk(info.States[i].Namespace, 0)
	}
}

// Range is "Flink 1.16 – 1.20", "Flink 1.15", "Flink 2.0 or later".
func (p Provenance) Range() string {
	switch {
	case p.MinFlink.IsZero():
		return "an unknown Flink"
	case p.MaxFlink.IsZero():
		return "Flink " + p.MinFlink.String() + " or later"
	case p.MinFlink == p.MaxFlink:
		return "Flink " + p.MinFlink.String()
	}
	return "Flink " + p.MinFlink.String() + " – " + p.MaxFlink.String()
}

// BackendText is "RocksDB (incremental)", "hashmap or RocksDB (full
// snapshot)", "any (savepoint format)" or "any (no keyed state)", with
// "+ changelog" when the changelog backend was on.
func (p Provenance) BackendText() string {
	var s string
	switch p.Snapshot {
	case "incremental":
		s = backendNames(p.Backends) + " (incremental)"
	case "full":
		s = backendNames(p.Backends) + " (full snapshot)"
	case "savepoint":
		s = "any (keyed state in the savepoint format)"
	case "":
		if p.Changelog {
			return "not recorded (only changelog changes, nothing materialized), changelog on"
		}
		s = "any (no keyed state)"
	}
	if p.Changelog {
		s += ", changelog on"
	}
	return s
}

func backendNames(bs []StateBackend) string {
	var names []string
	for _, b := range bs {
		names = append(names, b.Label())
	}
	return strings.Join(names, " or ")
}

// Summary is the one line inspect prints: "written by Flink 1.16 – 1.20,
// backend RocksDB (incremental), native".
func (p Provenance) Summary() string {
	s := "written by " + p.Range() + ", backend " + p.BackendText()
	switch {
	case p.Format == "":
		s += ", canonical or native not recorded"
	case p.Guessed:
		s += ", " + p.Format + " (guessed)"
	default:
		s += ", " + p.Format
	}
	return s
}

// provenanceJSON is the JSON form of a Provenance (check -o json).
type provenanceJSON struct {
	Summary   string         `json:"summary"`
	MinFlink  string         `json:"min_flink,omitempty"`
	MaxFlink  string         `json:"max_flink,omitempty"`
	Backends  []StateBackend `json:"backends,omitempty"`
	Snapshot  string         `json:"snapshot,omitempty"`
	Changelog bool           `json:"changelog"`
	Format    string         `json:"format,omitempty"`
	Guessed   bool           `json:"format_guessed"`
	Evidence  []string       `json:"evidence"`
}

// MarshalJSON writes the provenance with its one-line summary.
func (p Provenance) MarshalJSON() ([]byte, error) {
	return json.Marshal(provenanceJSON{Summary: p.Summary(), MinFlink: p.MinFlink.String(), MaxFlink: p.MaxFlink.String(),
		Backends: p.Backends, Snapshot: p.Snapshot, Changelog: p.Changelog, Format: p.Format, Guessed: p.Guessed, Evidence: p.Evidence})
}
