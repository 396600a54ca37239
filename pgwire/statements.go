package pgwire

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	pg "github.com/pganalyze/pg_query_go/v6"

	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/sqlfront"
)

// prepared is a parsed statement (Parse, or one of a simple query).
type prepared struct {
	parsed    *sqlfront.Parsed
	paramOIDs []uint32
	// described are the columns a query of the model returned when it was
	// prepared: after a reload that changes them, Bind refuses it.
	described []column
}

// column is a column of an answer.
type column struct {
	name  string
	typ   sqlfront.Type
	oid   uint32 // 0: typ's
	index int    // of the engine's answer, for a query of the model
}

func (c column) typeOID() uint32 {
	if c.oid != 0 {
		return c.oid
	}
	return oidOf(c.typ)
}

// portal is a statement bound to its parameters, ready to run: a query of
// the model (read from the engine's rows), a static answer (catalogs,
// SHOW, EXPLAIN) or a command.
type portal struct {
	stmt    *prepared
	cols    []column
	formats []int16

	q       *engine.Query
	mapped  *sqlfront.Statement
	rows    *engine.Rows
	cancel  context.CancelFunc
	started bool

	static [][]any
	at     int

	exec func() (tag string, err error) // a command, run at Execute
	done bool
	sent int
}

func (pt *portal) close() {
	if pt.rows != nil {
		pt.rows.Close()
		pt.rows = nil
	}
	if pt.cancel != nil {
		pt.cancel()
	}
}

func (pt *portal) format(i int) int16 {
	switch len(pt.formats) {
	case 0:
		return 0
	case 1:
		return pt.formats[0]
	}
	if i < len(pt.formats) {
		return pt.formats[i]
	}
	return 0
}

// parse answers Parse: one statement, parsed once.
func (c *conn) parse(m *pgproto3.Parse) error {
	stmts, err := sqlfront.Parse(m.Query)
	if err != nil {
		return err
	}
	if len(stmts) > 1 {
		return &sqlfront.Error{Code: "42601", Message: "cannot insert multiple commands into a prepared statement"}
	}
	p := &prepared{paramOIDs: m.ParameterOIDs, parsed: &sqlfront.Parsed{Kind: sqlfront.KindEmpty}}
	if len(stmts) == 1 {
		p.parsed = stmts[0]
	}
	if p.parsed.Kind == sqlfront.KindSelect {
		if cols, ptypes, err := c.describeSelect(p.parsed, nil); err == nil {
			p.described = cols
			// A parameter the client left untyped takes the type of the
			// field it is compared with.
			for i, t := range ptypes {
				if i >= len(p.paramOIDs) {
					p.paramOIDs = append(p.paramOIDs, 0)
				}
				if p.paramOIDs[i] == 0 {
					p.paramOIDs[i] = oidOf(t)
				}
			}
		}
	}
	if m.Name != "" {
		if _, dup := c.stmts[m.Name]; dup {
			return &sqlfront.Error{Code: "42P05", Message: fmt.Sprintf("prepared statement %q already exists", m.Name)}
		}
	}
	c.stmts[m.Name] = p
	c.be.Send(&pgproto3.ParseComplete{})
	return nil
}

// bind answers Bind: the parameters, as text or binary, and the result
// formats.
func (c *conn) bind(m *pgproto3.Bind) error {
	p, ok := c.stmts[m.PreparedStatement]
	if !ok {
		return &sqlfront.Error{Code: "26000", Message: fmt.Sprintf("prepared statement %q does not exist", m.PreparedStatement)}
	}
	params, err := c.decodeParams(m, p)
	if err != nil {
		return err
	}
	if old := c.portals[m.DestinationPortal]; old != nil {
		old.close()
	}
	pt, err := c.portalFor(p, params, m.ResultFormatCodes)
	if err != nil {
		return err
	}
	if p.described != nil && !sameColumns(p.described, pt.cols) {
		pt.close()
		return &sqlfront.Error{Code: "0A000", Message: "cached plan must not change result type",
			Hint: "the model or its policies changed since the statement was prepared: prepare it again"}
	}
	c.portals[m.DestinationPortal] = pt
	c.be.Send(&pgproto3.BindComplete{})
	return nil
}

