package compare

// State-level rules (SP050–SP057): when the new job graph declares the
// states of an operator (manifest "states"), each is compared with the
// state of that name in the savepoint, as deep mode reads them from the
// state-file headers (savepoint.ReadStates). The decisions follow Flink's
// restore path:
//
//   - keyed state: HeapKeyedStateBackend / RocksDBKeyedStateBackend
//     (tryRegisterStateTable, tryRegisterKvStateInformation →
//     updateRestoredStateMetaInfo): RegisteredKeyValueStateBackendMetaInfo.checkStateMetaInfo
//     refuses another kind ("Incompatible key/value state types"); the value
//     serializer must not be incompatible (after migration Flink rewrites
//     the state; the ForSt backend of Flink 2.x not for the asynchronous
//     state API);
//   - the key serializer must be compatible as is
//     (HeapRestoreOperation, RocksDB restore operations: "The new key
//     serializer must be compatible.");
//   - operator and broadcast state: DefaultOperatorStateBackend.getListState
//     and getBroadcastState refuse another assignment mode and incompatible
//     serializers; they deserialize eagerly, so migration always works;
//   - state of the savepoint the new job does not register stays in the
//     backend, unread, and is written again with every checkpoint;
//   - TTL: until Flink 2.0 the TTL wrapper (TtlStateFactory.TtlSerializer)
//     is incompatible with the plain serializer; Flink 2.0 added
//     TtlAwareSerializer(Snapshot), which migrates between them from 2.1
//     on (RocksDB) and 2.2 (heap) — docs/.../state_migration.md.
//
// Serializer compatibility follows each snapshot class's
// resolveSchemaCompatibility (see resolve).

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/spcheck/spcheck/metadata"
)

// SavepointStates are the states of a savepoint's operators, by operator
// ID, as deep mode reads them from the headers of the state files. It is
// the savepoint side of the state-level rules (Options.States); the CLI
// builds it from savepoint.ReadStates.
type SavepointStates map[metadata.OperatorID]*OperatorStateInfo

// OperatorStateInfo are the states of one savepoint operator.
type OperatorStateInfo struct {
	// Raw says the operator also has raw keyed or operator state, whose
	// format is the job's own (no serializer snapshot describes it).
	Raw bool
	// KeySerializer is the key serializer of the operator's keyed state
	// backend, nil when it has no keyed state (or it was not read).
	KeySerializer *metadata.SerializerSnapshot
	// States are the keyed states, timers, operator list and union list
	// states and broadcast states.
	States []StateInfo
	// Incomplete says some state headers of the operator could not be
	// read: States may lack some.
	Incomplete bool
}

// Kinds of state, in the manifest's vocabulary.
const (
	KindValue       = "value"
	KindList        = "list"
	KindMap         = "map"
	KindReducing    = "reducing"
	KindAggregating = "aggregating"
	KindFolding     = "folding"
	KindUnionList   = "union-list"
	KindBroadcast   = "broadcast"
	KindTimers      = "timers"
	// KindUnknown is the keyed state kind of Flink ≤1.5 headers, which
	// did not record it.
	KindUnknown = "unknown"
)

// StateInfo is one state of a savepoint operator.
type StateInfo struct {
	Name string
	// Kind is one of the Kind constants; Keyed tells a keyed list state
	// from an operator list state (timers are keyed too).
	Kind  string
	Keyed bool
	// Value is the serializer snapshot of the values: of keyed states the
	// state's value serializer (a List<…> or Map<…, …> serializer for list
	// and map states, wrapped for TTL), the element serializer of operator
	// list states, the map value serializer of broadcast states, the
	// TimerSerializer of timers. ValueType is its TypeString, which is
	// also set when the snapshot is not known (timers of Flink ≤1.9).
	Value     *metadata.SerializerSnapshot
	ValueType string
	// Key is the map key serializer of broadcast states and of Flink 2.x
	// map states (KEY_VALUE_V2 with a USER_KEY_SERIALIZER).
	Key *metadata.SerializerSnapshot
	// Namespace is the namespace serializer of keyed states (VoidNamespace,
	// TimeWindow, …); nil for others or when the header has none.
	Namespace *metadata.SerializerSnapshot
	// TTL says the state was written with time-to-live.
	TTL bool
	// V2 says a keyed state's header is KEY_VALUE_V2: Flink 2.x's state V2
	// (asynchronous) API wrote it.
	V2 bool
}

// registry names where Flink keeps a state, and so which states share
// names: the keyed backend's states, its timers, the operator backend's
// list states and its broadcast states.
func (s *StateInfo) registry() string {
	switch {
	case s.Kind == KindTimers:
		return "timers"
	case s.Kind == KindBroadcast:
		return "broadcast"
	case s.Keyed:
		return "keyed"
	}
	return "operator"
}

// declRegistry is where a declared state lives; "" when the declaration
// does not say.
func declRegistry(d *StateDecl) string {
	switch d.Kind {
	case KindValue, KindMap, KindReducing, KindAggregating:
		return "keyed"
	case KindList:
		if d.Keyed {
			return "keyed"
		}
		return "operator"
	case KindUnionList:
		return "operator"
	case KindBroadcast:
		return "broadcast"
	case KindTimers:
		return "timers"
	}
	if d.Keyed {
		return "keyed"
	}
	return ""
}

// stateLabel says in words what a state is, e.g. `keyed value state
// "total"`.
func stateLabel(kind string, keyed bool, name string) string {
	var what string
	switch kind {
	case KindTimers:
		what = "timers"
	case KindBroadcast:
		what = "broadcast state"
	case KindUnionList:
		what = "union list state"
	case KindList:
		if keyed {
			what = "keyed list state"
		} else {
			what = "operator list state"
		}
	case KindUnknown, "":
		if keyed {
			what = "keyed state"
		} else {
			what = "state"
		}
	default:
		what = "keyed " + kind + " state"
	}
	return what + " " + strconv.Quote(name)
}

func declLabel(d *StateDecl) string {
	keyed := d.Keyed || declRegistry(d) == "keyed"
	return stateLabel(d.Kind, keyed, d.Name)
}

// checkStates runs the state-level rules on every savepoint operator whose
// new-graph operator declares states, when deep mode gave the savepoint's
// states.
func (c *checker) checkStates() {
	if c.opts.States == nil {
		return
	}
	for i := range c.m.Operators {
		op := &c.m.Operators[i]
		cands := c.byID[op.ID]
		if len(cands) == 0 || len(cands[0].States) == 0 {
			continue
		}
		c.checkOperatorStates(op, cands[0])
	}
}

// stateCheck is the state-level check of one operator.
type stateCheck struct {
	c    *checker
	ref  OperatorRef
	n    *Operator
	info *OperatorStateInfo
}

func (c *checker) checkOperatorStates(op *metadata.OperatorState, n *Operator) {
	sc := &stateCheck{c: c, ref: c.spRef(op), n: n, info: c.opts.States[op.ID]}
	if sc.info == nil {
		s := metadata.Summarize(op)
		if s.KeyedManaged || len(s.OperatorStates) > 0 {
			sc.add(Finding{Rule: RuleStateCompatibilityUnknown,
				Message: "deep mode read no state of this operator, so its declared states cannot be compared",
				Fix:     "Run check with --deep on a savepoint whose state files are readable."}, "")
			return
		}
		sc.info = &OperatorStateInfo{}
	}
	if len(n.States) > 0 && n.States[0].sql != nil {
		sc.checkSQLStates()
		return
	}
	states := sc.info.States
	used := make([]bool, len(states))
	declaresTimers := false
	for i := range n.States {
		if n.States[i].Kind == KindTimers {
			declaresTimers = true
		}
	}
	keyChecked := false
	for i := range n.States {
		d := &n.States[i]
		reg := declRegistry(d)
		regs := []string{reg}
		if reg == "" {
			regs = []string{"keyed", "operator", "broadcast", "timers"}
		}
		idx := -1
		for _, want := range regs {
			for j := range states {
				if idx < 0 && states[j].Name == d.Name && states[j].registry() == want {
					idx = j
				}
			}
		}
		if idx < 0 {
			sc.added(d, states)
			continue
		}
		used[idx] = true
		keyChecked = sc.compare(d, &states[idx], keyChecked) || keyChecked
	}
	for j := range states {
		s := &states[j]
		if used[j] || (s.Kind == KindTimers && !declaresTimers) {
			continue
		}
		what := "the new job graph declares no state of that name for this operator"
		for i := range n.States {
			if n.States[i].Name == s.Name {
				what = fmt.Sprintf("the new job graph declares %s, which Flink keeps apart from it", declLabel(&n.States[i]))
			}
		}
		sc.add(Finding{Rule: RuleStateRemoved,
			Message: fmt.Sprintf("the savepoint holds %s (%s); %s: Flink restores it but nothing reads it, and it is written again with every checkpoint",
				stateLabel(s.Kind, s.Keyed, s.Name), stateType(s), what),
			Fix: fmt.Sprintf("If the state was renamed, keep its old name %q (Flink finds state by the descriptor's name); if it is no longer needed, remove it from the savepoint with the State Processor API, or ignore it.", s.Name)}, s.Name)
	}
}

