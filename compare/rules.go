package compare

import (
	"fmt"
	"strings"
)

// Severity orders findings. An unknown finding ranks above a warning: it
// means spcheck could not decide, and CI that fails on warnings must not
// pass it.
type Severity int8

const (
	Info Severity = iota + 1
	Warning
	Unknown
	Error
)

func (s Severity) String() string {
	switch s {
	case Info:
		return "info"
	case Warning:
		return "warning"
	case Unknown:
		return "unknown"
	case Error:
		return "error"
	}
	return fmt.Sprintf("Severity(%d)", int8(s))
}

// ParseSeverity reads info, warning, unknown or error (any case).
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(s) {
	case "info":
		return Info, nil
	case "warning", "warn":
		return Warning, nil
	case "unknown":
		return Unknown, nil
	case "error":
		return Error, nil
	}
	return 0, fmt.Errorf("severity must be one of info, warning, unknown or error, not %q", s)
}

// MarshalText writes the severity's name (for JSON).
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// A Rule is one check spcheck makes. IDs are stable: never reused or
// renamed.
type Rule struct {
	ID       string   // "SP001"
	Name     string   // "state-dropped"
	Severity Severity // default severity
	// Summary says when the rule fires, in one sentence.
	Summary string
	// Flink names the Flink source the rule reproduces.
	Flink string
}

