package engine_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/internal/testsupport/pgtest"
)

var benchmark = &auth.Principal{Email: "benchmark@example.com", Groups: []string{"benchmark"}, Attributes: map[string]any{"state": "TX"}}

// refusedBy reports whether err is a 403 of the aggregate rules whose
// reason holds want; counted, whether the refusal counted rows to decide.
func refusedBy(err error, want string) (ok, counted bool) {
	var ee *engine.Error
	if !errors.As(err, &ee) || !errors.Is(err, engine.ErrForbidden) {
		return false, false
	}
	return strings.Contains(ee.Reason, want), ee.Rule == "aggregate-only"
}

// TestAggregateOnly_probe replays, as the sample's benchmark persona
// (orders in aggregates over every state, PEOPLE aggregates only, groups
// of 10), each attack of the outside probe that read one row back, on
// DuckDB and PostgreSQL: each is refused, or, where the question is one
// the rules allow, the two answers differ by 10 rows or more.
func TestAggregateOnly_probe(t *testing.T) {
	t.Parallel()
	pair := samplePair(t, engine.Options{})
	ctx := context.Background()
	for name, e := range map[string]*engine.Engine{"DuckDB": pair.duck, "PostgreSQL": pair.pg} {
		t.Run(name, func(t *testing.T) {
			query := func(p *auth.Principal, req string) (answer, error) {
				rows, err := e.Query(ctx, p, mustRequest(t, req))
				if err != nil {
					return answer{}, err
				}
				rows.Close()
				return answerOf(ctx, e, p, []byte(req)), nil
			}
			refused := func(label, req, reason string) {
				t.Helper()
				_, err := query(benchmark, req)
				if ok, _ := refusedBy(err, reason); !ok {
					t.Errorf("%s: %v, want a 403 saying %q", label, err, reason)
				}
			}
			// A: a sum of a key, and a timestamp to the second.
			refused("A, USER_ID", `{"table_id":1,"aggregations":[{"function":"sum","field_id":"t1-5"},{"function":"sum","field_id":"t1-1"}]}`, "a sum or an average of a field that identifies")
			refused("A, TOTAL", `{"table_id":1,"aggregations":[{"function":"sum","field_id":"t1-5"}],"filters":[{"field_id":"t1-7","operation":"not-equals","value":"2024-06-29T23:37:33"}]}`, "whole days")
			// B: a person's signup second; and PEOPLE's sum of ids.
			refused("B", `{"table_id":1,"aggregations":[{"function":"sum","field_id":"TOTAL"},{"function":"count"}],"filters":[{"field_id":"USER.CREATED_AT","operation":"not-equals","value":"2023-04-11T09:12:44"}]}`, "whole days")
			refused("PEOPLE sum(ID)", `{"table_id":2,"aggregations":[{"function":"sum","field_id":"ID"}]}`, "a sum or an average of a field that identifies")
			// C: ≤ t against < t, to the second.
			refused("C", `{"table_id":1,"aggregations":[{"function":"sum","field_id":"TOTAL"}],"filters":[{"field_id":"CREATED_AT","operation":"less-than-or-equal","value":"2024-06-29T23:37:33"}]}`, "whole days")
			// A measure is filtered only by its bins' edges.
			refused("TOTAL bound", `{"table_id":1,"aggregations":[{"function":"count"}],"filters":[{"field_id":"TOTAL","operation":"greater-than-or-equal","value":154.18}]}`, "edges of its bins")

			// In whole days, A and C are questions the rules allow when
			// the day holds 10 orders the persona does not see in detail,
			// or none: the two answers then differ by them. Otherwise the
			// question is refused, naming the rule, not the rows.
			var answered, small int
			day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
			for i := range 40 {
				d := day.AddDate(0, 0, i).Format("2006-01-02")
				others, err := query(admin, fmt.Sprintf(`{"table_id":1,"aggregations":[{"function":"count"}],"filters":[{"field_id":"CREATED_AT","operation":"equals","value":%q},{"field_id":"USER.STATE","operation":"not-equals","value":"TX"}]}`, d))
				if err != nil {
					t.Fatal(err)
				}
				n, _ := strconv.Atoi(others.rows[0][0])
				for _, req := range []string{
					fmt.Sprintf(`{"table_id":1,"aggregations":[{"function":"sum","field_id":"TOTAL"},{"function":"count"}],"filters":[{"field_id":"CREATED_AT","operation":"not-equals","value":%q}]}`, d),
					fmt.Sprintf(`{"table_id":1,"aggregations":[{"function":"sum","field_id":"TOTAL"},{"function":"count"}],"filters":[{"field_id":"CREATED_AT","operation":"less-than-or-equal","value":%q}]}`, d),
				} {
					_, err := query(benchmark, req)
					reason, counted := refusedBy(err, "over at least 10 rows")
					switch {
					case n > 0 && n < 10 && (!reason || !counted):
						t.Errorf("day %s holds %d orders not of Texans: %s answered (%v)", d, n, req, err)
					case (n == 0 || n >= 10) && err != nil && !strings.Contains(req, "less-than"):
						t.Errorf("day %s holds %d orders not of Texans: %s refused: %v", d, n, req, err)
					case err == nil:
						answered++
					default:
						small++
					}
				}
			}
			if answered == 0 || small == 0 {
				t.Errorf("%d answered, %d refused: the days prove nothing", answered, small)
			}

			// A range that cuts the first week of a grouping by week is
			// refused; one on week boundaries is answered.
			refused("cut week", `{"table_id":1,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"CREATED_AT","field_granularity":"week"}],"filters":[{"field_id":"CREATED_AT","operation":"between","values":["2024-01-03","2024-03-30"]}]}`, "week boundaries")
			if _, err := query(benchmark, `{"table_id":1,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"CREATED_AT","field_granularity":"week"}],"filters":[{"field_id":"CREATED_AT","operation":"between","values":["2023-12-31","2024-03-30"]}]}`); err != nil {
				t.Errorf("whole weeks: %v", err)
			}

			// The revenue of every order says it counts every order, in
			// groups of 10, in words and for machines.
			rows, err := e.Query(ctx, benchmark, mustRequest(t, `{"metric_id":1}`))
			if err != nil {
				t.Fatal(err)
			}
			rows.Close()
			if len(rows.Restrictions) != 1 {
				t.Fatalf("restrictions %+v", rows.Restrictions)
			}
			r := rows.Restrictions[0]
			const want = "Aggregates of ORDERS count every row. Groups of fewer than 10 ORDERS rows are not shown."
			if r.Text != want || r.Aggregate == nil || r.Aggregate.MinGroupSize != 10 || r.Aggregate.TimeGranularity != "day" {
				t.Errorf("restriction %q %+v, want %q, {10 day}", r.Text, r.Aggregate, want)
			}
			rows, err = e.Query(ctx, benchmark, mustRequest(t, `{"metric_id":1,"group_by":[{"field_id":"USER.STATE"}]}`))
			if err != nil {
				t.Fatal(err)
			}
			rows.Close()
			if got := rows.Restrictions[0].Text; !strings.HasSuffix(got, "Groups of fewer than 10 ORDERS rows (10 distinct PEOPLE keys) are not shown.") {
				t.Errorf("by state: %q", got)
			}
		})
	}
}

