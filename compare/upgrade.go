package compare

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spcheck/spcheck/metadata"
)

// The upgrade rules (SP070–SP077) judge the savepoint against the Flink
// release and state backend that will restore it (check --flink-version,
// --state-backend, or the graph's flinkVersion and stateBackend). Each
// cites the Flink source or release note it follows; README "Upgrade
// rules" lists them with what is left out.

// maxReadable is the newest metadata format version a Flink release reads
// (MetadataSerializers registers V1 … VN, and getSerializer throws
// "Unrecognized checkpoint version number" for any other;
// flink-runtime/.../checkpoint/metadata/MetadataSerializers.java:36-60,
// Flink 2.0; :36-41 in 2.3.0, which registers V1 to V6). 0 means spcheck
// does not know (2.4 and later may read 7, from a release it has not
// verified).
func maxReadable(t FlinkVersion) int32 {
	switch {
	case t.Before(1, 3):
		return 1
	case t.Before(1, 11):
		return 2
	case t.Before(1, 16):
		return 3
	case t.Before(2, 0):
		return 4
	case t.Before(2, 1):
		return 5
	case t.Before(2, 4):
		// Format 6 (MetadataV6Serializer, flink-runtime/.../checkpoint/metadata/)
		// is written and read by 2.1, 2.2 and 2.3 (Checkpoints.java:88 writes
		// it in 2.3.0): the restore oracle restored format-6 savepoints and
		// checkpoints of each of them on itself and on the next release
		// (testdata/oracle/2.1.0, 2.2.0, 2.3.0).
		return 6
	}
	return 0
}

// checkUpgrade applies the upgrade rules.
func (c *checker) checkUpgrade() {
	t := c.g.Version()
	b := c.g.StateBackend
	if t.IsZero() && b == BackendUnknown {
		return
	}
	p := ProvenanceOf(c.m, c.opts.States)
	p.ApplyKeyedFormat(c.opts.KeyedFormat)
	c.rep.Provenance = &p
	anchor, ok := c.anchor()
	if !ok {
		return // nothing holds state: nothing to restore
	}
	if !t.IsZero() {
		if c.checkFormat(t, p, anchor) {
			return // Flink cannot even read the file
		}
		c.checkDowngrade(t, p, anchor)
		c.checkLegacySerializers(t, p, anchor)
		c.checkMajorUpgrade(t, p, anchor)
		c.checkTableLimitations(t, p, anchor)
	}
	if b != BackendUnknown {
		c.checkBackend(b, p)
	}
}

// anchor is the operator whole-savepoint findings are reported on: the
// first operator with state.
func (c *checker) anchor() (OperatorRef, bool) {
	for i := range c.m.Operators {
		if c.m.Operators[i].HasState() {
			r := c.spRef(&c.m.Operators[i])
			r.Where = "savepoint (the whole file)"
			return r, true
		}
	}
	return OperatorRef{}, false
}

// checkFormat: SP070. It reports whether Flink would fail to read the
// file at all.
func (c *checker) checkFormat(t FlinkVersion, p Provenance, at OperatorRef) bool {
	v := c.m.Version
	if v == 1 && t.AtLeast(1, 11) {
		// MetadataV1Serializer.deserialize throws (MetadataV1Serializer.java:51,
		// Flink 1.11 to 2.0).
		c.add(Finding{Rule: RuleMetadataFormatUnreadable, Operator: at,
			Message:      fmt.Sprintf("the savepoint is in metadata format 1 (Flink 1.2); Flink %s no longer reads it", t),
			Fix:          "Restore it on Flink 1.3 – 1.10 first, take a new savepoint there, and upgrade from that one.",
			FlinkMessage: "This savepoint / checkpoint version (Flink 1.1 / 1.2) is no longer supported."})
		return true
	}
	max := maxReadable(t)
	switch {
	case max == 0 && v >= 6:
		c.add(Finding{Rule: RuleMetadataFormatUnreadable, Severity: Unknown, Operator: at,
			Message: fmt.Sprintf("the savepoint is in metadata format %d (%s); spcheck has not verified which 2.x release first reads it, so it cannot tell whether Flink %s does", v, p.Range(), t),
			Fix:     fmt.Sprintf("Check that Flink %s is the release that wrote the savepoint or a later one.", t)})
	case max != 0 && v > max:
		c.add(Finding{Rule: RuleMetadataFormatUnreadable, Operator: at,
			Message:      fmt.Sprintf("the savepoint is in metadata format %d, written by %s; Flink %s reads formats up to %d and refuses the file", v, p.Range(), t, max),
			Fix:          fmt.Sprintf("Restore on the release that wrote it (%s) or a later one, or take the savepoint on a Flink that writes format %d or older.", p.Range(), max),
			FlinkMessage: fmt.Sprintf("Unrecognized checkpoint version number: %d", v)})
		return true
	}
	return false
}

