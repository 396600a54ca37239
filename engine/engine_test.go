package engine_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/agentlayer/agentlayer/internal/enginemodel"

	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/semantic"
)

func sampleOptions() engine.Options {
	return engine.Options{
		ModelFile:  fixtures.ModelFile,
		ModelYAML:  fixtures.Model(),
		Setup:      fixtures.Setup(0.1),
		PolicyFile: fixtures.PolicyFile,
		PolicyYAML: fixtures.Policy(),
		Threads:    2,
	}
}

func TestNew_sample(t *testing.T) {
	ctx := context.Background()
	e, err := newEngine(ctx, sampleOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	m := enginemodel.Of(e)
	if got := len(m.Tables); got != 4 {
		t.Fatalf("%d tables, want 4", got)
	}
	f := m.TableByName("PEOPLE").Field("BIRTH_DATE")
	if f.Type.Database != "DATE" || f.Type.Kind != semantic.KindDate {
		t.Errorf("BIRTH_DATE type = %+v", f.Type)
	}
	var threads string
	if err := dbOf(t, e).QueryRowContext(ctx, "SELECT current_setting('threads')").Scan(&threads); err != nil {
		t.Fatal(err)
	}
	if threads != "2" {
		t.Errorf("threads = %s, want 2", threads)
	}
}

func TestNew_missingColumn(t *testing.T) {
	opts := sampleOptions()
	opts.ModelYAML = []byte(strings.Replace(string(fixtures.Model()), "      - name: TAX\n", "      - name: TAX\n        column: TAXES\n", 1))
	_, err := newEngine(context.Background(), opts)
	var serr *semantic.Error
	if !errors.As(err, &serr) {
		t.Fatalf("New error = %v, want *semantic.Error", err)
	}
	want := `fixtures/sample/model.yaml:38:17: table ORDERS, field TAX: source table ORDERS has no column "TAXES" (did you mean TAX?)`
	if got := strings.SplitN(err.Error(), "\n", 2)[0]; got != want {
		t.Errorf("error = %q\nwant    %q", got, want)
	}
}

func TestNew_typeMismatch(t *testing.T) {
	opts := sampleOptions()
	opts.ModelYAML = []byte(strings.Replace(string(fixtures.Model()), "      - name: QUANTITY\n        type: INTEGER\n", "      - name: QUANTITY\n        type: DOUBLE\n", 1))
	_, err := newEngine(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), "field QUANTITY is declared DOUBLE but column \"QUANTITY\" is INTEGER") {
		t.Fatalf("New error = %v", err)
	}
}

func TestNew_setupError(t *testing.T) {
	opts := sampleOptions()
	opts.Setup = func(ctx context.Context, db *sql.DB) error { return errors.New("no data today") }
	if _, err := newEngine(context.Background(), opts); err == nil || !strings.Contains(err.Error(), "no data today") {
		t.Fatalf("New error = %v", err)
	}
}

func TestNew_noModel(t *testing.T) {
	if _, err := newEngine(context.Background(), engine.Options{}); err == nil {
		t.Fatal("New without a model succeeded")
	}
}

func TestNew_duplicateKey(t *testing.T) {
	opts := sampleOptions()
	setup := opts.Setup
	opts.Setup = func(ctx context.Context, db *sql.DB) error {
		if err := setup(ctx, db); err != nil {
			return err
		}
		_, err := db.ExecContext(ctx, `INSERT INTO PRODUCTS SELECT * FROM PRODUCTS WHERE ID = 7`)
		return err
	}
	_, err := newEngine(context.Background(), opts)
	// The position is that of PRODUCTS.ID's name in the model file.
	line, inProducts := 0, false
	for i, l := range strings.Split(string(fixtures.Model()), "\n") {
		switch strings.TrimSpace(l) {
		case "name: PRODUCTS":
			inProducts = true
		case "- name: ID":
			if inProducts && line == 0 {
				line = i + 1
			}
		}
	}
	want := fmt.Sprintf("fixtures/sample/model.yaml:%d:9: field PRODUCTS.ID is referenced as a key (type/PK) but 1 of its values repeat: a join along it would multiply rows", line)
	if err == nil || err.Error() != want {
		t.Fatalf("New error = %v\nwant %s", err, want)
	}
}

// TestQuery_joinNeverInflates: the sum of ORDERS.TOTAL grouped by a field
// of PRODUCTS adds up to the total, dangling and NULL keys included.
func TestQuery_joinNeverInflates(t *testing.T) {
	e := sampleEngine(t)
	_, groups := engineRows(t, e, admin, `{"table_id":1,"aggregations":[{"function":"sum","field_id":"t1-5"},{"function":"count"}],"group_by":[{"field_id":"t1-25"}]}`)
	_, total := engineRows(t, e, admin, `{"table_id":1,"aggregations":[{"function":"sum","field_id":"t1-5"},{"function":"count"}]}`)
	var sum float64
	var count int
	hasNull := false
	for _, g := range groups {
		var s float64
		var c int
		fmt.Sscan(g[1], &s)
		fmt.Sscan(g[2], &c)
		sum += s
		count += c
		hasNull = hasNull || g[0] == "NULL"
	}
	var wantSum float64
	var wantCount int
	fmt.Sscan(total[0][0], &wantSum)
	fmt.Sscan(total[0][1], &wantCount)
	if count != wantCount || math.Abs(sum-wantSum) > 0.01 {
		t.Errorf("groups add up to %v (%d rows), total %v (%d rows)", sum, count, wantSum, wantCount)
	}
	if !hasNull {
		t.Error("no NULL category: orders of products no longer in the catalogue were dropped")
	}
}

// TestQuery_databaseError: a query the database fails is a *QueryError
// naming the database's message, not the cancellation the engine uses to
// release it.
func TestQuery_databaseError(t *testing.T) {
	ctx := context.Background()
	model := []byte(`version: 1
tables:
  - id: 1
    name: T
    source: {sql: "SELECT range AS ID, CASE WHEN range > 5 THEN error('boom') ELSE range END AS X FROM range(10)"}
    fields:
      - {name: ID, semantic_type: type/PK}
      - {name: X}
`)
	e, err := newEngine(ctx, engine.Options{ModelFile: "t.yaml", ModelYAML: model, Unrestricted: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	rows, err := e.Query(ctx, admin, &engine.Request{TableID: 1, Aggregations: []engine.Aggregation{{Function: "sum", FieldID: "t1-1"}}})
	if err == nil {
		for rows.Next() {
		}
		err = rows.Err()
		rows.Close()
	}
	var qe *engine.QueryError
	if !errors.As(err, &qe) || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("error %v (%T), want a *QueryError saying boom", err, err)
	}
}