func sameColumns(a, b []column) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].name != b[i].name || a[i].typeOID() != b[i].typeOID() {
			return false
		}
	}
	return true
}

// decodeParams reads Bind's parameters as text; a binary one by its
// declared type.
func (c *conn) decodeParams(m *pgproto3.Bind, p *prepared) ([]*string, error) {
	out := make([]*string, len(m.Parameters))
	for i, raw := range m.Parameters {
		if raw == nil {
			continue
		}
		format := int16(0)
		switch len(m.ParameterFormatCodes) {
		case 0:
		case 1:
			format = m.ParameterFormatCodes[0]
		default:
			if i < len(m.ParameterFormatCodes) {
				format = m.ParameterFormatCodes[i]
			}
		}
		s := string(raw)
		if format == 1 {
			oid := uint32(oidText)
			if i < len(p.paramOIDs) && p.paramOIDs[i] != 0 {
				oid = p.paramOIDs[i]
			}
			var v any
			if err := c.types.Scan(oid, 1, raw, &v); err != nil {
				return nil, &sqlfront.Error{Code: "22P03", Message: fmt.Sprintf("incorrect binary data format in bind parameter %d", i+1)}
			}
			s = textOf(v, sqlfront.TypeText, time.UTC)
		}
		out[i] = &s
	}
	return out, nil
}

// describe answers Describe of a statement (its parameters and columns)
// or a portal (its columns).
func (c *conn) describe(m *pgproto3.Describe) error {
	if m.ObjectType == 'S' {
		p, ok := c.stmts[m.Name]
		if !ok {
			return &sqlfront.Error{Code: "26000", Message: fmt.Sprintf("prepared statement %q does not exist", m.Name)}
		}
		cols, ptypes, err := c.describeStatement(p)
		if err != nil {
			return err
		}
		oids := make([]uint32, len(ptypes))
		for i, t := range ptypes {
			oids[i] = oidOf(t)
			if i < len(p.paramOIDs) && p.paramOIDs[i] != 0 {
				oids[i] = p.paramOIDs[i]
			}
		}
		c.be.Send(&pgproto3.ParameterDescription{ParameterOIDs: oids})
		c.rowDescription(cols, nil)
		return nil
	}
	pt, ok := c.portals[m.Name]
	if !ok {
		return &sqlfront.Error{Code: "34000", Message: fmt.Sprintf("portal %q does not exist", m.Name)}
	}
	c.rowDescription(pt.cols, pt.formats)
	return nil
}

// describeStatement gives a prepared statement's columns and parameters
// without running it.
func (c *conn) describeStatement(p *prepared) ([]column, []sqlfront.Type, error) {
	switch p.parsed.Kind {
	case sqlfront.KindSelect:
		return c.describeSelect(p.parsed, nil)
	case sqlfront.KindCatalog:
		cols, _, err := c.catalogQuery(p.parsed, make([]*string, len(p.paramOIDs)))
		return cols, nil, err
	case sqlfront.KindShow:
		cols, _, err := c.show(p.parsed.Node.GetVariableShowStmt().GetName())
		return cols, nil, err
	case sqlfront.KindExplain:
		return []column{{name: "QUERY PLAN"}}, nil, nil
	}
	return nil, nil, nil
}

func (c *conn) rowDescription(cols []column, formats []int16) {
	if cols == nil {
		c.be.Send(&pgproto3.NoData{})
		return
	}
	pt := &portal{formats: formats}
	fields := make([]pgproto3.FieldDescription, len(cols))
	for i, col := range cols {
		oid := col.typeOID()
		fields[i] = pgproto3.FieldDescription{Name: []byte(col.name), DataTypeOID: oid, DataTypeSize: typeSize(oid), TypeModifier: -1, Format: pt.format(i)}
	}
	c.be.Send(&pgproto3.RowDescription{Fields: fields})
}

// execute answers Execute: up to MaxRows rows (0: all), then
// PortalSuspended or CommandComplete.
func (c *conn) execute(m *pgproto3.Execute) error {
	pt, ok := c.portals[m.Portal]
	if !ok {
		return &sqlfront.Error{Code: "34000", Message: fmt.Sprintf("portal %q does not exist", m.Portal)}
	}
	if err := c.recheck(); err != nil {
		return err
	}
	return c.run(pt, int(m.MaxRows), false)
}

