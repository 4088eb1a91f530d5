package savepoint

import "testing"

// The first 8 bytes Flink writes at a key group's offset, per format.
func TestClassifyKeyGroupStart(t *testing.T) {
	for _, tc := range []struct {
		name   string
		b      []byte
		kg     int
		maxPar int
		want   KeyedFormat
	}{
		// HeapSnapshotStrategy.java:161: writeInt(keyGroupId), then the
		// first state's short id (uncompressed here).
		{"heap", []byte{0, 0, 0, 5, 0, 0, 0, 0}, 5, 128, KeyedFormatHeap},
		// FullSnapshotAsyncWriter.java:157 (writeShort(kvStateId)), then
		// the key as a byte array (int length, bytes) starting with the
		// one-byte key-group prefix (CompositeKeySerializationUtils
		// .java:169-170), the meta-data-follows flag set on it
		// (FullSnapshotUtil.java:32).
		{"full, 1-byte prefix", []byte{0, 1, 0, 0, 0, 9, 5 | 0x80, 0}, 5, 128, KeyedFormatFull},
		// … with 2 prefix bytes above 128 key groups: the high byte first.
		{"full, 2-byte prefix", []byte{0, 0, 0, 0, 0, 10, 1, 44}, 300, 512, KeyedFormatFull},
		// SnappyStreamCompressionDecorator.java:47: the framed stream's
		// identifier chunk comes first.
		{"full, Snappy", []byte{0xff, 0x06, 0x00, 0x00, 's', 'N', 'a', 'P'}, 5, 128, KeyedFormatFull},
		// Neither: a negative state id, a key of another key group.
		{"negative id", []byte{0x80, 1, 0, 0, 0, 9, 5, 0}, 5, 128, KeyedFormatUnknown},
		{"other key group", []byte{0, 1, 0, 0, 0, 9, 7, 0}, 5, 128, KeyedFormatUnknown},
		{"empty key", []byte{0, 1, 0, 0, 0, 0, 5, 0}, 5, 128, KeyedFormatUnknown},
	} {
		if got, why := classifyKeyGroupStart(tc.b, tc.kg, tc.maxPar); got != tc.want {
			t.Errorf("%s: %d (%s), want %d", tc.name, got, why, tc.want)
		}
	}
}