// Rules in documentation order.
var Rules = []Rule{
	{"SP001", "state-dropped", Error,
		"A savepoint operator holds state and no operator of the new job graph has its ID: Flink refuses the restore, or with --allow-non-restored-state drops the state (then a warning).",
		"Checkpoints.loadAndValidateCheckpoint"},
	{"SP002", "empty-state-unmatched", Info,
		"A savepoint operator without state has no operator in the new job graph: Flink skips it.",
		"Checkpoints.loadAndValidateCheckpoint"},
	{"SP003", "uid-changed", Error,
		"An operator of the new job graph is the savepoint's operator under a new ID (same name, or the same operator of --old-graph): its state would not be restored.",
		"StreamGraphHasherV2.generateUserSpecifiedHash"},
	{"SP004", "new-stateful-operator", Info,
		"A stateful operator of the new job graph has no state in the savepoint and starts empty (a warning for sources, which then start from their configured position).",
		"StateAssignmentOperation.assignStates"},
	{"SP005", "missing-uid", Warning,
		"A stateful operator of the new job graph has no explicit uid: its ID depends on the topology and changes with unrelated edits.",
		"StreamGraphHasherV2"},
	{"SP006", "duplicate-id", Error,
		"Two operators of the new job graph have the same ID: Flink refuses to build the job graph.",
		"StreamGraphHasherV2.generateNodeHash"},
	{"SP007", "unknown-operator", Unknown,
		"An operator of the new job graph whose ID spcheck can only guess (an unknown SQL exec node) while savepoint state is unclaimed: it may be the operator that claims it.",
		""},
	{"SP008", "old-graph-mismatch", Unknown,
		"The old job graph (--old-graph) does not reproduce the savepoint's operator IDs: what spcheck predicts from it, in particular auto-generated IDs, cannot be trusted.",
		"StreamGraphHasherV2"},
	{"SP009", "auto-id-changed", Error,
		"An operator without uid holds state, and the edit changes the ID Flink generates for it from the topology: its state would not be restored.",
		"StreamGraphHasherV2.generateDeterministicHash"},
	{"SP010", "max-parallelism-mismatch", Error,
		"An operator's explicitly configured max parallelism differs from the savepoint's: Flink refuses the restore.",
		"Checkpoints.loadAndValidateCheckpoint, DefaultVertexParallelismInfo.canRescaleMaxParallelism"},
	{"SP011", "parallelism-exceeds-max", Error,
		"An operator with state would run with a parallelism above the max parallelism its state was written with: Flink refuses the restore.",
		"StateAssignmentOperation.checkParallelismPreconditions"},
	{"SP012", "parallelism-above-configured-max", Error,
		"An operator's parallelism is above its own configured max parallelism: Flink refuses to start the job.",
		"ExecutionJobVertex (VertexParallelismInformation)"},
	{"SP013", "state-reassigned", Error,
		"A savepoint operator's ID now belongs to a different operator of the new graph (by --old-graph, that ID was another operator): Flink restores the state into the wrong operator without complaint.",
		"Checkpoints.loadAndValidateCheckpoint"},
	{"SP020", "coordinator-state-dropped", Error,
		"A savepoint operator holds operator-coordinator state (e.g. a FLIP-27 source's split enumerator) and no operator of the new job graph claims it.",
		"Checkpoints.loadAndValidateCheckpoint"},
	{"SP030", "in-flight-data", Warning,
		"The checkpoint holds in-flight data of an unaligned checkpoint for an operator whose parallelism changes or that has no match: rescaling in-flight data fails for some partitioners, and unmatched in-flight data is lost.",
		"StateAssignmentOperation.reDistributeInputChannelStates"},
	{"SP050", "state-removed", Warning,
		"A state of the savepoint is not among the states the new job graph declares for its operator: Flink restores it, nothing reads it, and every checkpoint writes it again.",
		"HeapRestoreOperation, RocksDB restore operations, DefaultOperatorStateBackend.restore"},
	{"SP051", "state-added", Info,
		"The new job graph declares a state the savepoint does not hold: it starts empty.",
		"StateDescriptor registration"},
	{"SP052", "state-kind-changed", Error,
		"A state changes kind (value, list, map, reducing, aggregating; list and union list): Flink refuses to register it.",
		"RegisteredKeyValueStateBackendMetaInfo.checkStateMetaInfo, DefaultOperatorStateBackend.checkStateNameAndMode"},
	{"SP053", "key-serializer-changed", Error,
		"The key type of a keyed operator changes: the key serializer must be compatible as is, or Flink refuses the restore.",
		"HeapRestoreOperation, RocksDBFullRestoreOperation"},
	{"SP054", "value-serializer-incompatible", Error,
		"The new serializer of a state cannot read what the savepoint's wrote (a POJO field changing type, Kryo to POJO, an Avro schema Avro cannot resolve, another type): Flink refuses the restore.",
		"TypeSerializerSnapshot.resolveSchemaCompatibility, StateMigrationException"},
	{"SP055", "state-evolution-compatible", Info,
		"A state's serializer evolves in a way Flink migrates on restore (POJO fields added or removed, a compatible Avro schema change).",
		"PojoSerializerSnapshot, AvroSerializerSnapshot.resolveSchemaCompatibility"},
	{"SP056", "state-compatibility-unknown", Unknown,
		"spcheck cannot decide whether a state restores: a serializer it does not know, a declaration outside its vocabulary, a POJO without fields, Avro without a schema, unreadable headers.",
		""},
	{"SP057", "ttl-changed", Error,
		"A keyed state's TTL is turned on or off: Flink before 2.1 refuses the restore; 2.1 migrates with RocksDB only (unknown); 2.2 and later migrate it (info).",
		"TtlStateFactory, TtlAwareSerializerSnapshot (Flink 2.0+)"},

	// Upgrade rules: the Flink release and state backend that restore the
	// savepoint (check --flink-version, --state-backend; compare/upgrade.go).
	{"SP070", "metadata-format-unreadable", Error,
		"The savepoint's _metadata format is newer than the target Flink reads (or format 1 on Flink 1.11+): Flink refuses the file.",
		"MetadataSerializers.getSerializer, MetadataV1Serializer"},
	{"SP071", "legacy-serializer-snapshot", Error,
		"State written with pre-1.8 TypeSerializerConfigSnapshot serializers, restored on Flink 1.17 or later (FLINK-29807): Flink refuses the restore (unknown without --deep for savepoints that may be from 1.7 or earlier).",
		"TypeSerializerSnapshotSerializationUtil (FLINK-29807)"},
	{"SP072", "state-backend-switch", Error,
		"A checkpoint or native savepoint restored into another state backend than the one that wrote it: an error where Flink's restore refuses the handles, unknown where the handles do not tell the writing backend.",
		"HeapRestoreOperation, RocksDB and ForSt restore operations"},
	{"SP073", "major-version-upgrade", Unknown,
		"A Flink 1.x savepoint restored on Flink 2.x: Flink does not guarantee state compatibility between 1.x and 2.x.",
		"Flink 2.0 release notes"},
	{"SP074", "kryo-state-on-flink2", Error,
		"With --deep: state serialized with Kryo 2 in Flink 1.x, restored on Flink 2.x, which reads it with Kryo 5 (FLINK-3154).",
		"KryoSerializer (Kryo 5.6, Flink 2.0)"},
	{"SP075", "scala-serializer-on-flink2", Unknown,
		"With --deep: state written with Flink's Scala serializers, restored on Flink 2.x, which removed the Scala API: it restores only if the job ships those serializer classes.",
		"TypeSerializerSnapshotSerializationUtil.readAndInstantiateSnapshotClass"},
	{"SP076", "flink-downgrade", Unknown,
		"The savepoint was written by a newer Flink than the one that would restore it: Flink's compatibility table guarantees no restore on an older release.",
		"docs/content/docs/ops/upgrading.md (Compatibility Table)"},
	{"SP077", "compatibility-table-limitation", Error,
		"A limitation of Flink's compatibility table applies: parallelism changed while migrating a Flink 1.2 savepoint, or an unaligned checkpoint of Flink 1.12 restored on 1.13+.",
		"docs/content/docs/ops/upgrading.md (Compatibility Table)"},
}

// RuleByID returns the rule with the given ID.
func RuleByID(id string) (Rule, bool) {
	for _, r := range Rules {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}

func mustRule(id string) Rule {
	r, ok := RuleByID(id)
	if !ok {
		panic("compare: unknown rule " + id)
	}
	return r
}
