package sqlgen

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/agentlayer/agentlayer/internal/jsontree"
	"github.com/agentlayer/agentlayer/internal/suggest"
)

// The caps on one request: what a request may ask of the database is
// bounded, so that no caller can make a query that runs for minutes or a
// plan that fills memory. Exceeding one is an *Error naming it.
const (
	MaxFilters       = 100     // filters
	MaxValues        = 1000    // filter values in the whole request
	MaxPatternValues = 100     // of which string-contains, -not-contains, -starts-with, -ends-with
	MaxValueBytes    = 4 << 10 // one string value
	MaxFields        = 100     // fields
	MaxGroupBy       = 20      // group_by
	MaxAggregations  = 50      // aggregations
	MaxOrderBy       = 20      // order_by
	MaxDepth         = jsontree.MaxDepth
)

// Request is a construct request of the Agent API: a table request (TableID
// set) or a metric request (MetricID set). The zero values of Limit and of
// every optional part mean "not given".
type Request struct {
	TableID      int            `json:"table_id,omitempty"`
	MetricID     int            `json:"metric_id,omitempty"`
	Filters      []Filter       `json:"filters,omitempty"`
	Fields       []RequestField `json:"fields,omitempty"`
	Aggregations []Aggregation  `json:"aggregations,omitempty"`
	GroupBy      []GroupBy      `json:"group_by,omitempty"`
	OrderBy      []OrderBy      `json:"order_by,omitempty"`
	Limit        int            `json:"limit,omitempty"`
	// Having keeps the groups whose aggregations meet conditions (an
	// extension: SQL's HAVING), all of them.
	Having []Having `json:"having,omitempty"`
}

// Having is a condition on one of the request's aggregations, by its
// index: a comparison with a number, between two, or is-null.
type Having struct {
	Aggregation int    `json:"aggregation"`
	Operation   string `json:"operation"`
	Value       any    `json:"value,omitempty"`
	Values      []any  `json:"values,omitempty"`
}

// Filter is a segment ({SegmentID}) or a condition on a field.
type Filter struct {
	SegmentID int    `json:"segment_id,omitempty"`
	FieldID   string `json:"field_id,omitempty"`
	Operation string `json:"operation,omitempty"`
	// Value is a string, a number (int, int64, float64 or json.Number) or a
	// bool; nil means not given.
	Value any `json:"value,omitempty"`
	// Values lists several values (any-of for equals, none-of for
	// not-equals); nil means not given.
	Values []any  `json:"values,omitempty"`
	Bucket string `json:"bucket,omitempty"`
	// Unit, Complete and Anchor shape a relative filter (last, next,
	// current): its unit (day … year), complete periods only, and what it
	// counts from: "now" (the default) or "latest", the field's latest
	// value the caller may see.
	Unit     string `json:"unit,omitempty"`
	Complete bool   `json:"complete,omitempty"`
	Anchor   string `json:"anchor,omitempty"`
	// CaseSensitive makes a string operation tell case apart (an
	// extension: Metabase's string operations ignore case).
	CaseSensitive bool `json:"case_sensitive,omitempty"`
	// And, Or and Not make a filter of filters (an extension: a request's
	// filters are otherwise all ANDed). Not is SQL's: a row for which its
	// filter is unknown (a NULL compared) matches neither.
	And []Filter `json:"and,omitempty"`
	Or  []Filter `json:"or,omitempty"`
	Not *Filter  `json:"not,omitempty"`
}

// RequestField names a field, optionally truncated to a temporal bucket.
type RequestField struct {
	FieldID string `json:"field_id"`
	Bucket  string `json:"bucket,omitempty"`
}

// Aggregation is {Function: count}, {FieldID, Function} or {MeasureID}.
type Aggregation struct {
	FieldID   string `json:"field_id,omitempty"`
	Function  string `json:"function,omitempty"`
	MeasureID int    `json:"measure_id,omitempty"`
	// SortOrder sorts the result by this aggregation: asc or desc.
	SortOrder string `json:"sort_order,omitempty"`
	// Bucket truncates a temporal field before it is aggregated (the
	// latest month with min, say).
	Bucket string `json:"bucket,omitempty"`
	// Filter restricts the rows this aggregation reads (SQL's FILTER):
	// the average of orders with a discount beside the average of all.
	Filter *Filter `json:"filter,omitempty"`
}

// GroupBy groups by a field, a temporal one optionally at a granularity.
type GroupBy struct {
	FieldID          string `json:"field_id"`
	FieldGranularity string `json:"field_granularity,omitempty"`
}

