package cli

import (
	"context"

	"github.com/spcheck/spcheck/compare"
	"github.com/spcheck/spcheck/savepoint"
)

// KeyedFormatOf tells, for a savepoint whose keyed state is a full
// snapshot (a KeyGroupsStateHandle, written by hashmap or by RocksDB
// without incremental checkpoints), which backend wrote it, from 8 bytes
// at one key group's offset (savepoint.ProbeKeyedFormat: one ranged read
// of one state file, or none when the bytes are inline or the offsets
// decide). nil when the savepoint has no such handle.
func KeyedFormatOf(ctx context.Context, sp *savepoint.Savepoint) *compare.KeyedFormatEvidence {
	if sp.Metadata.FullKeyedSample() == nil {
		return nil
	}
	p := savepoint.ProbeKeyedFormat(ctx, sp)
	k := &compare.KeyedFormatEvidence{Evidence: p.Evidence}
	switch p.Format {
	case savepoint.KeyedFormatHeap:
		k.Writer = compare.BackendHashMap
	case savepoint.KeyedFormatFull:
		k.Writer = compare.BackendRocksDB
	}
	return k
}
