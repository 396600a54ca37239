// Package querytoken writes a compiled query as an opaque, signed token and
// reads it back: base64 of a versioned logical query that names tables and
// fields by model name (so a token survives a reload that keeps the
// names), never SQL, with its HMAC-SHA256. A token is not bound to a user:
// whoever presents one has it compiled and planned for them again.
package querytoken

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen"
)

// Error is a token that does not verify: not one of this server's,
// tampered with, or naming what the model no longer has. Its message says
// which.
type Error struct{ Reason string }

func (e *Error) Error() string { return "invalid query token: " + e.Reason }

func bad(format string, args ...any) *Error { return &Error{Reason: fmt.Sprintf(format, args...)} }

// version is the version of the payload.
const version = 1

// MinKeyLen is the shortest key Keys accepts.
const MinKeyLen = 16

// envelope is a token: a payload and its HMAC-SHA256, base64 as a whole.
type envelope struct {
	V int             `json:"v"`
	P json.RawMessage `json:"p"`
	S string          `json:"s"`
}

// Payload is a logical query naming tables and fields by model name.
type Payload struct {
	Table        string           `json:"table,omitempty"`
	Metric       string           `json:"metric,omitempty"`
	Filters      []namedFilter    `json:"filters,omitempty"`
	Fields       []namedField     `json:"fields,omitempty"`
	Aggregations []namedAggregate `json:"aggregations,omitempty"`
	GroupBy      []namedField     `json:"group_by,omitempty"`
	OrderBy      []namedOrder     `json:"order_by,omitempty"`
	Having       []sqlgen.Having  `json:"having,omitempty"`
	Limit        int              `json:"limit,omitempty"`
	// Offset is where a continuation token resumes.
	Offset int `json:"offset,omitempty"`
	// PageSize is the page size a paged query asked for (page_size);
	// its Limit is then the total.
	PageSize int `json:"page_size,omitempty"`
}

// Position is where in a query's result a token stands: the offset it
// resumes at, the limit, and the page size of a paged query (0: the limit
// is the page size, as in Metabase).
type Position struct{ Offset, Limit, PageSize int }

type namedField struct {
	Field  string `json:"field"` // FIELD, or FOREIGN_KEY.FIELD
	Bucket string `json:"bucket,omitempty"`
}

type namedFilter struct {
	Segment string `json:"segment,omitempty"`
	namedField
	Op     string `json:"op,omitempty"`
	Value  any    `json:"value,omitempty"`
	Values []any  `json:"values,omitempty"`
	// A relative filter's unit, complete periods only, and anchor.
	Unit     string `json:"unit,omitempty"`
	Complete bool   `json:"complete,omitempty"`
	Anchor   string `json:"anchor,omitempty"`
	// CaseSensitive, and a filter of filters: and, or, not.
	CaseSensitive bool          `json:"cs,omitempty"`
	Tree          string        `json:"tree,omitempty"`
	Parts         []namedFilter `json:"parts,omitempty"`
}

type namedAggregate struct {
	Func    string       `json:"fn,omitempty"`
	Field   string       `json:"field,omitempty"`
	Bucket  string       `json:"bucket,omitempty"`
	Measure string       `json:"measure,omitempty"`
	Sort    string       `json:"sort,omitempty"`
	Filter  *namedFilter `json:"filter,omitempty"`
}

type namedOrder struct {
	namedField
	Aggregation *int `json:"agg,omitempty"`
	Desc        bool `json:"desc,omitempty"`
	NullsFirst  bool `json:"nulls_first,omitempty"`
}

// Keys sign with the first key and verify with any, for rotation.
type Keys [][]byte

// NewKeys returns the keys of current and previous; a nil current means a
// random key, so that tokens do not outlive the process.
func NewKeys(current []byte, previous [][]byte) (Keys, error) {
	if current == nil {
		current = make([]byte, 32)
		if _, err := rand.Read(current); err != nil {
			return nil, err
		}
	}
	if len(current) < MinKeyLen {
		return nil, fmt.Errorf("the query token key must be at least %d bytes", MinKeyLen)
	}
	return append(Keys{current}, previous...), nil
}

func (k Keys) mac(key, p []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(p)
	return m.Sum(nil)
}

// Seal writes q as a token, at a position in its result.
func (k Keys) Seal(q *sqlgen.Query, at Position) (string, error) {
	p := payloadOf(q)
	p.Offset, p.Limit, p.PageSize = at.Offset, at.Limit, at.PageSize
	raw, err := json.Marshal(p)
	if err != nil {
		return "", err
	}
	env, err := json.Marshal(envelope{V: version, P: raw, S: base64.RawURLEncoding.EncodeToString(k.mac(k[0], raw))})
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(env), nil
}

