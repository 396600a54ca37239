package engine_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
)

// The model, policy and data of the examples: a service would keep the
// first two in files (Options.ModelFile, PolicyFile) and its data in a
// DuckDB file or Parquet (Options.Database, or sources of the model).
var (
	exampleModel = []byte(`version: 1
tables:
  - id: 1
    name: ACCOUNTS
    fields:
      - {name: ID, type: BIGINT, semantic_type: type/PK}
      - {name: NAME, type: VARCHAR}
      - {name: REGION, type: VARCHAR, semantic_type: type/Category}
  - id: 2
    name: INVOICES
    fields:
      - {name: ID, type: BIGINT, semantic_type: type/PK}
      - {name: ACCOUNT_ID, type: BIGINT, references: ACCOUNTS.ID}
      - {name: AMOUNT, type: DOUBLE}
metrics:
  - {id: 1, name: Billed, table: INVOICES, aggregation: {function: sum, field: AMOUNT}}
`)
	examplePolicy = []byte(`version: 1
policies:
  - name: finance
    when: '"finance" in user.groups'
    tables: "*"
  - name: account managers
    when: '"am" in user.groups'
    tables:
      ACCOUNTS: {rows: row.REGION == user.attributes.region}
      INVOICES: {rows: row.ACCOUNT.REGION == user.attributes.region}
`)
	exampleData = func(ctx context.Context, db *sql.DB) error {
		_, err := db.ExecContext(ctx, `
			CREATE TABLE ACCOUNTS (ID BIGINT, NAME VARCHAR, REGION VARCHAR);
			INSERT INTO ACCOUNTS VALUES (1, 'Acme', 'EMEA'), (2, 'Globex', 'APAC'), (3, 'Initech', 'EMEA');
			CREATE TABLE INVOICES (ID BIGINT, ACCOUNT_ID BIGINT, AMOUNT DOUBLE);
			INSERT INTO INVOICES VALUES (10, 1, 120), (11, 1, 80), (12, 2, 300), (13, 3, 50);`)
		return err
	}
)

func Example() {
	ctx := context.Background()
	e, err := engine.New(ctx, engine.Options{
		ModelFile: "billing.yaml", ModelYAML: exampleModel,
		PolicyFile: "policy.yaml", PolicyYAML: examplePolicy,
		Setup: exampleData, // runs once, before the model is checked against the data
	})
	if err != nil {
		log.Fatal(err) // a model or policy error lists every problem with file:line:col
	}
	defer e.Close()
	// Every operation acts for one user: here, an account manager of EMEA.
	am := &auth.Principal{Email: "ana@example.com", Groups: []string{"am"}, Attributes: map[string]any{"region": "EMEA"}}
	seen, _ := e.Search(ctx, am, nil, nil) // no query: all they may see
	for _, r := range seen {
		fmt.Println(r.Type, r.ID, r.Name)
	}
	// Output:
	// table 1 ACCOUNTS
	// table 2 INVOICES
	// metric 1 Billed
}

// A query runs on behalf of one user: the account manager sees the
// invoices of their region's accounts only, through a rule on a related
// table.
func ExampleEngine_Query() {
	ctx := context.Background()
	e, err := engine.New(ctx, engine.Options{ModelYAML: exampleModel, PolicyYAML: examplePolicy, Setup: exampleData})
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	req, err := engine.ParseRequest([]byte(`{"metric_id": 1, "group_by": [{"field_id": "c1-4"}]}`)) // billed, by account name
	if err != nil {
		log.Fatal(err)
	}
	am := &auth.Principal{Email: "ana@example.com", Groups: []string{"am"}, Attributes: map[string]any{"region": "EMEA"}}
	rows, err := e.Query(ctx, am, req)
	if err != nil {
		log.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		fmt.Println(rows.Row())
	}
	// Output:
	// [Acme 200]
	// [Initech 50]
}