// stateType is the TypeString of a state's values.
func stateType(s *StateInfo) string {
	if s.ValueType == "" && s.Value != nil {
		return s.Value.TypeString()
	}
	return typeOr(s.ValueType)
}

func typeOr(t string) string {
	if t == "" {
		return "type unknown"
	}
	return t
}

// add adds a state finding; its fingerprint also covers the state.
func (sc *stateCheck) add(f Finding, state string) {
	f.Operator = sc.ref
	f.NewOperator = newRef(sc.n)
	sc.c.add(f)
	last := &sc.c.rep.Findings[len(sc.c.rep.Findings)-1]
	h := sha256.New()
	h.Write([]byte(string(last.Rule) + "|" + last.Operator.ID + "|" + last.NewOperator.ID + "|state|" + state))
	last.Fingerprint = hex.EncodeToString(h.Sum(nil))[:16]
}

// added reports a declared state the savepoint does not hold.
func (sc *stateCheck) added(d *StateDecl, states []StateInfo) {
	other := ""
	for i := range states {
		if states[i].Name == d.Name {
			other = fmt.Sprintf("; the savepoint's %s of that name is kept apart from it and not restored into it", stateLabel(states[i].Kind, states[i].Keyed, d.Name))
			if declRegistry(d) == "operator" && states[i].registry() == "keyed" {
				other += ` (declare "keyed": true if the state is keyed)`
			}
		}
	}
	if sc.info.Incomplete && other == "" {
		sc.add(Finding{Rule: RuleStateCompatibilityUnknown,
			Message: fmt.Sprintf("the new job graph declares %s, and some state headers of this operator could not be read: whether the savepoint holds it is unknown", declLabel(d)),
			Fix:     "Check that the savepoint's state files are complete and readable (spcheck inspect --deep lists the problems)."}, d.Name)
		return
	}
	sc.add(Finding{Rule: RuleStateAdded,
		Message: fmt.Sprintf("the new job graph declares %s, which the savepoint does not hold: it starts empty%s", declLabel(d), other),
		Fix:     "Nothing to do if the state is new. If it replaces a state of the savepoint, give it that state's name."}, d.Name)
}

// flinkKind is the name Flink gives a kind in its messages.
func flinkKind(kind string, keyed bool) string {
	switch kind {
	case KindList:
		if !keyed {
			return "SPLIT_DISTRIBUTE"
		}
	case KindUnionList:
		return "UNION"
	case KindBroadcast:
		return "BROADCAST"
	}
	return strings.ToUpper(kind)
}

