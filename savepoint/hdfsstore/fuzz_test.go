package hdfsstore

import (
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/colinmarc/hdfs/v2/hadoopconf"
)

// FuzzHadoopXML reads core-site.xml and hdfs-site.xml as spcheck does
// (HADOOP_CONF_DIR, through hadoopconf.Load) and resolves namenodes.
func FuzzHadoopXML(f *testing.F) {
	f.Add([]byte(`<configuration><property><name>fs.defaultFS</name><value>hdfs://nn:8020</value></property></configuration>`))
	f.Add([]byte(`<configuration><property><name>dfs.nameservices</name><value>ns</value></property><property><name>dfs.ha.namenodes.ns</name><value>a,b</value></property></configuration>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		for _, n := range []string{"core-site.xml", "hdfs-site.xml"} {
			if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		conf, err := hadoopconf.Load(dir)
		if err != nil {
			return
		}
		_, _, _ = namenodes(&url.URL{Scheme: "hdfs", Host: "ns", Path: "/"}, conf, dir)
		_, _, _ = namenodes(&url.URL{Scheme: "hdfs", Path: "/"}, conf, dir)
	})
}
