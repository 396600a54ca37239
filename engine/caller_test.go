package engine_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/internal/testsupport/pgtest"
)

// A practice of doctors and their patients, where a doctor asks about
// "my patients".
const (
	practiceModel = `version: 1
tables:
  - id: 1
    name: DOCTORS
    fields:
      - {name: ID, type: BIGINT, semantic_type: type/PK}
      - {name: EMAIL, type: VARCHAR}
      - {name: CLINIC, type: VARCHAR}
  - id: 2
    name: PATIENTS
    fields:
      - {name: ID, type: BIGINT, semantic_type: type/PK}
      - {name: NAME, type: VARCHAR}
      - {name: DOCTOR_ID, type: BIGINT, references: DOCTORS.ID}
    segments:
      - {id: 1, name: My patients, filter: row.DOCTOR.EMAIL == user.email}
      - {id: 2, name: Patients of my clinic, filter: row.DOCTOR.CLINIC == user.attributes.clinic}
`
	practicePolicy = `version: 1
policies:
  - name: staff
    when: '"staff" in user.groups'
    tables: "*"
`
	practiceRows = `CREATE TABLE "DOCTORS" ("ID" BIGINT PRIMARY KEY, "EMAIL" VARCHAR, "CLINIC" VARCHAR);
INSERT INTO "DOCTORS" VALUES (1, 'a@example.com', 'north'), (2, 'b@example.com', 'south'), (3, 'c@example.com', 'north');
CREATE TABLE "PATIENTS" ("ID" BIGINT PRIMARY KEY, "NAME" VARCHAR, "DOCTOR_ID" BIGINT);
INSERT INTO "PATIENTS" VALUES (1, 'Ann', 1), (2, 'Bob', 1), (3, 'Cid', 2), (4, 'Dee', 3), (5, 'Eve', 3), (6, 'Fay', 3);`
)

// TestCallerValues: a filter's value may refer to the caller ({"user":
// "email"}) and a segment may read user: one request — and its query
// token — asks each doctor about their own patients, bound per caller, on
// DuckDB and PostgreSQL; a caller without the value gets no row.
func TestCallerValues(t *testing.T) {
	ctx := context.Background()
	for name, database := range map[string]string{"DuckDB": "", "PostgreSQL": pgtest.NewDatabase(t)} {
		t.Run(name, func(t *testing.T) {
			e, err := engine.New(ctx, engine.Options{ModelFile: "practice.yaml", ModelYAML: []byte(practiceModel),
				PolicyFile: "practice-policy.yaml", PolicyYAML: []byte(practicePolicy), Database: database,
				Cache: engine.CacheOptions{TTL: 60e9},
				Setup: func(ctx context.Context, db *sql.DB) error {
					_, err := db.ExecContext(ctx, practiceRows)
					return err
				}})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			a := &auth.Principal{Email: "a@example.com", Groups: []string{"staff"}, Attributes: map[string]any{"clinic": "north"}}
			b := &auth.Principal{Email: "b@example.com", Groups: []string{"staff"}, Attributes: map[string]any{"clinic": "south"}}
			nobody := &auth.Principal{Email: "x@example.com", Groups: []string{"staff"}}
			count := func(p *auth.Principal, req string) string {
				t.Helper()
				ans := answerOf(ctx, e, p, []byte(req))
				if ans.err != "" {
					t.Fatalf("%s: %s", req, ans.err)
				}
				return ans.rows[0][0]
			}
			mine := `{"table_id":2,"aggregations":[{"function":"count"}],"filters":[{"field_id":"DOCTOR.EMAIL","operation":"equals","value":{"user":"email"}}]}`
			for _, c := range []struct {
				p    *auth.Principal
				req  string
				want string
			}{
				{a, mine, "2"}, {b, mine, "1"}, {nobody, mine, "0"},
				{a, `{"table_id":2,"aggregations":[{"function":"count"}],"filters":[{"segment_id":1}]}`, "2"},
				{b, `{"table_id":2,"aggregations":[{"function":"count"}],"filters":[{"segment_id":1}]}`, "1"},
				{a, `{"table_id":2,"aggregations":[{"function":"count"}],"filters":[{"segment_id":2}]}`, "5"},
				{nobody, `{"table_id":2,"aggregations":[{"function":"count"}],"filters":[{"segment_id":2}]}`, "0"},
				{a, `{"table_id":2,"aggregations":[{"function":"count"}],"filters":[{"field_id":"DOCTOR.CLINIC","operation":"not-equals","value":{"user":"attributes.clinic"}}]}`, "1"},
				{nobody, `{"table_id":2,"aggregations":[{"function":"count"}],"filters":[{"field_id":"DOCTOR.CLINIC","operation":"not-equals","value":{"user":"attributes.clinic"}}]}`, "0"},
			} {
				if got := count(c.p, c.req); got != c.want {
					t.Errorf("%s as %s: %s, want %s", c.req, c.p.Email, got, c.want)
				}
			}
			// A's query token, executed by B, is B's question.
			q, err := e.Construct(ctx, a, mustRequest(t, mine))
			if err != nil {
				t.Fatal(err)
			}
			tok, err := e.Token(q)
			if err != nil {
				t.Fatal(err)
			}
			qb, _, err := e.QueryFromToken(ctx, b, tok)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := e.Execute(ctx, b, qb)
			if err != nil {
				t.Fatal(err)
			}
			rows.Next()
			if got := rows.Row()[0]; got != int64(1) {
				t.Errorf("a's token run by b: %v, want b's 1", got)
			}
			rows.Close()
			// A value of the wrong type for the field is a clear error.
			bad := answerOf(ctx, e, a, []byte(`{"table_id":2,"aggregations":[{"function":"count"}],"filters":[{"field_id":"DOCTOR_ID","operation":"equals","value":{"user":"email"}}]}`))
			if bad.err == "" {
				t.Error("an email compared with an integer field: no error")
			}
		})
	}
}
