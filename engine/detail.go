package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/permissions"
	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen"
)

// DatabaseID is the id the Agent API gives the one database an engine
// serves.
const DatabaseID = 1

// Field is a field as the Agent API describes it.
type Field struct {
	FieldID       string `json:"field_id"`
	Name          string `json:"name"`
	DisplayName   string `json:"display_name"`
	Type          string `json:"type"`
	Description   string `json:"description,omitempty"`
	BaseType      string `json:"base_type"`
	EffectiveType string `json:"effective_type,omitempty"`
	SemanticType  string `json:"semantic_type,omitempty"`
	DatabaseType  string `json:"database_type"`
	// Currency and Decimals are how answers show the field's numbers, as
	// the model declares.
	Currency    string `json:"currency,omitempty"`
	Decimals    *int   `json:"decimals,omitempty"`
	FieldValues []any  `json:"field_values,omitempty"`
	// Masked names the mask the caller sees the field's values through
	// ("email_domain"), as a policy says; absent for true values.
	Masked string `json:"masked,omitempty"`
}

// TableDetail describes a table for one caller.
type TableDetail struct {
	Type           string `json:"type"`
	ID             int    `json:"id"`
	Name           string `json:"name"`
	DisplayName    string `json:"display_name"`
	Description    string `json:"description,omitempty"`
	DatabaseID     int    `json:"database_id"`
	DatabaseEngine string `json:"database_engine"`
	DatabaseSchema string `json:"database_schema"`
	// DefaultTimeDimensionFieldID is the date or timestamp questions
	// about "when" mean, as the model declares; absent when it names none.
	DefaultTimeDimensionFieldID *string        `json:"default_time_dimension_field_id,omitempty"`
	Fields                      []Field        `json:"fields"`
	RelatedTables               []RelatedTable `json:"related_tables,omitempty"`
	Metrics                     []MetricItem   `json:"metrics,omitempty"`
	Measures                    []NamedItem    `json:"measures,omitempty"`
	Segments                    []NamedItem    `json:"segments,omitempty"`
	// Restrictions say how the rows of the table are limited for the
	// caller; empty when they see every row.
	Restrictions []Restriction `json:"restrictions"`
}

// RelatedTable is a table reached through a foreign key; its fields carry
// the wide ids of the base table, usable in queries on it.
type RelatedTable struct {
	ID          int    `json:"id"`
	Type        string `json:"type"`
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Description string `json:"description,omitempty"`
	DatabaseID  int    `json:"database_id"`
	RelatedBy   string `json:"related_by"`
	// Relationship is the name that refers to its fields in a request:
	// USER for USER.STATE.
	Relationship string  `json:"relationship"`
	Fields       []Field `json:"fields"`
}

// MetricItem lists a metric of a table.
type MetricItem struct {
	ID                          int     `json:"id"`
	Type                        string  `json:"type"`
	Name                        string  `json:"name"`
	Description                 string  `json:"description,omitempty"`
	DefaultTimeDimensionFieldID *string `json:"default_time_dimension_field_id"`
}

