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

// An Outcome is what Flink does with the restore because of a finding.
// Flink has three: it refuses the restore, it restores and drops the
// finding's state, or it restores. OutcomeUnknown says spcheck cannot
// decide which; a gate treats it as a failure.
type Outcome int8

const (
	// Restores: Flink restores; the finding is advice (a new operator
	// starting empty, a missing uid, a migrated serializer).
	Restores Outcome = iota + 1
	// RestoresLosingState: Flink restores and this state is not restored
	// (dropped with --allowNonRestoredState, or given to another operator).
	RestoresLosingState
	// OutcomeUnknown: spcheck cannot tell which of Flink's outcomes it is.
	OutcomeUnknown
	// Refused: Flink refuses the restore (or the job does not start).
	Refused
)

// String is the outcome's JSON spelling.
func (o Outcome) String() string {
	switch o {
	case Restores:
		return "restores"
	case RestoresLosingState:
		return "restores-losing-state"
	case OutcomeUnknown:
		return "unknown"
	case Refused:
		return "refused"
	}
	return fmt.Sprintf("Outcome(%d)", int8(o))
}

// Text says the outcome in words, for people.
func (o Outcome) Text() string {
	switch o {
	case Restores:
		return "Flink restores"
	case RestoresLosingState:
		return "Flink restores, losing this state"
	case OutcomeUnknown:
		return "spcheck cannot tell whether Flink restores"
	case Refused:
		return "Flink refuses the restore"
	}
	return o.String()
}

// MarshalText writes the outcome's name (for JSON).
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (o *Outcome) UnmarshalText(b []byte) error {
	for _, x := range []Outcome{Restores, RestoresLosingState, OutcomeUnknown, Refused} {
		if x.String() == string(b) {
			*o = x
			return nil
		}
	}
	return fmt.Errorf("compare: unknown outcome %q", b)
}

// A Category groups rules by what they look at.
type Category string

// Categories.
const (
	// CategoryMatching: savepoint state matched to operators by ID.
	CategoryMatching Category = "matching"
	// CategoryGraph: the new job graph on its own.
	CategoryGraph Category = "graph"
	// CategoryParallelism: parallelism and max parallelism (key groups).
	CategoryParallelism Category = "parallelism"
	// CategoryChain: what Flink checks per job vertex (operator chain).
	CategoryChain Category = "chain"
	// CategoryChannelState: in-flight data of unaligned checkpoints.
	CategoryChannelState Category = "channel-state"
	// CategoryState: the states inside an operator (check --deep).
	CategoryState Category = "state"
	// CategoryUpgrade: the Flink release and state backend that restore
	// the savepoint (check --flink-version, --state-backend).
	CategoryUpgrade Category = "upgrade"
	// CategoryFiles: the state files the savepoint references.
	CategoryFiles Category = "files"
)

// A RuleID names a rule: "SP001". IDs are stable, never reused or
// renamed. Code refers to rules by these constants, so a typo does not
// compile.
type RuleID string

