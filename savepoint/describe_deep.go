package savepoint

import (
	"context"
	"path"
	"sort"

	"github.com/spcheck/spcheck/metadata"
)

// StatesDesc are an operator's states as the state-file headers name them
// (inspect --deep).
type StatesDesc struct {
	KeyType     string           `json:"key_type,omitempty"`
	Keyed       []KeyedStateDesc `json:"keyed"`
	Timers      []TimerDesc      `json:"timers"`
	Operator    []ListStateDesc  `json:"operator"`
	Broadcast   []BroadcastDesc  `json:"broadcast"`
	RawKeyed    bool             `json:"raw_keyed"`
	RawOperator bool             `json:"raw_operator"`
	// RawKeyedTimers: the raw keyed state holds the timer services of
	// Flink 1.9 and earlier, not the user's state (OperatorStates).
	RawKeyedTimers bool `json:"raw_keyed_timers,omitempty"`
	// Undecoded counts state streams whose header could not be read.
	Undecoded int `json:"undecoded"`
}

// KeyedStateDesc is a keyed state.
type KeyedStateDesc struct {
	Name          string `json:"name"`
	Kind          string `json:"kind"`
	NamespaceType string `json:"namespace_type,omitempty"`
	ValueType     string `json:"value_type,omitempty"`
	UserKeyType   string `json:"user_key_type,omitempty"`
	TTL           bool   `json:"ttl"`
}

// TimerDesc is a timer queue.
type TimerDesc struct {
	Name        string `json:"name"`
	Service     string `json:"service,omitempty"`
	Domain      string `json:"domain,omitempty"`
	ElementType string `json:"element_type,omitempty"`
	Raw         bool   `json:"raw"`
}

// ListStateDesc is an operator list or union list state.
type ListStateDesc struct {
	Name        string `json:"name"`
	Mode        string `json:"mode"`
	ElementType string `json:"element_type,omitempty"`
}

// BroadcastDesc is a broadcast state.
type BroadcastDesc struct {
	Name      string `json:"name"`
	KeyType   string `json:"key_type,omitempty"`
	ValueType string `json:"value_type,omitempty"`
}

// DeepDesc says what the deep read cost and what it could not read.
type DeepDesc struct {
	Headers     int           `json:"headers"`
	Distinct    int           `json:"distinct_headers"`
	BytesRead   int64         `json:"bytes_read"`
	InlineBytes int64         `json:"inline_bytes"`
	StateBytes  int64         `json:"state_bytes"`
	Problems    []ProblemDesc `json:"problems"`
}

// ProblemDesc is a DeepProblem for output.
type ProblemDesc struct {
	Operator string `json:"operator"`
	Subtask  int32  `json:"subtask"`
	Where    string `json:"where"`
	Kind     string `json:"kind"`
	Message  string `json:"message"`
}

// addDeep reads the state-file headers and adds what they name to d.
func addDeep(ctx context.Context, sp *Savepoint, d *Description, opts DescribeOptions) error {
	res, err := ReadStates(ctx, sp, DeepOptions{Progress: opts.Progress})
	if err != nil {
		return err
	}
	byID := map[metadata.OperatorID]*OperatorStates{}
	for i := range res.Operators {
		byID[res.Operators[i].ID] = &res.Operators[i]
	}
	for i := range d.Operators {
		id, err := metadata.ParseOperatorID(d.Operators[i].ID)
		if err != nil {
			continue
		}
		if os, ok := byID[id]; ok {
			d.Operators[i].States = statesDesc(os)
		}
	}
	dd := &DeepDesc{Headers: res.Headers, Distinct: res.Distinct, BytesRead: res.BytesRead,
		InlineBytes: res.InlineBytes, StateBytes: res.StateBytes, Problems: []ProblemDesc{}}
	for _, p := range res.Problems {
		msg := ""
		if p.Err != nil {
			msg = RedactText(p.Err.Error())
		}
		where := p.Where
		if where != "inline" && where != "" && where[0] == '/' {
			where = sp.Display(where)
		}
		dd.Problems = append(dd.Problems, ProblemDesc{Operator: p.Operator.String(), Subtask: p.Subtask, Where: where, Kind: string(p.Kind), Message: msg})
	}
	// Sort on what does not depend on where the savepoint is stored, so
	// that the same savepoint lists its problems in the same order from
	// every store.
	sort.SliceStable(dd.Problems, func(i, j int) bool {
		a, b := dd.Problems[i], dd.Problems[j]
		if a.Operator != b.Operator {
			return a.Operator < b.Operator
		}
		if a.Subtask != b.Subtask {
			return a.Subtask < b.Subtask
		}
		if ba, bb := path.Base(a.Where), path.Base(b.Where); ba != bb {
			return ba < bb
		}
		return a.Kind < b.Kind
	})
	d.Deep = dd
	return nil
}

func statesDesc(os *OperatorStates) *StatesDesc {
	s := &StatesDesc{KeyType: os.KeyType, Keyed: []KeyedStateDesc{}, Timers: []TimerDesc{}, Operator: []ListStateDesc{},
		Broadcast: []BroadcastDesc{}, RawKeyed: os.RawKeyed, RawOperator: os.RawOperator, RawKeyedTimers: os.RawKeyedTimers, Undecoded: os.Undecoded}
	for _, k := range os.KeyedStates {
		s.Keyed = append(s.Keyed, KeyedStateDesc{Name: k.Name, Kind: string(k.Kind), NamespaceType: k.NamespaceType,
			ValueType: k.ValueType, UserKeyType: k.UserKeyType, TTL: k.TTL})
	}
	for _, t := range os.Timers {
		s.Timers = append(s.Timers, TimerDesc{Name: t.Name, Service: t.Service, Domain: t.Domain, ElementType: t.ElementType, Raw: t.Raw})
	}
	for _, l := range os.OperatorStates {
		s.Operator = append(s.Operator, ListStateDesc{Name: l.Name, Mode: l.Mode.String(), ElementType: l.ElementType})
	}
	for _, b := range os.BroadcastStates {
		s.Broadcast = append(s.Broadcast, BroadcastDesc{Name: b.Name, KeyType: b.KeyType, ValueType: b.ValueType})
	}
	return s
}
