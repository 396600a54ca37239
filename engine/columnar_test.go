package engine

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"testing"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/internal/testsupport/pgtest"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
	"github.com/agentlayer/agentlayer/sqlgen"
)

// typesModel is a table of every type a field may have, with NULLs, big
// integers, exact decimals, an ENUM and times across a day's edge.
var typesModel = []byte(`version: 1
tables:
  - id: 1
    name: T
    source:
      sql: >-
        SELECT i::INTEGER AS I, i::BIGINT * 1000000000000 AS BIG, i * 1.5::DOUBLE AS D,
          (i * 1.25)::DECIMAL(10,2) AS DEC, (i * 7)::DECIMAL(38,0) AS WIDE, 'x' || i || '"é\' AS S,
          i % 2 = 0 AS B, DATE '2024-01-01' + i::INTEGER AS DT,
          TIMESTAMP '2024-01-01 10:00:00' + i * INTERVAL 7 HOUR AS TS,
          TIMESTAMPTZ '2024-01-01 10:00:00+00' + i * INTERVAL 13 MINUTE AS TZ,
          TIME '10:00:00' + i * INTERVAL 1 SECOND AS TM,
          CASE WHEN i % 3 = 0 THEN NULL ELSE i END AS N,
          ['a', 'b', 'c'][i % 3 + 1]::ENUM('a', 'b', 'c') AS E,
          uuid_extract_version('00000000-0000-4000-8000-000000000000'::UUID)::INTEGER AS V,
          ('00000000-0000-4000-8000-' || lpad(i::VARCHAR, 12, '0'))::UUID AS U,
          i::UBIGINT * 40000000000000 AS UB, i::SMALLINT AS SM, i::FLOAT AS F4
        FROM range(5000) t(i)
    fields:
      - {name: I, type: INTEGER}
      - {name: BIG, type: BIGINT}
      - {name: D, type: DOUBLE}
      - {name: DEC, type: "DECIMAL(10,2)"}
      - {name: WIDE, type: "DECIMAL(38,0)"}
      - {name: S, type: VARCHAR}
      - {name: B, type: BOOLEAN}
      - {name: DT, type: DATE}
      - {name: TS, type: TIMESTAMP}
      - {name: TZ, type: TIMESTAMPTZ}
      - {name: TM, type: TIME}
      - {name: N, type: BIGINT}
      - {name: E, type: "ENUM('a', 'b', 'c')"}
      - {name: V, type: INTEGER}
      - {name: U, type: UUID}
      - {name: UB, type: UBIGINT}
      - {name: SM, type: SMALLINT}
      - {name: F4, type: FLOAT}
`)

