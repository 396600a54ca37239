package engine_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/internal/testsupport/pgtest"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
	"github.com/agentlayer/agentlayer/sqlgen"
)

const eventsModel = `version: 1
tables:
  - id: 1
    name: EVENTS
    fields:
      - {name: ID, semantic_type: type/PK}
      - {name: AT}
      - {name: AT_TZ}
      - {name: DAY}
`

// events are every half hour across the 2024 daylight-saving changes of
// New York: 10 March (23 hours) and 3 November (25 hours).
func events() []time.Time {
	var out []time.Time
	for _, span := range [][2]time.Time{
		{time.Date(2024, 3, 9, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 12, 0, 0, 0, 0, time.UTC)},
		{time.Date(2024, 11, 2, 0, 0, 0, 0, time.UTC), time.Date(2024, 11, 5, 0, 0, 0, 0, time.UTC)},
	} {
		for t := span[0]; t.Before(span[1]); t = t.Add(30 * time.Minute) {
			out = append(out, t)
		}
	}
	return out
}

// onBoth runs f on DuckDB (database "") and on a new PostgreSQL database.
func onBoth(t *testing.T, f func(t *testing.T, database string)) {
	t.Run("DuckDB", func(t *testing.T) { f(t, "") })
	t.Run("PostgreSQL", func(t *testing.T) { f(t, pgtest.NewDatabase(t)) })
}