func (c *conn) closeMsg(m *pgproto3.Close) error {
	if m.ObjectType == 'S' {
		delete(c.stmts, m.Name)
	} else if pt := c.portals[m.Name]; pt != nil {
		pt.close()
		delete(c.portals, m.Name)
	}
	c.be.Send(&pgproto3.CloseComplete{})
	return nil
}

// portalFor binds a statement: a query of the model is mapped, and its
// columns known, now; a catalog query is answered now; commands run at
// Execute.
func (c *conn) portalFor(p *prepared, params []*string, formats []int16) (*portal, error) {
	pt := &portal{stmt: p, formats: formats}
	st := p.parsed
	var err error
	switch st.Kind {
	case sqlfront.KindSelect:
		err = c.bindSelect(pt, st.Select, params)
	case sqlfront.KindCatalog:
		pt.cols, pt.static, err = c.catalogQuery(st, params)
	case sqlfront.KindShow:
		pt.cols, pt.static, err = c.show(st.Node.GetVariableShowStmt().GetName())
	case sqlfront.KindExplain:
		err = c.explain(pt, st.Select, params)
	default:
		pt.exec = func() (string, error) { return c.command(st) }
	}
	if err != nil {
		return nil, err
	}
	return pt, nil
}

// describeSelect maps a query of the model and plans it, without running
// it: its columns and parameters.
func (c *conn) describeSelect(st *sqlfront.Parsed, params []*string) ([]column, []sqlfront.Type, error) {
	pt := &portal{}
	if err := c.bindSelect(pt, st.Select, params); err != nil {
		return nil, nil, err
	}
	return pt.cols, pt.mapped.Params, nil
}

// bindSelect maps a query of the model onto a request, constructs it for
// the caller and plans it: its columns are the plan's, as named by the
// statement.
func (c *conn) bindSelect(pt *portal, sel *pg.SelectStmt, params []*string) error {
	cat, err := c.catalog()
	if err != nil {
		return err
	}
	st, err := sqlfront.Map(cat.front, sel, params)
	if err != nil {
		return err
	}
	ctx := engine.WithEndpoint(context.Background(), "sql")
	q, err := c.s.opts.Engine.Construct(ctx, c.p, st.Request)
	if err != nil {
		return err
	}
	q.Bounds = engine.Bounds{Offset: st.Offset, Max: c.s.opts.MaxRows}
	q.Values = true // the wire reads values, times as time.Time
	plan, err := c.s.opts.Engine.Plan(ctx, c.p, q)
	if err != nil {
		return err
	}
	out := plan.Columns()
	for _, col := range st.Columns {
		if col.Index >= len(out) {
			return &sqlfront.Error{Code: "XX000", Message: "the statement's columns do not match its plan"}
		}
		pt.cols = append(pt.cols, column{name: col.Name, typ: typeOf(out[col.Index]), index: col.Index})
	}
	pt.q, pt.mapped = q, st
	if st.Empty {
		pt.static = [][]any{}
	}
	return nil
}

// explain answers EXPLAIN with the engine's explanation in words, with
// the restrictions: never the database's plan.
func (c *conn) explain(pt *portal, sel *pg.SelectStmt, params []*string) error {
	if err := c.bindSelect(pt, sel, params); err != nil {
		return err
	}
	ex, err := c.s.opts.Engine.Explain(engine.WithEndpoint(context.Background(), "sql"), c.p, pt.q)
	if err != nil {
		return err
	}
	pt.q, pt.cols, pt.static = nil, []column{{name: "QUERY PLAN"}}, nil
	w := ex.Words
	pt.static = append(pt.static, []any{"Source: " + w.Source}, []any{"Columns: " + strings.Join(w.Columns, ", ")})
	for _, part := range []struct {
		name  string
		lines []string
	}{{"Join", w.Joins}, {"Filter", w.Filters}, {"Group by", w.GroupBy}, {"Order by", w.OrderBy}} {
		for _, l := range part.lines {
			pt.static = append(pt.static, []any{part.name + ": " + l})
		}
	}
	pt.static = append(pt.static, []any{fmt.Sprintf("Limit: %d", w.Limit)}, []any{"Policies: " + strings.Join(ex.Policies, ", ")})
	for _, r := range ex.Restrictions {
		pt.static = append(pt.static, []any{"Restriction: " + r.Text})
	}
	return nil
}

