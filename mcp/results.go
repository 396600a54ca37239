package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/internal/httpapi"
)

// column is a result column as the Agent API describes it.
type column struct {
	Name          string `json:"name"`
	DisplayName   string `json:"display_name"`
	BaseType      string `json:"base_type"`
	EffectiveType string `json:"effective_type,omitempty"`
	SemanticType  string `json:"semantic_type,omitempty"`
	FieldID       string `json:"field_id,omitempty"`
	Unit          string `json:"unit,omitempty"`
	Currency      string `json:"currency,omitempty"`
	Decimals      *int   `json:"decimals,omitempty"`
	Masked        string `json:"masked,omitempty"`
}

func columnOf(c engine.Column) column {
	out := column{Name: c.Name, DisplayName: c.DisplayName, BaseType: c.BaseType, SemanticType: c.SemanticType,
		FieldID: c.FieldID, Unit: string(c.Unit), Currency: c.Currency, Masked: c.Masked}
	if c.EffectiveType != c.BaseType {
		out.EffectiveType = c.EffectiveType
	}
	if c.Round {
		d := c.Decimals
		out.Decimals = &d
	}
	return out
}

// queryOutputSchema is a query result, for its schema: the shape of
// /v1/query's answer, rows as lists of values. Results themselves are
// written as JSON by result, rows as Rows.AppendJSON writes them.
type queryOutputSchema struct {
	Data struct {
		Cols []column `json:"cols"`
		Rows [][]any  `json:"rows" jsonschema:"the rows, each a list of values in the order of cols"`
	} `json:"data"`
	queryTail
}

// queryTail is a result's members after its data.
type queryTail struct {
	Status       string               `json:"status" jsonschema:"completed, failed (then error says why), running (then handle), or canceled"`
	Error        string               `json:"error,omitempty"`
	RowCount     int                  `json:"row_count" jsonschema:"the rows in this result"`
	Truncated    bool                 `json:"truncated" jsonschema:"the rows were cut to fit the result's budget (row_limit or bytes); note says so and cursor continues"`
	Note         string               `json:"note,omitempty"`
	Cursor       string               `json:"cursor,omitempty" jsonschema:"give it to query as cursor for the rows after these"`
	HasMore      bool                 `json:"has_more" jsonschema:"more rows follow: call query with the cursor"`
	Restrictions []engine.Restriction `json:"restrictions" jsonschema:"how your access limits the rows of each table the answer read"`
	// Handle and ElapsedMS are a query's that outlived its call (status
	// running): give the handle to get_result.
	Handle    string `json:"handle,omitempty" jsonschema:"while status is running: give it to get_result for the answer"`
	ElapsedMS int64  `json:"elapsed_ms,omitempty"`
}

// budget is how much of a result a call may return.
type budget struct {
	rows    int // 0: no row limit
	bytes   int
	columns []int // result columns kept, nil for all
	csv     bool
}

func (t *tools) budgetOf(a args, cols []engine.Column) (budget, error) {
	b := budget{bytes: t.opts.MaxResultBytes, csv: true}
	var names []string
	format := ""
	if err := errors.Join(a.get("row_limit", &b.rows), a.get("columns", &names), a.get("format", &format)); err != nil {
		return b, err
	}
	if b.rows < 0 {
		return b, invalid("row_limit", "row_limit must be a positive integer")
	}
	switch format {
	case "", "csv":
	case "json":
		b.csv = false
	default:
		return b, invalid("format", "format must be csv or json, not %q", format)
	}
	for _, n := range names {
		i := columnIndex(cols, n)
		if i < 0 {
			e := invalid("columns", "the result has no column %q", n)
			for _, c := range cols {
				e.Candidates = append(e.Candidates, c.Name)
			}
			return b, e
		}
		b.columns = append(b.columns, i)
	}
	return b, nil
}

