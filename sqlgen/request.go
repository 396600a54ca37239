package sqlgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/agentlayer/agentlayer/internal/yamldoc"
)

// Request is a construct request of the Agent API: a table request (TableID
// set) or a metric request (MetricID set). The zero values of Limit and of
// every optional part mean "not given".
type Request struct {
	TableID      int           `json:"table_id,omitempty"`
	MetricID     int           `json:"metric_id,omitempty"`
	Filters      []Filter      `json:"filters,omitempty"`
	Fields       []FieldRef    `json:"fields,omitempty"`
	Aggregations []Aggregation `json:"aggregations,omitempty"`
	GroupBy      []GroupBy     `json:"group_by,omitempty"`
	OrderBy      []OrderBy     `json:"order_by,omitempty"`
	Limit        int           `json:"limit,omitempty"`
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
}

// FieldRef names a field, optionally truncated to a temporal bucket.
type FieldRef struct {
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
}

// GroupBy groups by a field, a temporal one optionally at a granularity.
type GroupBy struct {
	FieldID          string `json:"field_id"`
	FieldGranularity string `json:"field_granularity,omitempty"`
}

// OrderBy sorts by a field.
type OrderBy struct {
	Field     FieldRef `json:"field"`
	Direction string   `json:"direction,omitempty"`
}

// ParseRequest decodes a construct request from JSON, strictly: an unknown
// key, a value of the wrong JSON type, or a non-positive id or limit is an
// *Error naming where it is.
func ParseRequest(data []byte) (*Request, error) {
	p := &jsonParser{}
	req := p.request(data)
	if p.err != nil {
		return nil, p.err
	}
	return req, nil
}

// jsonParser decodes JSON by hand so that every problem has a path.
type jsonParser struct{ err *Error }

func (p *jsonParser) fail(path, format string, args ...any) {
	if p.err == nil {
		p.err = invalid(path, format, args...)
	}
}

// object decodes a JSON object and checks its keys.
func (p *jsonParser) object(raw json.RawMessage, path, what string, keys ...string) map[string]json.RawMessage {
	if p.err != nil {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		if path == "" {
			p.fail(path, "the request must be a JSON object")
		} else {
			p.fail(path, "%s must be an object", path)
		}
		return nil
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		if !slices.Contains(keys, k) {
			at := joinPath(path, k)
			if s := yamldoc.Suggest(k, keys); s != "" {
				p.fail(at, "unknown key %q in %s (did you mean %q?)", k, what, s)
			} else {
				p.fail(at, "unknown key %q in %s (expected %s)", k, what, strings.Join(keys, ", "))
			}
			p.err.Candidates = keys
			return nil
		}
	}
	return m
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func isNull(raw json.RawMessage) bool {
	return raw == nil || bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// list decodes a JSON array; a missing or null one is nil.
func (p *jsonParser) list(raw json.RawMessage, path string) []json.RawMessage {
	if p.err != nil || isNull(raw) {
		return nil
	}
	var l []json.RawMessage
	if err := json.Unmarshal(raw, &l); err != nil {
		p.fail(path, "%s must be a list", path)
		return nil
	}
	return l
}

func (p *jsonParser) str(raw json.RawMessage, path string) string {
	if p.err != nil || isNull(raw) {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		p.fail(path, "%s must be a string", path)
	}
	return s
}

// positive decodes a positive integer; present reports whether it was given.
func (p *jsonParser) positive(raw json.RawMessage, path string) int {
	if p.err != nil || isNull(raw) {
		return 0
	}
	var n json.Number
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] == '"' {
		p.fail(path, "%s must be a positive integer, not a string", path)
		return 0
	}
	if err := dec.Decode(&n); err != nil {
		p.fail(path, "%s must be a positive integer", path)
		return 0
	}
	i, err := n.Int64()
	if err != nil || i <= 0 || i > 1<<31 {
		p.fail(path, "%s must be a positive integer, not %s", path, n)
		return 0
	}
	return int(i)
}

// value decodes a scalar value: string, number or boolean.
func (p *jsonParser) value(raw json.RawMessage, path string) any {
	if p.err != nil || raw == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		p.fail(path, "%s is not valid JSON", path)
		return nil
	}
	switch v.(type) {
	case string, json.Number, bool:
		return v
	case nil:
		p.fail(path, "%s must not be null (use the is-null operation)", path)
	default:
		p.fail(path, "%s must be a string, a number or a boolean", path)
	}
	return nil
}