// checkDowngrade: SP076. Flink's compatibility table
// (docs/content/docs/ops/upgrading.md, "Compatibility Table") has no cell
// for restoring a savepoint on an older minor release.
func (c *checker) checkDowngrade(t FlinkVersion, p Provenance, at OperatorRef) {
	if p.MinFlink.IsZero() || !t.MinorRelease().Before(p.MinFlink.Major, p.MinFlink.Minor) {
		return
	}
	c.add(Finding{Rule: RuleFlinkDowngrade, Operator: at,
		Message: fmt.Sprintf("the savepoint was written by %s and would be restored on the older Flink %s: Flink's compatibility table guarantees no restore on an older release", p.Range(), t),
		Fix:     "Restore on the release that wrote the savepoint or a later one; to go back, restore the savepoint you took before the upgrade."})
}

// checkLegacySerializers: SP071. Flink 1.17 dropped
// TypeSerializerConfigSnapshot (FLINK-29807): reading a snapshot written
// with it fails (TypeSerializerSnapshotSerializationUtil.java:141-149,
// Flink 1.17 to 2.0), and Flink 1.17+ reads only keyed-state headers of
// Flink 1.7+ (docs/FORMAT.md §10.2).
func (c *checker) checkLegacySerializers(t FlinkVersion, p Provenance, at OperatorRef) {
	if t.Before(1, 17) {
		return
	}
	const flinkSays = "As of Flink 1.17 TypeSerializerConfigSnapshot is no longer supported. In order to upgrade Flink to 1.17+ you need to first migrate your serializers to use TypeSerializerSnapshot instead. Please first take a savepoint in Flink 1.16 without using TypeSerializerConfigSnapshot. After that you can use this savepoint to upgrade to Flink 1.17."
	fix := "Restore the savepoint on Flink 1.8 – 1.16 (the job's serializers must implement TypeSerializerSnapshot there), take a new savepoint, and upgrade from that one."
	if c.opts.States == nil {
		if !p.MinFlink.IsZero() && p.MinFlink.Before(1, 8) && c.hasSerializedState() {
			c.add(Finding{Rule: RuleLegacySerializerSnapshot, Severity: Unknown, Operator: at,
				Message: fmt.Sprintf("the savepoint was written by %s: if that was Flink 1.7 or earlier, its serializers are stored as TypeSerializerConfigSnapshot, which Flink %s cannot read (FLINK-29807); run check --deep to read them", p.Range(), t),
				Fix:     "Run spcheck check --deep to decide. " + fix})
		}
		return
	}
	for _, id := range c.stateOperators() {
		var names []string
		var classes []string
		info := c.opts.States[id]
		for i := range info.States {
			s := &info.States[i]
			legacy := ""
			for _, snap := range []*metadata.SerializerSnapshot{s.Value, s.Key} {
				walkSnapshot(snap, func(x *metadata.SerializerSnapshot) {
					if x.Legacy && legacy == "" {
						legacy = x.Class
					}
				})
			}
			if legacy != "" {
				names = append(names, s.Name)
				classes = append(classes, legacy)
			}
		}
		walkSnapshot(info.KeySerializer, func(x *metadata.SerializerSnapshot) {
			if x.Legacy && len(names) == 0 {
				names = append(names, "(the key)")
				classes = append(classes, x.Class)
			}
		})
		if len(names) == 0 {
			continue
		}
		c.add(Finding{Rule: RuleLegacySerializerSnapshot, Operator: c.spRef(c.operator(id)),
			Message:      fmt.Sprintf("%s written with TypeSerializerConfigSnapshot serializers (%s), which Flink %s cannot read (FLINK-29807)", statesWere(names), shortClass(classes[0]), t),
			Fix:          fix,
			FlinkMessage: flinkSays})
	}
}