// Open verifies a token and returns its payload, or an *Error.
func (k Keys) Open(token string) (*Payload, error) {
	token = strings.TrimSpace(token)
	data, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		if data, err = base64.RawURLEncoding.DecodeString(token); err != nil {
			return nil, bad("it is not base64")
		}
	}
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil || env.P == nil {
		return nil, bad("it is not a query token")
	}
	if env.V != version {
		return nil, bad("version %d is not %d", env.V, version)
	}
	sig, err := base64.RawURLEncoding.DecodeString(env.S)
	if err != nil || !k.verifies(env.P, sig) {
		return nil, bad("its signature does not verify")
	}
	var p Payload
	dec := json.NewDecoder(bytes.NewReader(env.P))
	dec.UseNumber() // filter values stay exact
	if err := dec.Decode(&p); err != nil {
		return nil, bad("its query does not decode")
	}
	return &p, nil
}

func (k Keys) verifies(p, sig []byte) bool {
	for _, key := range k {
		if hmac.Equal(k.mac(key, p), sig) {
			return true
		}
	}
	return false
}

// fieldName names a wide field by model names.
func fieldName(w semantic.WideField) string {
	name := w.Field.Name
	for i := len(w.Path) - 1; i >= 0; i-- {
		name = w.Path[i].Name + "." + name
	}
	return name
}

func named(c sqlgen.QueryField) namedField {
	return namedField{Field: fieldName(c.Wide), Bucket: string(c.Bucket)}
}

// filterOf names a condition's parts.
func filterOf(c sqlgen.Condition) namedFilter {
	if c.Tree != "" {
		f := namedFilter{Tree: c.Tree}
		for _, part := range c.Parts {
			f.Parts = append(f.Parts, filterOf(part))
		}
		return f
	}
	if c.Segment != nil {
		return namedFilter{Segment: c.Segment.Name}
	}
	return namedFilter{namedField: named(c.Column), Op: c.Op, Value: c.Given.Value, Values: c.Given.Values,
		Unit: c.Given.Unit, Complete: c.Given.Complete, Anchor: c.Given.Anchor, CaseSensitive: c.CaseSensitive}
}

// payloadOf names q's parts by model names; a filter's values are as its
// request gave them.
func payloadOf(q *sqlgen.Query) *Payload {
	p := &Payload{}
	if q.Metric != nil {
		p.Metric = q.Metric.Name
	} else {
		p.Table = q.Table.Name
	}
	for _, c := range q.Filters {
		p.Filters = append(p.Filters, filterOf(c))
	}
	for _, c := range q.Fields {
		p.Fields = append(p.Fields, named(c))
	}
	if q.Metric != nil && q.Aggregations[0].Sort != "" {
		// A metric's aggregation is its own; only its sort is the query's.
		p.Aggregations = []namedAggregate{{Sort: q.Aggregations[0].Sort}}
	}
	if q.Metric == nil {
		for _, a := range q.Aggregations {
			na := namedAggregate{Sort: a.Sort}
			if a.Filter != nil {
				f := filterOf(*a.Filter)
				na.Filter = &f
			}
			switch {
			case a.Measure != nil:
				na.Measure = a.Measure.Name
			case a.Column != nil:
				na.Func, na.Field, na.Bucket = string(a.Func), fieldName(a.Column.Wide), string(a.Column.Bucket)
			default:
				na.Func = string(a.Func)
			}
			p.Aggregations = append(p.Aggregations, na)
		}
	}
	for _, c := range q.GroupBy {
		p.GroupBy = append(p.GroupBy, named(c))
	}
	for _, h := range q.Having {
		p.Having = append(p.Having, h.Given)
	}
	for _, o := range q.OrderBy {
		if o.Aggregation != nil {
			p.OrderBy = append(p.OrderBy, namedOrder{Aggregation: o.Aggregation, Desc: o.Desc, NullsFirst: o.NullsFirst})
			continue
		}
		p.OrderBy = append(p.OrderBy, namedOrder{namedField: named(o.Column), Desc: o.Desc, NullsFirst: o.NullsFirst})
	}
	return p
}

// resolver turns model names back into the ids of the current model.
type resolver struct {
	t      *semantic.Table
	prefix semantic.IDPrefix
}

func (r resolver) id(name string) (string, error) {
	for _, w := range r.t.Wide() {
		if fieldName(w) == name {
			return r.prefix.ID(w.Index), nil
		}
	}
	return "", bad("field %s of table %s no longer exists", name, r.t.Name)
}

func (r resolver) ref(f namedField) (sqlgen.RequestField, error) {
	id, err := r.id(f.Field)
	return sqlgen.RequestField{FieldID: id, Bucket: f.Bucket}, err
}