func (p *jsonParser) request(data []byte) *Request {
	m := p.object(data, "", "the request", "table_id", "metric_id", "filters", "fields", "aggregations", "group_by", "order_by", "limit")
	if m == nil {
		return nil
	}
	r := &Request{
		TableID:  p.positive(m["table_id"], "table_id"),
		MetricID: p.positive(m["metric_id"], "metric_id"),
		Limit:    p.positive(m["limit"], "limit"),
	}
	for i, raw := range p.list(m["filters"], "filters") {
		r.Filters = append(r.Filters, p.filter(raw, fmt.Sprintf("filters[%d]", i)))
	}
	for i, raw := range p.list(m["fields"], "fields") {
		r.Fields = append(r.Fields, p.fieldRef(raw, fmt.Sprintf("fields[%d]", i)))
	}
	for i, raw := range p.list(m["aggregations"], "aggregations") {
		path := fmt.Sprintf("aggregations[%d]", i)
		a := p.object(raw, path, "an aggregation", "field_id", "function", "measure_id", "sort_order", "bucket")
		r.Aggregations = append(r.Aggregations, Aggregation{
			FieldID:   p.str(a["field_id"], path+".field_id"),
			Function:  p.str(a["function"], path+".function"),
			MeasureID: p.positive(a["measure_id"], path+".measure_id"),
			SortOrder: p.str(a["sort_order"], path+".sort_order"),
		})
	}
	for i, raw := range p.list(m["group_by"], "group_by") {
		path := fmt.Sprintf("group_by[%d]", i)
		g := p.object(raw, path, "a group_by", "field_id", "field_granularity")
		r.GroupBy = append(r.GroupBy, GroupBy{
			FieldID:          p.str(g["field_id"], path+".field_id"),
			FieldGranularity: p.str(g["field_granularity"], path+".field_granularity"),
		})
	}
	for i, raw := range p.list(m["order_by"], "order_by") {
		path := fmt.Sprintf("order_by[%d]", i)
		o := p.object(raw, path, "an order_by", "field", "direction")
		if p.err == nil && o["field"] == nil {
			p.fail(path+".field", "%s.field is required", path)
		}
		r.OrderBy = append(r.OrderBy, OrderBy{
			Field:     p.fieldRef(o["field"], path+".field"),
			Direction: p.str(o["direction"], path+".direction"),
		})
	}
	if p.err != nil {
		return nil
	}
	return r
}

func (p *jsonParser) fieldRef(raw json.RawMessage, path string) FieldRef {
	f := p.object(raw, path, "a field reference", "field_id", "bucket")
	return FieldRef{FieldID: p.str(f["field_id"], path+".field_id"), Bucket: p.str(f["bucket"], path+".bucket")}
}

func (p *jsonParser) filter(raw json.RawMessage, path string) Filter {
	m := p.object(raw, path, "a filter", "segment_id", "field_id", "operation", "value", "values", "bucket")
	if m == nil {
		return Filter{}
	}
	f := Filter{
		SegmentID: p.positive(m["segment_id"], path+".segment_id"),
		FieldID:   p.str(m["field_id"], path+".field_id"),
		Operation: p.str(m["operation"], path+".operation"),
		Bucket:    p.str(m["bucket"], path+".bucket"),
	}
	if raw, ok := m["value"]; ok {
		f.Value = p.value(raw, path+".value")
	}
	if raw, ok := m["values"]; ok && !isNull(raw) {
		items := p.list(raw, path+".values")
		f.Values = make([]any, 0, len(items))
		for i, item := range items {
			f.Values = append(f.Values, p.value(item, fmt.Sprintf("%s.values[%d]", path, i)))
		}
	}
	return f
}
