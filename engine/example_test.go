package engine_test

import (
	"context"
	"fmt"
	"log"

	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
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
