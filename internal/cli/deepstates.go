package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spcheck/spcheck/compare"
	"github.com/spcheck/spcheck/metadata"
	"github.com/spcheck/spcheck/savepoint"
)

// deepStates reads the state-file headers of sp (savepoint.ReadStates) and
// returns its states for the state-level rules of check --deep
// (compare.Options.States), with the files ReadStates could not use. The
// error is only ctx's.
func deepStates(ctx context.Context, sp *savepoint.Savepoint, progress func(done, total int)) (compare.SavepointStates, []savepoint.DeepProblem, error) {
	res, err := savepoint.ReadStates(ctx, sp, savepoint.DeepOptions{Progress: progress})
	if err != nil {
		return nil, nil, err
	}
	return StatesFromDeep(res), res.Problems, nil
}

// StatesFromDeep converts what savepoint.ReadStates found into the
// savepoint side of the state-level rules: per operator, the key
// serializer and every keyed state, timer queue, operator list, union list
// and broadcast state with its kind and serializer snapshots. An operator
// whose headers could not all be read is marked Incomplete.
func StatesFromDeep(res *savepoint.DeepResult) compare.SavepointStates {
	out := compare.SavepointStates{}
	for i := range res.Operators {
		o := &res.Operators[i]
		info := &compare.OperatorStateInfo{KeySerializer: o.KeySerializer, Incomplete: o.Undecoded > 0, Raw: o.RawKeyed && !o.RawKeyedTimers || o.RawOperator}
		for _, k := range o.KeyedStates {
			s := compare.StateInfo{Name: k.Name, Kind: strings.ToLower(string(k.Kind)), Keyed: true, ValueType: k.ValueType, TTL: k.TTL}
			if s.Kind == "" {
				s.Kind = compare.KindUnknown
			}
			if k.Meta != nil {
				s.Value = k.Meta.Serializer(metadata.ValueSerializerKey)
				s.Key = k.Meta.Serializer(metadata.UserKeySerializerKey)
				s.Namespace = k.Meta.Serializer(metadata.NamespaceSerializerKey)
				s.V2 = k.Meta.BackendType == metadata.BackendKeyValueV2
			}
			info.States = append(info.States, s)
		}
		for _, t := range o.Timers {
			s := compare.StateInfo{Name: t.Name, Kind: compare.KindTimers, Keyed: true, ValueType: t.ElementType}
			if t.Meta != nil {
				s.Value = t.Meta.Serializer(metadata.ValueSerializerKey)
			}
			info.States = append(info.States, s)
		}
		for _, l := range o.OperatorStates {
			s := compare.StateInfo{Name: l.Name, Kind: compare.KindList, ValueType: l.ElementType}
			if l.Mode == metadata.Union {
				s.Kind = compare.KindUnionList
			}
			if l.Meta != nil {
				s.Value = l.Meta.Serializer(metadata.ValueSerializerKey)
			}
			info.States = append(info.States, s)
		}
		for _, b := range o.BroadcastStates {
			s := compare.StateInfo{Name: b.Name, Kind: compare.KindBroadcast, ValueType: b.ValueType}
			if b.Meta != nil {
				s.Value = b.Meta.Serializer(metadata.ValueSerializerKey)
				s.Key = b.Meta.Serializer(metadata.KeySerializerKey)
			}
			info.States = append(info.States, s)
		}
		out[o.ID] = info
	}
	return out
}

// readDeepStates reads the state-file headers of sp with a progress line
// and reports on stderr what could not be read (check --deep, inspect -o
// manifest --deep).
func readDeepStates(ctx context.Context, e *env, sp *savepoint.Savepoint) (compare.SavepointStates, error) {
	p := newProgress(e, "reading state-file headers")
	states, problems, err := deepStates(ctx, sp, p.update)
	p.done()
	if err != nil {
		return nil, err
	}
	for _, pr := range problems {
		fmt.Fprintf(e.stderr, "spcheck: deep: %s\n", pr)
	}
	return states, nil
}