// checkMajorUpgrade: SP073, SP074, SP075 for a 1.x savepoint restored on
// 2.x. The Flink 2.0 release notes say "State Compatibility is not
// guaranteed between 1.x and 2.x" (docs/content/release-notes/flink-2.0.md,
// "Misc"): what breaks is state whose serializers 2.0 no longer reads.
// Flink 2.0 moved Kryo from 2.24 to 5.6 (FLINK-3154), whose bytes Kryo 5
// does not read (the 1.x Kryo upgrade tests were dropped for it:
// FLINK-37660, FLINK-37661); it removed the Scala API; and a restore loads
// every serializer snapshot class by name from the job's class loader
// (TypeSerializerSnapshotSerializationUtil.readAndInstantiateSnapshotClass),
// so a snapshot class that 2.0 removed or moved (flink2RemovedSnapshots)
// fails the restore. With --deep, spcheck reads every state's serializer
// snapshots: when all are Flink's own and present in 2.0, the restore
// works as on 1.x (the restore oracle's 2.0.0/from-1.20.1--* cases restored
// on Flink 2.0.0), and SP073 is info; otherwise it is unknown and names
// what to check, or SP074/SP075 decide.
func (c *checker) checkMajorUpgrade(t FlinkVersion, p Provenance, at OperatorRef) {
	if t.Before(2, 0) || p.MaxFlink.IsZero() || p.MaxFlink.AtLeast(2, 0) {
		return
	}
	if c.opts.States == nil {
		c.add(Finding{Rule: RuleMajorVersionUpgrade, Operator: at,
			Message: fmt.Sprintf("the savepoint was written by %s and would be restored on Flink %s: Flink does not guarantee state compatibility between 1.x and 2.x (Flink 2.0 release notes), and whether this savepoint restores depends on its state serializers (Kryo, Scala, custom or removed ones do not restore); run check --deep to read them and decide", p.Range(), t),
			Fix:     "Run spcheck check --deep: it reads every state's serializer and decides for Flink's own serializers."})
		return
	}
	var custom []string // states with serializers spcheck does not know as Flink 2.x's
	var customClass string
	unread := 0
	kryoOrScala := false
	for _, id := range c.stateOperators() {
		info := c.opts.States[id]
		if info.Incomplete || info.Raw {
			unread++
		}
		var kryo, scala []string
		var kryoType, scalaClass string
		check := func(name string, snaps ...*metadata.SerializerSnapshot) {
			k, sc, cu := "", "", ""
			for _, snap := range snaps {
				walkSnapshot(snap, func(x *metadata.SerializerSnapshot) {
					switch {
					case x.Family == metadata.FamilyKryo:
						if k == "" {
							k = x.TypeClass
						}
					case x.Family == metadata.FamilyScala:
						if sc == "" {
							sc = x.Class
						}
					case x.Legacy:
						// SP071 reports TypeSerializerConfigSnapshot.
					case x.Family == metadata.FamilyOpaque || x.Family == metadata.FamilyJava || flink2RemovedSnapshots[x.Class]:
						if cu == "" {
							cu = x.Class
						}
					}
				})
			}
			if k != "" {
				kryo = append(kryo, name)
				if kryoType == "" {
					kryoType = k
				}
			}
			if sc != "" {
				scala = append(scala, name)
				if scalaClass == "" {
					scalaClass = sc
				}
			}
			if cu != "" {
				custom = append(custom, name)
				if customClass == "" {
					customClass = cu
				}
			}
		}
		check("(the key)", info.KeySerializer)
		for i := range info.States {
			s := &info.States[i]
			check(s.Name, s.Value, s.Key, s.Namespace)
		}
		ref := c.spRef(c.operator(id))
		if len(kryo) > 0 {
			kryoOrScala = true
			c.add(Finding{Rule: RuleKryoStateOnFlink2, Operator: ref,
				Message: fmt.Sprintf("%s values written by Kryo 2 (type %s); Flink %s reads them with Kryo 5, which cannot read Kryo 2 bytes (FLINK-3154): the heap backend fails on restore, RocksDB on the first read", statesHold(kryo), shortClass(kryoType), t),
				Fix:     "Before upgrading, change the type to one Flink serializes itself (a POJO without generic fields, Avro, Tuple) through state schema evolution on 1.x, or rewrite the state with the State Processor API; or rebuild the state on 2.x."})
		}
		if len(scala) > 0 {
			kryoOrScala = true
			c.add(Finding{Rule: RuleScalaSerializerOnFlink2, Operator: ref,
				Message: fmt.Sprintf("%s written with Scala serializers (%s); Flink %s no longer ships the Scala API, and loads the snapshot class by name from the job's class loader: the restore works only if the job jar ships that class and a compatible serializer", statesWere(scala), shortClass(scalaClass), t),
				Fix:     "Check that the job jar contains " + scalaClass + " (e.g. from a Scala API library for Flink 2.x that keeps Flink's serializer classes); otherwise migrate the state to Java types on 1.x first."})
		}
	}
	f := Finding{Rule: RuleMajorVersionUpgrade, Operator: at}
	switch {
	case len(custom) > 0 || unread > 0:
		var what []string
		if len(custom) > 0 {
			what = append(what, fmt.Sprintf("%s with serializers spcheck does not know as Flink 2.x's (%s: a custom serializer, or a class Flink 2.0 removed or moved), which Flink %s loads by name from the job's class loader", statesWere(custom), shortClass(customClass), t))
		}
		if unread > 0 {
			what = append(what, fmt.Sprintf("%d operators with state headers deep mode could not read, or raw state in the job's own format", unread))
		}
		f.Message = fmt.Sprintf("the savepoint was written by %s and would be restored on Flink %s: Flink does not guarantee state compatibility between 1.x and 2.x (Flink 2.0 release notes); %s", p.Range(), t, strings.Join(what, "; "))
		f.Fix = "Check that the job for Flink 2.x ships those serializer classes and that they read the 1.x bytes (test the restore in staging), or rebuild the state on 2.x (State Processor API, or reprocessing)."
	case kryoOrScala:
		return // SP074 and SP075 decide
	default:
		f.Severity, f.Outcome = Info, Restores
		f.Message = fmt.Sprintf("the savepoint was written by %s and is restored on Flink %s: Flink does not guarantee state compatibility between 1.x and 2.x, but --deep found only Flink's own serializers that Flink 2.x still has (no Kryo, no Scala, no custom or removed serializer)", p.Range(), t)
		f.Fix = "Nothing to do for the state's serializers; operators that no longer exist on 2.x (legacy SourceFunction/SinkFunction connectors) show as removed operators."
	}
	c.add(f)
}