// Request writes the payload back as a construct request against m, its
// names resolved to m's ids; a name m no longer has is an *Error. The
// request still has to be compiled for whoever presents the token.
func (p *Payload) Request(m *semantic.Model) (*sqlgen.Request, error) {
	req := &sqlgen.Request{Limit: p.Limit}
	r, err := p.base(m, req)
	if err != nil {
		return nil, err
	}
	for _, f := range p.Filters {
		filter, err := r.filter(f)
		if err != nil {
			return nil, err
		}
		req.Filters = append(req.Filters, filter)
	}
	for _, f := range p.Fields {
		ref, err := r.ref(f)
		if err != nil {
			return nil, err
		}
		req.Fields = append(req.Fields, ref)
	}
	for _, a := range p.Aggregations {
		ag, err := r.aggregation(a)
		if err != nil {
			return nil, err
		}
		req.Aggregations = append(req.Aggregations, ag)
	}
	for _, g := range p.GroupBy {
		ref, err := r.ref(g)
		if err != nil {
			return nil, err
		}
		req.GroupBy = append(req.GroupBy, sqlgen.GroupBy{FieldID: ref.FieldID, FieldGranularity: ref.Bucket})
	}
	req.Having = p.Having
	for _, o := range p.OrderBy {
		dir, nulls := "asc", ""
		if o.Desc {
			dir = "desc"
		}
		if o.NullsFirst {
			nulls = "first"
		}
		if o.Aggregation != nil {
			req.OrderBy = append(req.OrderBy, sqlgen.OrderBy{Aggregation: o.Aggregation, Direction: dir, Nulls: nulls})
			continue
		}
		ref, err := r.ref(o.namedField)
		if err != nil {
			return nil, err
		}
		req.OrderBy = append(req.OrderBy, sqlgen.OrderBy{Field: ref, Direction: dir, Nulls: nulls})
	}
	return req, nil
}

// base resolves the payload's table or metric into req.
func (p *Payload) base(m *semantic.Model, req *sqlgen.Request) (resolver, error) {
	if p.Metric != "" {
		for _, x := range m.Metrics {
			if x.Name == p.Metric {
				req.MetricID = x.ID
				return resolver{t: x.Table, prefix: semantic.MetricPrefix(x.ID)}, nil
			}
		}
		return resolver{}, bad("metric %q no longer exists", p.Metric)
	}
	t := m.TableByName(p.Table)
	if t == nil {
		return resolver{}, bad("table %q no longer exists", p.Table)
	}
	req.TableID = t.ID
	return resolver{t: t, prefix: semantic.TablePrefix(t.ID)}, nil
}

func (r resolver) filter(f namedFilter) (sqlgen.Filter, error) {
	if f.Tree != "" {
		var parts []sqlgen.Filter
		for _, part := range f.Parts {
			x, err := r.filter(part)
			if err != nil {
				return sqlgen.Filter{}, err
			}
			parts = append(parts, x)
		}
		switch {
		case f.Tree == "and":
			return sqlgen.Filter{And: parts}, nil
		case f.Tree == "or":
			return sqlgen.Filter{Or: parts}, nil
		case f.Tree == "not" && len(parts) == 1:
			return sqlgen.Filter{Not: &parts[0]}, nil
		}
		return sqlgen.Filter{}, bad("a filter of filters %q is not one", f.Tree)
	}
	if f.Segment != "" {
		for _, s := range r.t.Segments {
			if s.Name == f.Segment {
				return sqlgen.Filter{SegmentID: s.ID}, nil
			}
		}
		return sqlgen.Filter{}, bad("segment %q no longer exists", f.Segment)
	}
	id, err := r.id(f.Field)
	if err != nil {
		return sqlgen.Filter{}, err
	}
	return sqlgen.Filter{FieldID: id, Operation: f.Op, Value: f.Value, Values: f.Values, Bucket: f.Bucket,
		Unit: f.Unit, Complete: f.Complete, Anchor: f.Anchor, CaseSensitive: f.CaseSensitive}, nil
}

func (r resolver) aggregation(a namedAggregate) (sqlgen.Aggregation, error) {
	ag, err := r.aggregationOf(a)
	if err != nil || a.Filter == nil {
		return ag, err
	}
	f, err := r.filter(*a.Filter)
	ag.Filter = &f
	return ag, err
}

func (r resolver) aggregationOf(a namedAggregate) (sqlgen.Aggregation, error) {
	if a.Measure != "" {
		for _, ms := range r.t.Measures {
			if ms.Name == a.Measure {
				return sqlgen.Aggregation{MeasureID: ms.ID, SortOrder: a.Sort}, nil
			}
		}
		return sqlgen.Aggregation{}, bad("measure %q no longer exists", a.Measure)
	}
	ag := sqlgen.Aggregation{Function: a.Func, SortOrder: a.Sort, Bucket: a.Bucket}
	if a.Field != "" {
		id, err := r.id(a.Field)
		if err != nil {
			return ag, err
		}
		ag.FieldID = id
	}
	return ag, nil
}
