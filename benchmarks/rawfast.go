package benchmarks

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
)

// RawFast runs the plan's SQL text by the database's fastest raw path and
// converts every value to its Go type, the work an answer needs: DuckDB's
// Arrow interface (in a build with the duckdb_arrow tag; else as Raw), or
// pgx's own interface on PostgreSQL (binary values, the statement prepared
// once per connection, each value scanned into a typed variable).
func (env *Env) RawFast(ctx context.Context, p *Prepared) (int, error) {
	if env.postgres {
		return env.rawPgx(ctx, p)
	}
	return env.rawArrow(ctx, p)
}

// sink keeps the converted values alive, so that no conversion is
// optimised away.
var sink struct {
	i int64
	f float64
	s string
	t time.Time
	b bool
	n pgtype.Numeric
}

// onDriverConn runs fn with a driver connection of the database's pool,
// and reports the rows fn counted.
func (env *Env) onDriverConn(ctx context.Context, fn func(dc any, rows *int) error) (int, error) {
	conn, err := env.DB.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	n := 0
	err = conn.Raw(func(dc any) error { return fn(dc, &n) })
	return n, err
}

func (env *Env) rawPgx(ctx context.Context, p *Prepared) (int, error) {
	return env.onDriverConn(ctx, func(dc any, n *int) error {
		c := dc.(*stdlib.Conn).Conn()
		rows, err := c.Query(ctx, p.SQL, p.Args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		fds := rows.FieldDescriptions()
		dest := make([]any, len(fds))
		ints, floats := make([]int64, len(fds)), make([]float64, len(fds))
		texts, bools, nums := make([]pgtype.Text, len(fds)), make([]pgtype.Bool, len(fds)), make([]pgtype.Numeric, len(fds))
		dates, stamps, stampsTZ := make([]pgtype.Date, len(fds)), make([]pgtype.Timestamp, len(fds)), make([]pgtype.Timestamptz, len(fds))
		for i, fd := range fds {
			switch fd.DataTypeOID {
			case pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID:
				dest[i] = nullable[int64]{&ints[i]}
			case pgtype.Float4OID, pgtype.Float8OID:
				dest[i] = nullable[float64]{&floats[i]}
			case pgtype.DateOID:
				dest[i] = &dates[i]
			case pgtype.TimestampOID:
				dest[i] = &stamps[i]
			case pgtype.TimestamptzOID:
				dest[i] = &stampsTZ[i]
			case pgtype.BoolOID:
				dest[i] = &bools[i]
			case pgtype.NumericOID:
				dest[i] = &nums[i]
			default:
				dest[i] = &texts[i]
			}
		}
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			(*n)++
		}
		if len(fds) > 0 {
			sink.i, sink.f, sink.s, sink.t, sink.b, sink.n = ints[0], floats[0], texts[0].String, stampsTZ[0].Time, bools[0].Bool, nums[0]
			sink.t = sink.t.Add(dates[0].Time.Sub(stamps[0].Time))
		}
		return rows.Err()
	})
}

// nullable scans a value, or a NULL as its zero value.
type nullable[T int64 | float64] struct{ p *T }

func (x nullable[T]) ScanInt64(v pgtype.Int8) error {
	*x.p = T(v.Int64)
	return nil
}

func (x nullable[T]) ScanFloat64(v pgtype.Float8) error {
	*x.p = T(v.Float64)
	return nil
}