// run sends a portal's rows: all of them (maxRows 0) or up to maxRows,
// then PortalSuspended (more follow) or CommandComplete. A simple query
// sends the columns first.
func (c *conn) run(pt *portal, maxRows int, simple bool) error {
	if pt.stmt != nil && pt.stmt.parsed.Kind == sqlfront.KindEmpty {
		c.be.Send(&pgproto3.EmptyQueryResponse{})
		return nil
	}
	if pt.exec != nil {
		if pt.done {
			return nil
		}
		tag, err := pt.exec()
		if err != nil {
			return err
		}
		pt.done = true
		c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
		return nil
	}
	if simple {
		c.rowDescription(pt.cols, nil)
	}
	if pt.q != nil && pt.static == nil && !pt.started {
		if err := c.start(pt); err != nil {
			return err
		}
	}
	n, more, err := c.sendRows(pt, maxRows)
	if err != nil {
		return err
	}
	if more {
		c.be.Send(&pgproto3.PortalSuspended{})
		return nil
	}
	c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte("SELECT " + strconv.Itoa(n))})
	return nil
}

// start runs a query of the model, and sends its restrictions as notices.
func (c *conn) start(pt *portal) error {
	ctx, cancel := c.statementContext()
	rows, err := c.s.opts.Engine.Execute(ctx, c.p, pt.q)
	if err != nil {
		cancel()
		return err
	}
	pt.rows, pt.cancel, pt.started = rows, cancel, true
	for _, r := range rows.Restrictions {
		c.notice(r.Text, fmt.Sprintf("table %s; policies %s; plan %s", r.Table, strings.Join(r.Policies, ", "), rows.Provenance.Plan))
	}
	return nil
}

// sendRows sends up to maxRows rows (0: all); the count sent so far in
// the portal, and whether more follow.
func (c *conn) sendRows(pt *portal, maxRows int) (int, bool, error) {
	sent := 0
	for maxRows == 0 || sent < maxRows {
		var vals []any
		if pt.rows != nil {
			if !pt.rows.Next() {
				err := pt.rows.Err()
				pt.close()
				if err != nil {
					return pt.sent, false, err
				}
				return pt.sent, false, nil
			}
			c.raw = pt.rows.Values(c.raw)
			vals = c.vals[:0]
			for _, col := range pt.cols {
				vals = append(vals, c.raw[col.index])
			}
			c.vals = vals
		} else {
			if pt.at >= len(pt.static) {
				return pt.sent, false, nil
			}
			vals = pt.static[pt.at]
			pt.at++
		}
		// One buffer for the row's values: Send copies the message.
		out, ends := c.out[:0], c.ends[:0]
		for range vals {
			out, ends = append(out, nil), append(ends, 0)
		}
		c.out, c.ends = out, ends
		buf := c.row[:0]
		for i, v := range vals {
			if v == nil {
				ends[i] = -1
				continue
			}
			start := len(buf)
			var err error
			if buf, err = appendValue(buf, c.types, v, pt.cols[i].typ, pt.cols[i].typeOID(), pt.format(i), c.zone); err != nil {
				return pt.sent, false, &sqlfront.Error{Code: "22P03", Message: fmt.Sprintf("column %q: %v", pt.cols[i].name, err)}
			}
			ends[i] = start
		}
		for i := range vals {
			if ends[i] < 0 {
				continue
			}
			end := len(buf)
			for j := i + 1; j < len(vals); j++ {
				if ends[j] >= 0 {
					end = ends[j]
					break
				}
			}
			out[i] = buf[ends[i]:end:end]
		}
		c.row = buf
		c.be.Send(&pgproto3.DataRow{Values: out})
		sent++
		pt.sent++
		if sent%256 == 0 {
			if err := c.be.Flush(); err != nil {
				return pt.sent, false, err
			}
		}
	}
	more := pt.rows != nil || pt.at < len(pt.static)
	return pt.sent, more, nil
}