// NamedItem is a segment or a measure.
type NamedItem struct {
	ID          int    `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// MetricDetail describes a metric for one caller.
type MetricDetail struct {
	Type                        string      `json:"type"`
	ID                          int         `json:"id"`
	Name                        string      `json:"name"`
	Description                 string      `json:"description,omitempty"`
	Verified                    bool        `json:"verified"`
	DefaultTimeDimensionFieldID *string     `json:"default_time_dimension_field_id"`
	QueryableDimensions         []Field     `json:"queryable_dimensions,omitempty"`
	Segments                    []NamedItem `json:"segments,omitempty"`
	// Restrictions say how the rows of the metric's table are limited for
	// the caller; empty when they see every row.
	Restrictions []Restriction `json:"restrictions"`
}

// TableOptions say what Table includes, as the Agent API's with-* parameters.
type TableOptions struct {
	Fields, FieldValues, RelatedTables, Metrics, Measures, Segments bool
	// OwnFields lists the related tables without their fields (the Agent
	// API's fields=own): the detail is then a fraction of its size.
	OwnFields bool
}

// MetricOptions say what Metric includes.
type MetricOptions struct {
	DefaultTemporalBreakout, FieldValues, QueryableDimensions, Segments bool
}

// field describes entry w of a wide column list under an id prefix.
func field(prefix semantic.IDPrefix, w semantic.WideField) Field {
	f := w.Field
	out := Field{
		FieldID:      prefix.ID(w.Index),
		Name:         f.Name,
		DisplayName:  f.DisplayName,
		Type:         f.Type.Kind.APIType(),
		Description:  f.Description,
		BaseType:     f.Type.Kind.BaseType(),
		SemanticType: f.SemanticType,
		DatabaseType: f.Type.Database,
		Currency:     f.Currency,
	}
	if f.Decimals >= 0 {
		d := f.Decimals
		out.Decimals = &d
	}
	return out
}

// maskOf names the mask g sees f through, "" for none.
func maskOf(g sqlgen.Access, f *semantic.Field) string {
	if m, ok := g.Mask(f); ok {
		return m.Fn.String()
	}
	return ""
}

func schemaOf(src semantic.Source) string {
	if src.Kind == semantic.SourceTable {
		if i := strings.LastIndexByte(src.Text, '.'); i > 0 {
			parts := strings.Split(src.Text, ".")
			return parts[len(parts)-2]
		}
	}
	return "main"
}

// Table describes table id as p sees it. An error is an *Error: not found
// if there is no such table, forbidden if p may not see it.
func (e *Engine) Table(ctx context.Context, p *auth.Principal, id int, opts TableOptions) (*TableDetail, error) {
	ctx = forUser(ctx, p)
	s := e.cur.Load()
	g, err := s.grant(p)
	if err != nil {
		return nil, err
	}
	t := s.model.Table(id)
	if t == nil {
		return nil, noTable(id)
	}
	if !g.Table(t) {
		return nil, sqlgen.Forbidden("", sqlgen.ReasonTable)
	}
	read := &valuesRead{start: time.Now()}
	d, err := e.table(ctx, s, g, t, opts, read)
	if err == nil {
		e.auditValuesRead(ctx, p, g, read)
	}
	return d, err
}

// table describes a table g may see, under the model set s; the field
// values it reads, if asked, are counted in read.
func (e *Engine) table(ctx context.Context, s *state, g *permissions.Grant, t *semantic.Table, opts TableOptions, read *valuesRead) (*TableDetail, error) {
	d := &TableDetail{Type: "table", ID: t.ID, Name: t.Name, DisplayName: t.DisplayName, Description: t.Description,
		DatabaseID: DatabaseID, DatabaseEngine: e.dialect.Name(), DatabaseSchema: schemaOf(t.Source), Fields: []Field{},
		DefaultTimeDimensionFieldID: timeDimension(g, t.TimeDimension, semantic.TablePrefix(t.ID)),
		Restrictions:                tableRestrictions(g, t)}
	prefix := semantic.TablePrefix(t.ID)
	var err error
	for _, w := range t.Wide() {
		if !sqlgen.WideVisible(g, w) {
			continue
		}
		listed := (w.Via == nil && opts.Fields) || (w.Via != nil && opts.RelatedTables)
		if !listed {
			continue
		}
		if w.Via != nil && opts.OwnFields {
			relatedTable(d, w)
			continue
		}
		f := field(prefix, w)
		f.Masked = maskOf(g, w.Field)
		if opts.FieldValues {
			if f.FieldValues, err = e.topValues(ctx, s, g, t, w, DefaultFieldValues, read); err != nil {
				return nil, err
			}
		}
		if w.Via == nil {
			d.Fields = append(d.Fields, f)
		} else {
			rt := relatedTable(d, w)
			rt.Fields = append(rt.Fields, f)
		}
	}
	if opts.Metrics {
		for _, m := range s.model.Metrics {
			if m.Table == t && s.catalog.MetricVisible(g, m) {
				d.Metrics = append(d.Metrics, metricItem(g, m))
			}
		}
	}
	if opts.Measures {
		for _, ms := range t.Measures {
			if s.catalog.MeasureVisible(g, ms) {
				d.Measures = append(d.Measures, NamedItem{ID: ms.ID, Name: ms.Name, Description: ms.Description})
			}
		}
	}
	if opts.Segments {
		d.Segments = s.segments(g, t)
	}
	return d, nil
}

// relatedTable is the entry of d for the table w is reached in: by one
// foreign key (related_by USER_ID, relationship USER), or, for a field the
// table exposes from further away, by several (USER_ID.ACCOUNT_ID,
// USER.ACCOUNT).
func relatedTable(d *TableDetail, w semantic.WideField) *RelatedTable {
	fks := make([]string, len(w.Path))
	for i, fk := range w.Path {
		fks[i] = fk.Name
	}
	by := strings.Join(fks, ".")
	for i := range d.RelatedTables {
		if d.RelatedTables[i].RelatedBy == by {
			return &d.RelatedTables[i]
		}
	}
	t := w.Field.Table
	d.RelatedTables = append(d.RelatedTables, RelatedTable{ID: t.ID, Type: "table", Name: t.Name, DisplayName: t.DisplayName,
		Description: t.Description, DatabaseID: DatabaseID, RelatedBy: by, Relationship: w.Relationships(), Fields: []Field{}})
	return &d.RelatedTables[len(d.RelatedTables)-1]
}

func (s *state) segments(g *permissions.Grant, t *semantic.Table) []NamedItem {
	var out []NamedItem
	for _, seg := range t.Segments {
		if s.catalog.SegmentVisible(g, seg) {
			out = append(out, NamedItem{ID: seg.ID, Name: seg.Name, Description: seg.Description})
		}
	}
	return out
}

// timeDimension is the id, under prefix, of a default time dimension f of
// a table or metric, if g may see it.
func timeDimension(g *permissions.Grant, f *semantic.Field, prefix semantic.IDPrefix) *string {
	if f == nil || !g.Field(f) {
		return nil
	}
	id := prefix.ID(f.Table.Own(f).Index)
	return &id
}

// metricItem lists a metric g may see.
func metricItem(g *permissions.Grant, m *semantic.Metric) MetricItem {
	return MetricItem{ID: m.ID, Type: "metric", Name: m.Name, Description: m.Description,
		DefaultTimeDimensionFieldID: timeDimension(g, m.TimeDimension, semantic.MetricPrefix(m.ID))}
}

// Metric describes metric id as p sees it.
func (e *Engine) Metric(ctx context.Context, p *auth.Principal, id int, opts MetricOptions) (*MetricDetail, error) {
	ctx = forUser(ctx, p)
	s := e.cur.Load()
	g, err := s.grant(p)
	if err != nil {
		return nil, err
	}
	m := s.model.Metric(id)
	if m == nil {
		return nil, noMetric()
	}
	if !s.catalog.MetricVisible(g, m) {
		return nil, sqlgen.Forbidden("", sqlgen.ReasonMetric)
	}
	d := &MetricDetail{Type: "metric", ID: m.ID, Name: m.Name, Description: m.Description, Verified: m.Verified,
		Restrictions: tableRestrictions(g, m.Table)}
	read := &valuesRead{start: time.Now()}
	defer func() { e.auditValuesRead(ctx, p, g, read) }()
	if opts.DefaultTemporalBreakout {
		d.DefaultTimeDimensionFieldID = timeDimension(g, m.TimeDimension, semantic.MetricPrefix(m.ID))
	}
	if opts.QueryableDimensions {
		prefix := semantic.MetricPrefix(m.ID)
		d.QueryableDimensions = []Field{}
		for _, w := range m.Table.Wide() {
			if !sqlgen.WideVisible(g, w) {
				continue
			}
			f := field(prefix, w)
			f.Masked = maskOf(g, w.Field)
			if w.Via != nil {
				f.DisplayName = w.DisplayName()
			}
			if opts.FieldValues {
				if f.FieldValues, err = e.topValues(ctx, s, g, m.Table, w, DefaultFieldValues, read); err != nil {
					return nil, err
				}
			}
			d.QueryableDimensions = append(d.QueryableDimensions, f)
		}
	}
	if opts.Segments {
		d.Segments = s.segments(g, m.Table)
	}
	return d, nil
}

// FieldValues are a field's most frequent values and its statistics, over
// the rows the caller may see.
type FieldValues struct {
	FieldID string
	// Values are the most frequent values, sorted by value.
	Values []any
	// Counts are the same values with how many rows hold each, the most
	// frequent first; Truncated says that more distinct values exist
	// (Statistics.DistinctCount says how many).
	Counts     []ValueCount
	Truncated  bool
	Statistics Statistics
	// Restrictions say how the caller's access limits the rows the values
	// and statistics were read from, as an answer's do: as a Texan sales
	// user, PEOPLE.STATE's only value TX is Texans' alone.
	Restrictions []Restriction
	// Provenance says what decided the values: the policies and the plan.
	Provenance Provenance `json:"-"`
}

// ValueCount is a value of a field and how many rows the caller sees
// hold it.
type ValueCount struct {
	Value any
	Count int64
}

// Statistics of a field; numbers, text and dates each add their own.
type Statistics struct {
	DistinctCount int64
	// PercentNull is the share of rows (0 to 1) where the field is NULL;
	// nil when the caller sees no row.
	PercentNull *float64
	// Numbers.
	Min, Max, Avg, Q1, Q3, SD *float64
	// Text: the shares are of non-null values.
	AverageLength, PercentEmail, PercentURL, PercentJSON, PercentState *float64
	// Dates and timestamps, as ISO-8601.
	Earliest, Latest *string
	Kind             Kind
}

// Map is the statistics as the Agent API writes them: snake_case keys,
// those that do not apply left out (distinct_count and percent_null are
// always there).
func (s Statistics) Map() map[string]any {
	out := map[string]any{"distinct_count": s.DistinctCount, "percent_null": s.PercentNull}
	add := func(key string, v any) {
		switch x := v.(type) {
		case *float64:
			if x == nil {
				return
			}
			v = *x
		case *string:
			if x == nil {
				return
			}
			v = *x
		}
		out[key] = v
	}
	add("min", s.Min)
	add("max", s.Max)
	add("avg", s.Avg)
	add("q1", s.Q1)
	add("q3", s.Q3)
	add("sd", s.SD)
	add("average_length", s.AverageLength)
	add("percent_email", s.PercentEmail)
	add("percent_url", s.PercentURL)
	add("percent_json", s.PercentJSON)
	add("percent_state", s.PercentState)
	add("earliest", s.Earliest)
	add("latest", s.Latest)
	return out
}

// FieldRef names a field of a table (t<id>-<n>, TableID set) or of a metric
// (c<id>-<n>, MetricID set).
type FieldRef struct {
	TableID  int
	MetricID int
	FieldID  string
}

// FieldValues computes a field's values (at most limit, the most frequent,
// sorted) and statistics over the rows p may see. A field id that does not
// parse or belongs elsewhere is an *Error.
func (e *Engine) FieldValues(ctx context.Context, p *auth.Principal, ref FieldRef, limit int) (*FieldValues, error) {
	ctx = forUser(ctx, p)
	s := e.cur.Load()
	g, err := s.grant(p)
	if err != nil {
		return nil, err
	}
	var t *semantic.Table
	var prefix semantic.IDPrefix
	switch {
	case ref.MetricID != 0:
		m := s.model.Metric(ref.MetricID)
		if m == nil {
			return nil, noMetric()
		}
		if !s.catalog.MetricVisible(g, m) {
			return nil, sqlgen.Forbidden("", sqlgen.ReasonMetric)
		}
		t, prefix = m.Table, semantic.MetricPrefix(m.ID)
	default:
		t = s.model.Table(ref.TableID)
		if t == nil {
			return nil, noTable(ref.TableID)
		}
		if !g.Table(t) {
			return nil, sqlgen.Forbidden("", sqlgen.ReasonTable)
		}
		prefix = semantic.TablePrefix(t.ID)
	}
	w, id, err := s.catalog.ResolveField(t, g, prefix, ref.FieldID, "field_id")
	if err != nil {
		return nil, err
	}
	fv := &FieldValues{FieldID: id}
	start := time.Now()
	plan, err := sqlgen.Values(s.catalog, g, t, sqlgen.QueryField{Wide: w}, limit+1, e.planOpts)
	if err != nil {
		return nil, err
	}
	r := render(plan)
	counts, hit, err := e.countsOf(ctx, s, r)
	if err != nil {
		return nil, err
	}
	if len(counts) > limit {
		counts, fv.Truncated = counts[:limit], true
	}
	fv.Counts, fv.Values = counts, sortedValues(counts)
	if fv.Statistics, err = e.statistics(ctx, s, g, t, w); err != nil {
		return nil, err
	}
	fv.Provenance = provenance(g, plan, r.digest)
	fv.Restrictions = restrictions(g, plan)
	if e.cacheFor(ctx) != nil {
		fv.Provenance.Cache = cacheWord(hit)
	}
	e.auditValues(ctx, p, fv, start)
	return fv, nil
}

// topValues lists the most frequent values of a field that g may see,
// sorted.
func (e *Engine) topValues(ctx context.Context, s *state, g sqlgen.Access, t *semantic.Table, w semantic.WideField, limit int, read *valuesRead) ([]any, error) {
	plan, err := sqlgen.Values(s.catalog, g, t, sqlgen.QueryField{Wide: w}, limit, e.planOpts)
	if err != nil {
		return nil, err
	}
	r := render(plan)
	counts, _, err := e.countsOf(ctx, s, r)
	if err == nil {
		read.add(plan, r.digest, len(counts))
	}
	return sortedValues(counts), err
}

// countsOf runs a values plan: each value and its rows, the most frequent
// first, cached.
func (e *Engine) countsOf(ctx context.Context, s *state, r rendered) ([]ValueCount, bool, error) {
	return cachedQuery(ctx, e, s, kindValues, r, valuesSize, func(rows *Rows) ([]ValueCount, error) {
		out := []ValueCount{}
		for rows.Next() {
			row := rows.Row()
			n, _ := row[1].(int64)
			out = append(out, ValueCount{Value: row[0], Count: n})
		}
		return out, nil
	})
}

func sortedValues(counts []ValueCount) []any {
	values := make([]any, len(counts))
	for i, c := range counts {
		values[i] = c.Value
	}
	slices.SortFunc(values, compareValues)
	return values
}

func compareValues(a, b any) int {
	switch x := a.(type) {
	case int64:
		if y, ok := b.(int64); ok {
			return cmpOrdered(x, y)
		}
		if y, ok := b.(float64); ok {
			return cmpOrdered(float64(x), y)
		}
	case float64:
		if y, ok := b.(float64); ok {
			return cmpOrdered(x, y)
		}
		if y, ok := b.(int64); ok {
			return cmpOrdered(x, float64(y))
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y)
		}
	case bool:
		if y, ok := b.(bool); ok {
			switch {
			case x == y:
				return 0
			case !x:
				return -1
			}
			return 1
		}
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

func cmpOrdered[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (e *Engine) statistics(ctx context.Context, s *state, g sqlgen.Access, t *semantic.Table, w semantic.WideField) (Statistics, error) {
	st := Statistics{Kind: w.Field.Type.Kind}
	plan, err := sqlgen.Statistics(s.catalog, g, t, sqlgen.QueryField{Wide: w}, e.planOpts)
	if err != nil {
		return st, err
	}
	out, _, err := cachedQuery(ctx, e, s, kindStats, render(plan), statsSize, func(rows *Rows) (Statistics, error) {
		if !rows.Next() {
			return st, nil
		}
		return readStatistics(st, rows), nil
	})
	return out, err
}

// readStatistics reads the statistics of a field from the one row of its
// statistics query.
func readStatistics(st Statistics, rows *Rows) Statistics {
	vals := rows.Row()
	byName := map[string]any{}
	for i, c := range rows.Columns {
		byName[c.Name] = vals[i]
	}
	num := func(name string) *float64 {
		switch x := byName[name].(type) {
		case float64:
			return &x
		case int64:
			f := float64(x)
			return &f
		case json.Number: // a decimal's minimum, maximum or quartile
			if f, err := x.Float64(); err == nil {
				return &f
			}
		}
		return nil
	}
	str := func(name string) *string {
		if s, ok := byName[name].(string); ok {
			return &s
		}
		return nil
	}
	total, nonNull := num(sqlgen.StatRows), num(sqlgen.StatNonNull)
	if d := num(sqlgen.StatDistinctCount); d != nil {
		st.DistinctCount = int64(*d)
	}
	if total != nil && *total > 0 && nonNull != nil {
		pn := 1 - *nonNull / *total
		st.PercentNull = &pn
	}
	st.Min, st.Max, st.Avg = num(sqlgen.StatMin), num(sqlgen.StatMax), num(sqlgen.StatAvg)
	st.Q1, st.Q3, st.SD = num(sqlgen.StatQ1), num(sqlgen.StatQ3), num(sqlgen.StatSD)
	st.AverageLength, st.PercentEmail, st.PercentURL = num(sqlgen.StatAverageLength), num(sqlgen.StatPercentEmail), num(sqlgen.StatPercentURL)
	st.PercentJSON, st.PercentState = num(sqlgen.StatPercentJSON), num(sqlgen.StatPercentState)
	st.Earliest, st.Latest = str(sqlgen.StatEarliest), str(sqlgen.StatLatest)
	return st
}
