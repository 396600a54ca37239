package engine

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen"
)

// tokenVersion is the version of the token payload.
const tokenVersion = 1

// envelope is a token: a payload and its HMAC-SHA256, base64 as a whole.
type envelope struct {
	V int             `json:"v"`
	P json.RawMessage `json:"p"`
	S string          `json:"s"`
}

// payload is a logical query naming tables and fields by model name, so
// that a token survives a reload that keeps them; never SQL.
type payload struct {
	Table        string           `json:"table,omitempty"`
	Metric       string           `json:"metric,omitempty"`
	Filters      []namedFilter    `json:"filters,omitempty"`
	Fields       []namedField     `json:"fields,omitempty"`
	Aggregations []namedAggregate `json:"aggregations,omitempty"`
	GroupBy      []namedField     `json:"group_by,omitempty"`
	OrderBy      []namedOrder     `json:"order_by,omitempty"`
	Limit        int              `json:"limit,omitempty"`
	// Offset is where a continuation token resumes.
	Offset int `json:"offset,omitempty"`
}

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
}

type namedAggregate struct {
	Func    string `json:"fn,omitempty"`
	Field   string `json:"field,omitempty"`
	Measure string `json:"measure,omitempty"`
	Sort    string `json:"sort,omitempty"`
}

type namedOrder struct {
	namedField
	Desc bool `json:"desc,omitempty"`
}

// tokenKeys signs with the first key and verifies with any.
type tokenKeys [][]byte

func newTokenKeys(current []byte, previous [][]byte) (tokenKeys, error) {
	if current == nil {
		current = make([]byte, 32)
		if _, err := rand.Read(current); err != nil {
			return nil, err
		}
	}
	if len(current) < 16 {
		return nil, errors.New("engine: the query token key must be at least 16 bytes")
	}
	return append(tokenKeys{current}, previous...), nil
}

func (k tokenKeys) sign(p []byte) string {
	m := hmac.New(sha256.New, k[0])
	m.Write(p)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (k tokenKeys) verify(p []byte, sig string) bool {
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return false
	}
	for _, key := range k {
		m := hmac.New(sha256.New, key)
		m.Write(p)
		if hmac.Equal(m.Sum(nil), got) {
			return true
		}
	}
	return false
}

func (k tokenKeys) seal(p *payload) (string, error) {
	raw, err := json.Marshal(p)
	if err != nil {
		return "", err
	}
	env, err := json.Marshal(envelope{V: tokenVersion, P: raw, S: k.sign(raw)})
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(env), nil
}

func (k tokenKeys) open(token string) (*payload, error) {
	data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(token))
	if err != nil {
		if data, err = base64.RawURLEncoding.DecodeString(strings.TrimSpace(token)); err != nil {
			return nil, &BadTokenError{"it is not base64"}
		}
	}
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil || env.P == nil {
		return nil, &BadTokenError{"it is not a query token"}
	}
	if env.V != tokenVersion {
		return nil, &BadTokenError{fmt.Sprintf("version %d is not %d", env.V, tokenVersion)}
	}
	if !k.verify(env.P, env.S) {
		return nil, &BadTokenError{"its signature does not verify"}
	}
	var p payload
	dec := json.NewDecoder(bytes.NewReader(env.P))
	dec.UseNumber() // filter values stay exact
	if err := dec.Decode(&p); err != nil {
		return nil, &BadTokenError{"its query does not decode"}
	}
	return &p, nil
}

// fieldName names a wide field by model names.
func fieldName(w semantic.WideField) string {
	if w.Via == nil {
		return w.Field.Name
	}
	return w.Via.Name + "." + w.Field.Name
}

func named(c sqlgen.Column) namedField {
	return namedField{Field: fieldName(c.Wide), Bucket: string(c.Bucket)}
}

// Token returns the query token of a query: base64 of the versioned
// logical query, by model names, with its HMAC. It is not bound to a user:
// whoever executes it, it is planned for them.
func (e *Engine) Token(q *Query) (string, error) {
	return e.keys.seal(payloadOf(q.Query, q.req, 0))
}

func payloadOf(q *sqlgen.Query, req *sqlgen.Request, offset int) *payload {
	p := &payload{Limit: q.Limit, Offset: offset}
	if q.Metric != nil {
		p.Metric = q.Metric.Name
	} else {
		p.Table = q.Table.Name
	}
	for i, c := range q.Filters {
		if c.Segment != nil {
			p.Filters = append(p.Filters, namedFilter{Segment: c.Segment.Name})
			continue
		}
		f := req.Filters[i]
		p.Filters = append(p.Filters, namedFilter{namedField: named(c.Column), Op: c.Op, Value: f.Value, Values: f.Values})
	}
	for _, c := range q.Fields {
		p.Fields = append(p.Fields, named(c))
	}
	if q.Metric == nil {
		for _, a := range q.Aggregations {
			na := namedAggregate{Sort: a.Sort}
			switch {
			case a.Measure != nil:
				na.Measure = a.Measure.Name
			default:
				na.Func = string(a.Func)
				if a.Column != nil {
					na.Field = fieldName(a.Column.Wide)
				}
			}
			p.Aggregations = append(p.Aggregations, na)
		}
	}
	for _, c := range q.GroupBy {
		p.GroupBy = append(p.GroupBy, named(c))
	}
	for _, o := range q.OrderBy {
		p.OrderBy = append(p.OrderBy, namedOrder{namedField: named(o.Column), Desc: o.Desc})
	}
	return p
}