// compare checks a declared state against the savepoint's state of that
// name. It reports whether it compared the key serializer.
func (sc *stateCheck) compare(d *StateDecl, s *StateInfo, keyChecked bool) (keyCompared bool) {
	label := stateLabel(s.Kind, s.Keyed, s.Name)
	if d.Kind != "" && s.Kind != KindUnknown && s.Kind != KindFolding && d.Kind != s.Kind {
		f := Finding{Rule: RuleStateKindChanged,
			Message: fmt.Sprintf("the savepoint holds %s; the new job graph declares it as %s: Flink refuses to register it", label, declLabel(d)),
			Fix:     fmt.Sprintf("Keep the state a %s state, or give the new state another name (the old one is then left unread), or rewrite the state with the State Processor API.", s.Kind)}
		switch s.registry() {
		case "keyed":
			f.FlinkMessage = fmt.Sprintf("Incompatible key/value state types. Was [%s], registered with [%s].", flinkKind(s.Kind, true), flinkKind(d.Kind, true))
		case "operator":
			f.FlinkMessage = fmt.Sprintf("Incompatible state assignment modes. Was [%s], registered with [%s].", flinkKind(s.Kind, false), flinkKind(d.Kind, false))
		}
		sc.add(f, s.Name)
		return false
	}
	var val, key *typeExpr
	if d.Serializer != "" {
		var err error
		val, key, err = parseDeclared(d.Serializer)
		if err != nil {
			sc.add(Finding{Rule: RuleStateCompatibilityUnknown,
				Message: fmt.Sprintf("cannot read the serializer the new job graph declares for %s: %v", label, err),
				Fix:     "Write the serializer in the vocabulary docs/state-rules.md describes; spcheck inspect --deep shows the savepoint's in that form."}, s.Name)
			return false
		}
	}
	// TTL: declared by the manifest's ttl, or a TTL(…) wrapper. A state
	// declared with neither ttl nor serializer is not checked.
	if s.registry() == "keyed" && (d.Serializer != "" || d.TTL > 0) {
		declTTL := d.TTL > 0 || (val != nil && val.hasTTL())
		if declTTL != s.TTL {
			sc.ttlChanged(d, s, label, declTTL)
		}
	}
	if key != nil && !keyChecked {
		keyCompared = true
		sc.compareKey(s, key, label)
	}
	if val == nil {
		return keyCompared
	}
	r := &resolver{avro: d.AvroSchema}
	res := r.stateValue(s, val)
	switch res.level {
	case asIs:
	case afterMigration:
		if s.V2 && sc.c.g.StateBackend == BackendForSt {
			// A state of Flink 2.x's asynchronous state API: ForSt's
			// asynchronous backend does not migrate
			// (ForStKeyedStateBackend.java:474-478, 2.3.0: "State migration
			// not support yet"); its synchronous one does (below).
			sc.add(Finding{Rule: RuleStateCompatibilityUnknown,
				Message: fmt.Sprintf("%s changes in a way Flink migrates on restore (%s), but it was written through the asynchronous state API, and the ForSt backend does not migrate such state", label, res.why),
				Fix:     "Keep the state's type as it was, or restore into RocksDB or hashmap; test the restore in staging."}, s.Name)
			break
		}
		// Heap, RocksDB and, for states of the synchronous API, ForSt
		// (ForStSyncKeyedStateBackend.migrateStateValues): the oracle's
		// types-forst-native--pojo-add-field, pojo-remove-field,
		// avro-remove-field and avro-int-to-long cases restored on 2.0.0,
		// 2.2.0 and 2.3.0.
		sc.add(Finding{Rule: RuleStateEvolutionCompatible,
			Message: fmt.Sprintf("%s changes in a way Flink migrates on restore: %s", label, res.why),
			Fix:     "Nothing to do: Flink reads the state with the old serializer and writes it with the new one (heap, RocksDB and ForSt backends; ForSt does not migrate a state of Flink 2.x's asynchronous state API)."}, s.Name)
	case unknownCompat:
		sc.add(Finding{Rule: RuleStateCompatibilityUnknown,
			Message: fmt.Sprintf("cannot decide whether %s restores: %s", label, res.why),
			Fix:     orDefault(res.fix, "Declare the serializer in the vocabulary of docs/state-rules.md (spcheck inspect --deep shows the savepoint's), or try the restore in staging.")}, s.Name)
	case incompatibleCompat:
		f := Finding{Rule: RuleValueSerializerIncompat,
			Message: fmt.Sprintf("the new serializer of %s cannot read the savepoint's (%s): %s", label, stateType(s), res.why),
			Fix:     orDefault(res.fix, "Keep the state's type serializable as before, or migrate the state with the State Processor API.")}
		switch s.registry() {
		case "operator":
			f.FlinkMessage = "The new state typeSerializer for operator state must not be incompatible."
		case "broadcast":
			f.FlinkMessage = "The new value typeSerializer for broadcast state must not be incompatible."
			if strings.HasPrefix(res.why, "map key") {
				f.FlinkMessage = "The new key typeSerializer for broadcast state must not be incompatible."
			}
		}
		sc.add(f, s.Name)
	}
	return keyCompared
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// compareKey checks the declared key type against the operator's key
// serializer, which must be compatible as is.
func (sc *stateCheck) compareKey(s *StateInfo, key *typeExpr, label string) {
	if s.registry() != "keyed" {
		sc.add(Finding{Rule: RuleStateCompatibilityUnknown,
			Message: fmt.Sprintf("the new job graph declares a key type for %s, which is not keyed state", label),
			Fix:     `Declare "keyed by" only on keyed states.`}, s.Name)
		return
	}
	old := sc.info.KeySerializer
	if old == nil {
		sc.add(Finding{Rule: RuleStateCompatibilityUnknown,
			Message: fmt.Sprintf("the savepoint's headers give no key serializer for this operator; the new job graph declares keys of type %s", key.text),
			Fix:     "Check the key type by hand, or try the restore in staging."}, s.Name)
		return
	}
	r := &resolver{}
	res := r.resolve(old, key, "")
	switch res.level {
	case asIs:
	case unknownCompat:
		sc.add(Finding{Rule: RuleStateCompatibilityUnknown,
			Message: fmt.Sprintf("cannot decide whether the key serializer restores (keys of %s): %s", label, res.why),
			Fix:     orDefault(res.fix, "Declare the key type in the vocabulary of docs/state-rules.md, or try the restore in staging.")}, s.Name)
	default:
		msg := fmt.Sprintf("the savepoint's keyed state is keyed by %s; the new job graph declares %s keyed by %s", old.TypeString(), label, key.text)
		if res.why != fmt.Sprintf("%s → %s", old.TypeString(), key.text) {
			msg += ": " + res.why
		}
		if res.level == afterMigration {
			msg += "; Flink migrates values, never keys"
		}
		sc.add(Finding{Rule: RuleKeySerializerChanged,
			Message:      msg,
			FlinkMessage: "The new key serializer must be compatible.",
			Fix:          fmt.Sprintf("Key the stream by the same type as before (%s, serialized the same way); changing the key means rewriting the state with the State Processor API.", old.TypeString())}, s.Name)
	}
}

// ttlChanged reports TTL turned on or off, by what the Flink version of
// the new graph does (TtlAwareSerializerSnapshot, Flink 2.0+;
// state_migration.md: RocksDB from 2.1, heap from 2.2, ForSt not yet).
func (sc *stateCheck) ttlChanged(d *StateDecl, s *StateInfo, label string, declTTL bool) {
	change := "was written without TTL; the new job graph enables TTL"
	if d.TTL > 0 {
		change += " (" + durationText(d.TTL) + ")"
	}
	if !declTTL {
		change = "was written with TTL; the new job graph declares it without"
	}
	v := sc.c.g.FlinkVersion
	f := Finding{Rule: RuleTTLChanged, Fix: "Keep the state's TTL setting (StateTtlConfig on the descriptor) as it was, or upgrade to Flink 2.2 or later (heap and RocksDB backends), which migrate state between TTL and no TTL."}
	switch {
	case v == "" || olderThan(v, 2, 1):
		f.Message = fmt.Sprintf("%s %s: before Flink 2.1 the TTL serializer and the plain one are incompatible and Flink refuses the restore", label, change)
		if v == "" {
			f.Message += " (the new job graph gives no flinkVersion)"
		}
	case collectionValue(s):
		// TtlAwareSerializerSnapshotWrapper.getTtlAwareSerializerSnapshot
		// (flink-runtime/.../state/ttl/, the same in 2.1.0, 2.2.0 and
		// 2.3.0) takes every List or Map serializer snapshot for that of a
		// list or map state and makes its elements or values TTL-aware; a
		// value state of a List is a List snapshot without TTL and a TTL
		// snapshot with it, so the compatibility check
		// (StateSerializerProvider.java:309-315 in 2.3.0, every backend)
		// compares unlike snapshots: incompatible. The sink materializer's
		// "values" (ValueState<List<RowData>>) failed so on Flink 2.3.0 with
		// either backend (testdata/oracle/2.3.0/sink-materializer).
		f.Message = fmt.Sprintf("%s %s: its values are a %s, and Flink %s migrates TTL changes only for a List or Map serializer of a list or map state; it finds the TTL serializer and this one incompatible and refuses the restore", label, change, stripSnapshotTTL(s.Value).TypeString(), v)
		f.Fix = "Keep the state's TTL setting (StateTtlConfig on the descriptor) as it was: no Flink up to 2.3 migrates a value, reducing or aggregating state of a List or Map between TTL and no TTL (rewrite the state with the State Processor API to change it)."
		f.FlinkMessage = collectionTTLMessage(sc.c.g.StateBackend)
	case sc.c.g.StateBackend == BackendForSt:
		// The ForSt backend (Flink 2.x) migrates a state's values
		// (ForStSyncKeyedStateBackend.migrateStateValues, sync/, the same in
		// 2.0 and 2.3.0) without the TtlAwareSerializer RocksDB wraps them in
		// (RocksDBKeyedStateBackend.java:943-950, 2.3.0): a TtlValue meets the
		// plain serializer, or the plain value the TTL one, and the restore
		// fails with a ClassCastException (2.0 finds the serializers
		// incompatible). The oracle's forst-*--ttl-count-on and ttl-last-off
		// cases failed so on 2.0.0, 2.2.0 and 2.3.0 (2.1.0 published no
		// ForSt backend).
		f.Message = fmt.Sprintf("%s %s: Flink %s's ForSt backend does not migrate TTL changes and fails the restore", label, change, v)
		f.Fix = "Keep the state's TTL setting as it was, or restore into RocksDB, which reads ForSt's files (state of the synchronous API) and migrates the change from Flink 2.2 on."
	case olderThan(v, 2, 2) && sc.c.g.StateBackend == BackendRocksDB:
		// Flink 2.1's RocksDB backend migrates the values through
		// TtlAwareSerializer (FLINK-36521, flink-runtime/.../state/ttl/
		// TtlAwareSerializer.java, in the 2.0 source; RocksDB's
		// migrateStateValues wraps the prior and new serializers in it from
		// 2.1): the restore oracle's rocksdb-* ttl-count-on and ttl-last-off
		// cases restored on 2.1.0 (testdata/oracle/2.1.0).
		f.Severity, f.Outcome = Info, Restores
		f.Message = fmt.Sprintf("%s %s: Flink %s migrates it on restore with the RocksDB backend", label, change, v)
		f.Fix = "Nothing to do on RocksDB; restored entries get their TTL on their next update. (The heap backend of Flink 2.1 would refuse it.)"
	case olderThan(v, 2, 2) && sc.c.g.StateBackend == BackendHashMap:
		// HeapKeyedStateBackend of Flink 2.1 throws a StateMigrationException
		// when the new serializer needs TTL migration (heap support came in
		// 2.2, state_migration.md): the oracle's hashmap-* ttl cases failed
		// on 2.1.0 with the message below.
		f.Message = fmt.Sprintf("%s %s: Flink %s migrates TTL changes with the RocksDB backend only; the heap (hashmap) backend fails the restore", label, change, v)
		f.Fix = "Keep the TTL setting, restore into RocksDB (a canonical savepoint switches backends), or upgrade to Flink 2.2, whose heap backend migrates it."
		f.FlinkMessage = "For heap backends, the new state serializer (org.apache.flink.runtime.state.ttl.TtlStateFactory$TtlSerializer) must not need ttl state migration with the old state serializer (…)."
	case olderThan(v, 2, 2):
		f.Severity = Unknown
		f.Message = fmt.Sprintf("%s %s: Flink %s migrates it with the RocksDB backend only; the heap backend refuses the restore, and the new job graph names no state backend", label, change, v)
		f.Fix = "Give the backend (--state-backend or the graph's stateBackend): RocksDB restores it, hashmap and ForSt do not; or keep the TTL setting, or upgrade to Flink 2.2."
	case sc.c.g.StateBackend == "":
		f.Severity = Unknown
		f.Message = fmt.Sprintf("%s %s: Flink %s migrates it with the heap and RocksDB backends, the ForSt backend fails the restore, and the new job graph names no state backend", label, change, v)
		f.Fix = "Give the backend (--state-backend or the graph's stateBackend): hashmap and RocksDB restore it, ForSt does not; or keep the TTL setting."
	default:
		// Flink 2.2+ with the heap or RocksDB backend (state_migration.md,
		// "State TTL Migration Compatibility"; the oracle's ttl cases).
		f.Severity, f.Outcome = Info, Restores
		f.Message = fmt.Sprintf("%s %s: Flink %s migrates it on restore with the %s backend", label, change, v, sc.c.g.StateBackend)
		f.Fix = "Nothing to do; restored entries get their TTL on their next update. (The ForSt backend would fail the restore.)"
	}
	if d.sql != nil && f.Severity != Info {
		f.Message = strings.Replace(f.Message, "the new job graph", fmt.Sprintf("the compiled plan's state %q", d.Name), 1)
		f.Fix = fmt.Sprintf("Keep the state TTL of the plan as it was: the \"ttl\" of state %q in the compiled plan (set when compiling by table.exec.state.ttl or a STATE_TTL hint)", d.Name)
		if collectionValue(s) {
			f.Fix += "; no Flink up to 2.3 migrates this state between TTL and no TTL."
		} else {
			f.Fix += ", or upgrade to a Flink that migrates between TTL and no TTL (2.2 or later, heap and RocksDB backends)."
		}
	}
	sc.add(f, s.Name)
}

// collectionValue reports whether s is a keyed state other than a list or
// map state whose values a List or Map serializer writes (flink-core's
// ListSerializer or MapSerializer, with or without TTL): Flink cannot
// migrate it between TTL and no TTL (ttlChanged).
func collectionValue(s *StateInfo) bool {
	if !s.Keyed || s.Kind == KindList || s.Kind == KindMap || s.Kind == KindTimers || s.Value == nil {
		return false
	}
	switch stripSnapshotTTL(s.Value).Class {
	case "org.apache.flink.api.common.typeutils.base.ListSerializerSnapshot",
		"org.apache.flink.api.common.typeutils.base.MapSerializerSnapshot":
		return true
	}
	return false
}

// collectionTTLMessage is what the backend throws for collectionValue's
// states (HeapKeyedStateBackend.java:258-264, RocksDBKeyedStateBackend.java:866-872
// and ForStKeyedStateBackend.java:481-486 in 2.3.0).
func collectionTTLMessage(backend StateBackend) string {
	if backend == BackendHashMap {
		return "For heap backends, the new state serializer (…) must not be incompatible with the old state serializer (…)."
	}
	return "The new state serializer (…) must not be incompatible with the old state serializer (…)."
}

func durationText(ms int64) string {
	switch {
	case ms%86400000 == 0:
		return fmt.Sprintf("%d d", ms/86400000)
	case ms%3600000 == 0:
		return fmt.Sprintf("%d h", ms/3600000)
	case ms%60000 == 0:
		return fmt.Sprintf("%d min", ms/60000)
	case ms%1000 == 0:
		return fmt.Sprintf("%d s", ms/1000)
	}
	return fmt.Sprintf("%d ms", ms)
}

// Declared serializers: a small vocabulary, the TypeString forms of
// metadata.SerializerSnapshot (see docs/state-rules.md):
//
//	Long, String, Integer, …            serializers without parameters
//	Tuple2<String, Long>                Flink Java tuples
//	POJO com.x.Order{id: Long, …}       POJOs, fields by name
//	Kryo com.x.Foo                      Kryo (generic types)
//	Avro record com.x.Event (Class)     Avro, with avroSchema
//	Enum com.x.Color{RED, GREEN}        enums, with their constants
//	ROW<id BIGINT, name STRING>         the SQL runtime's RowData
//	List<E>, Map<K, V>, E[]             collections
//	com.x.Person(String, Long)          Scala case classes; (A, B) Scala tuples
//	Option<E>, Either<A, B>, Try<E>     Scala Option, Either, Try
//	TTL(V)                              the TTL wrapper (or the manifest's ttl)
//	V keyed by K                        a keyed state's value and key types

// typeExpr is a parsed type of the vocabulary.
type typeExpr struct {
	// head is the name before any argument list: "Long", "Tuple2",
	// "POJO com.x.Order", "Kryo com.x.Foo", "Avro record com.x.Event",
	// "com.x.Person" (Scala case class), "" (Scala tuple), "[]" (array),
	// "TTL", "ROW".
	head string
	// args are the <…> or (…) arguments (paren: in parentheses) or the
	// array element.
	args  []*typeExpr
	paren bool
	// fields are the {…} entries: POJO fields with their types, or enum
	// constants (typ nil); braces says a {…} was given.
	fields []fieldExpr
	braces bool
	// row is the SQL type of a ROW<…>.
	row  *metadata.LogicalType
	text string
}

type fieldExpr struct {
	name string
	typ  *typeExpr
}

// parseDeclared reads a declared serializer: "V" or "V keyed by K".
func parseDeclared(s string) (val, key *typeExpr, err error) {
	v := s
	if i := topLevelIndex(s, " keyed by "); i >= 0 {
		v = s[:i]
		if key, err = parseTypeExpr(s[i+len(" keyed by "):]); err != nil {
			return nil, nil, err
		}
	}
	if val, err = parseTypeExpr(v); err != nil {
		return nil, nil, err
	}
	return val, key, nil
}

// topLevelIndex is the last index of sub in s outside brackets, or -1.
func topLevelIndex(s, sub string) int {
	depth := 0
	found := -1
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<', '(', '{', '[':
			depth++
		case '>', ')', '}', ']':
			depth--
		}
		if depth == 0 && strings.HasPrefix(s[i:], sub) {
			found = i
		}
	}
	return found
}

func parseTypeExpr(s string) (*typeExpr, error) {
	p := &typeParser{s: s}
	t := p.typ(0)
	p.space()
	if p.err == nil && p.i < len(p.s) {
		p.fail("unexpected %q", p.s[p.i:])
	}
	if p.err != nil {
		return nil, p.err
	}
	return t, nil
}

type typeParser struct {
	s   string
	i   int
	err error
}

func (p *typeParser) fail(format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf("%q: %s", p.s, fmt.Sprintf(format, args...))
	}
}

func (p *typeParser) space() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *typeParser) peek(c byte) bool {
	p.space()
	return p.i < len(p.s) && p.s[p.i] == c
}