// flink2RemovedSnapshots are the serializer snapshot classes spcheck
// decodes that a 1.x savepoint may hold and that are not in Flink 2.0's
// source tree (1996fanrui/flink b48ccce, November 2024; looked up by
// class path), so that a 2.0 restore cannot load them by name. Scala
// (SP075), Kryo (SP074) and pre-1.8 config snapshots (SP071) have their
// own rules.
var flink2RemovedSnapshots = map[string]bool{
	// Deprecated in 1.x, removed in 2.0 (JavaEitherSerializerSnapshot stays).
	"org.apache.flink.api.java.typeutils.runtime.EitherSerializerSnapshot": true,
	// Moved to ….functions.sink.legacy in 2.0, with the SinkFunction API.
	"org.apache.flink.streaming.api.functions.sink.TwoPhaseCommitSinkFunction$StateSerializerSnapshot": true,
	// Blink-planner names of Flink ≤1.10, absent in 2.0.
	"org.apache.flink.table.runtime.typeutils.BaseRowSerializer$BaseRowSerializerSnapshot":   true,
	"org.apache.flink.table.runtime.typeutils.DecimalSerializer$DecimalSerializerSnapshot":   true,
	"org.apache.flink.table.runtime.typeutils.ListViewSerializer$ListViewSerializerSnapshot": true,
	// In neither Flink 1.20's nor 2.0's source tree (an external library).
	"org.apache.flink.formats.protobuf.ProtobufSerializerSnapshot": true,
}