// The clinic of TestAggregateOnly_complement: prescriptions of drugs, and
// a researcher who sees them in aggregates of 5.
const (
	clinicModel = `version: 1
tables:
  - id: 1
    name: PRESCRIPTIONS
    fields:
      - {name: ID, type: BIGINT, semantic_type: type/PK}
      - {name: DRUG, type: VARCHAR}
      - {name: DOSE, type: DOUBLE}
`
	clinicPolicy = `version: 1
policies:
  - name: research
    when: '"research" in user.groups'
    tables:
      PRESCRIPTIONS:
        aggregate: {rows: "true", min_group_size: 5}
`
	clinicRows = `CREATE TABLE "PRESCRIPTIONS" ("ID" BIGINT PRIMARY KEY, "DRUG" VARCHAR, "DOSE" DOUBLE PRECISION);
INSERT INTO "PRESCRIPTIONS" SELECT i, CASE WHEN i <= 2 THEN 'clozapine' WHEN i <= 40 THEN 'amoxicillin' ELSE 'ibuprofen' END, i * 1.5
FROM generate_series(1, 100) AS g(i);`
)

// TestAggregateOnly_complement: on a model of its own, grouped by drug the
// 2 prescriptions of clozapine are left out (with a filter naming it or
// without), and the same filter ungrouped, which would give them back by
// difference, is refused, on DuckDB and PostgreSQL.
func TestAggregateOnly_complement(t *testing.T) {
	ctx := context.Background()
	for name, database := range map[string]string{"DuckDB": "", "PostgreSQL": pgtest.NewDatabase(t)} {
		t.Run(name, func(t *testing.T) {
			e, err := engine.New(ctx, engine.Options{ModelFile: "clinic.yaml", ModelYAML: []byte(clinicModel),
				PolicyFile: "clinic-policy.yaml", PolicyYAML: []byte(clinicPolicy), Database: database,
				Setup: func(ctx context.Context, db *sql.DB) error {
					_, err := db.ExecContext(ctx, clinicRows)
					return err
				}})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			researcher := &auth.Principal{Email: "r@example.com", Groups: []string{"research"}}
			in := `{"field_id":"DRUG","operation":"equals","values":["amoxicillin","clozapine"]}`
			grouped := answerOf(ctx, e, researcher, []byte(`{"table_id":1,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"DRUG"}]}`))
			if grouped.err != "" || len(grouped.rows) != 2 {
				t.Fatalf("by drug: %v %v, want amoxicillin and ibuprofen", grouped.rows, grouped.err)
			}
			_, err = e.Query(ctx, researcher, mustRequest(t, `{"table_id":1,"aggregations":[{"function":"count"}],"filters":[`+in+`]}`))
			if ok, counted := refusedBy(err, "over at least 5 rows"); !ok || !counted {
				t.Errorf("the two drugs ungrouped: %v, want refused", err)
			}
			// Grouped by drug, each drug's set is a group of the answer:
			// clozapine's is left out, as without the filter.
			a := answerOf(ctx, e, researcher, []byte(`{"table_id":1,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"DRUG"}],"filters":[`+in+`]}`))
			if a.err != "" || len(a.rows) != 1 || a.rows[0][0] != "amoxicillin" {
				t.Errorf("the two drugs grouped: %v %v, want amoxicillin alone", a.rows, a.err)
			}
			// Drugs whose sets are large are answered; what is left of
			// them, clozapine's 2, is one group under 5: left out.
			a = answerOf(ctx, e, researcher, []byte(`{"table_id":1,"aggregations":[{"function":"count"}],"filters":[{"field_id":"DRUG","operation":"equals","values":["amoxicillin","ibuprofen"]}]}`))
			if a.err != "" || len(a.rows) != 1 || a.rows[0][0] != "98" {
				t.Errorf("the large drugs: %v %v, want 98", a.rows, a.err)
			}
			a = answerOf(ctx, e, researcher, []byte(`{"table_id":1,"aggregations":[{"function":"count"}],"filters":[{"field_id":"DRUG","operation":"not-equals","values":["amoxicillin","ibuprofen"]}]}`))
			if a.err != "" || len(a.rows) != 0 {
				t.Errorf("not the large drugs: %v %v, want no group", a.rows, a.err)
			}
		})
	}
}