func (p *typeParser) expect(c byte) {
	if !p.peek(c) {
		p.fail("want %q at offset %d", c, p.i)
		return
	}
	p.i++
}

// closing returns the index just after the bracket matching the one at
// p.i.
func (p *typeParser) closing() int {
	depth := 0
	for j := p.i; j < len(p.s); j++ {
		switch p.s[j] {
		case '<', '(':
			depth++
		case '>', ')':
			depth--
			if depth == 0 {
				return j + 1
			}
		}
	}
	return -1
}

func (p *typeParser) typ(depth int) *typeExpr {
	if depth > 32 {
		p.fail("nested too deep")
		return nil
	}
	p.space()
	start := p.i
	t := &typeExpr{}
	defer func() { t.text = strings.TrimSpace(p.s[start:p.i]) }()
	if rest := strings.ToUpper(p.s[p.i:]); strings.HasPrefix(rest, "ROW<") || strings.HasPrefix(rest, "ROW <") {
		p.i += 3
		p.space()
		end := p.closing()
		if end < 0 {
			p.fail("unbalanced ROW<")
			return t
		}
		p.i = end
		text := p.s[start:end]
		save := p.i
		p.space()
		if strings.HasPrefix(strings.ToUpper(p.s[p.i:]), "NOT NULL") {
			p.i += len("NOT NULL")
			text = p.s[start:p.i]
		} else {
			p.i = save
		}
		lt, err := metadata.ParseLogicalType(text)
		if err != nil {
			p.fail("%v", err)
			return t
		}
		t.head, t.row = "ROW", lt
		return t
	}
	j := p.i
	for j < len(p.s) && !strings.ContainsRune("<({,>)}[]", rune(p.s[j])) {
		j++
	}
	t.head = strings.TrimSpace(p.s[p.i:j])
	p.i = j
	switch {
	case p.peek('<'):
		p.i++
		t.args = p.list(depth, '>')
	case p.peek('('):
		p.i++
		t.args = p.list(depth, ')')
		t.paren = true
	}
	if p.peek('{') {
		p.i++
		t.braces = true
		for p.err == nil && !p.peek('}') {
			p.space()
			k := p.i
			for k < len(p.s) && !strings.ContainsRune(":,}", rune(p.s[k])) {
				k++
			}
			f := fieldExpr{name: strings.TrimSpace(p.s[p.i:k])}
			p.i = k
			if f.name == "" {
				p.fail("empty field name at offset %d", p.i)
				break
			}
			if p.peek(':') {
				p.i++
				f.typ = p.typ(depth + 1)
			}
			t.fields = append(t.fields, f)
			if !p.peek(',') {
				break
			}
			p.i++
		}
		p.expect('}')
	}
	if t.head == "" && !t.paren {
		p.fail("want a type at offset %d", start)
	}
	for p.peek('[') {
		p.i++
		p.expect(']')
		if len(t.args) == 0 && !t.braces && metadata.IsSimpleType(t.head+"[]") {
			t.head += "[]"
			continue
		}
		t = &typeExpr{head: "[]", args: []*typeExpr{t}}
	}
	return t
}

func (p *typeParser) list(depth int, end byte) []*typeExpr {
	var out []*typeExpr
	for p.err == nil {
		out = append(out, p.typ(depth+1))
		if p.peek(',') {
			p.i++
			continue
		}
		p.expect(end)
		break
	}
	return out
}

// simpleAliases are other spellings of the simple types.
var simpleAliases = map[string]string{
	"long": "Long", "int": "Integer", "Int": "Integer", "integer": "Integer", "short": "Short", "byte": "Byte",
	"boolean": "Boolean", "bool": "Boolean", "double": "Double", "float": "Float", "char": "Character",
	"string": "String", "void": "Void",
	"java.lang.Long": "Long", "java.lang.Integer": "Integer", "java.lang.Short": "Short", "java.lang.Byte": "Byte",
	"java.lang.Boolean": "Boolean", "java.lang.Double": "Double", "java.lang.Float": "Float",
	"java.lang.Character": "Character", "java.lang.String": "String", "java.math.BigInteger": "BigInteger",
	"java.math.BigDecimal": "BigDecimal", "java.time.Instant": "Instant", "java.time.LocalDate": "LocalDate",
	"java.time.LocalTime": "LocalTime", "java.time.LocalDateTime": "LocalDateTime",
}

func canonicalSimple(s string) string {
	if a, ok := simpleAliases[s]; ok {
		return a
	}
	return s
}

// declFamily is what a declared type names.
type declFamily int8

const (
	dUnknown declFamily = iota
	dSimple
	dTuple
	dPojo
	dKryo
	dAvro
	dEnum
	dRow
	dTTL
	dComposite
	dClass
	// dSQL is a SQL type other than ROW (BIGINT NOT NULL, STRING,
	// DECIMAL(10, 2), ARRAY<INT>): the SQL runtime's internal serializer
	// of that type, as inspect --deep prints it.
	dSQL
)