// columnIndex finds a result column by name (case-insensitive) or field id.
func columnIndex(cols []engine.Column, name string) int {
	for i, c := range cols {
		if strings.EqualFold(c.Name, name) || (c.FieldID != "" && c.FieldID == name) {
			return i
		}
	}
	return -1
}

func (t *tools) execute(ctx context.Context, p *auth.Principal, a args) (*sdk.CallToolResult, error) {
	var token, cursor string
	if err := errors.Join(a.get("query", &token), a.get("cursor", &cursor)); err != nil {
		return nil, err
	}
	if cursor != "" {
		return t.page(ctx, p, a, cursor, "cursor")
	}
	if token == "" {
		return nil, invalid("query", "query is required: the token construct_query returned")
	}
	q, _, err := t.e.QueryFromToken(ctx, p, token)
	if err != nil {
		return nil, err
	}
	rows, err := t.e.Execute(ctx, p, q)
	if err != nil {
		return t.notStarted(ctx, err)
	}
	defer rows.Close()
	return t.noted(t.result(ctx, rows, a))(t.e.RelativeNote(ctx, p, q))
}

func (t *tools) query(ctx context.Context, p *auth.Principal, a args) (*sdk.CallToolResult, error) {
	var cursor string
	var pageSize, rowLimit int
	if err := errors.Join(a.get("cursor", &cursor), a.get("page_size", &pageSize), a.get("row_limit", &rowLimit)); err != nil {
		return nil, err
	}
	// Over MCP, limit is the total over every page and page_size the page;
	// row_limit is an alias of limit (it was the page of a result).
	budget := maps.Clone(a)
	delete(budget, "row_limit")
	if cursor != "" {
		return t.page(ctx, p, budget, cursor, "cursor")
	}
	if pageSize < 0 || pageSize > engine.MaxPageSize {
		return nil, invalid("page_size", "page_size must be an integer from 1 to %d", engine.MaxPageSize)
	}
	req, err := request(a, "cursor", "page_size", "row_limit", "columns", "format")
	if err != nil {
		return nil, err
	}
	switch {
	case rowLimit < 0:
		return nil, invalid("row_limit", "row_limit must be a positive integer")
	case rowLimit > 0 && req.Limit > 0 && rowLimit != req.Limit:
		return nil, invalid("row_limit", "row_limit is an alias of limit (the most rows over every page): give one of them")
	case rowLimit > 0:
		req.Limit = rowLimit
	}
	q, err := t.e.Construct(ctx, p, req)
	if err != nil {
		return nil, err
	}
	q.Paging = engine.Paging{Size: pageSize, LimitIsTotal: true}
	res, err := t.pageOf(ctx, p, budget, q, 0)
	if err == nil && res != nil && !res.IsError {
		t.ties(ctx, p, req, res)
	}
	return res, err
}

// page continues a result from its cursor, authorized again for whoever
// asks.
func (t *tools) page(ctx context.Context, p *auth.Principal, a args, cursor, path string) (*sdk.CallToolResult, error) {
	q, offset, err := t.e.QueryFromToken(ctx, p, cursor)
	if err != nil {
		ae := *httpapi.Map(ctx, t.opts.Logger, err)
		if ae.Path == "query" {
			ae.Path = path
		}
		return nil, &ae
	}
	return t.pageOf(ctx, p, a, q, offset)
}

// pageOf runs the page of q at offset, as /v1/query does.
func (t *tools) pageOf(ctx context.Context, p *auth.Principal, a args, q *engine.Query, offset int) (*sdk.CallToolResult, error) {
	rows, err := t.e.Page(ctx, p, q, offset)
	if err != nil {
		return t.notStarted(ctx, err)
	}
	defer rows.Close()
	return t.noted(t.result(ctx, rows, a))(t.e.RelativeNote(ctx, p, q))
}

