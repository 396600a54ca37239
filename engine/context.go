package engine

import (
	"context"
	"strings"
	"time"

	"github.com/agentlayer/agentlayer/auth"
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
}

// Context describes the server's clock and what p can see.
func (e *Engine) Context(ctx context.Context, p *auth.Principal) (*Context, error) {
	s := e.cur.Load()
	g, err := s.grant(p)
	if err != nil {
		return nil, err
	}
	now := time.Now
	if e.planOpts.Now != nil {
		now = e.planOpts.Now
	}
	c := &Context{Now: now().In(e.zone), TimeZone: e.zone.String(), WeekStart: strings.ToLower(e.planOpts.WeekStart.String()),
		Tables: []TableItem{}, Metrics: []MetricItem{}}
	for _, t := range s.model.Tables {
		if !g.Table(t) {
			continue
		}
		item := TableItem{ID: t.ID, Name: t.Name, DisplayName: t.DisplayName, Description: t.Description}
		if f := t.TimeDimension; f != nil && g.Field(f) {
			id := semantic.TablePrefix(t.ID).ID(f.Index)
			item.DefaultTimeDimensionFieldID = &id
		}
		c.Tables = append(c.Tables, item)
	}
	for _, m := range s.model.Metrics {
		if s.catalog.MetricVisible(g, m) {
			c.Metrics = append(c.Metrics, MetricItem{ID: m.ID, Type: "metric", Name: m.Name, Description: m.Description,
				DefaultTimeDimensionFieldID: s.timeDimension(g, m)})
		}
	}
	return c, nil
}

// Schema is everything the caller can see in one piece: the context, and
// each visible table with its fields, related tables, metrics, measures,
// segments and restrictions.
type Schema struct {
	Context
	Details []*TableDetail `json:"details"`
}

// Schema describes everything p can see, for a compact view of the model.
func (e *Engine) Schema(ctx context.Context, p *auth.Principal) (*Schema, error) {
	c, err := e.Context(ctx, p)
	if err != nil {
		return nil, err
	}
	out := &Schema{Context: *c}
	for _, t := range c.Tables {
		d, err := e.Table(ctx, p, t.ID, TableOptions{Fields: true, RelatedTables: true, Metrics: true, Measures: true, Segments: true})
		if err != nil {
			return nil, err
		}
		out.Details = append(out.Details, d)
	}
	return out, nil
}