// The rules. To add one: add its constant here, its entry to Rules
// below (in documentation order), and a README section headed
// "#### <ID> <name>" that says the outcome, the Flink versions and the
// Flink source line it follows; TestRulesTable checks all three. Its
// findings are then made with c.add(Finding{Rule: <constant>, ...}) (or
// any code that builds a Finding): the name, default severity and
// outcome come from the table.
const (
	RuleStateDropped                 RuleID = "SP001"
	RuleEmptyStateUnmatched          RuleID = "SP002"
	RuleUIDChanged                   RuleID = "SP003"
	RuleNewStatefulOperator          RuleID = "SP004"
	RuleMissingUID                   RuleID = "SP005"
	RuleDuplicateID                  RuleID = "SP006"
	RuleUnknownOperator              RuleID = "SP007"
	RuleOldGraphMismatch             RuleID = "SP008"
	RuleAutoIDChanged                RuleID = "SP009"
	RuleMaxParallelismMismatch       RuleID = "SP010"
	RuleParallelismExceedsMax        RuleID = "SP011"
	RuleParallelismAboveMax          RuleID = "SP012"
	RuleStateReassigned              RuleID = "SP013"
	RuleFinishedVertexMixed          RuleID = "SP014"
	RuleCoordinatorStateDropped      RuleID = "SP020"
	RuleInFlightData                 RuleID = "SP030"
	RuleInFlightRechained            RuleID = "SP031"
	RuleInFlightPointwise            RuleID = "SP032"
	RuleInFlightUnpaired             RuleID = "SP033"
	RuleStateFileMissing             RuleID = "SP040"
	RuleStateRemoved                 RuleID = "SP050"
	RuleStateAdded                   RuleID = "SP051"
	RuleStateKindChanged             RuleID = "SP052"
	RuleKeySerializerChanged         RuleID = "SP053"
	RuleValueSerializerIncompat      RuleID = "SP054"
	RuleStateEvolutionCompatible     RuleID = "SP055"
	RuleStateCompatibilityUnknown    RuleID = "SP056"
	RuleTTLChanged                   RuleID = "SP057"
	RuleMetadataFormatUnreadable     RuleID = "SP070"
	RuleLegacySerializerSnapshot     RuleID = "SP071"
	RuleStateBackendSwitch           RuleID = "SP072"
	RuleMajorVersionUpgrade          RuleID = "SP073"
	RuleKryoStateOnFlink2            RuleID = "SP074"
	RuleScalaSerializerOnFlink2      RuleID = "SP075"
	RuleFlinkDowngrade               RuleID = "SP076"
	RuleCompatibilityTableLimitation RuleID = "SP077"
)

// A Rule is one check spcheck makes.
type Rule struct {
	ID       RuleID   // "SP001"
	Name     string   // "state-dropped"
	Severity Severity // default severity of its findings
	// Outcome is the default outcome of its findings: what Flink does.
	// A finding may say otherwise (SP001 restores losing state under
	// --allowNonRestoredState; an undecided finding is OutcomeUnknown).
	// A rule whose default outcome is Refused cannot be disabled.
	Outcome  Outcome
	Category Category
	// Summary says when the rule fires, in one sentence.
	Summary string
	// Flink names the Flink source the rule reproduces.
	Flink string
}

// Anchor is the rule's README anchor: "sp001-state-dropped", the anchor
// GitHub gives the heading "#### SP001 state-dropped".
func (r Rule) Anchor() string { return strings.ToLower(string(r.ID)) + "-" + r.Name }

