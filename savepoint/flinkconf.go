package savepoint

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"github.com/spcheck/spcheck/internal/safeparse"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Flink configuration files, in the order Flink looks for them in a
// configuration directory: config.yaml (Flink 1.19 and later, standard
// YAML) wins over the legacy flink-conf.yaml (flat "key: value" lines).
const (
	FlinkConfigYAML = "config.yaml"
	FlinkConfYAML   = "flink-conf.yaml"
)

// LoadFlinkConf reads a Flink configuration so that drivers can use the
// same storage settings (endpoints, credentials) as the Flink job whose
// savepoints they read. It returns flat keys ("s3.endpoint") and their
// values as strings.
//
// path is a configuration directory (holding config.yaml or
// flink-conf.yaml; config.yaml wins when both exist, as in Flink) or one
// of those files. An empty path means $FLINK_CONF_DIR; if that is unset
// too, LoadFlinkConf returns an empty map and no error. A named directory
// without either file is an error.
//
// A file named flink-conf.yaml is read as Flink's legacy format: one
// "key: value" per line, "#" starting a comment, values taken verbatim
// (no YAML quoting). Any other file is standard YAML; nested maps are
// flattened with dots, so "s3: {endpoint: x}" gives "s3.endpoint", and a
// list becomes "[a, b]". Null values are left out.
//
// Errors never quote values from the file, which may hold secrets.
func LoadFlinkConf(path string) (map[string]string, error) {
	from := ""
	if path == "" {
		path = os.Getenv("FLINK_CONF_DIR")
		if path == "" {
			return map[string]string{}, nil
		}
		from = " (from $FLINK_CONF_DIR)"
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("savepoint: Flink configuration %s%s: %w", path, from, unwrapPathError(err))
	}
	file := path
	if st.IsDir() {
		file = ""
		for _, name := range []string{FlinkConfigYAML, FlinkConfYAML} {
			p := filepath.Join(path, name)
			if _, err := os.Stat(p); err == nil {
				file = p
				break
			}
		}
		if file == "" {
			return nil, fmt.Errorf("savepoint: Flink configuration directory %s%s has no %s or %s: %w",
				path, from, FlinkConfigYAML, FlinkConfYAML, fs.ErrNotExist)
		}
	}
	b, err := ReadInputFile(file)
	if err != nil {
		return nil, fmt.Errorf("savepoint: read Flink configuration %s: %w", file, unwrapPathError(err))
	}
	if filepath.Base(file) == FlinkConfYAML {
		return parseLegacyFlinkConf(b), nil
	}
	conf, err := parseFlinkYAML(b)
	if err != nil {
		return nil, fmt.Errorf("savepoint: Flink configuration %s: %v", file, err)
	}
	return conf, nil
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// parseLegacyFlinkConf reads flink-conf.yaml the way Flink's
// GlobalConfiguration.loadYAMLResource does: the text before the first
// "#" of a line, split at the first ": ", both sides trimmed; lines
// without a key or a value are skipped. A later line overrides an earlier
// one.
func parseLegacyFlinkConf(b []byte) map[string]string {
	conf := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		k, v, ok := strings.Cut(strings.TrimSpace(line), ": ")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			continue
		}
		conf[k] = v
	}
	return conf
}

// parseFlinkYAML reads a standard YAML configuration (config.yaml) and
// flattens it.
func parseFlinkYAML(b []byte) (map[string]string, error) {
	conf := map[string]string{}
	var doc yaml.Node
	if err := safeparse.CheckYAML(b); err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	if doc.Kind == 0 { // empty file
		return conf, nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, fmt.Errorf("not a YAML mapping")
	}
	root := resolveAlias(doc.Content[0])
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return conf, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: top level is not a mapping of keys to values", root.Line)
	}
	if err := flattenYAML(conf, "", root, 0); err != nil {
		return nil, err
	}
	return conf, nil
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func flattenYAML(conf map[string]string, prefix string, m *yaml.Node, depth int) error {
	if depth > 100 {
		return fmt.Errorf("line %d: keys nested too deeply", m.Line)
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		kn, vn := resolveAlias(m.Content[i]), resolveAlias(m.Content[i+1])
		if kn.Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: key is not a plain value", kn.Line)
		}
		key := prefix + kn.Value
		switch vn.Kind {
		case yaml.MappingNode:
			if err := flattenYAML(conf, key+".", vn, depth+1); err != nil {
				return err
			}
		case yaml.SequenceNode:
			items := make([]string, 0, len(vn.Content))
			for _, it := range vn.Content {
				it = resolveAlias(it)
				if it.Kind != yaml.ScalarNode {
					return fmt.Errorf("line %d: list item of %s is not a plain value", it.Line, key)
				}
				items = append(items, it.Value)
			}
			conf[key] = "[" + strings.Join(items, ", ") + "]"
		case yaml.ScalarNode:
			if vn.Tag == "!!null" {
				continue
			}
			conf[key] = vn.Value
		default:
			return fmt.Errorf("line %d: unsupported value for %s", vn.Line, key)
		}
	}
	return nil
}