// noted adds a note to a result's text (where the relative filters count
// from), leaving its structure as it is.
func (t *tools) noted(res *sdk.CallToolResult, err error) func(note string) (*sdk.CallToolResult, error) {
	return func(note string) (*sdk.CallToolResult, error) {
		if err != nil || res == nil || note == "" || len(res.Content) == 0 {
			return res, err
		}
		if tc, ok := res.Content[0].(*sdk.TextContent); ok {
			tc.Text = note + "\n" + tc.Text
		}
		return res, nil
	}
}

// notStarted answers a query that failed before its first row: a timeout
// or a database failure is a result with status failed, as over HTTP;
// anything else is the call's error.
func (t *tools) notStarted(ctx context.Context, err error) (*sdk.CallToolResult, error) {
	if errors.Is(err, engine.ErrTimeout) || errors.As(err, new(*engine.QueryError)) {
		_, msg := httpapi.Failure(ctx, t.opts.Logger, err)
		tail := queryTail{Status: "failed", Error: msg, Restrictions: []engine.Restriction{}}
		data, _ := json.Marshal(tail)
		structured := append([]byte(`{"data":{"cols":[],"rows":[]},`), data[1:]...)
		return &sdk.CallToolResult{IsError: true, Content: []sdk.Content{&sdk.TextContent{Text: "the query failed: " + tail.Error}},
			StructuredContent: json.RawMessage(structured)}, nil
	}
	return nil, err
}

// result reads rows — a page's, or a whole answer's — into a result
// within the call's budget, and says whether more follow, with the cursor
// that resumes after the rows it holds (the engine's continuation).
func (t *tools) result(ctx context.Context, rows *engine.Rows, a args) (*sdk.CallToolResult, error) {
	b, err := t.budgetOf(a, rows.Columns)
	if err != nil {
		return nil, err
	}
	w, err := newResultWriter(rows, b)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		if full, err := w.add(rows); err != nil || full {
			if err != nil {
				return nil, err
			}
			break
		}
	}
	tail := queryTail{Status: "completed", Restrictions: rows.Restrictions, RowCount: w.n, Truncated: w.truncated}
	if tail.Restrictions == nil {
		tail.Restrictions = []engine.Restriction{}
	}
	if w.truncated {
		tail.Note = fmt.Sprintf("Only the first %d rows are here, to fit this result's budget (%s): call query with the cursor for the rows after them.",
			w.n, budgetWords(b, w.n))
	}
	if err := rows.Err(); err != nil {
		if errors.Is(err, context.Canceled) {
			return nil, err
		}
		_, tail.Error = httpapi.Failure(ctx, t.opts.Logger, err)
		tail.Status, tail.Truncated, tail.Note = "failed", false, ""
	} else if tail.Cursor, err = rows.Continuation(); err != nil {
		return nil, err
	}
	tail.HasMore = tail.Cursor != ""
	return w.finish(tail, rows.Provenance)
}

// resultWriter writes a result's structured content and its text block
// as rows come, each row's JSON written once (as /v1/query writes it) and
// its text made from that JSON.
type resultWriter struct {
	b          budget
	structured []byte
	rowsAt     int // where the rows start in structured
	text       []byte
	headerLen  int
	scratch    []byte
	n          int
	truncated  bool
	// related are the columns of fields reached through a relationship
	// (USER.STATE), by their index in the rows; blank those that held an
	// empty value, which the text then explains.
	related map[int]string
	blank   map[string]bool
}

func newResultWriter(rows *engine.Rows, b budget) (*resultWriter, error) {
	cols := rows.Columns
	if b.columns != nil {
		cols = make([]engine.Column, len(b.columns))
		for i, c := range b.columns {
			cols[i] = rows.Columns[c]
		}
	}
	outCols := make([]column, len(cols))
	for i, c := range cols {
		outCols[i] = columnOf(c)
	}
	colsJSON, err := json.Marshal(outCols)
	if err != nil {
		return nil, err
	}
	w := &resultWriter{b: b, structured: make([]byte, 0, 4<<10), blank: map[string]bool{}}
	for i, c := range rows.Columns {
		if ref := relatedRef(c); ref != "" && (b.columns == nil || slices.Contains(b.columns, i)) {
			if w.related == nil {
				w.related = map[int]string{}
			}
			w.related[i] = ref
		}
	}
	w.structured = append(w.structured, `{"data":{"cols":`...)
	w.structured = append(w.structured, colsJSON...)
	w.structured = append(w.structured, `,"rows":[`...)
	w.rowsAt = len(w.structured)
	w.text = header(make([]byte, 0, 4<<10), cols, b.csv)
	w.headerLen = len(w.text)
	return w, nil
}