// OrderBy sorts by a field, or (an extension) by an aggregation of the
// request, by its index; Nulls puts NULLs "first" or "last" (the
// default).
type OrderBy struct {
	Field       RequestField `json:"field,omitzero"`
	Aggregation *int         `json:"aggregation,omitempty"`
	Direction   string       `json:"direction,omitempty"`
	Nulls       string       `json:"nulls,omitempty"`
}

// ParseRequest decodes a construct request from JSON, strictly: an unknown
// key, a value of the wrong JSON type, or a non-positive id or limit is an
// *Error naming where it is.
func ParseRequest(data []byte) (*Request, error) {
	root, err := DecodeJSON(data)
	if err != nil {
		return nil, err
	}
	return RequestOf(root)
}

// DecodeJSON decodes a request body into a tree (objects as map[string]any,
// numbers as json.Number), refusing a key given twice in one object and
// nesting deeper than MaxDepth. Errors are *Error.
func DecodeJSON(data []byte) (any, error) {
	root, err := jsontree.Decode(data, MaxDepth)
	var je *jsontree.Error
	switch {
	case errors.As(err, &je):
		return nil, invalid(je.Path, "%s", je.Message)
	case errors.Is(err, jsontree.ErrTrailing):
		return nil, invalid("", "the request must be one JSON object")
	case err != nil:
		return nil, invalid("", "the request must be a JSON object")
	}
	return root, nil
}

// RequestOf reads a construct request from a tree DecodeJSON returned.
func RequestOf(root any) (*Request, error) {
	p := &jsonParser{}
	req := p.request(root)
	if p.err != nil {
		return nil, p.err
	}
	return req, nil
}

// jsonParser reads a decoded JSON document by hand, so that every problem
// has a path. Decoding once into a tree keeps it a single pass over the
// text.
type jsonParser struct {
	err *Error
	// values and patterns count the filter values read so far; filters
	// the filters, those inside trees too.
	values, patterns, filters int
}

func (p *jsonParser) fail(path, format string, args ...any) {
	if p.err == nil {
		p.err = invalid(path, format, args...)
	}
}

