package sqlgen

import (
	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen/sqlast"
)

// Access is what the caller may see: the grant of the permissions package,
// as plain values. Planning asks it, for every table a query reads, which
// rows the query may read; sqlgen knows nothing of users or policies.
type Access interface {
	// Table reports whether the table is visible.
	Table(t *semantic.Table) bool
	// Field reports whether the field (and its table) is visible.
	Field(f *semantic.Field) bool
	// RowFilter returns the condition the rows of t must meet for a query
	// that reads the given fields of t (Refs to fields of t; nil means every
	// row), or ErrForbidden if no grant covers those fields together.
	RowFilter(t *semantic.Table, fields []*semantic.Field) (sqlast.Expr, error)
	// Mask says how the caller sees a masked field; false when they see
	// its true values.
	Mask(f *semantic.Field) (Mask, bool)
	// Aggregate is, when the caller is granted aggregates of t past its
	// detail rows, how an aggregated query of the given fields may read
	// them; ok is false without such a grant. ErrForbidden if no grant
	// covers the fields together.
	Aggregate(t *semantic.Table, fields []*semantic.Field) (a AggregateAccess, ok bool, err error)
}

// AggregateAccess is a grant of aggregates over more rows than the
// caller's detail rows.
type AggregateAccess struct {
	// Rows is the condition on the rows aggregates may read; nil: every
	// row.
	Rows sqlast.Expr
	// MinGroup is the least rows (and distinct keys of each joined table
	// read so) any set an answer could be told apart by must hold.
	MinGroup int
	// TimeUnit is the finest unit dates and timestamps are grouped and
	// compared in.
	TimeUnit Bucket
	// Detail is the condition on the rows the caller sees in detail anyway
	// (False: none): they count toward no group size.
	Detail sqlast.Expr
}

// FullAccess sees every table, field and row: for the model's owner, for
// explain, and for tests.
type FullAccess struct{}

var _ Access = FullAccess{}

// Table implements Access.
func (FullAccess) Table(*semantic.Table) bool { return true }

// Field implements Access.
func (FullAccess) Field(*semantic.Field) bool { return true }

// RowFilter implements Access.
func (FullAccess) RowFilter(*semantic.Table, []*semantic.Field) (sqlast.Expr, error) { return nil, nil }

// Mask implements Access.
func (FullAccess) Mask(*semantic.Field) (Mask, bool) { return Mask{}, false }

// Aggregate implements Access.
func (FullAccess) Aggregate(*semantic.Table, []*semantic.Field) (AggregateAccess, bool, error) {
	return AggregateAccess{}, false, nil
}

// Visible reports whether every field a model filter reads is visible.
func (c *Catalog) Visible(a Access, e *semantic.Expr) bool {
	if e == nil {
		return true
	}
	for _, f := range c.reads[e] {
		if !a.Field(f) {
			return false
		}
	}
	return true
}

// SegmentVisible reports whether a segment exists for the caller: its table
// and every field its filter reads are visible.
func (c *Catalog) SegmentVisible(a Access, s *semantic.Segment) bool {
	return a.Table(s.Table) && c.Visible(a, s.Filter)
}

// MeasureVisible reports whether a measure exists for the caller: its
// table, the field it aggregates and the fields of its filter are visible.
func (c *Catalog) MeasureVisible(a Access, m *semantic.Measure) bool {
	return a.Table(m.Table) && (m.Aggregation.Field == nil || a.Field(m.Aggregation.Field)) && c.Visible(a, m.Filter)
}

// MetricVisible reports whether a metric exists for the caller: its table,
// the field it aggregates and the fields of its filters are visible.
func (c *Catalog) MetricVisible(a Access, m *semantic.Metric) bool {
	if !a.Table(m.Table) || (m.Aggregation.Field != nil && !a.Field(m.Aggregation.Field)) {
		return false
	}
	for _, f := range m.Filters() {
		if !c.Visible(a, f) {
			return false
		}
	}
	return true
}

// WideVisible reports whether an entry of a wide column list is visible:
// the field, and for a related field every foreign key it is reached by.
func WideVisible(a Access, w semantic.WideField) bool {
	if !a.Field(w.Field) {
		return false
	}
	for _, fk := range w.Path {
		if !a.Field(fk) {
			return false
		}
	}
	return true
}
