package savepoint

import "testing"

// FuzzParseFlinkYAML reads standard Flink configuration (config.yaml).
func FuzzParseFlinkYAML(f *testing.F) {
	f.Add([]byte("s3:\n  endpoint: http://x\n  path.style.access: true\nstate.checkpoints.dir: s3://b/c\n"))
	f.Add([]byte("a: &a {b: 1}\nc: *a\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseFlinkYAML(b)
	})
}

// FuzzParseLegacyFlinkConf reads flink-conf.yaml in its legacy key: value
// form.
func FuzzParseLegacyFlinkConf(f *testing.F) {
	f.Add([]byte("s3.endpoint: http://x\n# comment\nfs.s3a.path.style.access: true\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = parseLegacyFlinkConf(b)
	})
}
