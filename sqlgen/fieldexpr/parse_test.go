package fieldexpr_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen/fieldexpr"
	"github.com/agentlayer/agentlayer/sqlgen/sqlast"
)

// columns are the test table's columns and their kinds.
var columns = map[string]semantic.Kind{
	"FIRST_NAME": semantic.KindText, "LAST_NAME": semantic.KindText, "AMOUNT": semantic.KindDecimal,
	"DISCOUNT": semantic.KindDecimal, "QTY": semantic.KindInteger, "CREATED_AT": semantic.KindDateTime, "ID": semantic.KindBigInteger,
}

func resolve(n *fieldexpr.Name) (sqlast.Expr, semantic.Kind, error) {
	k, ok := columns[strings.ToUpper(n.Name)]
	if !ok {
		return nil, 0, &fieldexpr.Error{Offset: n.At, Message: "no column " + n.Name}
	}
	return sqlast.Col{Alias: "t", Column: strings.ToUpper(n.Name)}, k, nil
}

func render(t *testing.T, src string, d sqlast.Dialect) string {
	t.Helper()
	n, err := fieldexpr.Parse(src)
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	e, err := fieldexpr.Compile(n, resolve)
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	sql, args := sqlast.Render(d, e, nil, "t")
	if len(args) != 0 {
		t.Errorf("%s: bound %v: a model's constants are written in the SQL", src, args)
	}
	return sql
}

// TestParse_subset: each construct of the subset, as both dialects write
// it.
func TestParse_subset(t *testing.T) {
	for _, tt := range []struct{ src, duck, pg string }{
		{`first_name || ' ' || last_name`, `concat(concat("t"."FIRST_NAME", ' '), "t"."LAST_NAME")`, ``},
		{`amount - discount`, `"t"."AMOUNT" - "t"."DISCOUNT"`, ``},
		{`qty / 2`, `CAST("t"."QTY" AS DOUBLE) / 2`, `CAST("t"."QTY" AS DOUBLE PRECISION) / 2`},
		{`CASE WHEN amount > 100 THEN 'large' WHEN amount > 10 THEN 'medium' ELSE 'small' END`, `CASE WHEN "t"."AMOUNT" > 100 THEN 'large' WHEN "t"."AMOUNT" > 10 THEN 'medium' ELSE 'small' END`, ``},
		{`CASE qty WHEN 1 THEN 'one' END`, `CASE WHEN "t"."QTY" = 1 THEN 'one' END`, ``},
		{`coalesce(discount, 0)`, `coalesce("t"."DISCOUNT", 0)`, ``},
		{`CAST(id AS text)`, `CAST("t"."ID" AS VARCHAR)`, `CAST("t"."ID" AS TEXT)`},
		{`id::varchar(20)`, `CAST("t"."ID" AS VARCHAR)`, `CAST("t"."ID" AS TEXT)`},
		{`qty BETWEEN 1 AND 5 AND NOT qty IN (3, 4)`, ``, ``},
		{`last_name IS NOT NULL`, `"t"."LAST_NAME" IS NOT NULL`, ``},
		{`-qty`, `0 - "t"."QTY"`, ``},
		{`"FIRST_NAME"`, `"t"."FIRST_NAME"`, ``},
		{`sum(amount) / nullif(count(DISTINCT id), 0)`, ``, ``},
		{`count(*)`, `count(*)`, ``},
		{`median(amount)`, ``, ``},
		{`date_trunc('month', created_at)`, ``, ``},
		{`EXTRACT(year FROM created_at)`, ``, ``},
		{`round(amount, 1)`, ``, ``},
		{`substr(last_name, 1, 3)`, `substr("t"."LAST_NAME", 1, 3)`, ``},
	} {
		duck := render(t, tt.src, sqlast.DuckDB{})
		pg := render(t, tt.src, sqlast.Postgres{})
		if tt.duck != "" && duck != tt.duck {
			t.Errorf("%s: DuckDB %s, want %s", tt.src, duck, tt.duck)
		}
		want := tt.pg
		if want == "" {
			want = tt.duck
		}
		if want != "" && pg != want {
			t.Errorf("%s: PostgreSQL %s, want %s", tt.src, pg, want)
		}
		if duck == "" || pg == "" {
			t.Errorf("%s: nothing written", tt.src)
		}
	}
}

