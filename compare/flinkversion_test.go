package compare

import (
	"strings"
	"testing"
)

func TestParseFlinkVersion(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"1.20", "1.20"},
		{"2.0", "2.0"},
		{"1.20.1", "1.20.1"},
		{"v1_20", "1.20"},
		{"1.19-SNAPSHOT", "1.19"},
		{" 2.1.0 ", "2.1.0"},
	} {
		v, err := ParseFlinkVersion(tc.in)
		if err != nil || v.String() != tc.want {
			t.Errorf("ParseFlinkVersion(%q) = %v, %v; want %s", tc.in, v, err, tc.want)
		}
	}
	for _, bad := range []string{"", "1", "2", "1.x", "1.20.1.2", "0.9", "1..2", "-1.2", "1.+2", "latest"} {
		if v, err := ParseFlinkVersion(bad); err == nil {
			t.Errorf("ParseFlinkVersion(%q) = %v, want an error", bad, v)
		} else if !strings.Contains(err.Error(), "Flink version") {
			t.Errorf("ParseFlinkVersion(%q): error %q does not say what is wrong", bad, err)
		}
	}
}

func TestFlinkVersionOrder(t *testing.T) {
	order := []string{"1.2", "1.3", "1.3.0", "1.3.2", "1.9", "1.10", "1.17", "1.20", "1.20.1", "2.0", "2.0.1", "2.1", "2.2"}
	for i, a := range order {
		for j, b := range order {
			va, vb := MustFlinkVersion(a), MustFlinkVersion(b)
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := va.Compare(vb); got != want {
				t.Errorf("%s.Compare(%s) = %d, want %d", a, b, got, want)
			}
		}
	}
	v := MustFlinkVersion("1.16.3")
	if v.Before(1, 16) || !v.Before(1, 17) || !v.AtLeast(1, 16) || v.AtLeast(2, 0) {
		t.Errorf("1.16.3: Before/AtLeast disagree with the minor release")
	}
	if (FlinkVersion{}).String() != "" || !(FlinkVersion{}).IsZero() {
		t.Errorf("the zero version is not unknown")
	}
	if got := MustFlinkVersion("1.20.1").MinorRelease(); got != V(1, 20) {
		t.Errorf("MinorRelease = %v", got)
	}
}

func TestParseStateBackend(t *testing.T) {
	for in, want := range map[string]StateBackend{
		"hashmap": BackendHashMap, "RocksDB": BackendRocksDB, "forst": BackendForSt,
		"filesystem": BackendHashMap, "jobmanager": BackendHashMap,
	} {
		if got, err := ParseStateBackend(in); err != nil || got != want {
			t.Errorf("ParseStateBackend(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseStateBackend("leveldb"); err == nil || !strings.Contains(err.Error(), "hashmap, rocksdb or forst") {
		t.Errorf("ParseStateBackend(leveldb): %v", err)
	}
}

func TestManifestStateBackend(t *testing.T) {
	g, err := ReadManifest([]byte(`{"format": "spcheck/jobgraph/v1", "flinkVersion": "1.20.1", "stateBackend": "rocksdb",
		"operators": [{"uid": "a"}]}`), "m.json")
	if err != nil {
		t.Fatal(err)
	}
	if g.StateBackend != BackendRocksDB || g.Version() != MustFlinkVersion("1.20.1") {
		t.Errorf("backend %q, version %v", g.StateBackend, g.Version())
	}
	for _, bad := range []string{
		`{"format": "spcheck/jobgraph/v1", "stateBackend": "leveldb", "operators": []}`,
		`{"format": "spcheck/jobgraph/v1", "flinkVersion": "latest", "operators": []}`,
	} {
		if _, err := ReadManifest([]byte(bad), "m.json"); err == nil {
			t.Errorf("%s: no error", bad)
		} else if !strings.Contains(err.Error(), "m.json") {
			t.Errorf("error does not name the file: %v", err)
		}
	}
}
