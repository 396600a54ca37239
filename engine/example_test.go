package engine_test

import (
	"context"
	"fmt"
	"log"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/sqlgen"
)

func Example() {
	ctx := context.Background()
	e, err := engine.New(ctx, engine.Options{
		ModelFile: fixtures.ModelFile,
		ModelYAML: fixtures.Model(),
		Setup:     fixtures.Setup(0.01), // generate the sample data in memory
	})
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	for _, t := range e.Model().Tables {
		fmt.Printf("t%d %s: %d fields, %d with related tables\n", t.ID, t.DisplayName, len(t.Fields), len(t.Wide()))
	}
	// Output:
	// t1 Orders: 9 fields, 30 with related tables
	// t2 People: 13 fields, 13 with related tables
	// t3 Products: 8 fields, 8 with related tables
	// t4 Reviews: 6 fields, 14 with related tables
}

// A query runs on behalf of one user: the sales persona sees only the
// orders of customers in their state.
func ExampleEngine_Query() {
	ctx := context.Background()
	e, err := engine.New(ctx, engine.Options{
		ModelFile: fixtures.ModelFile, ModelYAML: fixtures.Model(),
		PolicyFile: fixtures.PolicyFile, PolicyYAML: fixtures.Policy(),
		Setup: fixtures.Setup(0.1),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	req, err := sqlgen.ParseRequest([]byte(`{"table_id": 1,
		"aggregations": [{"function": "count"}],
		"group_by": [{"field_id": "t1-16"}]}`)) // orders by customer state
	if err != nil {
		log.Fatal(err)
	}
	sales := &auth.Principal{Email: "sam@example.com", Groups: []string{"sales"}, Attributes: map[string]any{"state": "TX"}}
	rows, err := e.Query(ctx, sales, req)
	if err != nil {
		log.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		fmt.Println(rows.Row())
	}
	// Output: [TX 333]
}
