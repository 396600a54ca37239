package mcp

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/agentlayer/agentlayer/internal/jsonw"
)

// TestAppendCell_fewDigitsAsSignificant: a fraction that appendCell keeps
// as written (at most TextDigits significant digits) is what significant
// would have written, for numbers of every magnitude and precision.
func TestAppendCell_fewDigitsAsSignificant(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	kept := 0
	for range 200_000 {
		x := r.NormFloat64() * math.Pow(10, float64(r.IntN(14)-7))
		if r.IntN(2) == 0 {
			p := math.Pow(10, float64(r.IntN(6)))
			x = math.Round(x*p) / p // money-like: few decimals
		}
		c := jsonw.Float(nil, x)
		if !fewDigits(c, TextDigits) {
			continue
		}
		kept++
		if want := significant(x, TextDigits); string(c) != want {
			t.Fatalf("%s kept as written, significant gives %s", c, want)
		}
	}
	if kept < 10_000 {
		t.Fatalf("only %d numbers had few digits: the test asks too little", kept)
	}
}
