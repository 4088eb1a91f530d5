// Package suggest finds the word a user most likely meant: the "did you
// mean" of unknown commands, flags, manifest fields, config keys, rules and
// deployment fields.
package suggest

import "strings"

// Closest is the candidate nearest to s when it is a likely typo (at most
// a third of its length and three edits away, case ignored), or "".
func Closest(s string, candidates []string) string {
	if s == "" {
		return ""
	}
	best, bestD := "", 0
	limit := min(3, max(1, len(s)/3))
	for _, c := range candidates {
		d := osaDistance(strings.ToLower(s), strings.ToLower(c))
		if d <= limit && (best == "" || d < bestD) {
			best, bestD = c, d
		}
	}
	return best
}

// osaDistance is the optimal-string-alignment edit distance: insertions,
// deletions, substitutions and transpositions of neighbours count one.
func osaDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
