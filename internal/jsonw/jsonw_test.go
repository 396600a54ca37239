package jsonw

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestAppendRFC3339(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	kolkata, _ := time.LoadLocation("Asia/Kolkata")
	for _, tm := range []time.Time{
		time.Date(2024, 3, 10, 7, 30, 5, 0, time.UTC),
		time.Date(2024, 3, 10, 7, 30, 5, 0, ny),
		time.Date(2024, 11, 3, 1, 30, 0, 0, ny),
		time.Date(1999, 12, 31, 23, 59, 59, 0, kolkata),
		time.Date(2024, 1, 2, 3, 4, 5, 600, time.UTC),
		time.Date(12, 1, 2, 3, 4, 5, 0, time.UTC),
	} {
		if got, want := string(RFC3339(nil, tm)), tm.Format(time.RFC3339Nano); got != want {
			t.Errorf("appendRFC3339(%v) = %s, want %s", tm, got, want)
		}
	}
}

// TestAppendFloat: floats are written as encoding/json writes them.
func TestAppendFloat(t *testing.T) {
	vals := []float64{0, 1, -1, 0.5, 0.1, 0.01, 0.07, 10.3, 23314.69, 23314.69000000001, -7.25, 1e12 + 0.5, 9999999999999.99,
		1e13, 1e-5, 123456789.12, math.MaxFloat64, math.SmallestNonzeroFloat64, -0.29, 100.1, 3.14159}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		vals = append(vals, float64(r.Int64N(2_000_000_000)-1_000_000_000)/100, r.NormFloat64()*1000)
	}
	for _, x := range vals {
		want, _ := json.Marshal(x)
		if got := string(Float(nil, x)); got != string(want) {
			t.Fatalf("appendFloat(%v) = %s, want %s", x, got, want)
		}
	}
}
