package cli

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// chromium finds the headless browser the HTML test renders with
// (scripts/chromium.sh install, run by make test-servers).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("SPCHECK_CHROMIUM"), "chromium", "chromium-browser"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no chromium: run scripts/chromium.sh install (or make test-servers), or set SPCHECK_CHROMIUM")
	return ""
}

// runChromium runs headless chromium on a file and returns its stdout.
func runChromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
		"--disable-background-networking", "--no-first-run", "--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(t, cmd.Run(), "chromium %v: %s", args, errb.String())
	return out.Bytes()
}

// The pages of inspect -o html and check -o html are self-contained (no
// external reference of any kind), and headless Chromium renders them: the
// DOM holds every operator, its heat-map cells and key-group ranges, the
// verdict and each finding with its fix; the screenshot shows the verdict's
// colour, the size bars and the heat map.
func TestHTMLRendersInChromium(t *testing.T) {
	bin := chromium(t)
	dir := t.TempDir()
	page, stderr, code := run("check", "--config", "none", "-o", "html", fixtures+"/example/savepoint", "--graph", fixtures+"/example/job-v3.json")
	require.Equal(t, 1, code, stderr)
	insp, stderr, code := run("inspect", "-o", "html", corpus+"/flink-tests/new-stateful-broadcast-udf-migration-itcase-flink1.16-hashmap-savepoint-native")
	require.Equal(t, 0, code, stderr)

	external := regexp.MustCompile(`(?i)(src|href)\s*=|url\(|@import|<script|<link|https?://`)
	for name, html := range map[string]string{"check": page, "inspect": insp} {
		require.False(t, external.MatchString(html), "%s page refers to something outside it: %v", name, external.FindString(html))
	}

	file := filepath.Join(dir, "check.html")
	require.NoError(t, os.WriteFile(file, []byte(page), 0o644))
	dom := string(runChromium(t, bin, "--dump-dom", "file://"+file))
	require.Contains(t, dom, `<div id="verdict" class="verdict">INCOMPATIBLE</div>`)
	require.Equal(t, 5, strings.Count(dom, `<tr class="operator"`), "five operators")
	// 2+2+4+4+2 subtasks, one heat-map cell each.
	require.Equal(t, 14, strings.Count(dom, `class="cell"`))
	// Key groups as Flink assigns them to 4 subtasks of max parallelism 128.
	require.Contains(t, dom, "0: 0-31, 1: 32-63, 2: 64-95, 3: 96-127")
	require.Contains(t, dom, `title="subtask 3: `)
	require.Equal(t, 3, strings.Count(dom, `<div class="finding error">`))
	for _, rule := range []string{"SP001", "SP003", "SP010"} {
		require.Contains(t, dom, "<b>"+rule+"</b>")
	}
	require.Contains(t, dom, `fix: Give the new operator its old uid back: .uid("dedup")`)
	require.Contains(t, dom, "keyed; operator: customers (broadcast)")

	shot := filepath.Join(dir, "check.png")
	runChromium(t, bin, "--window-size=1000,1200", "--screenshot="+shot, "file://"+file)
	f, err := os.Open(shot)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	require.Equal(t, 1000, img.Bounds().Dx())
	// Count pixels of the verdict's red, the bars' blue and the darkest
	// heat-map red.
	near := func(r, g, b uint32, want [3]uint32) bool {
		d := func(a, b uint32) uint32 {
			if a > b {
				return a - b
			}
			return b - a
		}
		return d(r>>8, want[0])+d(g>>8, want[1])+d(b>>8, want[2]) < 12
	}
	red, blue, heat := 0, 0, 0
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			switch {
			case near(r, g, b, [3]uint32{0xb3, 0x26, 0x1e}):
				red++
			case near(r, g, b, [3]uint32{0x3d, 0x6f, 0xb6}):
				blue++
			case near(r, g, b, [3]uint32{167, 38, 21}): // hsl(8, 78%, 37%)
				heat++
			}
		}
	}
	t.Logf("screenshot: %d verdict-red, %d bar-blue, %d dark heat-map pixels", red, blue, heat)
	require.Greater(t, red, 1000, "the INCOMPATIBLE badge")
	require.Greater(t, blue, 1000, "the state size bars")
	require.Greater(t, heat, 400, "the heat map's largest subtasks (enrich)")
	if dst := os.Getenv("SPCHECK_HTML_SCREENSHOT"); dst != "" {
		b, err := os.ReadFile(shot)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(dst, b, 0o644))
	}
}