// Rules is the one table of rules, in documentation order.
var Rules = []Rule{
	{RuleStateDropped, "state-dropped", Error, Refused, CategoryMatching,
		"A savepoint operator holds state and no operator of the new job graph has its ID: Flink refuses the restore, or with --allow-non-restored-state drops the state (then a warning).",
		"Checkpoints.loadAndValidateCheckpoint"},
	{RuleEmptyStateUnmatched, "empty-state-unmatched", Info, Restores, CategoryMatching,
		"A savepoint operator without state has no operator in the new job graph: Flink skips it.",
		"Checkpoints.loadAndValidateCheckpoint"},
	{RuleUIDChanged, "uid-changed", Error, Refused, CategoryMatching,
		"An operator of the new job graph is the savepoint's operator under a new ID (same name, or the same operator of --old-graph): its state would not be restored.",
		"StreamGraphHasherV2.generateUserSpecifiedHash"},
	{RuleNewStatefulOperator, "new-stateful-operator", Info, Restores, CategoryMatching,
		"A stateful operator of the new job graph has no state in the savepoint and starts empty (a warning for sources, which then start from their configured position).",
		"StateAssignmentOperation.assignStates"},
	{RuleMissingUID, "missing-uid", Warning, Restores, CategoryGraph,
		"A stateful operator of the new job graph has no explicit uid: its ID depends on the topology and changes with unrelated edits.",
		"StreamGraphHasherV2"},
	{RuleDuplicateID, "duplicate-id", Error, Refused, CategoryGraph,
		"Two operators of the new job graph have the same ID: Flink refuses to build the job graph.",
		"StreamGraphHasherV2.generateNodeHash"},
	{RuleUnknownOperator, "unknown-operator", Unknown, OutcomeUnknown, CategoryMatching,
		"An operator of the new job graph whose ID spcheck can only guess (an unknown SQL exec node) while savepoint state is unclaimed: it may be the operator that claims it.",
		""},
	{RuleOldGraphMismatch, "old-graph-mismatch", Unknown, OutcomeUnknown, CategoryGraph,
		"The old job graph (--old-graph) does not reproduce the savepoint's operator IDs: what spcheck predicts from it, in particular auto-generated IDs, cannot be trusted.",
		"StreamGraphHasherV2"},
	{RuleAutoIDChanged, "auto-id-changed", Error, Refused, CategoryMatching,
		"An operator without uid holds state, and the edit changes the ID Flink generates for it from the topology: its state would not be restored.",
		"StreamGraphHasherV2.generateDeterministicHash"},
	{RuleMaxParallelismMismatch, "max-parallelism-mismatch", Error, Refused, CategoryParallelism,
		"An operator's explicitly configured max parallelism differs from the savepoint's: Flink refuses the restore.",
		"Checkpoints.loadAndValidateCheckpoint, DefaultVertexParallelismInfo.canRescaleMaxParallelism"},
	{RuleParallelismExceedsMax, "parallelism-exceeds-max", Error, Refused, CategoryParallelism,
		"An operator with state would run with a parallelism above the max parallelism its state was written with: Flink refuses the restore.",
		"StateAssignmentOperation.checkParallelismPreconditions"},
	{RuleParallelismAboveMax, "parallelism-above-configured-max", Error, Refused, CategoryParallelism,
		"An operator's parallelism is above its own configured max parallelism: Flink refuses to start the job.",
		"ExecutionJobVertex (VertexParallelismInformation)"},
	{RuleStateReassigned, "state-reassigned", Error, RestoresLosingState, CategoryMatching,
		"A savepoint operator's ID now belongs to a different operator of the new graph (by --old-graph, that ID was another operator): Flink restores the state into the wrong operator without complaint.",
		"Checkpoints.loadAndValidateCheckpoint"},
	{RuleFinishedVertexMixed, "finished-vertex-mixed", Error, Refused, CategoryChain,
		"The new job chains operators the savepoint holds as finished with unfinished ones (or new ones) into one job vertex, or makes a finished vertex read from an unfinished one: Flink 1.14+ refuses the restore.",
		"VertexFinishedStateChecker.validateOperatorsFinishedState"},
	{RuleCoordinatorStateDropped, "coordinator-state-dropped", Error, Refused, CategoryMatching,
		"A savepoint operator holds operator-coordinator state (e.g. a FLIP-27 source's split enumerator) and no operator of the new job graph claims it.",
		"Checkpoints.loadAndValidateCheckpoint"},
	{RuleInFlightData, "in-flight-data", Warning, Restores, CategoryChannelState,
		"The checkpoint holds in-flight data of an unaligned checkpoint for an operator whose parallelism changes or that has no match: Flink redistributes it along the new edges (SP032 where it cannot), and unmatched in-flight data is lost (SP033 where the other side of its exchange may be restored).",
		"StateAssignmentOperation.reDistributeInputChannelStates"},
	{RuleInFlightRechained, "in-flight-data-rechained", Error, Refused, CategoryChannelState,
		"In-flight data of an unaligned checkpoint for an operator the new job chains behind another (input channel state off the chain head, result subpartition state off the output operator): Flink refuses the restore, or, when it does not redistribute that vertex's channel state, restores without it.",
		"StateAssignmentOperation.checkForUnsupportedToplogyChanges"},
	{RuleInFlightPointwise, "in-flight-data-pointwise", Error, Refused, CategoryChannelState,
		"In-flight data of an unaligned checkpoint that Flink would redistribute along an edge the new job makes forward, rescale or broadcast: Flink refuses a rescaled vertex (\"Cannot rescale the given pointwise partitioner\"), and with the parallelism kept its task fails on a channel the edge no longer has.",
		"SubtaskStateMapper.UNSUPPORTED"},
	{RuleInFlightUnpaired, "in-flight-data-unpaired", Unknown, OutcomeUnknown, CategoryChannelState,
		"Under --allowNonRestoredState Flink drops an operator's in-flight data (unaligned checkpoint) and restores other operators' in-flight data of the other side of an exchange: where the two were one exchange, the new job's tasks read records split between them or meant for another exchange and fail; where not, the restore succeeds.",
		"Checkpoints.loadAndValidateCheckpoint"},
	{RuleStateFileMissing, "missing-state-file", Error, Refused, CategoryFiles,
		"A state file the savepoint references does not exist (deleted by a lifecycle rule, or a savepoint moved without its files): the tasks of its operator fail at start with FileNotFoundException.",
		"FileStateHandle.openInputStream, StreamTaskStateInitializerImpl"},
	{RuleStateRemoved, "state-removed", Warning, Restores, CategoryState,
		"A state of the savepoint is not among the states the new job graph declares for its operator: Flink restores it, nothing reads it, and every checkpoint writes it again.",
		"HeapRestoreOperation, RocksDB restore operations, DefaultOperatorStateBackend.restore"},
	{RuleStateAdded, "state-added", Info, Restores, CategoryState,
		"The new job graph declares a state the savepoint does not hold: it starts empty.",
		"StateDescriptor registration"},
	{RuleStateKindChanged, "state-kind-changed", Error, Refused, CategoryState,
		"A state changes kind (value, list, map, reducing, aggregating; list and union list): Flink refuses to register it.",
		"RegisteredKeyValueStateBackendMetaInfo.checkStateMetaInfo, DefaultOperatorStateBackend.checkStateNameAndMode"},
	{RuleKeySerializerChanged, "key-serializer-changed", Error, Refused, CategoryState,
		"The key type of a keyed operator changes: the key serializer must be compatible as is, or Flink refuses the restore.",
		"HeapRestoreOperation, RocksDBFullRestoreOperation"},
	{RuleValueSerializerIncompat, "value-serializer-incompatible", Error, Refused, CategoryState,
		"The new serializer of a state cannot read what the savepoint's wrote (a POJO field changing type, Kryo to POJO, an Avro schema Avro cannot resolve, another type): Flink refuses the restore.",
		"TypeSerializerSnapshot.resolveSchemaCompatibility, StateMigrationException"},
	{RuleStateEvolutionCompatible, "state-evolution-compatible", Info, Restores, CategoryState,
		"A state's serializer evolves in a way Flink migrates on restore (POJO fields added or removed, a compatible Avro schema change).",
		"PojoSerializerSnapshot, AvroSerializerSnapshot.resolveSchemaCompatibility"},
	{RuleStateCompatibilityUnknown, "state-compatibility-unknown", Unknown, OutcomeUnknown, CategoryState,
		"spcheck cannot decide whether a state restores: a serializer it does not know, a declaration outside its vocabulary, a POJO without fields, Avro without a schema, unreadable headers.",
		""},
	{RuleTTLChanged, "ttl-changed", Error, Refused, CategoryState,
		"A keyed state's TTL is turned on or off: Flink before 2.1 refuses the restore; 2.1 migrates it with RocksDB (info) and fails it on hashmap (error), unknown without a backend; 2.2 and later migrate it (info).",
		"TtlStateFactory, TtlAwareSerializerSnapshot (Flink 2.0+)"},

	// Upgrade rules: the Flink release and state backend that restore the
	// savepoint (check --flink-version, --state-backend; compare/upgrade.go).
	{RuleMetadataFormatUnreadable, "metadata-format-unreadable", Error, Refused, CategoryUpgrade,
		"The savepoint's _metadata format is newer than the target Flink reads (or format 1 on Flink 1.11+): Flink refuses the file.",
		"MetadataSerializers.getSerializer, MetadataV1Serializer"},
	{RuleLegacySerializerSnapshot, "legacy-serializer-snapshot", Error, Refused, CategoryUpgrade,
		"State written with pre-1.8 TypeSerializerConfigSnapshot serializers, restored on Flink 1.17 or later (FLINK-29807): Flink refuses the restore (unknown without --deep for savepoints that may be from 1.7 or earlier).",
		"TypeSerializerSnapshotSerializationUtil (FLINK-29807)"},
	{RuleStateBackendSwitch, "state-backend-switch", Error, Refused, CategoryUpgrade,
		"A checkpoint or native savepoint restored into another state backend than the one that wrote it: an error where Flink's restore refuses the handles, or where the bytes of a full snapshot are the other backend's format; unknown where spcheck cannot tell the writing backend.",
		"HeapRestoreOperation, RocksDBFullRestoreOperation, HeapSnapshotStrategy, FullSnapshotAsyncWriter; ForSt restore operations"},
	{RuleMajorVersionUpgrade, "major-version-upgrade", Unknown, OutcomeUnknown, CategoryUpgrade,
		"A Flink 1.x savepoint restored on Flink 2.x: Flink does not guarantee state compatibility between 1.x and 2.x; with --deep evidence that every serializer is Flink's own and still in 2.x, the restore works (info); unknown otherwise.",
		"Flink 2.0 release notes; TypeSerializerSnapshotSerializationUtil.readAndInstantiateSnapshotClass"},
	{RuleKryoStateOnFlink2, "kryo-state-on-flink2", Error, Refused, CategoryUpgrade,
		"With --deep: state serialized with Kryo 2 in Flink 1.x, restored on Flink 2.x, which reads it with Kryo 5 (FLINK-3154).",
		"KryoSerializer (Kryo 5.6, Flink 2.0)"},
	{RuleScalaSerializerOnFlink2, "scala-serializer-on-flink2", Unknown, OutcomeUnknown, CategoryUpgrade,
		"With --deep: state written with Flink's Scala serializers, restored on Flink 2.x, which removed the Scala API: it restores only if the job ships those serializer classes.",
		"TypeSerializerSnapshotSerializationUtil.readAndInstantiateSnapshotClass"},
	{RuleFlinkDowngrade, "flink-downgrade", Unknown, OutcomeUnknown, CategoryUpgrade,
		"The savepoint was written by a newer Flink than the one that would restore it: Flink's compatibility table guarantees no restore on an older release.",
		"docs/content/docs/ops/upgrading.md (Compatibility Table)"},
	{RuleCompatibilityTableLimitation, "compatibility-table-limitation", Error, Refused, CategoryUpgrade,
		"A limitation of Flink's compatibility table applies: parallelism changed while migrating a Flink 1.2 savepoint, or an unaligned checkpoint of Flink 1.12 restored on 1.13+.",
		"docs/content/docs/ops/upgrading.md (Compatibility Table)"},
}

var ruleIndex = func() map[RuleID]int {
	m := map[RuleID]int{}
	for i, r := range Rules {
		m[r.ID] = i
	}
	return m
}()

// RuleByID returns the rule with the given ID.
func RuleByID(id RuleID) (Rule, bool) {
	i, ok := ruleIndex[id]
	if !ok {
		return Rule{}, false
	}
	return Rules[i], true
}

// Rule returns the rule's table entry; it panics for an ID not in Rules,
// which TestRulesTable rules out for the constants.
func (id RuleID) Rule() Rule {
	r, ok := RuleByID(id)
	if !ok {
		panic("compare: rule " + string(id) + " is not in the Rules table")
	}
	return r
}

// Verdict is the verdict of a restore from the outcomes of its findings,
// and the one place it is computed: any refused gives incompatible, else
// any unknown gives unknown, else any state lost gives
// compatible-with-state-loss, else compatible.
func Verdict(findings []Finding) string {
	worst := Restores
	for _, f := range findings {
		if o := f.Outcome; o > worst {
			worst = o
		}
	}
	switch worst {
	case Refused:
		return Incompatible
	case OutcomeUnknown:
		return VerdictUnknown
	case RestoresLosingState:
		return CompatibleWithStateLoss
	}
	return Compatible
}
