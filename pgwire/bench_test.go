package pgwire_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/agentlayer/agentlayer/sqlfront"
)

// BenchmarkWire_detailPage reads 2,000 rows of eight columns over the
// wire with pgx (binary), as the analyst.
func BenchmarkWire_detailPage(b *testing.B) {
	c := connect(b, "analyst@example.com")
	ctx := context.Background()
	q := `SELECT ID, USER_ID, SUBTOTAL, TAX, TOTAL, DISCOUNT, CREATED_AT, QUANTITY FROM ORDERS WHERE CREATED_AT > '2024-06' LIMIT 2000`
	for b.Loop() {
		rows, err := c.Query(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for rows.Next() {
			n++
		}
		rows.Close()
		if rows.Err() != nil || n != 2000 {
			b.Fatal(rows.Err(), n)
		}
	}
}

// BenchmarkMap is a cached statement's mapping: parse (from the cache)
// and map onto a request.
func BenchmarkMap(b *testing.B) {
	text := `SELECT p.STATE, count(*), sum(o.TOTAL) FROM ORDERS o LEFT JOIN PEOPLE p ON o.USER_ID = p.ID WHERE o.TOTAL > 100 AND p.STATE IN ('TX', 'CA') GROUP BY 1 ORDER BY 2 DESC LIMIT 10`
	cat := &sqlfront.Catalog{Tables: []*sqlfront.Table{
		{ID: 1, Name: "ORDERS", Fields: []sqlfront.Field{{Name: "ID", Key: true}, {Name: "USER_ID"}, {Name: "TOTAL", Type: sqlfront.TypeFloat8}},
			Relationships: []sqlfront.Relationship{{Name: "USER", By: "USER_ID", Table: "PEOPLE"}}},
		{ID: 2, Name: "PEOPLE", Fields: []sqlfront.Field{{Name: "ID", Key: true}, {Name: "STATE"}}},
	}}
	for b.Loop() {
		stmts, err := sqlfront.Parse(text)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := sqlfront.Map(cat, stmts[0].Select, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse_uncached parses a statement the cache has not seen.
func BenchmarkParse_uncached(b *testing.B) {
	i := 0
	for b.Loop() {
		i++
		text := fmt.Sprintf(`SELECT p.STATE, count(*), sum(o.TOTAL) FROM ORDERS o LEFT JOIN PEOPLE p ON o.USER_ID = p.ID WHERE o.TOTAL > %d AND p.STATE IN ('TX', 'CA') GROUP BY 1 ORDER BY 2 DESC LIMIT 10`, i)
		if _, err := sqlfront.Parse(text); err != nil {
			b.Fatal(err)
		}
	}
}