// checkTableLimitations: SP077, the limitations the compatibility table
// of docs/content/docs/ops/upgrading.md lists (release-1.18 and later
// pages): "When migrating from Flink 1.2.x to Flink 1.3.x+, changing
// parallelism at the same time is not supported", and "Don't upgrade from
// 1.12.x to 1.13.x with an unaligned checkpoint. Please use a savepoint".
func (c *checker) checkTableLimitations(t FlinkVersion, p Provenance, at OperatorRef) {
	if c.m.Version == 1 && t.AtLeast(1, 3) {
		for i := range c.m.Operators {
			op := &c.m.Operators[i]
			ns := c.byID[op.ID]
			if !op.HasState() || len(ns) == 0 || ns[0].Parallelism == 0 || ns[0].Parallelism == int(op.Parallelism) {
				continue
			}
			c.add(Finding{Rule: RuleCompatibilityTableLimitation, Operator: c.spRef(op), NewOperator: newRef(ns[0]),
				Message: fmt.Sprintf("a Flink 1.2 savepoint restored on Flink %s with the parallelism changed from %d to %d: Flink's compatibility table does not support changing parallelism during a 1.2 → 1.3+ migration", t, op.Parallelism, ns[0].Parallelism),
				Fix:     fmt.Sprintf("Restore with parallelism %d first, take a new savepoint on Flink %s, then change the parallelism.", op.Parallelism, t)})
		}
	}
	if p.Format == "canonical" || p.Format == "native" || t.Before(1, 13) || p.MinFlink.AtLeast(1, 13) {
		return
	}
	inflight := false
	for i := range c.m.Operators {
		if metadata.Summarize(&c.m.Operators[i]).InFlight {
			inflight = true
		}
	}
	if !inflight {
		return
	}
	sev := Unknown
	if !p.MaxFlink.IsZero() && p.MaxFlink.Before(1, 13) {
		sev = Error
	}
	c.add(Finding{Rule: RuleCompatibilityTableLimitation, Severity: sev, Operator: at,
		Message: fmt.Sprintf("an unaligned checkpoint (with in-flight data) written by %s restored on Flink %s: Flink's compatibility table says not to upgrade from 1.12 to 1.13+ with an unaligned checkpoint", p.Range(), t),
		Fix:     "Take a savepoint on the old Flink and upgrade from it."})
}

