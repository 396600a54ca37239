// Package suggest finds what a user probably meant: the candidate closest
// to a misspelt name, by edit distance. The loaders, the request parser,
// search and the HTTP adapter share it.
package suggest

import "strings"

// Closest returns the candidate closest to name, if one is close enough to
// be a likely typo, else "".
func Closest(name string, candidates []string) string {
	best, bestDist := "", 0
	lower := strings.ToLower(name)
	for _, c := range candidates {
		lc := strings.ToLower(c)
		dist := Distance(lower, lc)
		limit := max(1, min(3, len(c)/3))
		if (strings.HasPrefix(lower, lc) || strings.HasPrefix(lc, lower)) && min(len(lc), len(lower)) >= 3 {
			limit = 3 // TAXES for TAX, CREATED for CREATED_AT
		}
		if dist <= limit && (best == "" || dist < bestDist) {
			best, bestDist = c, dist
		}
	}
	return best
}

// Distance is the optimal string alignment distance between a and b: the
// number of single-rune insertions, deletions, substitutions and adjacent
// transpositions that turn one into the other.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