func (t *typeExpr) family() declFamily {
	switch {
	case t.row != nil:
		return dRow
	case strings.HasPrefix(t.head, "POJO "):
		return dPojo
	case strings.HasPrefix(t.head, "Kryo "):
		return dKryo
	case t.head == "Avro" || strings.HasPrefix(t.head, "Avro "):
		return dAvro
	case strings.HasPrefix(t.head, "Enum "):
		return dEnum
	case t.head == "TTL" && t.paren && len(t.args) == 1:
		return dTTL
	case isSQLType(t.text):
		return dSQL
	case strings.Contains(t.head, " ") || t.braces:
		return dUnknown
	case len(t.args) == 0 && !t.paren:
		if metadata.IsSimpleType(canonicalSimple(t.head)) {
			return dSimple
		}
		if isClassName(t.head) {
			return dClass
		}
		return dUnknown
	case isTupleName(t.head) && !t.paren:
		return dTuple
	}
	return dComposite
}

// isSQLType says s is a SQL type in upper case that is not a ROW (ROW<…>
// is parsed apart).
func isSQLType(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' || strings.ToUpper(s) != s || strings.HasPrefix(s, "ROW") {
		return false
	}
	_, err := metadata.ParseLogicalType(s)
	return err == nil
}

// sqlCompat resolves a declared SQL type against the savepoint's
// serializer of a SQL runtime value: the same type restores as is;
// anything else spcheck leaves undecided.
func sqlCompat(old *metadata.SerializerSnapshot, d *typeExpr, path string) compat {
	oldT := old.TypeString()
	if normType(oldT) == normType(d.text) {
		return compat{}
	}
	return compat{level: unknownCompat, why: atPath(path, fmt.Sprintf("spcheck does not resolve %s against the savepoint's %s", d.text, oldT))}
}

func isTupleName(s string) bool {
	n, ok := strings.CutPrefix(s, "Tuple")
	if !ok || n == "" {
		return false
	}
	_, err := strconv.Atoi(n)
	return err == nil
}

// isClassName reports whether s looks like a qualified Java class name.
func isClassName(s string) bool {
	if !strings.Contains(s, ".") {
		return false
	}
	for _, part := range strings.Split(s, ".") {
		if part == "" {
			return false
		}
		for i, r := range part {
			if !(r == '_' || r == '$' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
				return false
			}
		}
	}
	return true
}

// hasTTL reports whether the declared type wraps the value (a list's
// element, a map's value) in TTL(…).
func (t *typeExpr) hasTTL() bool {
	return t.stripTTL() != t
}

// stripTTL returns the type without TTL(…) around the value, the list
// element or the map value.
func (t *typeExpr) stripTTL() *typeExpr {
	if t.family() == dTTL {
		return t.args[0]
	}
	if (t.head == "List" && len(t.args) == 1 || t.head == "Map" && len(t.args) == 2) && !t.paren {
		last := t.args[len(t.args)-1]
		if last.family() == dTTL {
			c := *t
			c.args = append(append([]*typeExpr{}, t.args[:len(t.args)-1]...), last.args[0])
			c.text = strings.Replace(t.text, last.text, last.args[0].text, 1)
			return &c
		}
	}
	return t
}

// stripSnapshotTTL returns the snapshot without the TTL wrapper around
// the value, the list element or the map value.
func stripSnapshotTTL(s *metadata.SerializerSnapshot) *metadata.SerializerSnapshot {
	if s.Family == metadata.FamilyTTL && len(s.Nested) == 2 {
		return &s.Nested[1]
	}
	if (s.Family == metadata.FamilyList || s.Family == metadata.FamilyMap) && len(s.Nested) > 0 {
		last := &s.Nested[len(s.Nested)-1]
		if last.Family == metadata.FamilyTTL && len(last.Nested) == 2 {
			c := *s
			c.Nested = append(append([]metadata.SerializerSnapshot{}, s.Nested[:len(s.Nested)-1]...), last.Nested[1])
			return &c
		}
	}
	return s
}

// Compatibility levels, as TypeSerializerSchemaCompatibility has them
// (compatible with a reconfigured serializer counts as is), ordered by
// how bad they are: an incompatible part makes the whole incompatible.
type compatLevel int8

const (
	asIs compatLevel = iota
	afterMigration
	unknownCompat
	incompatibleCompat
)

// compat is a compatibility level, what made it so and, for the worse
// levels, how to fix it.
type compat struct {
	level compatLevel
	why   string
	fix   string
}

// worse combines two results as CompositeTypeSerializerUtil does: the
// worse level wins; the changes of migrations add up.
func worse(a, b compat) compat {
	switch {
	case b.level > a.level:
		return b
	case b.level == a.level && a.level == afterMigration && b.why != "":
		if a.why == "" {
			return b
		}
		a.why += "; " + b.why
	}
	return a
}

// resolver decides the compatibility of a savepoint's serializer snapshot
// with a declared type.
type resolver struct {
	// avro is the declared Avro schema (the manifest's avroSchema).
	avro any
}

// stateValue resolves the value serializer of a state, by its kind: the
// declared type of a list state may name the list or its element, of a
// map or broadcast state the map or its value.
func (r *resolver) stateValue(s *StateInfo, d *typeExpr) compat {
	if s.Value == nil {
		// Timers of Flink ≤1.9 kept in raw keyed state: only their type is
		// known.
		if s.ValueType != "" && normType(s.ValueType) == normType(d.text) {
			return compat{}
		}
		return compat{level: unknownCompat, why: "the savepoint's header gives no serializer snapshot for it"}
	}
	old := stripSnapshotTTL(s.Value)
	d = d.stripTTL()
	isMap := d.head == "Map" && len(d.args) == 2 && !d.paren
	switch {
	case s.Kind == KindBroadcast || (s.Kind == KindMap && s.Key != nil):
		if isMap {
			if s.Key == nil {
				return compat{level: unknownCompat, why: "the savepoint's header gives no map key serializer"}
			}
			return worse(r.resolve(s.Key, d.args[0], "map key"), r.resolve(old, d.args[1], "map value"))
		}
		return r.resolve(old, d, "map value")
	case s.Kind == KindMap && old.Family == metadata.FamilyMap && len(old.Nested) == 2 && !isMap:
		return r.resolve(&old.Nested[1], d, "map value")
	case s.Kind == KindList && old.Family == metadata.FamilyList && len(old.Nested) == 1 && !(d.head == "List" && len(d.args) == 1):
		return r.resolve(&old.Nested[0], d, "element")
	case (s.Kind == KindList || s.Kind == KindUnionList) && old.Family != metadata.FamilyList && d.head == "List" && len(d.args) == 1:
		return r.resolve(old, d.args[0], "")
	}
	return r.resolve(old, d, "")
}

func joinPath(path, elem string) string {
	if path == "" {
		return elem
	}
	return path + ", " + elem
}

func atPath(path, msg string) string {
	if path == "" {
		return msg
	}
	return path + ": " + msg
}

const migrateFix = "migrate the state with the State Processor API"

