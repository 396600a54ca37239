package mcp_test

import (
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
	"github.com/agentlayer/agentlayer/mcp"
)

// TestEightQuestions: the agent issue's eight questions, each in one call
// through MCP with names and the documented enums, the server's clock a
// year past the data, each answer read from the result's text alone and
// checked against SQL written by hand.
func TestEightQuestions(t *testing.T) {
	var db *sql.DB
	var now time.Time
	setup := fixtures.Setup(0.2)
	st := newStack(t, engine.Options{ModelFile: fixtures.ModelFile, ModelYAML: fixtures.Model(),
		PolicyFile: fixtures.PolicyFile, PolicyYAML: fixtures.Policy(),
		Setup: func(ctx context.Context, d *sql.DB) error { db = d; return setup(ctx, d) },
		Now:   func() time.Time { return now }}, mcp.Options{})
	var end time.Time
	if err := db.QueryRow(`SELECT max(CREATED_AT) FROM ORDERS`).Scan(&end); err != nil {
		t.Fatal(err)
	}
	now = end.AddDate(1, 0, 0)
	cs := st.connect(t, bearer(token(t, "analyst@example.com", nil)))
	raw := func(q string) [][]string {
		rows, err := testkit.Rows(db, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return rows
	}
	count := []any{map[string]any{"function": "count"}}
	questions := []struct {
		name  string
		args  map[string]any
		sql   string
		notes []string // what the text must also say
	}{
		{"revenue in Q3 2024 and Q3 2025 (growth)", map[string]any{"table_id": 1,
			"aggregations": []any{map[string]any{"function": "sum", "field_id": "TOTAL"}},
			"group_by":     []any{map[string]any{"field_id": "CREATED_AT", "field_granularity": "quarter"}},
			"filters":      []any{map[string]any{"field_id": "CREATED_AT", "operation": "equals", "values": []any{"2024-07-01", "2025-07-01"}, "bucket": "quarter"}}},
			`SELECT date_trunc('quarter', CREATED_AT), round(sum(TOTAL), 2) FROM ORDERS WHERE date_trunc('quarter', CREATED_AT) IN ('2024-07-01', '2025-07-01') GROUP BY 1 ORDER BY 1`, nil},
		{"the vendor with the highest average rating", map[string]any{"table_id": 3,
			"aggregations": []any{map[string]any{"function": "avg", "field_id": "RATING", "sort_order": "desc"}},
			"group_by":     []any{map[string]any{"field_id": "VENDOR"}}, "limit": 1},
			`SELECT VENDOR, round(avg(RATING), 2) FROM PRODUCTS GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1`,
			[]string{"ties with at least 1 more row at 4.45"}},
		{"orders in the last 30 days of data", map[string]any{"table_id": 1, "aggregations": count,
			"filters": []any{map[string]any{"field_id": "CREATED_AT", "operation": "last", "value": 30, "unit": "day", "anchor": "latest"}}},
			`SELECT count(*) FROM ORDERS WHERE CREATED_AT >= (SELECT max(CREATED_AT) FROM ORDERS) - INTERVAL 30 DAY`, nil},
		{"average quantity per order by category in 2024", map[string]any{"table_id": 1,
			"aggregations": []any{map[string]any{"function": "avg", "field_id": "QUANTITY"}},
			"group_by":     []any{map[string]any{"field_id": "PRODUCT.CATEGORY"}},
			"filters":      []any{map[string]any{"field_id": "CREATED_AT", "operation": "year-equals", "value": 2024}}},
			`SELECT p.CATEGORY, avg(o.QUANTITY) FROM ORDERS o LEFT JOIN PRODUCTS p ON p.ID = o.PRODUCT_ID WHERE year(o.CREATED_AT) = 2024 GROUP BY 1 ORDER BY 1 NULLS LAST`,
			[]string{"An empty PRODUCT.CATEGORY is a row with no PRODUCT"}},
		{"top 3 cities by revenue among Texan customers", map[string]any{"table_id": 1,
			"aggregations": []any{map[string]any{"function": "sum", "field_id": "TOTAL", "sort_order": "desc"}},
			"group_by":     []any{map[string]any{"field_id": "USER.CITY"}},
			"filters":      []any{map[string]any{"field_id": "USER.STATE", "operation": "equals", "value": "TX"}}, "limit": 3},
			`SELECT u.CITY, round(sum(o.TOTAL), 2) FROM ORDERS o JOIN PEOPLE u ON u.ID = o.USER_ID WHERE u.STATE = 'TX' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3`, nil},
		{"the share of orders with a discount per year", map[string]any{"table_id": 1,
			"aggregations": []any{map[string]any{"function": "share", "filter": map[string]any{"field_id": "DISCOUNT", "operation": "is-not-null"}}},
			"group_by":     []any{map[string]any{"field_id": "CREATED_AT", "field_granularity": "year"}}},
			`SELECT date_trunc('year', CREATED_AT), avg(CASE WHEN DISCOUNT IS NOT NULL THEN 1.0 ELSE 0.0 END)::DOUBLE FROM ORDERS GROUP BY 1 ORDER BY 1`, nil},
		{"customers who signed up in 2023 through Google", map[string]any{"table_id": 2, "aggregations": count,
			"filters": []any{map[string]any{"field_id": "CREATED_AT", "operation": "year-equals", "value": 2023},
				map[string]any{"field_id": "SOURCE", "operation": "equals", "value": "Google"}}},
			`SELECT count(*) FROM PEOPLE WHERE year(CREATED_AT) = 2023 AND SOURCE = 'Google'`, nil},
		{"the busiest month of 2025", map[string]any{"table_id": 1,
			"aggregations": []any{map[string]any{"function": "count", "sort_order": "desc"}},
			"group_by":     []any{map[string]any{"field_id": "CREATED_AT", "field_granularity": "month"}},
			"filters":      []any{map[string]any{"field_id": "CREATED_AT", "operation": "year-equals", "value": 2025}}, "limit": 1},
			`SELECT date_trunc('month', CREATED_AT), count(*) FROM ORDERS WHERE year(CREATED_AT) = 2025 GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1`, nil},
	}
	for _, q := range questions {
		res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "query", Arguments: q.args})
		if err != nil || res.IsError {
			t.Errorf("%s: %v %v", q.name, err, res)
			continue
		}
		text := res.Content[0].(*sdk.TextContent).Text
		got := csvRows(text)
		want := raw(q.sql)
		if d := sameRows(got, want); d != "" {
			t.Errorf("%s: %s\ntext:\n%s", q.name, d, text)
		}
		for _, n := range q.notes {
			if !strings.Contains(text, n) {
				t.Errorf("%s: the text does not say %q:\n%s", q.name, n, text)
			}
		}
	}
}

