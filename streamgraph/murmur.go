package streamgraph

import "github.com/spcheck/spcheck/metadata"

// HashBytes returns Guava's Hashing.murmur3_128(0) of data as the 16 bytes
// HashCode.asBytes() yields, which Flink uses unchanged as the OperatorID
// (StreamGraphHasherV2).
func HashBytes(data []byte) metadata.OperatorID { return metadata.OperatorIDFromHash(data) }

// UserSpecifiedID returns the ID Flink derives for an operator with
// uid(uid): murmur3_128 of the UTF-8 bytes of uid
// (StreamGraphHasherV2#generateUserSpecifiedHash).
func UserSpecifiedID(uid string) metadata.OperatorID { return metadata.OperatorIDFromUID(uid) }