// QueryFromToken verifies a query or continuation token and compiles its
// query for p against the model being served, its names resolved to the
// current ids; offset is where a continuation token resumes (0 for a
// query token). A token that does not verify, or names what the model no
// longer has, is a *BadTokenError; what p may not see is refused as for
// Construct.
func (e *Engine) QueryFromToken(ctx context.Context, p *auth.Principal, token string) (q *Query, offset int, err error) {
	s := e.cur.Load()
	t, ok := s.tokens.Get(token)
	if !ok {
		pl, err := e.keys.open(token)
		if err != nil {
			return nil, 0, err
		}
		req, err := s.request(pl)
		if err != nil {
			return nil, 0, err
		}
		// A token never changes: its request is kept, and still compiled
		// for whoever executes it.
		t = openedToken{req: req, offset: pl.Offset}
		s.tokens.Put(token, t)
	}
	q, err = s.construct(p, t.req)
	return q, t.offset, err
}

// openedToken is a verified token's request, cached by the token.
type openedToken struct {
	req    *sqlgen.Request
	offset int
}

func (s *state) request(p *payload) (*sqlgen.Request, error) {
	req := &sqlgen.Request{Limit: p.Limit}
	var t *semantic.Table
	var prefix semantic.IDPrefix
	switch {
	case p.Metric != "":
		var m *semantic.Metric
		for _, x := range s.model.Metrics {
			if x.Name == p.Metric {
				m = x
			}
		}
		if m == nil {
			return nil, &BadTokenError{fmt.Sprintf("metric %q no longer exists", p.Metric)}
		}
		req.MetricID, t, prefix = m.ID, m.Table, semantic.MetricPrefix(m.ID)
	default:
		t = s.model.TableByName(p.Table)
		if t == nil {
			return nil, &BadTokenError{fmt.Sprintf("table %q no longer exists", p.Table)}
		}
		req.TableID, prefix = t.ID, semantic.TablePrefix(t.ID)
	}
	id := func(name string) (string, error) {
		for _, w := range t.Wide() {
			if fieldName(w) == name {
				return prefix.ID(w.Index), nil
			}
		}
		return "", &BadTokenError{fmt.Sprintf("field %s of table %s no longer exists", name, t.Name)}
	}
	ref := func(f namedField) (sqlgen.FieldRef, error) {
		i, err := id(f.Field)
		return sqlgen.FieldRef{FieldID: i, Bucket: f.Bucket}, err
	}
	for _, f := range p.Filters {
		if f.Segment != "" {
			s := findNamed(t.Segments, f.Segment, func(s *semantic.Segment) string { return s.Name })
			if s == nil {
				return nil, &BadTokenError{fmt.Sprintf("segment %q no longer exists", f.Segment)}
			}
			req.Filters = append(req.Filters, sqlgen.Filter{SegmentID: s.ID})
			continue
		}
		fid, err := id(f.Field)
		if err != nil {
			return nil, err
		}
		req.Filters = append(req.Filters, sqlgen.Filter{FieldID: fid, Operation: f.Op, Value: f.Value, Values: f.Values, Bucket: f.Bucket})
	}
	for _, f := range p.Fields {
		r, err := ref(f)
		if err != nil {
			return nil, err
		}
		req.Fields = append(req.Fields, r)
	}
	for _, a := range p.Aggregations {
		ag := sqlgen.Aggregation{Function: a.Func, SortOrder: a.Sort}
		if a.Measure != "" {
			ms := findNamed(t.Measures, a.Measure, func(m *semantic.Measure) string { return m.Name })
			if ms == nil {
				return nil, &BadTokenError{fmt.Sprintf("measure %q no longer exists", a.Measure)}
			}
			ag = sqlgen.Aggregation{MeasureID: ms.ID, SortOrder: a.Sort}
		} else if a.Field != "" {
			fid, err := id(a.Field)
			if err != nil {
				return nil, err
			}
			ag.FieldID = fid
		}
		req.Aggregations = append(req.Aggregations, ag)
	}
	for _, g := range p.GroupBy {
		r, err := ref(g)
		if err != nil {
			return nil, err
		}
		req.GroupBy = append(req.GroupBy, sqlgen.GroupBy{FieldID: r.FieldID, FieldGranularity: r.Bucket})
	}
	for _, o := range p.OrderBy {
		r, err := ref(o.namedField)
		if err != nil {
			return nil, err
		}
		dir := "asc"
		if o.Desc {
			dir = "desc"
		}
		req.OrderBy = append(req.OrderBy, sqlgen.OrderBy{Field: r, Direction: dir})
	}
	return req, nil
}

func findNamed[T any](items []T, name string, nameOf func(T) string) T {
	var zero T
	for _, x := range items {
		if nameOf(x) == name {
			return x
		}
	}
	return zero
}

// Continuation returns the token of the page at offset of q's whole
// result; the limit q's request gave is the page size.
func (e *Engine) Continuation(q *Query, offset int) (string, error) {
	p := payloadOf(q.Query, q.req, offset)
	p.Limit = q.req.Limit
	return e.keys.seal(p)
}