// csvRows reads the rows of a result's text block: the lines after its
// CSV header (the line after "# … columns:").
func csvRows(text string) [][]string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if strings.Contains(l, "columns: ") && i+1 < len(lines) {
			rows, _ := csv.NewReader(strings.NewReader(strings.Join(lines[i+2:], "\n"))).ReadAll()
			return rows
		}
	}
	return nil
}

// sameRows compares rows cell by cell: numbers to 1e-5 of their size (the text writes six significant digits),
// times by their first 10 characters (a day) or their whole, text as is.
func sameRows(got, want [][]string) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d rows, want %d: %v, want %v", len(got), len(want), got, want)
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			return fmt.Sprintf("row %d: %v, want %v", i, got[i], want[i])
		}
		for j := range want[i] {
			g, w := got[i][j], want[i][j]
			gf, err1 := strconv.ParseFloat(g, 64)
			wf, err2 := strconv.ParseFloat(w, 64)
			switch {
			case err1 == nil && err2 == nil:
				if d := gf - wf; d > 1e-5*max(1, wf) || -d > 1e-5*max(1, wf) {
					return fmt.Sprintf("row %d: %v, want %v", i, got[i], want[i])
				}
			case len(g) >= 10 && len(w) >= 10 && g[4] == '-' && w[4] == '-':
				if g[:10] != w[:10] {
					return fmt.Sprintf("row %d: %v, want %v", i, got[i], want[i])
				}
			case g != w && !(g == "" && (w == "" || w == "NULL")):
				return fmt.Sprintf("row %d: %v, want %v", i, got[i], want[i])
			}
		}
	}
	return ""
}