// object checks that v is a JSON object whose keys are all in keys.
func (p *jsonParser) object(v any, path, what string, keys ...string) map[string]any {
	if p.err != nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		if path == "" {
			p.fail(path, "the request must be a JSON object")
		} else {
			p.fail(path, "%s must be an object", path)
		}
		return nil
	}
	// An unknown key is refused, never ignored: a misspelt "filter", or a
	// key this server does not implement, would otherwise drop what it
	// asks for silently.
	var unknown []string
	for k := range m {
		if !slices.Contains(keys, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		k := unknown[0]
		if near := suggest.Closest(k, keys); near != "" {
			p.fail(joinPath(path, k), "unknown key %q in %s (did you mean %q?)", k, what, near)
		} else {
			p.fail(joinPath(path, k), "unknown key %q in %s: it takes %s", k, what, strings.Join(keys, ", "))
		}
		p.err.Candidates = keys
		return nil
	}
	return m
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// list reads a JSON array of at most max items; a missing or null one is
// nil.
func (p *jsonParser) list(v any, path string, max int) []any {
	if p.err != nil || v == nil {
		return nil
	}
	l, ok := v.([]any)
	if !ok {
		p.fail(path, "%s must be a list", path)
		return nil
	}
	if len(l) > max {
		p.fail(path, "%s has %d items; a request may have at most %d", path, len(l), max)
		return nil
	}
	return l
}

// strAt, boolAt and positiveAt read m[key] as str, boolean and positive
// do, the key's path written only for an error: a request's fields and
// filters are read on every request.
func (p *jsonParser) strAt(m map[string]any, path, key string) string {
	if v := m[key]; v != nil && p.err == nil {
		if s, ok := v.(string); ok {
			return s
		}
		return p.str(v, joinPath(path, key))
	}
	return ""
}

func (p *jsonParser) boolAt(m map[string]any, path, key string) bool {
	if v := m[key]; v != nil && p.err == nil {
		if b, ok := v.(bool); ok {
			return b
		}
		return p.boolean(v, joinPath(path, key))
	}
	return false
}

func (p *jsonParser) positiveAt(m map[string]any, path, key string) int {
	if v := m[key]; v != nil && p.err == nil {
		return p.positive(v, joinPath(path, key))
	}
	return 0
}

func (p *jsonParser) str(v any, path string) string {
	if p.err != nil || v == nil {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		p.fail(path, "%s must be a string", path)
	}
	return s
}

// boolean reads true or false; a missing or null one is false.
func (p *jsonParser) boolean(v any, path string) bool {
	if p.err != nil || v == nil {
		return false
	}
	b, ok := v.(bool)
	if !ok {
		p.fail(path, "%s must be true or false", path)
	}
	return b
}

// positive reads a positive integer; a missing or null one is 0.
func (p *jsonParser) positive(v any, path string) int {
	if p.err != nil || v == nil {
		return 0
	}
	n, ok := v.(json.Number)
	if !ok {
		if _, isString := v.(string); isString {
			p.fail(path, "%s must be a positive integer, not a string", path)
		} else {
			p.fail(path, "%s must be a positive integer", path)
		}
		return 0
	}
	i, err := n.Int64()
	if err != nil || i <= 0 || i > 1<<31 {
		p.fail(path, "%s must be a positive integer, not %s", path, n)
		return 0
	}
	return int(i)
}

// natural reads an index: an integer from 0.
func (p *jsonParser) natural(v any, path string) int {
	if p.err != nil {
		return 0
	}
	n, ok := v.(json.Number)
	i, err := n.Int64()
	if !ok || err != nil || i < 0 || i > 1<<31 {
		p.fail(path, "%s must be an integer from 0", path)
		return 0
	}
	return int(i)
}

// value reads a scalar value: string, number or boolean.
func (p *jsonParser) value(v any, path string) any {
	if p.err != nil {
		return nil
	}
	switch x := v.(type) {
	case string:
		if len(x) > MaxValueBytes {
			p.fail(path, "%s is a string of %d bytes; a value may have at most %d", path, len(x), MaxValueBytes)
			return nil
		}
		return v
	case json.Number, bool:
		return v
	case map[string]any:
		// {"user": "email"}: the caller's, bound for whoever runs the query.
		ref, _ := x["user"].(string)
		if len(x) != 1 || !validCallerPath(ref) {
			p.fail(path, `%s must be a string, a number, a boolean, or {"user": "email"} for the caller's own (email, first_name, last_name or attributes.NAME)`, path)
			return nil
		}
		return v
	case nil:
		p.fail(path, "%s must not be null (to test for NULL, use the is-null operation)", path)
	default:
		p.fail(path, `%s must be a string, a number, a boolean, or {"user": "email"}`, path)
	}
	return nil
}

func (p *jsonParser) request(root any) *Request {
	m := p.object(root, "", "the request", "table_id", "metric_id", "filters", "fields", "aggregations", "group_by", "order_by", "limit", "having")
	if m == nil {
		return nil
	}
	r := &Request{
		TableID:  p.positive(m["table_id"], "table_id"),
		MetricID: p.positive(m["metric_id"], "metric_id"),
		Limit:    p.positive(m["limit"], "limit"),
	}
	for i, raw := range p.list(m["filters"], "filters", MaxFilters) {
		r.Filters = append(r.Filters, p.filter(raw, index("filters", i)))
	}
	for i, raw := range p.list(m["fields"], "fields", MaxFields) {
		r.Fields = append(r.Fields, p.fieldRef(raw, index("fields", i)))
	}
	for i, raw := range p.list(m["aggregations"], "aggregations", MaxAggregations) {
		path := index("aggregations", i)
		a := p.object(raw, path, "an aggregation", "field_id", "function", "measure_id", "sort_order", "bucket", "filter")
		ag := Aggregation{
			FieldID:   p.str(a["field_id"], path+".field_id"),
			Function:  p.str(a["function"], path+".function"),
			MeasureID: p.positive(a["measure_id"], path+".measure_id"),
			SortOrder: p.str(a["sort_order"], path+".sort_order"),
			Bucket:    p.str(a["bucket"], path+".bucket"),
		}
		if f, ok := a["filter"]; ok && f != nil {
			filter := p.filter(f, path+".filter")
			ag.Filter = &filter
		}
		r.Aggregations = append(r.Aggregations, ag)
	}
	for i, raw := range p.list(m["group_by"], "group_by", MaxGroupBy) {
		path := index("group_by", i)
		g := p.object(raw, path, "a group_by", "field_id", "field_granularity")
		r.GroupBy = append(r.GroupBy, GroupBy{
			FieldID:          p.str(g["field_id"], path+".field_id"),
			FieldGranularity: p.str(g["field_granularity"], path+".field_granularity"),
		})
	}
	for i, raw := range p.list(m["order_by"], "order_by", MaxOrderBy) {
		path := index("order_by", i)
		o := p.object(raw, path, "an order_by", "field", "aggregation", "direction", "nulls")
		if p.err == nil && (o["field"] == nil) == (o["aggregation"] == nil) {
			p.fail(path+".field", "%s needs field, or aggregation (the index of one of the request's aggregations)", path)
		}
		ob := OrderBy{Direction: p.str(o["direction"], path+".direction"), Nulls: p.str(o["nulls"], path+".nulls")}
		if o["field"] != nil {
			ob.Field = p.fieldRef(o["field"], path+".field")
		}
		if raw, ok := o["aggregation"]; ok && raw != nil {
			n := p.natural(raw, path+".aggregation")
			ob.Aggregation = &n
		}
		r.OrderBy = append(r.OrderBy, ob)
	}
	for i, raw := range p.list(m["having"], "having", MaxFilters) {
		path := index("having", i)
		h := p.object(raw, path, "a having", "aggregation", "operation", "value", "values")
		if p.err == nil && h["aggregation"] == nil {
			p.fail(path+".aggregation", "%s.aggregation is required: the index of one of the request's aggregations", path)
		}
		hv := Having{Aggregation: p.natural(h["aggregation"], path+".aggregation"), Operation: p.str(h["operation"], path+".operation")}
		if v := h["value"]; v != nil {
			hv.Value = p.value(v, path+".value")
			p.count("", 1, path+".value")
		}
		if raw, ok := h["values"]; ok && raw != nil {
			for j, item := range p.list(raw, path+".values", MaxValues) {
				hv.Values = append(hv.Values, p.value(item, index(path+".values", j)))
			}
			p.count("", len(hv.Values), path+".values")
		}
		r.Having = append(r.Having, hv)
	}
	if p.err != nil {
		return nil
	}
	return r
}

func (p *jsonParser) fieldRef(v any, path string) RequestField {
	f := p.object(v, path, "a field reference", "field_id", "bucket")
	return RequestField{FieldID: p.strAt(f, path, "field_id"), Bucket: p.strAt(f, path, "bucket")}
}

func (p *jsonParser) filter(v any, path string) Filter {
	m := p.object(v, path, "a filter", "segment_id", "field_id", "operation", "value", "values", "bucket", "unit", "complete", "anchor",
		"case_sensitive", "and", "or", "not")
	if m == nil {
		return Filter{}
	}
	if p.filters++; p.filters > MaxFilters {
		p.fail(path, "the request has more than %d filters, counting those inside and, or and not; a request may have at most %d", MaxFilters, MaxFilters)
		return Filter{}
	}
	if m["and"] != nil || m["or"] != nil || m["not"] != nil {
		return p.tree(m, path)
	}
	f := Filter{
		SegmentID: p.positiveAt(m, path, "segment_id"),
		FieldID:   p.strAt(m, path, "field_id"),
		Operation: p.strAt(m, path, "operation"),
		Bucket:    p.strAt(m, path, "bucket"),
		Unit:      p.strAt(m, path, "unit"),
		Complete:  p.boolAt(m, path, "complete"),
		Anchor:    p.strAt(m, path, "anchor"),

		CaseSensitive: p.boolAt(m, path, "case_sensitive"),
	}
	if raw := m["value"]; raw != nil {
		f.Value = p.value(raw, path+".value") // null is "not given", as Metabase takes it
		p.count(f.Operation, 1, path+".value")
	}
	if raw, ok := m["values"]; ok && raw != nil {
		items := p.list(raw, path+".values", MaxValues)
		p.count(f.Operation, len(items), path+".values")
		f.Values = make([]any, 0, len(items))
		for i, item := range items {
			f.Values = append(f.Values, p.value(item, index(path+".values", i)))
		}
	}
	return f
}

// tree reads a filter of filters: and, or (lists) or not (one filter),
// alone.
func (p *jsonParser) tree(m map[string]any, path string) Filter {
	var f Filter
	given := 0
	for k := range m {
		if k != "and" && k != "or" && k != "not" {
			p.fail(path+"."+k, "%s: a filter with and, or or not takes nothing else, not %s", path, k)
			return f
		}
		given++
	}
	if given != 1 {
		p.fail(path, "%s: give one of and, or and not", path)
		return f
	}
	for _, key := range []string{"and", "or"} {
		raw, ok := m[key]
		if !ok {
			continue
		}
		items := p.list(raw, path+"."+key, MaxFilters)
		if p.err == nil && len(items) == 0 {
			p.fail(path+"."+key, "%s.%s is empty: give at least one filter", path, key)
		}
		parts := make([]Filter, 0, len(items))
		for i, item := range items {
			parts = append(parts, p.filter(item, index(path+"."+key, i)))
		}
		if key == "and" {
			f.And = parts
		} else {
			f.Or = parts
		}
	}
	if raw, ok := m["not"]; ok {
		inner := p.filter(raw, path+".not")
		f.Not = &inner
	}
	return f
}

// count adds n values of a filter with operation op to the request's
// totals, and fails past a cap.
func (p *jsonParser) count(op string, n int, path string) {
	p.values += n
	if slices.Contains(stringOps, op) {
		p.patterns += n
	}
	switch {
	case p.values > MaxValues:
		p.fail(path, "the request has more than %d filter values; a request may have at most %d", MaxValues, MaxValues)
	case p.patterns > MaxPatternValues:
		p.fail(path, "the request has more than %d values of string-contains, string-not-contains, string-starts-with and string-ends-with filters; a request may have at most %d", MaxPatternValues, MaxPatternValues)
	}
}

// CallerValue is a filter's value that refers to who runs the query
// ({"user": "email"}, {"user": "attributes.clinic_id"}): bound, when the
// query is planned, to the caller's own (Options.Caller), so that one
// request — and its query token — asks each user about themselves.
type CallerValue struct {
	Path string // email, first_name, last_name or attributes.NAME
}

// MarshalJSON writes the value as requests give it.
func (c CallerValue) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"user": c.Path})
}