// add writes the current row, unless it would pass the budget: then it
// is left out, and full says so (the cursor resumes at it).
func (w *resultWriter) add(rows *engine.Rows) (full bool, err error) {
	rowStart, textStart := len(w.structured), len(w.text)
	if w.n > 0 {
		w.structured = append(w.structured, ',')
	}
	at := len(w.structured)
	w.structured = rows.AppendJSON(w.structured)
	if w.b.columns != nil {
		w.scratch = project(w.structured[at:], w.b.columns, w.scratch[:0])
		w.structured = append(w.structured[:at], w.scratch...)
	}
	w.text = rowText(w.text, w.structured[at:], w.b.csv)
	if len(w.related) > 0 {
		row := rows.Row()
		for i, ref := range w.related {
			if i < len(row) && row[i] == nil {
				w.blank[ref] = true
			}
		}
	}
	size := w.headerLen + 2*(len(w.structured)-w.rowsAt) + len(w.text)
	if w.n == 0 && size > w.b.bytes {
		return false, invalid("columns", "one row of this result is larger than a result's budget (%d bytes): ask for fewer or narrower columns (columns, or the request's fields)", w.b.bytes)
	}
	if (w.b.rows > 0 && w.n == w.b.rows) || (w.n > 0 && size > w.b.bytes) {
		w.structured, w.text = w.structured[:rowStart], w.text[:textStart]
		w.truncated = true
		return true, rows.Unread()
	}
	w.n++
	return false, nil
}

// finish ends the structured content with the tail, and puts the text
// block's summary first.
func (w *resultWriter) finish(tail queryTail, pv engine.Provenance) (*sdk.CallToolResult, error) {
	tailJSON, err := json.Marshal(tail)
	if err != nil {
		return nil, err
	}
	w.structured = append(w.structured, `]},`...)
	w.structured = append(w.structured, tailJSON[1:]...)
	var head strings.Builder
	fmt.Fprintf(&head, "%d rows", tail.RowCount)
	if tail.Status == "failed" {
		head.WriteString(", then the query failed: " + tail.Error)
	}
	if tail.Note != "" {
		head.WriteString(". " + tail.Note)
	} else if tail.HasMore {
		head.WriteString("; more follow: call query with the cursor")
	}
	for _, r := range tail.Restrictions {
		head.WriteString("\n" + r.Text)
	}
	refs := make([]string, 0, len(w.blank))
	for ref := range w.blank {
		refs = append(refs, ref)
	}
	slices.Sort(refs)
	for _, ref := range refs {
		rel, field, _ := strings.Cut(ref, ".")
		fmt.Fprintf(&head, "\nAn empty %s is a row with no %s (none, or none you may see) or an empty %s.", ref, rel, field)
	}
	head.WriteString("\n")
	res := ok(json.RawMessage(w.structured), head.String()+string(w.text))
	res.IsError = tail.Status == "failed"
	res.Meta = provenanceMeta(pv)
	return res, nil
}

func budgetWords(b budget, n int) string {
	if b.rows > 0 && n == b.rows {
		return fmt.Sprintf("row_limit %d", b.rows)
	}
	return fmt.Sprintf("%d bytes", b.bytes)
}