// TestColumnar_answersAsBoxed: an answer read as Arrow record batches
// (the duckdb_arrow build) writes the same JSON, and gives the same Row,
// as the same answer read through database/sql, value for value, for
// every type a field may have, detail and aggregated (HUGEINT sums,
// decimal sums, buckets of each temporal type), in a zone with an offset.
func TestColumnar_answersAsBoxed(t *testing.T) {
	if !Columnar {
		t.Skip("the columnar path is built with the duckdb_arrow tag (scripts/test's full tier)")
	}
	e, err := New(context.Background(), Options{ModelFile: "types.yaml", ModelYAML: typesModel, Unrestricted: true, TimeZone: "America/Chicago"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	compareEncoded(t, e, []string{
		`{"table_id":1,"limit":2000}`,
		// More rows than a batch of DuckDB's (2,048): written two chunks
		// at a time, batch after batch.
		`{"table_id":1,"aggregations":[{"function":"count"},{"function":"max","field_id":"E"},{"function":"max","field_id":"TZ"}],"group_by":[{"field_id":"I"},{"field_id":"D"}],"limit":10000}`,
		`{"table_id":1,"aggregations":[{"function":"sum","field_id":"BIG"},{"function":"sum","field_id":"I"},{"function":"sum","field_id":"DEC"},{"function":"sum","field_id":"WIDE"},{"function":"avg","field_id":"D"},{"function":"count"},{"function":"sum","field_id":"UB"},{"function":"sum","field_id":"N"}],"group_by":[{"field_id":"E"}]}`,
		`{"table_id":1,"aggregations":[{"function":"count"},{"function":"min","field_id":"TM"},{"function":"max","field_id":"TZ"}],"group_by":[{"field_id":"TS","field_granularity":"day"},{"field_id":"B"}]}`,
		`{"table_id":1,"aggregations":[{"function":"count"},{"function":"max","field_id":"DT"}],"group_by":[{"field_id":"TZ","field_granularity":"hour"},{"field_id":"DT","field_granularity":"month"}]}`,
		`{"table_id":1,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"TS","field_granularity":"day-of-week"},{"field_id":"U"}],"limit":50}`,
	})
}

// compareEncoded runs each request twice, read boxed and read as it
// writes itself, and compares the two byte for byte, Row for Row and
// Values for Values (times as time.Time, for the SQL adapter's wire).
func compareEncoded(t *testing.T, e *Engine, reqs []string) {
	t.Helper()
	p := &auth.Principal{Email: "a@example.com"}
	for _, req := range reqs {
		var answers [2][]string
		var rows, values [2][][]any
		for k, columnar := range []bool{false, true} {
			e.encoded = columnar
			r, err := sqlgen.ParseRequest([]byte(req))
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.Query(context.Background(), p, r)
			if err != nil {
				t.Fatalf("%s: %v", req, err)
			}
			for got.Next() {
				if columnar && got.vals != nil {
					t.Fatalf("%s: read through database/sql, not as it writes itself", req)
				}
				answers[k] = append(answers[k], string(got.AppendJSON(nil)))
				rows[k] = append(rows[k], got.Row())
				values[k] = append(values[k], got.Values(nil))
			}
			if err := got.Err(); err != nil {
				t.Fatal(err)
			}
			got.Close()
		}
		if len(answers[0]) == 0 || len(answers[0]) != len(answers[1]) {
			t.Fatalf("%s: %d rows boxed, %d columnar", req, len(answers[0]), len(answers[1]))
		}
		for i := range answers[0] {
			if answers[0][i] != answers[1][i] {
				t.Fatalf("%s: row %d\nboxed    %s\ncolumnar %s", req, i, answers[0][i], answers[1][i])
			}
			if !reflect.DeepEqual(rows[0][i], rows[1][i]) {
				t.Fatalf("%s: Row %d\nboxed    %s\ncolumnar %s", req, i, types(rows[0][i]), types(rows[1][i]))
			}
			if !reflect.DeepEqual(values[0][i], values[1][i]) {
				t.Fatalf("%s: Values %d\nboxed    %s\ncolumnar %s", req, i, types(values[0][i]), types(values[1][i]))
			}
		}
	}
}

func types(row []any) string {
	s := ""
	for _, v := range row {
		s += fmt.Sprintf("%T(%v) ", v, v)
	}
	return s
}

// pgTypes is typesModel's table on PostgreSQL, with a row of infinite
// dates and times and a NaN.
const pgTypes = `CREATE TABLE "T" AS SELECT i::int4 AS "I", i::int8 * 1000000000000 AS "BIG", i * 1.5::float8 AS "D",
  (i * 1.25)::numeric(10,2) AS "DEC", (i * 7)::numeric(38,0) AS "WIDE", 'x' || i || '"é\' AS "S", i % 2 = 0 AS "B",
  DATE '2024-01-01' + i AS "DT", TIMESTAMP '2024-01-01 10:00:00' + i * INTERVAL '7 hours' AS "TS",
  TIMESTAMPTZ '2024-01-01 10:00:00+00' + i * INTERVAL '13 minutes' AS "TZ", TIME '10:00:00' + i * INTERVAL '1 second' AS "TM",
  (CASE WHEN i % 3 = 0 THEN NULL ELSE i END)::int8 AS "N", (ARRAY['a', 'b', 'c'])[i % 3 + 1]::varchar AS "E",
  ('00000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid AS "U", i::int2 AS "SM", i::float4 AS "F4",
  (i * 0.001)::numeric(10,3) AS "FR"
FROM generate_series(0, 699) i;
INSERT INTO "T" ("I", "DT", "TS", "TZ", "FR", "D") VALUES (1000, 'infinity', '-infinity', 'infinity', 'NaN', 'NaN');
INSERT INTO "T" ("I", "S", "E") VALUES (1001, '', '');`

var pgTypesModel = []byte(`version: 1
tables:
  - id: 1
    name: T
    fields:
      - {name: I, type: INTEGER}
      - {name: BIG, type: BIGINT}
      - {name: D, type: DOUBLE}
      - {name: DEC, type: "DECIMAL(10,2)"}
      - {name: WIDE, type: "DECIMAL(38,0)"}
      - {name: S, type: VARCHAR}
      - {name: B, type: BOOLEAN}
      - {name: DT, type: DATE}
      - {name: TS, type: TIMESTAMP}
      - {name: TZ, type: TIMESTAMPTZ}
      - {name: TM, type: TIME}
      - {name: N, type: BIGINT}
      - {name: E, type: VARCHAR}
      - {name: U, type: UUID}
      - {name: SM, type: SMALLINT}
      - {name: F4, type: FLOAT}
      - {name: FR, type: "DECIMAL(10,3)"}
`)

// TestEncoded_postgresAnswersAsBoxed: an answer read through pgx's own
// interface (binary values written as JSON as read) writes the same JSON,
// and gives the same Row, as the same answer read through database/sql,
// for every type a field may have on PostgreSQL, infinite dates and NaN
// included, detail and aggregated (numeric sums and averages, buckets).
func TestEncoded_postgresAnswersAsBoxed(t *testing.T) {
	testkit.FullTier(t, "PostgreSQL")
	database := pgtest.NewDatabase(t)
	e, err := New(context.Background(), Options{ModelFile: "types.yaml", ModelYAML: pgTypesModel, Unrestricted: true,
		TimeZone: "America/Chicago", Database: database,
		Setup: func(ctx context.Context, db *sql.DB) error { _, err := db.ExecContext(ctx, pgTypes); return err }})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	compareEncoded(t, e, []string{
		`{"table_id":1,"limit":2000}`,
		`{"table_id":1,"aggregations":[{"function":"sum","field_id":"BIG"},{"function":"sum","field_id":"I"},{"function":"sum","field_id":"DEC"},{"function":"sum","field_id":"WIDE"},{"function":"avg","field_id":"D"},{"function":"avg","field_id":"I"},{"function":"count"},{"function":"sum","field_id":"N"},{"function":"sum","field_id":"FR"}],"group_by":[{"field_id":"E"}]}`,
		`{"table_id":1,"aggregations":[{"function":"count"},{"function":"min","field_id":"TM"},{"function":"max","field_id":"TZ"}],"group_by":[{"field_id":"TS","field_granularity":"day"},{"field_id":"B"}]}`,
		`{"table_id":1,"aggregations":[{"function":"count"},{"function":"max","field_id":"DT"}],"group_by":[{"field_id":"TZ","field_granularity":"hour"},{"field_id":"DT","field_granularity":"month"}]}`,
		`{"table_id":1,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"TS","field_granularity":"day-of-week"},{"field_id":"U"}],"limit":50}`,
		// More rows than a chunk holds, an empty string among them.
		`{"table_id":1,"aggregations":[{"function":"count"},{"function":"max","field_id":"DT"},{"function":"max","field_id":"TM"},{"function":"sum","field_id":"FR"}],"group_by":[{"field_id":"I"},{"field_id":"S"}],"limit":10000}`,
	})
}