// callerValue recognises a value that refers to the caller.
func callerValue(v any) (CallerValue, bool) {
	switch x := v.(type) {
	case CallerValue:
		return x, true
	case map[string]any:
		if ref, ok := x["user"].(string); ok && len(x) == 1 && validCallerPath(ref) {
			return CallerValue{Path: ref}, true
		}
	}
	return CallerValue{}, false
}

func validCallerPath(ref string) bool {
	switch ref {
	case "email", "first_name", "last_name":
		return true
	}
	name, ok := strings.CutPrefix(ref, "attributes.")
	return ok && name != ""
}

// CheckCaps applies the caps of a request read from JSON (ParseRequest)
// to one built otherwise (the SQL front end's): an *Error naming the cap
// passed.
func CheckCaps(req *Request) error {
	values, patterns, filters := 0, 0, 0
	var count func(f Filter) error
	count = func(f Filter) error {
		filters++
		for _, part := range append(append([]Filter{}, f.And...), f.Or...) {
			if err := count(part); err != nil {
				return err
			}
		}
		if f.Not != nil {
			if err := count(*f.Not); err != nil {
				return err
			}
		}
		vals := f.Values
		if f.Value != nil {
			vals = append(vals, f.Value)
		}
		values += len(vals)
		if slices.Contains(stringOps, f.Operation) {
			patterns += len(vals)
		}
		for _, v := range vals {
			if s, ok := v.(string); ok && len(s) > MaxValueBytes {
				return invalid("filters", "a value is a string of %d bytes; a value may have at most %d", len(s), MaxValueBytes)
			}
		}
		return nil
	}
	for _, f := range req.Filters {
		if err := count(f); err != nil {
			return err
		}
	}
	for _, a := range req.Aggregations {
		if a.Filter != nil {
			if err := count(*a.Filter); err != nil {
				return err
			}
		}
	}
	for _, h := range req.Having {
		values += len(h.Values)
		if h.Value != nil {
			values++
		}
	}
	for _, c := range []struct {
		what     string
		n, limit int
	}{{"filters", filters, MaxFilters}, {"having", len(req.Having), MaxFilters}, {"fields", len(req.Fields), MaxFields}, {"aggregations", len(req.Aggregations), MaxAggregations},
		{"group_by", len(req.GroupBy), MaxGroupBy}, {"order_by", len(req.OrderBy), MaxOrderBy}} {
		if c.n > c.limit {
			return invalid(c.what, "the request has %d %s; a request may have at most %d", c.n, c.what, c.limit)
		}
	}
	switch {
	case values > MaxValues:
		return invalid("filters", "the request has more than %d filter values; a request may have at most %d", MaxValues, MaxValues)
	case patterns > MaxPatternValues:
		return invalid("filters", "the request has more than %d values of string-contains, string-not-contains, string-starts-with and string-ends-with filters; a request may have at most %d", MaxPatternValues, MaxPatternValues)
	}
	return nil
}
