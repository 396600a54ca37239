//go:build duckdb_arrow

package benchmarks

import (
	"context"
	"database/sql/driver"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/duckdb/duckdb-go/v2"
)

// rawArrow reads the answer as Arrow record batches and converts every
// value to its Go type.
func (env *Env) rawArrow(ctx context.Context, p *Prepared) (int, error) {
	return env.onDriverConn(ctx, func(dc any, n *int) error {
		a, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		rr, err := a.QueryContext(ctx, p.SQL, p.Args...)
		if err != nil {
			return err
		}
		defer rr.Release()
		for rr.Next() {
			rec := rr.RecordBatch()
			rows := int(rec.NumRows())
			for _, col := range rec.Columns() {
				for i := range rows {
					if col.IsNull(i) {
						continue
					}
					switch c := col.(type) {
					case *array.Int64:
						sink.i = c.Value(i)
					case *array.Int32:
						sink.i = int64(c.Value(i))
					case *array.Float64:
						sink.f = c.Value(i)
					case *array.String:
						sink.s = c.Value(i)
					case *array.Timestamp:
						sink.t = c.Value(i).ToTime(c.DataType().(*arrow.TimestampType).Unit)
					case *array.Date32:
						sink.t = c.Value(i).ToTime()
					case *array.Boolean:
						sink.b = c.Value(i)
					case *array.Decimal128:
						sink.f = c.Value(i).ToFloat64(c.DataType().(*arrow.Decimal128Type).Scale)
					default:
						sink.s = col.ValueStr(i)
					}
				}
			}
			*n += rows
		}
		return rr.Err()
	})
}