// eventsEngine serves the events on opts.Database.
func eventsEngine(t *testing.T, opts engine.Options) *engine.Engine {
	t.Helper()
	opts.ModelFile, opts.ModelYAML, opts.Unrestricted = "events.yaml", []byte(eventsModel), true
	opts.Setup = func(ctx context.Context, db *sql.DB) error {
		if _, err := db.ExecContext(ctx, `DROP TABLE IF EXISTS "EVENTS"; CREATE TABLE "EVENTS" ("ID" BIGINT, "AT" TIMESTAMP, "AT_TZ" TIMESTAMPTZ, "DAY" DATE)`); err != nil {
			return err
		}
		for i, at := range events() {
			if _, err := db.ExecContext(ctx, `INSERT INTO "EVENTS" VALUES ($1, $2, $3::TIMESTAMPTZ, $4::DATE)`, i+1, at, at.Format(time.RFC3339), at.Format(time.DateOnly)); err != nil {
				return err
			}
		}
		return nil
	}
	e, err := newEngine(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func TestTime_daylightSaving(t *testing.T) {
	onBoth(t, daylightSaving)
}

func daylightSaving(t *testing.T, database string) {
	ny, _ := time.LoadLocation("America/New_York")
	e := eventsEngine(t, engine.Options{TimeZone: "America/New_York", Database: database})
	// The oracle: local days computed in Go.
	perDay := map[string]int{}
	var days []string
	for _, at := range events() {
		l := at.In(ny)
		day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, ny).Format(time.RFC3339)
		if perDay[day] == 0 {
			days = append(days, day)
		}
		perDay[day]++
	}
	var want [][]string
	for _, d := range days {
		want = append(want, []string{d, fmt.Sprint(perDay[d])})
	}
	for _, field := range []string{"t1-1", "t1-2"} { // TIMESTAMP and TIMESTAMPTZ
		t.Run(field, func(t *testing.T) {
			_, got := rawEngineRows(t, e, `{"table_id":1,"aggregations":[{"function":"count"}],"group_by":[{"field_id":"`+field+`","field_granularity":"day"}]}`)
			if d := testkit.DiffRows(got, want); d != "" {
				t.Errorf("by local day: %s\ngot %v", d, got)
			}
		})
	}
	if perDay["2024-03-10T00:00:00-05:00"] != 46 || perDay["2024-11-03T00:00:00-04:00"] != 50 {
		t.Fatalf("the oracle is off: %v", perDay)
	}
	tests := []struct {
		name, request string
		want          [][]string
	}{
		{"a local day of 23 hours", `{"table_id":1,"filters":[{"field_id":"t1-1","operation":"equals","value":"2024-03-10"}],"aggregations":[{"function":"count"}]}`,
			[][]string{{"46"}}},
		{"a local day of 25 hours", `{"table_id":1,"filters":[{"field_id":"t1-2","operation":"equals","value":"2024-11-03"}],"aggregations":[{"function":"count"}]}`,
			[][]string{{"50"}}},
		{"local hours skip 2 am", `{"table_id":1,"filters":[{"field_id":"t1-1","operation":"equals","value":"2024-03-10"},{"field_id":"t1-1","operation":"hour-equals","values":[1,2,3]}],"aggregations":[{"function":"count"}],"group_by":[{"field_id":"t1-1","field_granularity":"hour"}]}`,
			[][]string{{"2024-03-10T01:00:00-05:00", "2"}, {"2024-03-10T03:00:00-04:00", "2"}}},
		{"timestamps come back in the report zone", `{"table_id":1,"fields":[{"field_id":"t1-1"},{"field_id":"t1-2"},{"field_id":"t1-3"}],"filters":[{"field_id":"t1-0","operation":"equals","value":15}]}`,
			[][]string{{"2024-03-09T02:00:00-05:00", "2024-03-09T02:00:00-05:00", "2024-03-09T00:00:00-05:00"}}},
		{"an instant with an offset", `{"table_id":1,"filters":[{"field_id":"t1-1","operation":"equals","value":"2024-03-10T07:00:00Z"}],"fields":[{"field_id":"t1-0"}]}`,
			[][]string{{fmt.Sprint(indexOf(time.Date(2024, 3, 10, 7, 0, 0, 0, time.UTC)) + 1)}}},
		{"by day of week, local", `{"table_id":1,"filters":[{"field_id":"t1-1","operation":"less-than","value":"2024-03-10"}],"aggregations":[{"function":"count"}],"group_by":[{"field_id":"t1-1","field_granularity":"day-of-week"}]}`,
			[][]string{{"5", "10"}, {"6", "48"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got := rawEngineRows(t, e, tt.request)
			if d := testkit.DiffRows(got, tt.want); d != "" {
				t.Error(d)
			}
		})
	}
}

func indexOf(at time.Time) int {
	for i, e := range events() {
		if e.Equal(at) {
			return i
		}
	}
	return -1
}

func TestTime_weekStart(t *testing.T) {
	onBoth(t, weekStart)
}

func weekStart(t *testing.T, database string) {
	request := `{"table_id":1,"filters":[{"field_id":"t1-1","operation":"equals","value":"2024-11"}],"aggregations":[{"function":"count"}],"group_by":[{"field_id":"t1-1","field_granularity":"week"}]}`
	for _, tt := range []struct {
		start time.Weekday
		want  [][]string
	}{
		{time.Sunday, [][]string{{"2024-10-27T00:00:00Z", "48"}, {"2024-11-03T00:00:00Z", "96"}}},
		{time.Monday, [][]string{{"2024-10-28T00:00:00Z", "96"}, {"2024-11-04T00:00:00Z", "48"}}},
		{time.Saturday, [][]string{{"2024-11-02T00:00:00Z", "144"}}},
	} {
		e := eventsEngine(t, engine.Options{WeekStart: tt.start, Database: database})
		_, got := rawEngineRows(t, e, request)
		if d := testkit.DiffRows(got, tt.want); d != "" {
			t.Errorf("week starting %s: %s", tt.start, d)
		}
	}
}

// rawEngineRows returns the engine's values as it formats them.
func rawEngineRows(t *testing.T, e *engine.Engine, request string) ([]engine.Column, [][]string) {
	t.Helper()
	req, err := sqlgen.ParseRequest([]byte(request))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := e.Query(context.Background(), admin, req)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		var row []string
		for _, v := range rows.Row() {
			row = append(row, fmt.Sprint(v))
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return rows.Columns, out
}