// resolve decides whether the serializer declared as d reads what the
// savepoint's serializer old wrote, per snapshot family, after Flink's
// resolveSchemaCompatibility of each:
//
//   - SimpleTypeSerializerSnapshot: the same serializer class is compatible
//     as is, any other incompatible;
//   - CompositeTypeSerializerSnapshot (TupleSerializerSnapshot,
//     ListSerializerSnapshot, MapSerializerSnapshot, the Scala snapshots,
//     TtlSerializerSnapshot, …): the outer snapshot (tuple or case class)
//     must match, and the nested serializers decide, the worst one winning
//     (CompositeTypeSerializerUtil.constructIntermediateCompatibilityResult);
//   - PojoSerializerSnapshot: another class, or another serializer (Kryo),
//     is incompatible; a field serializer incompatible makes the POJO
//     incompatible; fields added or removed need migration;
//   - KryoSerializerSnapshot: the same type class is compatible, another
//     class or another serializer (POJO, Avro) is not;
//   - AvroSerializerSnapshot: equal schemas as is, schemas Avro resolves
//     (reader: the new one) after migration, others incompatible;
//   - RowDataSerializerSnapshot: the same field count, and each field's
//     internal serializer compatible;
//   - EnumSerializerSnapshot: the same class; constants removed are
//     incompatible, added or reordered ones are compatible.
//
// What it cannot decide (opaque or legacy snapshots, types outside the
// vocabulary, a POJO without its fields, Avro without its schema) is
// unknown, never compatible.
func (r *resolver) resolve(old *metadata.SerializerSnapshot, d *typeExpr, path string) compat {
	oldT := old.TypeString()
	unknown := func(msg, fix string) compat {
		return compat{level: unknownCompat, why: atPath(path, msg), fix: fix}
	}
	incompatible := func(msg, fix string) compat {
		return compat{level: incompatibleCompat, why: atPath(path, msg), fix: fix}
	}
	changed := fmt.Sprintf("%s → %s", oldT, d.text)
	keep := func() string {
		if path == "" {
			return fmt.Sprintf("Keep the state's type %s, or %s.", oldT, migrateFix)
		}
		return fmt.Sprintf("Keep the type of %s (%s), or %s.", path, oldT, migrateFix)
	}
	if old.Legacy {
		if normType(oldT) == normType(d.text) {
			return compat{}
		}
		return unknown(fmt.Sprintf("the savepoint's serializer %s was written by Flink 1.6 or earlier, whose snapshots spcheck does not resolve", typeOr(oldT)), "")
	}
	if old.HasOpaque() && old.Family != metadata.FamilyPojo {
		return unknown(fmt.Sprintf("the savepoint's serializer %s is not one spcheck knows", oldT), "")
	}
	df := d.family()
	if df == dSQL {
		return sqlCompat(old, d, path)
	}
	if df == dUnknown {
		return unknown(fmt.Sprintf("%q is not in spcheck's serializer vocabulary", d.text),
			"Write the serializer as docs/state-rules.md describes (spcheck inspect --deep shows the savepoint's), or try the restore in staging.")
	}
	if df == dTTL || old.Family == metadata.FamilyTTL {
		if df == dTTL && old.Family == metadata.FamilyTTL && len(old.Nested) == 2 {
			return r.resolve(&old.Nested[1], d.args[0], path)
		}
		return incompatible("TTL wrapper added or removed ("+changed+")", "Keep the state's TTL setting as it was.")
	}
	familyChange := func() compat {
		if df == dClass {
			// A bare class name does not say how it is serialized.
			return unknown(fmt.Sprintf("%q names a class, not its serializer (the savepoint's is %s)", d.text, oldT),
				fmt.Sprintf("Declare how the class is serialized: POJO %s{field: Type, …}, Kryo %s or Avro (see docs/state-rules.md).", d.head, d.head))
		}
		fix := keep()
		switch {
		case old.Family == metadata.FamilyKryo && df == dPojo, old.Family == metadata.FamilyPojo && df == dKryo:
			fix = fmt.Sprintf("Flink cannot migrate between Kryo and POJO serialization: keep %s serialized as before (a POJO stays a valid POJO; a Kryo type stays a generic type), or %s.", typeOr(oldT), migrateFix)
		}
		return incompatible(changed, fix)
	}
	switch old.Family {
	case metadata.FamilySimple:
		if df != dSimple {
			return familyChange()
		}
		if canonicalSimple(d.head) == oldT {
			return compat{}
		}
		return incompatible(changed, keep())
	case metadata.FamilyTuple:
		if df != dTuple {
			return familyChange()
		}
		if d.head != shortClass(old.TypeClass) || len(d.args) != len(old.Nested) {
			return incompatible(changed, keep())
		}
		res := compat{}
		for i := range old.Nested {
			res = worse(res, r.resolve(&old.Nested[i], d.args[i], joinPath(path, fmt.Sprintf("field f%d", i))))
		}
		return res
	case metadata.FamilyPojo:
		return r.pojo(old, d, df, path, familyChange)
	case metadata.FamilyKryo:
		if df != dKryo {
			return familyChange()
		}
		if strings.TrimPrefix(d.head, "Kryo ") != old.TypeClass {
			return incompatible(changed, keep())
		}
		return compat{}
	case metadata.FamilyAvro:
		if df != dAvro {
			return familyChange()
		}
		return r.avroCompat(old, path)
	case metadata.FamilyRowData:
		if df != dRow {
			return familyChange()
		}
		return rowCompat(old, d, path, keep)
	case metadata.FamilyEnum:
		if df != dEnum {
			return familyChange()
		}
		if strings.TrimPrefix(d.head, "Enum ") != old.TypeClass {
			return incompatible(changed, keep())
		}
		if !d.braces {
			return unknown(fmt.Sprintf("the new enum's constants are not declared (the savepoint's: %s)", strings.Join(old.EnumConstants, ", ")),
				fmt.Sprintf("Declare them: Enum %s{%s}.", old.TypeClass, strings.Join(old.EnumConstants, ", ")))
		}
		have := map[string]bool{}
		for _, f := range d.fields {
			have[f.name] = true
		}
		var removed []string
		for _, c := range old.EnumConstants {
			if !have[c] {
				removed = append(removed, c)
			}
		}
		if len(removed) > 0 {
			return incompatible("enum constants removed: "+strings.Join(removed, ", "),
				fmt.Sprintf("Keep the enum constants %s, or %s.", strings.Join(removed, ", "), migrateFix))
		}
		return compat{}
	case metadata.FamilyGeneric:
		if df != dClass {
			return familyChange()
		}
		if d.head != old.TypeClass {
			return incompatible(changed, keep())
		}
		return compat{}
	case metadata.FamilyList, metadata.FamilyMap, metadata.FamilyArray, metadata.FamilyScala,
		metadata.FamilyComposite, metadata.FamilyRow, metadata.FamilyTimer:
		if df != dComposite {
			return familyChange()
		}
		oe, err := parseTypeExpr(oldT)
		if err != nil {
			return unknown(fmt.Sprintf("cannot read the savepoint's type %s", oldT), "")
		}
		if oe.head != d.head || oe.paren != d.paren || len(d.args) != len(old.Nested) {
			return incompatible(changed, keep())
		}
		res := compat{}
		for i := range old.Nested {
			res = worse(res, r.resolve(&old.Nested[i], d.args[i], joinPath(path, componentName(old, i))))
		}
		return res
	}
	if normType(oldT) == normType(d.text) {
		return compat{}
	}
	return unknown(fmt.Sprintf("spcheck does not resolve serializers like the savepoint's %s", oldT), "")
}

// componentName names the i-th nested serializer of a composite.
func componentName(s *metadata.SerializerSnapshot, i int) string {
	switch s.Family {
	case metadata.FamilyList, metadata.FamilyArray:
		return "element"
	case metadata.FamilyMap:
		if i == 0 {
			return "map key"
		}
		return "map value"
	case metadata.FamilyTimer:
		if i == 0 {
			return "timer key"
		}
		return "timer namespace"
	}
	return fmt.Sprintf("component %d", i+1)
}

func normType(s string) string {
	return strings.ReplaceAll(s, " ", "")
}

func shortClass(c string) string {
	if i := strings.LastIndexByte(c, '.'); i >= 0 {
		return c[i+1:]
	}
	return c
}

// pojo resolves a PojoSerializerSnapshot (PojoSerializerSnapshot.resolveSchemaCompatibility).
func (r *resolver) pojo(old *metadata.SerializerSnapshot, d *typeExpr, df declFamily, path string, familyChange func() compat) compat {
	if df != dPojo {
		return familyChange()
	}
	class := strings.TrimPrefix(d.head, "POJO ")
	if class != old.TypeClass {
		return compat{level: incompatibleCompat, why: atPath(path, fmt.Sprintf("POJO class %s → %s", old.TypeClass, class)),
			fix: fmt.Sprintf("Keep the class %s: Flink restores POJO state only into the same class; moving it to another class means %s.", old.TypeClass, "rewriting the state with the State Processor API")}
	}
	if !d.braces {
		return compat{level: unknownCompat, why: atPath(path, "the new POJO's fields are not declared"),
			fix: fmt.Sprintf("Declare them: %s.", old.TypeString())}
	}
	declared := map[string]*typeExpr{}
	for _, f := range d.fields {
		if f.typ == nil {
			return compat{level: unknownCompat, why: atPath(path, fmt.Sprintf("POJO field %s has no type", f.name)),
				fix: "Declare each field as name: Type."}
		}
		declared[f.name] = f.typ
	}
	res := compat{}
	oldNames := map[string]bool{}
	for i, name := range old.FieldNames {
		oldNames[name] = true
		ft, ok := declared[name]
		if !ok {
			res = worse(res, compat{level: afterMigration, why: atPath(path, "field "+name+" removed")})
			continue
		}
		if i >= len(old.Nested) {
			res = worse(res, compat{level: unknownCompat, why: atPath(path, "field "+name+" has no serializer in the savepoint")})
			continue
		}
		res = worse(res, r.resolve(&old.Nested[i], ft, joinPath(path, "field "+name)))
	}
	for _, f := range d.fields {
		if !oldNames[f.name] {
			res = worse(res, compat{level: afterMigration, why: atPath(path, "field "+f.name+" added")})
		}
	}
	return res
}