// checkBackend: SP072. Canonical savepoints restore into any backend;
// checkpoints and native savepoints only into the backend that wrote them
// (docs/content/docs/ops/state/checkpoints_vs_savepoints.md). In Flink's
// source: the heap backend restores only KeyGroupsStateHandles
// (HeapRestoreOperation.java:118-119, Flink 2.0), RocksDB reads incremental
// handles with RocksDBIncrementalRestoreOperation and full ones with its
// full restore, ForSt restores incremental handles and, up to 2.3, full
// snapshots only with heap timers (ForStKeyedStateBackendBuilder.java:375-428,
// 2.3.0).
func (c *checker) checkBackend(b StateBackend, p Provenance) {
	ops := c.keyedOperators()
	if len(ops) == 0 {
		return
	}
	at := c.spRef(ops[0])
	if len(ops) > 1 {
		at.Where = fmt.Sprintf("savepoint (and %d more operators with keyed state)", len(ops)-1)
	}
	wrote := p.BackendText()
	f := Finding{Rule: RuleStateBackendSwitch, Operator: at}
	forStFull := b == BackendForSt && (p.Snapshot == "savepoint" || p.Snapshot == "full")
	v2 := c.v2KeyedState(ops)
	switch {
	case forStFull && c.g.Version().AtLeast(2, 4):
		// A later source adds ForStFullRestoreOperation (apache/flink
		// 042dd036); no release up to 2.3 has it.
		f.Severity = Unknown
		f.Message = fmt.Sprintf("the keyed state is a full snapshot (%s); the ForSt backend of Flink 2.0 to 2.3 restores full snapshots only with heap timers, and spcheck has not verified Flink %s", formatNoun(p.Format), c.g.FlinkVersion)
		f.Fix = "Test the restore in staging, or restore into RocksDB."
	case forStFull:
		// Flink 2.0 to 2.3: both ForSt builders restore an
		// IncrementalRemoteKeyedStateHandle, and any other handle only with
		// heap timers (ForStHeapTimersFullRestoreOperation); with the
		// default timer service (state.backend.forst.timer-service.factory:
		// ForStDB) they throw (ForStKeyedStateBackendBuilder.java:375-428,
		// sync/ForStSyncKeyedStateBackendBuilder.java:526-579, 2.2.0 and
		// 2.3.0; :320-360 in the 2.0 branch). The restore oracle's
		// types-rocksdb-canonical--to-forst cases failed so on 2.0.0, 2.2.0
		// and 2.3.0.
		f.Message = fmt.Sprintf("the keyed state is a full snapshot (%s), and the ForSt backend of Flink 2.0 to 2.3 restores one only with heap timers: with its default timer service (ForStDB) the restore fails", formatNoun(p.Format))
		f.Fix = "Restore the savepoint into RocksDB, take a checkpoint or native savepoint there, and restore that into ForSt (it reads RocksDB's files); or run ForSt with state.backend.forst.timer-service.factory: HEAP."
		f.FlinkMessage = "Not support restoring yet for ForStStateBackend"
	case p.Snapshot == "savepoint":
		return
	case p.Snapshot == "incremental" && b == BackendHashMap:
		f.Message = fmt.Sprintf("the keyed state was written by %s, in a %s; the hashmap backend restores only full snapshots and refuses RocksDB/ForSt files", wrote, formatNoun(p.Format))
		f.Fix = "Restore with the backend that wrote it, take a canonical savepoint (flink savepoint --type canonical), and restore that into hashmap."
		// StateUtil.unexpectedStateHandleException (StateUtil.java:148-159, Flink 2.0).
		f.FlinkMessage = "Unexpected state handle type, expected one of: class org.apache.flink.runtime.state.KeyGroupsStateHandle, but found: class org.apache.flink.runtime.state.IncrementalRemoteKeyedStateHandle. This can mostly happen when a different StateBackend from the one that was used for taking a checkpoint/savepoint is used when restoring."
	case p.Snapshot == "incremental" && b == BackendRocksDB && !p.MinFlink.AtLeast(2, 0):
		return
	case p.Snapshot == "incremental" && p.MinFlink.AtLeast(2, 0) && b == BackendForSt:
		// ForSt restores RocksDB's files (below) and its own, states of the
		// asynchronous state API included: only ForSt's asynchronous
		// backend writes their meta info (KEY_VALUE_V2,
		// v2.RegisteredKeyValueStateBackendMetaInfo; nothing in 2.3.0's
		// heap or RocksDB code does). The oracle's rocksdb-*--to-forst and
		// sqlasync-forst-native--none restored on 2.0.0, 2.2.0 and 2.3.0.
		return
	case p.Snapshot == "incremental" && p.MinFlink.AtLeast(2, 0) && b == BackendRocksDB && v2 != "":
		// RocksDB's restore builds the V2 meta info from the snapshot
		// (RegisteredStateMetaInfoBase.fromMetaInfoSnapshot) and casts it
		// to its own kind (RocksDBKeyedStateBackend.java:371,
		// RocksDbTtlCompactFiltersManager.java:95, 2.3.0): the oracle's
		// sqlasync-forst-native--to-rocksdb failed so on 2.0.0, 2.2.0 and
		// 2.3.0.
		f.Message = fmt.Sprintf("the keyed state was written by ForSt, in a %s: state %q was written through the asynchronous state API (state V2), which only the ForSt backend writes, and the RocksDB backend cannot restore it", formatNoun(p.Format), v2)
		f.Fix = "Restore into ForSt, the backend that wrote it. (A canonical savepoint, the usual way to switch backends, failed in ForSt's snapshot for the restore oracle's job on this API.)"
		f.FlinkMessage = "class org.apache.flink.runtime.state.v2.Registered…StateBackendMetaInfo cannot be cast to class org.apache.flink.runtime.state.RegisteredKeyValueStateBackendMetaInfo"
	case p.Snapshot == "incremental" && p.MinFlink.AtLeast(2, 0) && b == BackendRocksDB && c.v1KeyedStates(ops) == "":
		// Flink 2.x: RocksDB and ForSt both write IncrementalRemoteKeyedStateHandles of
		// RocksDB 8.10 files (OPTIONS: rocksdb_version=8.10.0 from both, restore oracle
		// testdata/oracle/2.0.0/savepoints/{rocksdb,forst}-*), and each picks its restore by
		// the handle class alone, not the writer: RocksDBKeyedStateBackendBuilder.java:530-581
		// (RocksDBIncrementalRestoreOperation) and ForStKeyedStateBackendBuilder.java:320-360
		// (ForStIncrementalRestoreOperation), Flink 2.0. The restore oracle confirms both ways
		// for states of the V1 API (forst-*--to-rocksdb, rocksdb-*--to-forst: restored on
		// Flink 2.0 and 2.2); which backend wrote the files does not matter then.
		return
	case p.Snapshot == "incremental" && p.MinFlink.AtLeast(2, 0) && b == BackendRocksDB:
		f.Severity = Unknown
		f.Message = fmt.Sprintf("the keyed state was written by %s, in a %s; Flink 2.x restores ForSt's incremental files into RocksDB for states of the V1 API, but %s", wrote, formatNoun(p.Format), c.v1KeyedStates(ops))
		f.Fix = fmt.Sprintf("Check that the old job ran %s; otherwise take a canonical savepoint and restore that.", b.Label())
	case p.Snapshot == "incremental":
		f.Severity = Unknown
		f.Message = fmt.Sprintf("the keyed state was written by %s, in a %s; the files do not tell RocksDB from ForSt, and Flink restores a native snapshot only into the backend that wrote it", wrote, formatNoun(p.Format))
		f.Fix = fmt.Sprintf("Check that the old job ran %s; otherwise take a canonical savepoint and restore that.", b.Label())
	case p.Snapshot == "full" && len(p.Backends) == 1:
		// The bytes told the writer (ApplyKeyedFormat). Flink picks the
		// restore by the handle class, not the bytes: the heap backend
		// restores a KeyGroupsStateHandle with HeapRestoreOperation
		// (HeapKeyedStateBackendBuilder.java:142-157, Flink 1.20 and 2.0),
		// which expects each key group's index at its offset and throws
		// "Unexpected key-group in restore." otherwise
		// (HeapRestoreOperation.java:212-216); RocksDB restores it with
		// RocksDBFullRestoreOperation (RocksDBKeyedStateBackendBuilder.java:
		// 514-561, Flink 1.20; 530-581, Flink 2.0), which reads the
		// full-snapshot format and fails on the heap's (the restore
		// oracle's *-hashmap-*--to-rocksdb cases: EOFException at task
		// start, Flink 1.18 to 2.2).
		wrote := p.Backends[0]
		if wrote == b {
			return
		}
		f.Message = fmt.Sprintf("the keyed state of this %s was written by %s: %s; Flink restores it only into the backend that wrote it", formatNoun(p.Format), wrote.Label(), c.opts.KeyedFormat.Evidence)
		f.Fix = fmt.Sprintf("Restore with %s, take a canonical savepoint (flink savepoint --type canonical), and restore that into %s.", wrote.Label(), b.Label())
		if wrote == BackendHashMap {
			f.FlinkMessage = "BackendBuildingException: Caught unexpected exception. (EOFException: RocksDB's full restore reads the heap backend's key groups as full-snapshot keys)"
		} else {
			f.FlinkMessage = "Unexpected key-group in restore."
		}
	case p.Snapshot == "full":
		f.Severity = Unknown
		f.Message = fmt.Sprintf("the keyed state is a full snapshot (%s) in its backend's own format, written by hashmap or by RocksDB without incremental checkpoints; the handles do not tell which, and Flink restores it only into the backend that wrote it", wrote)
		if p.MaxFlink.IsZero() || p.MaxFlink.AtLeast(1, 13) {
			f.Message = fmt.Sprintf("the keyed state of this %s is a full snapshot written by hashmap or by RocksDB without incremental checkpoints; the handles do not tell which, and Flink restores a checkpoint or native savepoint only into the backend that wrote it", formatNoun(p.Format))
		} else {
			f.Message = fmt.Sprintf("the keyed state is a full snapshot written by %s, before the backend-independent savepoint format of Flink 1.13 (FLIP-41): it restores only into the backend that wrote it, hashmap or RocksDB, and the handles do not tell which", p.Range())
		}
		if k := c.opts.KeyedFormat; k != nil && k.Writer == BackendUnknown {
			f.Message += " (the state's bytes did not tell either: " + k.Evidence + ")"
		}
		f.Fix = fmt.Sprintf("Check that the old job ran %s; otherwise restore with the old backend and take a canonical savepoint.", b.Label())
	default: // only changelog changes, nothing materialized
		// From Flink 1.16 a restore builds the new backend from the
		// materialized state (here none) and applies the changes to it
		// through its state API, whatever backend it is:
		// ChangelogBackendRestoreOperation.restore
		// (ChangelogBackendRestoreOperation.java:66-89, Flink 2.3.0), which
		// ChangelogStateBackend calls and, with changelog off,
		// DeactivatedChangelogStateBackend (:70), which StateBackendLoader
		// wraps around any backend given ChangelogStateBackendHandles
		// (StateBackendLoader.java:377-391, Flink 1.16).
		if t := c.g.Version(); !t.IsZero() && t.AtLeast(1, 16) {
			return
		}
		f.Severity = Unknown
		f.Message = "the keyed state is only changelog changes (nothing materialized yet): the backend that wrote it is not recorded, and Flink before 1.16 restores changelog state only with changelog on"
		f.Fix = fmt.Sprintf("Check that the old job ran %s, or give the Flink version (--flink-version): from 1.16 any backend restores these changes.", b.Label())
	}
	c.add(f)
}

