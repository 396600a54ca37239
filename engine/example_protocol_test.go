package engine_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
)

// The example users: finance sees everything, an account manager the
// accounts of their region.
var (
	finance = &auth.Principal{Email: "fin@example.com", Groups: []string{"finance"}}
	emeaAM  = &auth.Principal{Email: "ana@example.com", Groups: []string{"am"}, Attributes: map[string]any{"region": "EMEA"}}
)

func exampleEngine(opts engine.Options) *engine.Engine {
	opts.ModelYAML, opts.PolicyYAML = exampleModel, examplePolicy
	if opts.DuckDB == nil {
		opts.Setup = exampleData
	}
	e, err := engine.New(context.Background(), opts)
	if err != nil {
		log.Fatal(err)
	}
	return e
}

// A query token names a query, not its user: whoever runs it, it is
// planned for them. Finance shares a query; the account manager who opens
// it sees their region's invoices only.
func ExampleEngine_QueryFromToken() {
	ctx := context.Background()
	e := exampleEngine(engine.Options{})
	defer e.Close()
	req, _ := engine.ParseRequest([]byte(`{"table_id": 2, "fields": [{"field_id": "t2-0"}, {"field_id": "t2-2"}]}`)) // invoice ids and amounts
	q, err := e.Construct(ctx, finance, req)
	if err != nil {
		log.Fatal(err)
	}
	token, _ := e.Token(q)

	shared, _, err := e.QueryFromToken(ctx, emeaAM, token)
	if err != nil {
		log.Fatal(err)
	}
	rows, err := e.Execute(ctx, emeaAM, shared)
	if err != nil {
		log.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		fmt.Println(rows.Row())
	}
	// Output:
	// [10 120]
	// [11 80]
	// [13 50]
}

// Page reads a query's answer a page at a time: the rows of a page, then
// whether more follow and the continuation token that resumes after them,
// which QueryFromToken turns back into the query and its offset.
func ExampleEngine_Page() {
	ctx := context.Background()
	e := exampleEngine(engine.Options{})
	defer e.Close()
	req, _ := engine.ParseRequest([]byte(`{"table_id": 2, "fields": [{"field_id": "t2-0"}, {"field_id": "t2-2"}]}`))
	q, err := e.Construct(ctx, finance, req)
	if err != nil {
		log.Fatal(err)
	}
	q.Paging = engine.Paging{Size: 3}
	offset := 0
	for page := 1; ; page++ {
		rows, err := e.Page(ctx, finance, q, offset)
		if err != nil {
			log.Fatal(err)
		}
		for rows.Next() {
			fmt.Println("page", page, rows.Row())
		}
		next, _ := rows.Continuation()
		rows.Close()
		if next == "" {
			break
		}
		if q, offset, err = e.QueryFromToken(ctx, finance, next); err != nil {
			log.Fatal(err)
		}
	}
	// Output:
	// page 1 [10 120]
	// page 1 [11 80]
	// page 1 [12 300]
	// page 2 [13 50]
}

// Reload swaps the model and policies at once, while queries run: here a
// policy that lets account managers see every region.
func ExampleEngine_Reload() {
	ctx := context.Background()
	e := exampleEngine(engine.Options{})
	defer e.Close()
	billed := func() {
		req, _ := engine.ParseRequest([]byte(`{"metric_id": 1}`))
		rows, err := e.Query(ctx, emeaAM, req)
		if err != nil {
			log.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			fmt.Println("billed", rows.Row()[0])
		}
	}
	billed()
	err := e.Reload(ctx, engine.Options{ModelYAML: exampleModel, PolicyYAML: []byte(`version: 1
policies:
  - name: account managers
    when: '"am" in user.groups'
    tables: "*"
`)})
	if err != nil {
		log.Fatal(err) // the old set keeps serving
	}
	billed()
	// Output:
	// billed 250
	// billed 550
}

// A service that writes to the database tells the result cache which
// tables changed: answers that read them are dropped, others kept.
func ExampleEngine_Invalidate() {
	ctx := context.Background()
	connector, err := duckdb.NewConnector("", nil) // the service's own database
	if err != nil {
		log.Fatal(err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	if err := exampleData(ctx, db); err != nil {
		log.Fatal(err)
	}
	e := exampleEngine(engine.Options{DuckDB: connector, Cache: engine.CacheOptions{TTL: time.Hour}})
	defer e.Close()
	billed := func() {
		req, _ := engine.ParseRequest([]byte(`{"metric_id": 1}`))
		rows, err := e.Query(ctx, finance, req)
		if err != nil {
			log.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			fmt.Println("billed", rows.Row()[0], "cache", rows.Provenance.Cache)
		}
	}
	billed()
	if _, err := db.ExecContext(ctx, `INSERT INTO INVOICES VALUES (14, 2, 25)`); err != nil {
		log.Fatal(err)
	}
	billed() // still the cached answer
	if err := e.Invalidate("INVOICES"); err != nil {
		log.Fatal(err)
	}
	billed()
	// Output:
	// billed 550 cache miss
	// billed 550 cache hit
	// billed 575 cache miss
}