// header appends the text block's first line: the column names, for CSV.
func header(dst []byte, cols []engine.Column, csv bool) []byte {
	// The columns in words first: what a model that reads only the text
	// needs to tell count_2 from count ("Count, where Discounted orders").
	dst = append(dst, "# fractions to 6 significant digits; columns: "...)
	for i, c := range cols {
		if i > 0 {
			dst = append(dst, "; "...)
		}
		dst = append(dst, c.Name...)
		if c.DisplayName != "" && c.DisplayName != c.Name {
			dst = append(dst, " = "...)
			dst = append(dst, c.DisplayName...)
		}
	}
	dst = append(dst, '\n')
	if !csv {
		return dst
	}
	for i, c := range cols {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendCSV(dst, []byte(c.Name))
	}
	return append(dst, '\n')
}

// rowText appends a row of the text block: the JSON array as is, or a CSV
// line of its values.
func rowText(dst, row []byte, csv bool) []byte {
	if !csv {
		dst = append(dst, row...)
		return append(dst, '\n')
	}
	first := true
	eachCell(row, func(c []byte) {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = appendCell(dst, c)
	})
	return append(dst, '\n')
}

// appendCell appends a JSON scalar as a CSV cell: a string unquoted (and
// quoted again for CSV where it must be), null empty.
func appendCell(dst, c []byte) []byte {
	switch {
	case string(c) == "null":
		return dst
	case len(c) > 0 && (c[0] == '-' || c[0] >= '0' && c[0] <= '9') && bytes.ContainsAny(c, ".eE"):
		// A fraction, to TextDigits significant digits: the text is for
		// reading; the structure keeps every digit. (Money is rounded to
		// its decimals already, and integers are written whole.)
		if fewDigits(c, TextDigits) {
			return append(dst, c...) // no digit to round away: as written
		}
		if f, err := strconv.ParseFloat(string(c), 64); err == nil {
			return append(dst, significant(f, TextDigits)...)
		}
	case len(c) >= 2 && c[0] == '"':
		inner := c[1 : len(c)-1]
		if bytes.IndexByte(inner, '\\') < 0 {
			return appendCSV(dst, inner)
		}
		var s string
		if err := json.Unmarshal(c, &s); err == nil {
			return appendCSV(dst, []byte(s))
		}
	}
	return append(dst, c...)
}

// fewDigits reports whether a JSON number written without an exponent has
// at most n significant digits: significant would give it back as is.
func fewDigits(c []byte, n int) bool {
	digits, leading := 0, true
	for _, b := range c {
		switch {
		case b == 'e' || b == 'E':
			return false
		case b == '0' && leading:
		case b >= '0' && b <= '9':
			leading = false
			digits++
		}
	}
	// Trailing zeros of a fraction count, but JSON writes none.
	return digits <= n
}

// appendCSV appends text as a CSV cell, quoted when it must be.
func appendCSV(dst, text []byte) []byte {
	if bytes.ContainsAny(text, ",\"\n\r") {
		dst = append(dst, '"')
		dst = append(dst, bytes.ReplaceAll(text, []byte(`"`), []byte(`""`))...)
		return append(dst, '"')
	}
	return append(dst, text...)
}

// eachCell calls fn with each element of a JSON array of scalars, as
// Rows.AppendJSON writes a row.
func eachCell(row []byte, fn func([]byte)) {
	if len(row) <= 2 {
		return
	}
	body := row[1 : len(row)-1]
	start, inString, escaped := 0, false, false
	for i, c := range body {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case c == ',' && !inString:
			fn(body[start:i])
			start = i + 1
		}
	}
	fn(body[start:])
}

// cells lists the elements of a JSON array of scalars.
func cells(row []byte) [][]byte {
	var out [][]byte
	eachCell(row, func(c []byte) { out = append(out, c) })
	return out
}

// project keeps the cells at indexes of a JSON row, in that order.
func project(row []byte, indexes []int, dst []byte) []byte {
	cs := cells(row)
	dst = append(dst, '[')
	for i, k := range indexes {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, cs[k]...)
	}
	return append(dst, ']')
}

