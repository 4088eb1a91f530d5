package compare

import (
	"fmt"
	"strconv"
	"strings"
)

// A FlinkVersion is a Flink release: "1.20", "2.0", "1.20.1". The zero
// value means unknown. Patch is -1 when the version names only the minor
// release ("1.20"), which then stands for every patch release of it.
type FlinkVersion struct {
	Major, Minor, Patch int
}

// ParseFlinkVersion reads "X.Y" or "X.Y.Z" (a leading "v" and a suffix such
// as "-SNAPSHOT" or "-rc1" are accepted and dropped; "v1_20", the
// Kubernetes operator's spelling, too).
func ParseFlinkVersion(s string) (FlinkVersion, error) {
	t := strings.TrimSpace(strings.ToLower(s))
	t = strings.TrimPrefix(t, "v")
	t = strings.ReplaceAll(t, "_", ".")
	if i := strings.IndexByte(t, '-'); i >= 0 {
		t = t[:i]
	}
	parts := strings.Split(t, ".")
	if len(parts) < 2 || len(parts) > 3 {
		//lint:ignore ST1005 the message starts with a proper noun
		return FlinkVersion{}, fmt.Errorf("Flink version must be X.Y or X.Y.Z (e.g. 1.20, 2.0, 1.20.1), not %q", s)
	}
	nums := [3]int{0, 0, -1}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 999 || p == "" || (len(p) > 1 && p[0] == '+') {
			//lint:ignore ST1005 the message starts with a proper noun
			return FlinkVersion{}, fmt.Errorf("Flink version must be X.Y or X.Y.Z (e.g. 1.20, 2.0, 1.20.1), not %q", s)
		}
		nums[i] = n
	}
	if nums[0] < 1 {
		//lint:ignore ST1005 the message starts with a proper noun
		return FlinkVersion{}, fmt.Errorf("Flink version must be 1.x or later, not %q", s)
	}
	return FlinkVersion{Major: nums[0], Minor: nums[1], Patch: nums[2]}, nil
}

// MustFlinkVersion parses a version known to be valid (constants, tests).
func MustFlinkVersion(s string) FlinkVersion {
	v, err := ParseFlinkVersion(s)
	if err != nil {
		panic(err)
	}
	return v
}

// V returns the minor release major.minor.
func V(major, minor int) FlinkVersion { return FlinkVersion{Major: major, Minor: minor, Patch: -1} }

// IsZero reports an unknown version.
func (v FlinkVersion) IsZero() bool { return v.Major == 0 }

// String is "1.20" or "1.20.1"; "" for the zero value.
func (v FlinkVersion) String() string {
	if v.IsZero() {
		return ""
	}
	if v.Patch < 0 {
		return fmt.Sprintf("%d.%d", v.Major, v.Minor)
	}
	return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
}

// MinorRelease drops the patch: 1.20.1 → 1.20.
func (v FlinkVersion) MinorRelease() FlinkVersion { return V(v.Major, v.Minor) }

// Compare orders versions: -1, 0 or +1. A minor release without patch
// ("1.20") sorts before its patch releases ("1.20.0").
func (v FlinkVersion) Compare(w FlinkVersion) int {
	for _, d := range [3]int{v.Major - w.Major, v.Minor - w.Minor, v.Patch - w.Patch} {
		switch {
		case d < 0:
			return -1
		case d > 0:
			return 1
		}
	}
	return 0
}

// Before reports whether v's minor release is older than major.minor
// (patch releases do not count: 1.16.3 is not before 1.16).
func (v FlinkVersion) Before(major, minor int) bool {
	return v.Major < major || (v.Major == major && v.Minor < minor)
}

// AtLeast reports whether v's minor release is major.minor or newer.
func (v FlinkVersion) AtLeast(major, minor int) bool { return !v.Before(major, minor) }

// MarshalText writes String (for JSON).
func (v FlinkVersion) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText reads ParseFlinkVersion's syntax.
func (v *FlinkVersion) UnmarshalText(b []byte) error {
	p, err := ParseFlinkVersion(string(b))
	if err != nil {
		return err
	}
	*v = p
	return nil
}

// A StateBackend is the state backend a job restores with.
type StateBackend string

// The state backends of Flink 1.13+ (state.backend.type); older names map
// onto them in ParseStateBackend.
const (
	BackendUnknown StateBackend = ""
	// BackendHashMap is HashMapStateBackend (heap); before 1.13
	// MemoryStateBackend and FsStateBackend, which snapshot alike.
	BackendHashMap StateBackend = "hashmap"
	// BackendRocksDB is EmbeddedRocksDBStateBackend (RocksDBStateBackend
	// before 1.13).
	BackendRocksDB StateBackend = "rocksdb"
	// BackendForSt is ForStStateBackend (Flink 2.0+, disaggregated state).
	BackendForSt StateBackend = "forst"
)

// StateBackends lists the values ParseStateBackend accepts as canonical.
var StateBackends = []StateBackend{BackendHashMap, BackendRocksDB, BackendForSt}

// ParseStateBackend reads hashmap, rocksdb or forst (any case). The
// pre-1.13 names of the heap backends (jobmanager, filesystem, memory, fs)
// and Flink's factory class names are accepted as hashmap and rocksdb.
func ParseStateBackend(s string) (StateBackend, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "hashmap", "heap", "jobmanager", "filesystem", "memory", "fs",
		"org.apache.flink.runtime.state.hashmap.hashmapstatebackendfactory":
		return BackendHashMap, nil
	case "rocksdb", "org.apache.flink.contrib.streaming.state.embeddedrocksdbstatebackendfactory",
		"org.apache.flink.state.rocksdb.embeddedrocksdbstatebackendfactory":
		return BackendRocksDB, nil
	case "forst", "org.apache.flink.state.forst.forststatebackendfactory":
		return BackendForSt, nil
	}
	return BackendUnknown, fmt.Errorf("state backend must be hashmap, rocksdb or forst, not %q", s)
}

// Label is the backend's name for people ("RocksDB").
func (b StateBackend) Label() string {
	switch b {
	case BackendHashMap:
		return "hashmap"
	case BackendRocksDB:
		return "RocksDB"
	case BackendForSt:
		return "ForSt"
	}
	return "unknown"
}