// TestParse_errors: what is outside the subset is refused at its offset.
func TestParse_errors(t *testing.T) {
	for _, tt := range []struct {
		src    string
		offset int
		want   string
	}{
		{`pg_read_file('/etc/passwd')`, 0, "pg_read_file is not a function an expression may call (abs, avg, ceil, coalesce"},
		{`amount + `, 9, "expected a value, found the end"},
		{`'open`, 0, "a string is not closed"},
		{`amount -- comment`, 7, "comments are not part"},
		{`amount; DROP TABLE x`, 6, `';' is not part of the expression language`},
		{`CAST(amount AS blob)`, 15, `"blob" is not a type an expression may cast to`},
		{`EXTRACT(century FROM created_at)`, 8, "EXTRACT takes one of year"},
		{`date_trunc(unit, created_at)`, 11, "date_trunc's unit is a string"},
		{`nullif(amount)`, 0, "nullif takes 2 argument(s), not 1"},
		{`amount amount`, 7, `unexpected "amount" after the expression`},
		{`CASE END`, 5, "found the keyword END"},
		{`(((((amount`, 11, "expected ), found end of the expression"},
		{`SELECT 1`, 0, "the keyword SELECT"},
		{strings.Repeat("(", 100) + "1" + strings.Repeat(")", 100), 65, "nests deeper than 64"},
	} {
		_, err := fieldexpr.Parse(tt.src)
		var pe *fieldexpr.Error
		if !errors.As(err, &pe) || pe.Offset != tt.offset || !strings.Contains(pe.Message, tt.want) {
			t.Errorf("%s: %v; want at %d: %s", tt.src, err, tt.offset, tt.want)
		}
	}
	// A name the table lacks is the resolver's error, at its offset.
	n, _ := fieldexpr.Parse(`amount + nope`)
	_, err := fieldexpr.Compile(n, resolve)
	var pe *fieldexpr.Error
	if !errors.As(err, &pe) || pe.Offset != 9 {
		t.Errorf("an unknown name: %v", err)
	}
}

// TestNames: the names an expression reads, each once, and whether it
// aggregates.
func TestNames(t *testing.T) {
	n, err := fieldexpr.Parse(`CASE WHEN amount > 0 THEN amount - discount ELSE coalesce(discount, qty) END`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, nm := range fieldexpr.Names(n) {
		got = append(got, nm.Name)
	}
	if strings.Join(got, ",") != "amount,discount,qty" || fieldexpr.HasAggregate(n) {
		t.Errorf("names %v", got)
	}
	if a, _ := fieldexpr.Parse(`sum(amount) / 2`); !fieldexpr.HasAggregate(a) {
		t.Error("sum is an aggregate")
	}
}

// FuzzParse: no input panics; an accepted expression compiles or is
// refused at an offset within it.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`first_name || ' ' || last_name`, `CASE WHEN a > 1 THEN 'x' ELSE NULL END`, `CAST(x AS decimal(10, 2))`,
		`EXTRACT(dow FROM created_at)`, `count(DISTINCT id)`, `a NOT BETWEEN 1 AND 2`, `'it''s'`, `"q""`, `1e400`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		n, err := fieldexpr.Parse(src)
		var pe *fieldexpr.Error
		if err != nil {
			if !errors.As(err, &pe) || pe.Offset < 0 || pe.Offset > len(src) {
				t.Fatalf("%q: %v", src, err)
			}
			return
		}
		_, err = fieldexpr.Compile(n, func(nm *fieldexpr.Name) (sqlast.Expr, semantic.Kind, error) {
			return sqlast.Col{Alias: "t", Column: "C"}, semantic.KindDateTime, nil
		})
		if err != nil && !errors.As(err, &pe) {
			t.Fatalf("%q: %v", src, err)
		}
	})
}