// csvCell quotes a CSV cell when it must be.
func csvCell(s string) string {
	if strings.ContainsAny(s, ",\"\n\r") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// provenanceMeta carries an answer's provenance in a result's _meta, as
// the Agent API's X-Agentlayer-Policies, -Plan and -Cache headers do.
func provenanceMeta(pv engine.Provenance) sdk.Meta {
	m := sdk.Meta{"agentlayer/policies": pv.Policies, "agentlayer/plan": pv.Plan}
	if pv.Cache != "" {
		m["agentlayer/cache"] = pv.Cache
	}
	return m
}

// relatedRef is the reference of a column of a field reached through a
// relationship (USER.STATE, from its display name "User → State" and
// name), "" for the table's own fields and aggregations.
func relatedRef(c engine.Column) string {
	rel, _, ok := strings.Cut(c.DisplayName, " → ")
	if !ok || c.FieldID == "" {
		return ""
	}
	return strings.ToUpper(strings.ReplaceAll(rel, " ", "_")) + "." + c.Name
}

// ties says, of an ordered answer cut by its limit, whether the row after
// the last ties with it on every sort key: "ties with at least 1 more row
// at 4.45" — a top-N whose N-th place is shared is not one answer.
func (t *tools) ties(ctx context.Context, p *auth.Principal, req *engine.Request, res *sdk.CallToolResult) {
	keys := sortKeys(req)
	if req.Limit <= 0 || len(keys) == 0 {
		return
	}
	raw, ok := res.StructuredContent.(json.RawMessage)
	if !ok {
		return
	}
	var out struct {
		Data struct {
			Rows []json.RawMessage `json:"rows"`
		} `json:"data"`
		Cursor string `json:"cursor"`
	}
	if json.Unmarshal(raw, &out) != nil || out.Cursor != "" || len(out.Data.Rows) != req.Limit {
		return
	}
	next := *req
	next.Limit = req.Limit + 1
	q, err := t.e.Construct(ctx, p, &next)
	if err != nil {
		return
	}
	q.Paging = engine.Paging{Size: 1, LimitIsTotal: true}
	rows, err := t.e.Page(ctx, p, q, req.Limit)
	if err != nil {
		return
	}
	defer rows.Close()
	if !rows.Next() {
		return
	}
	after := rows.AppendJSON(nil)
	var last, nextRow []json.RawMessage
	if json.Unmarshal(out.Data.Rows[len(out.Data.Rows)-1], &last) != nil || json.Unmarshal(after, &nextRow) != nil {
		return
	}
	var at []string
	for _, k := range keys {
		if k >= len(last) || k >= len(nextRow) || string(last[k]) != string(nextRow[k]) {
			return
		}
		at = append(at, string(last[k]))
	}
	if tc, ok := res.Content[0].(*sdk.TextContent); ok {
		tc.Text = fmt.Sprintf("The last row ties with at least 1 more row at %s: the limit cut between equals.\n", strings.Join(at, ", ")) + tc.Text
	}
}

// sortKeys are the answer's columns a request sorts by, in order: its
// aggregations with a sort order, then order_by's aggregations and
// fields; nil when one of them is not a column of the answer.
func sortKeys(req *engine.Request) []int {
	groups := len(req.GroupBy)
	var keys []int
	for i, a := range req.Aggregations {
		if a.SortOrder != "" {
			keys = append(keys, groups+i)
		}
	}
	for _, o := range req.OrderBy {
		switch {
		case o.Aggregation != nil:
			keys = append(keys, groups+*o.Aggregation)
		default:
			k := -1
			for i, g := range req.GroupBy {
				if g.FieldID == o.Field.FieldID {
					k = i
				}
			}
			for i, f := range req.Fields {
				if f.FieldID == o.Field.FieldID && f.Bucket == o.Field.Bucket {
					k = i
				}
			}
			if k < 0 {
				return nil
			}
			keys = append(keys, k)
		}
	}
	return keys
}

// TextDigits are the significant digits of a fraction in a result's text
// block (the structured content keeps full precision).
const TextDigits = 6