// TestCheckData_groupsThatCannotBeMet: an aggregate grant of doctors in
// groups of 10, where a clinic has 5 doctors, can never answer by clinic:
// CheckData says so, at the grant's position.
func TestCheckData_groupsThatCannotBeMet(t *testing.T) {
	ctx := context.Background()
	e, err := engine.New(ctx, engine.Options{ModelFile: "clinics.yaml", PolicyFile: "clinics-policy.yaml",
		ModelYAML: []byte(`version: 1
tables:
  - {id: 1, name: CLINICS, fields: [{name: ID, type: BIGINT, semantic_type: type/PK}, {name: REGION, type: VARCHAR}]}
  - {id: 2, name: DOCTORS, fields: [{name: ID, type: BIGINT, semantic_type: type/PK}, {name: CLINIC_ID, type: BIGINT, references: CLINICS.ID}]}
`),
		PolicyYAML: []byte(`version: 1
policies:
  - name: research
    when: '"research" in user.groups'
    tables:
      CLINICS: "*"
      DOCTORS:
        aggregate: {rows: "true", min_group_size: 10}
`),
		Setup: func(ctx context.Context, db *sql.DB) error {
			_, err := db.ExecContext(ctx, `CREATE TABLE "CLINICS" AS SELECT range AS "ID", 'north' AS "REGION" FROM range(4);
CREATE TABLE "DOCTORS" AS SELECT range AS "ID", range // 5 AS "CLINIC_ID" FROM range(20)`)
			return err
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	warnings, err := e.CheckData(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "clinics-policy.yaml:8:") || !strings.Contains(warnings[0], "at most 5 rows of DOCTORS share one CLINICS (by CLINIC_ID)") {
		t.Errorf("warnings %q", warnings)
	}
}