// v1KeyedStates is "" when the deep read gave every keyed state of ops
// (so that v2KeyedState has seen each); otherwise it says why spcheck
// cannot tell whether the asynchronous state API wrote some.
func (c *checker) v1KeyedStates(ops []*metadata.OperatorState) string {
	if c.opts.States == nil {
		return "the keyed states were not read (run with --deep), so spcheck cannot tell whether the V2 state API wrote some, which RocksDB cannot restore"
	}
	for _, op := range ops {
		info, ok := c.opts.States[op.ID]
		if !ok || info == nil || info.Incomplete {
			return "the keyed states of an operator could not all be read, so spcheck cannot tell whether the V2 state API wrote some, which RocksDB cannot restore"
		}
	}
	return ""
}

// v2KeyedState returns the name of a keyed state of ops that the
// asynchronous state API wrote (a KEY_VALUE_V2 header), when --deep read
// them; "" when there is none or they were not read.
func (c *checker) v2KeyedState(ops []*metadata.OperatorState) string {
	for _, op := range ops {
		if info := c.opts.States[op.ID]; info != nil {
			for _, s := range info.States {
				if s.V2 {
					return s.Name
				}
			}
		}
	}
	return ""
}

// hasSerializedState reports keyed or operator state (which carry
// serializer snapshots), as opposed to coordinator state only.
func (c *checker) hasSerializedState() bool {
	for i := range c.m.Operators {
		s := metadata.Summarize(&c.m.Operators[i])
		if s.KeyedManaged || s.KeyedRaw || len(s.OperatorStates) > 0 {
			return true
		}
	}
	return false
}

