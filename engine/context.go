package engine

import (
	"context"
	"strings"
	"time"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/permissions"
	"github.com/agentlayer/agentlayer/semantic"
)

// Context is what an agent needs before it asks: the server's now (which
// relative date filters count from), the report time zone, the first day
// of a week bucket, and the tables and metrics the caller can see.
type Context struct {
	Now       time.Time    `json:"now"`
	TimeZone  string       `json:"time_zone"`
	WeekStart string       `json:"week_start"` // "sunday" … "saturday"
	Tables    []TableItem  `json:"tables"`
	Metrics   []MetricItem `json:"metrics"`
	// Note says why the caller sees nothing: no policy grants them a
	// table or metric (NothingGranted); absent otherwise.
	Note string `json:"note,omitempty"`
}

// TableItem is a table in a listing.
type TableItem struct {
	ID          int    `json:"id"`
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Description string `json:"description,omitempty"`
	// DefaultTimeDimensionFieldID is the date or timestamp questions
	// about "when" mean, as the model declares.
	DefaultTimeDimensionFieldID *string `json:"default_time_dimension_field_id,omitempty"`
	// DataRange is the span of the default time dimension over the rows
	// the caller sees in detail (absent without one, or under an
	// aggregate grant): "the last 30 days of data" counts from its end.
	DataRange *DataRange `json:"data_range,omitempty"`
}

// Context describes the server's clock and what p can see.
func (e *Engine) Context(ctx context.Context, p *auth.Principal) (*Context, error) {
	c, _, _, err := e.contextOf(ctx, p)
	return c, err
}

// contextOf is p's context on the model set being served, with its data
// ranges, and the set and grant it was made on.
func (e *Engine) contextOf(ctx context.Context, p *auth.Principal) (*Context, *state, *permissions.Grant, error) {
	s := e.cur.Load()
	g, err := s.grant(p)
	if err != nil {
		return nil, nil, nil, err
	}
	c := e.context(s, g)
	e.dataRanges(forUser(ctx, p), s, g, c)
	return c, s, g, nil
}

// Visible counts the tables and metrics p can see.
func (e *Engine) Visible(p *auth.Principal) (tables, metrics int, err error) {
	s := e.cur.Load()
	g, err := s.grant(p)
	if err != nil {
		return 0, 0, err
	}
	ts, ms := s.visible(g)
	return len(ts), len(ms), nil
}

// visible lists the tables and metrics g may see, in model order.
func (s *state) visible(g *permissions.Grant) (tables []*semantic.Table, metrics []*semantic.Metric) {
	for _, t := range s.model.Tables {
		if g.Table(t) {
			tables = append(tables, t)
		}
	}
	for _, m := range s.model.Metrics {
		if s.catalog.MetricVisible(g, m) {
			metrics = append(metrics, m)
		}
	}
	return tables, metrics
}

func (e *Engine) context(s *state, g *permissions.Grant) *Context {
	c := &Context{Now: e.planOpts.Now().In(e.zone), TimeZone: e.zone.String(), WeekStart: strings.ToLower(e.planOpts.WeekStart.String()),
		Tables: []TableItem{}, Metrics: []MetricItem{}}
	tables, metrics := s.visible(g)
	for _, t := range tables {
		c.Tables = append(c.Tables, TableItem{ID: t.ID, Name: t.Name, DisplayName: t.DisplayName, Description: t.Description,
			DefaultTimeDimensionFieldID: timeDimension(g, t.TimeDimension, semantic.TablePrefix(t.ID))})
	}
	for _, m := range metrics {
		c.Metrics = append(c.Metrics, metricItem(g, m))
	}
	if len(c.Tables) == 0 && len(c.Metrics) == 0 {
		c.Note = NothingGranted
	}
	return c
}

// NothingGranted is what a caller whom no policy grants a table is told,
// where an empty schema or search would otherwise say nothing: the 403's
// reason.
const NothingGranted = "No policy grants you any table or metric. Ask whoever manages access to the data if you need it."

// Schema is everything the caller can see in one piece: the context, and
// each visible table with its fields, related tables, metrics, measures,
// segments and restrictions.
type Schema struct {
	Context
	Details []*TableDetail `json:"details"`
}

// Schema describes everything p can see, for a compact view of the model:
// one model set and grant throughout, whatever reloads meanwhile.
func (e *Engine) Schema(ctx context.Context, p *auth.Principal) (*Schema, error) {
	c, s, g, err := e.contextOf(ctx, p)
	if err != nil {
		return nil, err
	}
	out := &Schema{Context: *c}
	tables, _ := s.visible(g)
	for _, t := range tables {
		d, err := e.table(ctx, s, g, t, TableOptions{Fields: true, RelatedTables: true, Metrics: true, Measures: true, Segments: true}, nil)
		if err != nil {
			return nil, err
		}
		out.Details = append(out.Details, d)
	}
	return out, nil
}