// avroCompat resolves an Avro writer schema against the declared one.
func (r *resolver) avroCompat(old *metadata.SerializerSnapshot, path string) compat {
	text, err := avroSchemaText(r.avro)
	if err != nil || text == "" {
		return compat{level: unknownCompat, why: atPath(path, "the new Avro schema is not declared"),
			fix: "Give the state's avroSchema in the manifest (the new reader schema)."}
	}
	reader, err := parseAvroSchema(text)
	if err != nil {
		return compat{level: unknownCompat, why: atPath(path, "the declared avroSchema: "+err.Error()), fix: "Fix the declared avroSchema."}
	}
	writer, err := parseAvroSchema(old.AvroSchema)
	if err != nil {
		return compat{level: unknownCompat, why: atPath(path, "the savepoint's Avro schema: "+err.Error())}
	}
	res := resolveAvro(reader, writer)
	if !res.Equal && res.Compatible && isGenericRecordClass(old.TypeClass) {
		if c, ok := genericRecordMigration(reader, writer, path); ok {
			return c
		}
	}
	switch {
	case res.Equal:
		return compat{}
	case res.Compatible:
		why := "the Avro schema evolves compatibly (" + avroChanges(reader, writer) + ")"
		if len(res.Notes) > 0 {
			why += "; Avro's compatibility check, which Flink uses, ignores logical types, so Flink also migrates " +
				strings.Join(res.Notes, ", ") + ": the stored unscaled numbers are read with the new scale, or the migration fails where a conversion checks the scale"
		}
		return compat{level: afterMigration, why: atPath(path, why)}
	}
	return compat{level: incompatibleCompat, why: atPath(path, "the new Avro schema cannot read the savepoint's: "+strings.Join(res.Problems, "; ")),
		fix: "Make the new schema able to read the old one by Avro's resolution rules: give new fields a default, change types only as Avro promotes them (int → long → float → double, string ↔ bytes), keep names or add aliases; or " + migrateFix + "."}
}

// isGenericRecordClass reports whether an Avro snapshot's runtime class is
// a generic record (Flink's AvroSerializer for GenericRecord, not a
// SpecificRecord or a reflected class).
func isGenericRecordClass(c string) bool {
	return c == "org.apache.avro.generic.GenericRecord" || c == "org.apache.avro.generic.GenericData$Record" ||
		c == "org.apache.avro.generic.IndexedRecord"
}

// genericRecordMigration judges a compatible Avro schema change of a
// GenericRecord state as Flink's migration performs it. For generic
// records, AvroSerializer reads with a GenericDatumReader whose reader and
// writer schema are both its own schema, and writes with a
// GenericDatumWriter of its schema (AvroSerializer.initializeAvro, the
// GenericRecord branch; flink-formats/flink-avro). A migration reads each
// value with the old serializer, so the record keeps the old schema, and
// writes it with the new serializer, which takes each field of the new
// schema by its position in the record (Avro's GenericDatumWriter.writeField
// with Field.pos()). Avro's schema resolution, which Flink's compatibility
// check uses, never runs on the data. So a field added with a default has
// no value in the old records: the migration fails ("Index 2 out of bounds
// for length 2" in RocksDB's migration; the first checkpoint fails on the
// heap backend, which writes the restored records then): the restore
// oracle's types-*--avro-add-field-default cases, Flink 1.18 to 2.2. A
// field moved to another position writes another field's value there:
// spcheck cannot tell what Flink then does. ok is false when the change
// keeps every field at its position (removed fields at the end, promoted
// types), which Flink migrates.
func genericRecordMigration(reader, writer *avroSchema, path string) (compat, bool) {
	added, moved := avroPositions(reader, writer, "", map[[2]*avroSchema]bool{})
	const fix = "Keep the old schema for this state, or move the state to a new state name and rebuild it, or use a SpecificRecord class (Flink resolves its schema change on read); or " + migrateFix + "."
	switch {
	case added != "":
		return compat{level: incompatibleCompat, why: atPath(path, "the state holds Avro GenericRecords, which Flink migrates by writing each old record with the new schema field by field by position: the added field "+added+
			" has no value in the old records, and the migration fails"), fix: fix}, true
	case moved != "":
		return compat{level: unknownCompat, why: atPath(path, "the state holds Avro GenericRecords, which Flink migrates by writing each old record with the new schema field by field by position: field "+moved+
			" changes position, so the migration writes another field's value there or fails"), fix: fix}, true
	}
	return compat{}, false
}

// avroPositions finds, in records of the new schema r and the old schema
// w, a field that the old records lack at its position (added) and one
// that sits at another position than in the old schema (moved), as dotted
// paths, or "".
func avroPositions(r, w *avroSchema, prefix string, seen map[[2]*avroSchema]bool) (added, moved string) {
	if r == nil || w == nil || seen[[2]*avroSchema{r, w}] {
		return "", ""
	}
	seen[[2]*avroSchema{r, w}] = true
	switch {
	case r.typ == "record" && w.typ == "record":
		for i := range r.fields {
			f := &r.fields[i]
			if i >= len(w.fields) {
				return prefix + f.name, ""
			}
			wf := &w.fields[i]
			same := wf.name == f.name
			for _, a := range f.aliases {
				same = same || a == wf.name
			}
			if !same {
				if added == "" && moved == "" {
					moved = prefix + f.name
				}
				continue
			}
			a, m := avroPositions(f.typ, wf.typ, prefix+f.name+".", seen)
			if a != "" {
				return a, ""
			}
			if moved == "" {
				moved = m
			}
		}
		return "", moved
	case r.typ == "array" && w.typ == "array":
		return avroPositions(r.items, w.items, prefix, seen)
	case r.typ == "map" && w.typ == "map":
		return avroPositions(r.values, w.values, prefix, seen)
	case r.typ == "union" && w.typ == "union":
		for _, rb := range r.branches {
			for _, wb := range w.branches {
				if rb.typ == "record" && wb.typ == "record" && rb.name == wb.name {
					a, m := avroPositions(rb, wb, prefix, seen)
					if a != "" {
						return a, ""
					}
					if moved == "" {
						moved = m
					}
				}
			}
		}
	}
	return "", moved
}