// keyedOperators are the savepoint's operators with managed keyed state.
func (c *checker) keyedOperators() []*metadata.OperatorState {
	var out []*metadata.OperatorState
	for i := range c.m.Operators {
		if metadata.Summarize(&c.m.Operators[i]).KeyedManaged {
			out = append(out, &c.m.Operators[i])
		}
	}
	return out
}

// stateOperators are the operators deep reads gave states for, in
// savepoint order.
func (c *checker) stateOperators() []metadata.OperatorID {
	var out []metadata.OperatorID
	for i := range c.m.Operators {
		if _, ok := c.opts.States[c.m.Operators[i].ID]; ok {
			out = append(out, c.m.Operators[i].ID)
		}
	}
	return out
}

func (c *checker) operator(id metadata.OperatorID) *metadata.OperatorState {
	for i := range c.m.Operators {
		if c.m.Operators[i].ID == id {
			return &c.m.Operators[i]
		}
	}
	return &metadata.OperatorState{ID: id}
}

func walkSnapshot(s *metadata.SerializerSnapshot, fn func(*metadata.SerializerSnapshot)) {
	forEachSnapshot(&OperatorStateInfo{KeySerializer: s}, fn)
}

func quoteList(names []string) string {
	sort.Strings(names)
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// formatNoun names a Provenance.Format for sentences.
func formatNoun(f string) string {
	switch f {
	case "native":
		return "native savepoint"
	case "canonical":
		return "canonical savepoint"
	case "":
		return "snapshot of unrecorded kind"
	}
	return f
}

// statesWere is `state "a" was` or `states "a", "b" were`.
func statesWere(names []string) string {
	if len(names) == 1 {
		return "state " + quoteList(names) + " was"
	}
	return "states " + quoteList(names) + " were"
}

// statesHold is `state "a" holds` or `states "a", "b" hold`.
func statesHold(names []string) string {
	if len(names) == 1 {
		return "state " + quoteList(names) + " holds"
	}
	return "states " + quoteList(names) + " hold"
}
