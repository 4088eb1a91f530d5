package metadata_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spcheck/spcheck/metadata"
)

// The in-flight data of the oracle's unaligned checkpoints (UnalignedJob,
// backpressured by its last operator, at parallelism 2): the source's
// output and Slow's and Count's inputs and Slow's output, on channels 0 and
// 1, and nothing on Enrich, whose broadcast input Flink aligns. Flink 1.18
// writes a handle per channel, 2.3 merged handles (format 6); Decode and
// DecodeSummaries, which check reads, agree.
func TestInFlightChannels(t *testing.T) {
	want := map[string][]metadata.ChannelExtent{
		"numbers": {{Input: false, Index: 0, Max: 1}},
		"slow":    {{Input: true, Index: 0, Max: 1}, {Input: false, Index: 0, Max: 1}},
		"count":   {{Input: true, Index: 0, Max: 1}},
		"enrich":  nil,
		"rules":   nil,
	}
	for _, v := range []string{"1.18.1", "2.3.0"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "oracle", v, "savepoints", "unaligned-hashmap-checkpoint", "_metadata"))
		require.NoError(t, err)
		m, err := metadata.Decode(b)
		require.NoError(t, err)
		sm, err := metadata.DecodeSummaries(bytes.NewReader(b), int64(len(b)))
		require.NoError(t, err)
		for uid, w := range want {
			id := metadata.OperatorIDFromUID(uid)
			for _, md := range []*metadata.Metadata{m, sm} {
				var op *metadata.OperatorState
				for i := range md.Operators {
					if md.Operators[i].ID == id {
						op = &md.Operators[i]
					}
				}
				require.NotNil(t, op, "%s %s", v, uid)
				require.Equal(t, w, metadata.Summarize(op).InFlightChannels, "%s %s", v, uid)
			}
		}
	}
}