// avroChanges describes how the fields of a record changed.
func avroChanges(r, w *avroSchema) string {
	if r.typ != "record" || w.typ != "record" {
		return w.label() + " → " + r.label()
	}
	old := map[string]*avroField{}
	for i := range w.fields {
		old[w.fields[i].name] = &w.fields[i]
	}
	var out []string
	seen := map[string]bool{}
	for i := range r.fields {
		f := &r.fields[i]
		wf := old[f.name]
		for _, a := range f.aliases {
			if wf == nil {
				wf = old[a]
			}
		}
		if wf == nil {
			out = append(out, "field "+f.name+" added")
			continue
		}
		seen[wf.name] = true
		if wf.name != f.name {
			out = append(out, "field "+wf.name+" renamed to "+f.name)
		}
		if !avroEqual(f.typ, wf.typ, map[[2]*avroSchema]bool{}) {
			out = append(out, fmt.Sprintf("field %s %s → %s", f.name, wf.typ.label(), f.typ.label()))
		}
	}
	for i := range w.fields {
		if !seen[w.fields[i].name] {
			out = append(out, "field "+w.fields[i].name+" removed")
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return "attributes changed"
	}
	return strings.Join(out, ", ")
}

// rowCompat follows RowDataSerializerSnapshot.resolveSchemaCompatibility
// (flink-table-runtime/.../typeutils/RowDataSerializer.java:343 at Flink
// 2.0, and the same check at 1.16): the new serializer's logical types must
// equal the old ones (Arrays.equals, i.e. LogicalType.equals field by
// field), else the state is incompatible. Only then are the nested field
// serializers compared, and equal logical types give equal internal
// serializers. The top-level field names are not part of the snapshot; a
// nested ROW's are.
func rowCompat(old *metadata.SerializerSnapshot, d *typeExpr, path string, keep func() string) compat {
	if len(old.LogicalTypes) == 0 && len(old.Nested) > 0 {
		return compat{level: unknownCompat, why: atPath(path, "the savepoint's row field types were not decoded")}
	}
	fields := d.row.Fields
	if len(fields) != len(old.LogicalTypes) {
		return compat{level: incompatibleCompat, why: atPath(path, fmt.Sprintf("%d row fields → %d (%s → %s)", len(old.LogicalTypes), len(fields), old.TypeString(), d.text)), fix: keep()}
	}
	res := compat{}
	for i, f := range fields {
		o := old.LogicalTypes[i]
		why, level := sqlTypeDiff(o, f.Type)
		if level == asIs {
			continue
		}
		where := fmt.Sprintf("row field %d", i+1)
		c := compat{level: level, why: atPath(path, fmt.Sprintf("%s: %s → %s: %s", where, o, f.Type, why))}
		if level == incompatibleCompat {
			c.why += " (" + rowDataEqualsCite + ")"
			c.fix = fmt.Sprintf("Keep %s exactly %s (nullability, length, precision and nested field names included), or %s.", where, o, migrateFix)
		}
		res = worse(res, c)
	}
	return res
}

// rowDataEqualsCite is the Flink check behind an incompatible RowData.
const rowDataEqualsCite = "Flink requires equal logical types: RowDataSerializer.java:343, Flink 1.16–2.2"

// sqlTypeDiff compares an old and a new logical type as LogicalType.equals
// does (flink-table-common/.../types/logical/, lines at Flink 2.0): the
// class and nullability (LogicalType.java:224), the length of CHAR and
// VARCHAR (CharType.java:163, VarCharType.java:173) and of BINARY and
// VARBINARY, DECIMAL precision and scale (DecimalType.java:151), the
// precision of TIME and the TIMESTAMP types (TimeType.java:149,
// TimestampType.java:172, LocalZonedTimestampType.java:192; the time
// attribute kind, *ROWTIME*, is not compared), ROW field names, types and
// descriptions (RowType.java:122-124), ARRAY, MULTISET and MAP element types
// (ArrayType.java:131, MapType.java:130), and the class and serializer of
// RAW (RawType.java:134). It returns asIs when they are equal, else what
// differs and whether Flink would find them unequal (incompatibleCompat) or
// spcheck cannot tell (unknownCompat: the declaration cannot express it).
func sqlTypeDiff(o, n *metadata.LogicalType) (string, compatLevel) {
	return sqlTypeDiffDepth(o, n, 0)
}

func sqlTypeDiffDepth(o, n *metadata.LogicalType, depth int) (string, compatLevel) {
	if o == nil || n == nil || o.Root == "" || n.Root == "" || depth > 64 {
		return "a type spcheck does not know", unknownCompat
	}
	if o.Root != n.Root {
		return fmt.Sprintf("%s is another type than %s", n, o), incompatibleCompat
	}
	if o.Nullable != n.Nullable {
		if o.Nullable {
			return "nullability: the new type is NOT NULL", incompatibleCompat
		}
		return "nullability: the new type is nullable", incompatibleCompat
	}
	switch o.Root {
	case "CHAR", "VARCHAR", "BINARY", "VARBINARY":
		if o.Length != n.Length {
			return fmt.Sprintf("length %d → %d", o.Length, n.Length), incompatibleCompat
		}
	case "DECIMAL":
		if o.Precision != n.Precision || o.Scale != n.Scale {
			return fmt.Sprintf("precision and scale (%d, %d) → (%d, %d)", o.Precision, o.Scale, n.Precision, n.Scale), incompatibleCompat
		}
	case "TIME_WITHOUT_TIME_ZONE", "TIMESTAMP_WITHOUT_TIME_ZONE", "TIMESTAMP_WITH_LOCAL_TIME_ZONE", "TIMESTAMP_WITH_TIME_ZONE":
		if o.Precision != n.Precision {
			return fmt.Sprintf("precision %d → %d", o.Precision, n.Precision), incompatibleCompat
		}
	case "ROW":
		if len(o.Fields) != len(n.Fields) {
			return fmt.Sprintf("nested row fields %d → %d", len(o.Fields), len(n.Fields)), incompatibleCompat
		}
		worst, why := asIs, ""
		for i := range o.Fields {
			of, nf := &o.Fields[i], &n.Fields[i]
			w, l := "", asIs
			switch {
			case of.Name != nf.Name && nf.Name == "f"+strconv.Itoa(i):
				// Declared without a name: Flink compares names.
				w, l = fmt.Sprintf("nested row field %d is named %q in the savepoint and declared without a name (Flink compares nested field names)", i+1, of.Name), unknownCompat
			case of.Name != nf.Name:
				w, l = fmt.Sprintf("nested row field %d renamed %q → %q", i+1, of.Name, nf.Name), incompatibleCompat
			case of.Description != nf.Description:
				w, l = fmt.Sprintf("nested row field %q has a description in the savepoint, which Flink compares and a declaration cannot give", of.Name), unknownCompat
			default:
				if fw, fl := sqlTypeDiffDepth(of.Type, nf.Type, depth+1); fl != asIs {
					w, l = fmt.Sprintf("nested row field %q: %s", of.Name, fw), fl
				}
			}
			if l > worst {
				worst, why = l, w
			}
		}
		return why, worst
	case "ARRAY", "MULTISET", "MAP":
		if len(o.Children) != len(n.Children) {
			return "element types differ", incompatibleCompat
		}
		for i := range o.Children {
			if w, l := sqlTypeDiffDepth(o.Children[i], n.Children[i], depth+1); l != asIs {
				what := "element"
				if o.Root == "MAP" {
					what = []string{"key", "value"}[i%2]
				}
				return what + ": " + w, l
			}
		}
	case "STRUCTURED_TYPE":
		// StructuredType.equals (StructuredType.java:445-460, Flink 2.0):
		// the implementation class and the attributes (name, type,
		// description) are compared; so are finality, instantiability,
		// comparison, supertype, identifier and description
		// (UserDefinedType.java:100-102), which neither the savepoint's
		// decoded type nor a declaration gives.
		if o.TypeClass != n.TypeClass {
			return fmt.Sprintf("structured type class %s → %s", o.TypeClass, n.TypeClass), incompatibleCompat
		}
		if len(o.Fields) != len(n.Fields) {
			return fmt.Sprintf("structured type attributes %d → %d", len(o.Fields), len(n.Fields)), incompatibleCompat
		}
		worst, why := unknownCompat, "StructuredType.equals also compares finality, instantiability, comparison, supertype and descriptions, which a declaration cannot give"
		for i := range o.Fields {
			of, nf := &o.Fields[i], &n.Fields[i]
			if of.Name != nf.Name {
				return fmt.Sprintf("structured type attribute %d renamed %q → %q", i+1, of.Name, nf.Name), incompatibleCompat
			}
			if w, l := sqlTypeDiffDepth(of.Type, nf.Type, depth+1); l == incompatibleCompat {
				return fmt.Sprintf("structured type attribute %q: %s", of.Name, w), l
			} else if l == unknownCompat && worst == unknownCompat && !strings.HasPrefix(why, "attribute") {
				why = fmt.Sprintf("attribute %q: %s", of.Name, w)
			}
		}
		return why, worst
	case "RAW":
		if o.TypeClass != n.TypeClass {
			return fmt.Sprintf("RAW class %s → %s", o.TypeClass, n.TypeClass), incompatibleCompat
		}
		return "RawType.equals also compares the RAW type's serializer, which a declaration cannot give", unknownCompat
	case "BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "FLOAT", "DOUBLE", "DATE", "NULL":
	default:
		// INTERVAL (resolution and precisions), DISTINCT_TYPE, SYMBOL:
		// parameters a declaration cannot give.
		return fmt.Sprintf("%s types have parameters spcheck does not compare", o.Root), unknownCompat
	}
	return "", asIs
}

// checkSQLStates compares the state entries of a compiled plan's exec node
// with the savepoint's states of its operator: each entry covers the
// descriptors the runtime operator registers for it (sqlstates.go). A
// savepoint state no entry covers is SP050, an entry covering no savepoint
// state SP051; TTL is compared for descriptors that take the entry's TTL.
// Timers are not compared.
func (sc *stateCheck) checkSQLStates() {
	states := sc.info.States
	found := make([]bool, len(sc.n.States))
	for j := range states {
		s := &states[j]
		if s.Kind == KindTimers {
			continue
		}
		covered := false
		for i := range sc.n.States {
			d := &sc.n.States[i]
			ttl, ok := d.sql.covers(s.Name)
			if !ok || s.registry() != "keyed" {
				continue
			}
			covered, found[i] = true, true
			if ttl && (d.TTL > 0) != s.TTL {
				sc.ttlChanged(d, s, stateLabel(s.Kind, s.Keyed, s.Name), d.TTL > 0)
			}
			break
		}
		if covered {
			continue
		}
		sc.add(Finding{Rule: "SP050",
			Message: fmt.Sprintf("the savepoint holds %s (%s); the compiled plan's operator registers no state of that name (its plan states: %s): Flink restores it but nothing reads it, and it is written again with every checkpoint",
				stateLabel(s.Kind, s.Keyed, s.Name), stateType(s), sqlPlanStateList(sc.n.States)),
			Fix: "If the query changed on purpose, nothing to do (the state is orphaned, not lost to a failure); to keep the state in use, run the compiled plan the savepoint was taken with (COMPILE PLAN once, then EXECUTE PLAN)."}, s.Name)
	}
	for i := range sc.n.States {
		d := &sc.n.States[i]
		if found[i] {
			continue
		}
		if sc.info.Incomplete {
			sc.add(Finding{Rule: "SP056",
				Message: fmt.Sprintf("the compiled plan's state %q (%s) is not among the savepoint states read, and some state headers of this operator could not be read: whether the savepoint holds it is unknown", d.Name, d.sql.names()),
				Fix:     "Check that the savepoint's state files are complete and readable (spcheck inspect --deep lists the problems)."}, d.Name)
			continue
		}
		sc.add(Finding{Rule: "SP051",
			Message: fmt.Sprintf("the compiled plan's state %q (%s) is not in the savepoint: it starts empty", d.Name, d.sql.names()),
			Fix:     "Nothing to do if the operator is new. If it replaces an operator of the savepoint, keep that operator's uid (table.exec.uid.format) so that its state is restored."}, d.Name)
	}
}

// sqlPlanStateList lists a plan node's state entries with their
// descriptors.
func sqlPlanStateList(decls []StateDecl) string {
	var s []string
	for i := range decls {
		s = append(s, fmt.Sprintf("%s: %s", decls[i].Name, decls[i].sql.names()))
	}
	return strings.Join(s, "; ")
}
