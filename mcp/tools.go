package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/internal/httpapi"
	"github.com/agentlayer/agentlayer/internal/openapi"
	"github.com/agentlayer/agentlayer/internal/suggest"
)

type tools struct {
	e     *engine.Engine
	opts  Options
	fixed *auth.Principal
}

// toolDef is a tool, the scopes that let a credential call it (any one),
// and what it does.
type toolDef struct {
	tool   *sdk.Tool
	scopes []string
	run    func(ctx context.Context, p *auth.Principal, args args) (*sdk.CallToolResult, error)
	// request marks the tools whose arguments are a construct request:
	// its parser words their mistakes, as the HTTP endpoints do.
	request bool
	// async marks the tools whose query may outlive the call (runAsync).
	async bool
}

// schemaOf is the JSON Schema of a Go type, as the SDK infers it, with a
// filter's own filters (and, or, not) described once, not recursively.
func schemaOf[T any]() *jsonschema.Schema {
	s, err := jsonschema.For[T](&jsonschema.ForOptions{TypeSchemas: filterSchemas()})
	if err != nil {
		panic(fmt.Sprintf("mcp: schema of %T: %v", *new(T), err))
	}
	return s
}

// requestSchema gives a request tool's arguments that are a construct
// request's parts the schemas of the OpenAPI document (internal/openapi),
// inlined: one definition, with its enums and descriptions, renders both
// the Agent API's contract and the tools'. The tool's own arguments
// (cursor, the result's budget) keep the schemas of their Go types.
func requestSchema(s *jsonschema.Schema) *jsonschema.Schema {
	raw, err := openapi.BriefSchema("ConstructRequest")
	if err != nil {
		panic(fmt.Sprintf("mcp: %v", err))
	}
	var req jsonschema.Schema
	if err := json.Unmarshal(raw, &req); err != nil {
		panic(fmt.Sprintf("mcp: the OpenAPI document's ConstructRequest: %v", err))
	}
	for name, prop := range req.Properties {
		if _, ok := s.Properties[name]; ok {
			s.Properties[name] = prop
		}
	}
	if req.Description != "" {
		s.Description = req.Description
	}
	return s
}

// filterSchemas are the schemas of a request's filters: a filter's and,
// or and not hold filters of the same shape, which the schema says in
// words rather than by a recursive reference (which the SDK's inference
// refuses, and many clients handle poorly). The rest of a filter's schema
// is inferred from engine.Filter's own fields.
var filterSchemas = sync.OnceValue(func() map[reflect.Type]*jsonschema.Schema {
	ft := reflect.TypeFor[engine.Filter]()
	var fields []reflect.StructField
	for i := range ft.NumField() {
		if f := ft.Field(i); f.Name != "And" && f.Name != "Or" && f.Name != "Not" {
			fields = append(fields, f)
		}
	}
	leaf, err := jsonschema.ForType(reflect.StructOf(fields), nil)
	if err != nil {
		panic(fmt.Sprintf("mcp: schema of a filter: %v", err))
	}
	inner := &jsonschema.Schema{Type: "object", Description: "a filter of the same shape as this one"}
	leaf.Properties["and"] = &jsonschema.Schema{Type: "array", Items: inner, Description: "filters that must all hold (an extension)"}
	leaf.Properties["or"] = &jsonschema.Schema{Type: "array", Items: inner, Description: "filters one of which must hold (an extension)"}
	leaf.Properties["not"] = &jsonschema.Schema{Type: "object", Description: "a filter that must not hold, as SQL's NOT (an extension)"}
	return map[reflect.Type]*jsonschema.Schema{ft: leaf}
})

// The argument types, for their schemas: named and shaped as the HTTP
// endpoints' JSON bodies and query parameters, in snake_case.
type (
	SearchArgs struct {
		TermQueries     []string `json:"term_queries,omitempty" jsonschema:"keywords matched against names, display names, descriptions and synonyms of tables, metrics, fields, segments and measures, e.g. [\"revenue\", \"customer state\"]"`
		SemanticQueries []string `json:"semantic_queries,omitempty" jsonschema:"questions in plain words, matched by meaning, e.g. [\"how much did we sell last month\"]"`
		Limit           int      `json:"limit,omitempty" jsonschema:"the most results to return (default 50)"`
	}
	TableArgs struct {
		TableID           int    `json:"table_id" jsonschema:"the table's id, from search or get_schema"`
		WithFields        *bool  `json:"with_fields,omitempty" jsonschema:"list the table's fields with their ids (default true)"`
		WithRelatedTables *bool  `json:"with_related_tables,omitempty" jsonschema:"list the tables reached through foreign keys, with their fields under this table's ids (default true)"`
		WithMetrics       *bool  `json:"with_metrics,omitempty" jsonschema:"list the metrics defined on the table (default true)"`
		WithSegments      *bool  `json:"with_segments,omitempty" jsonschema:"list the named filters (default false)"`
		WithMeasures      *bool  `json:"with_measures,omitempty" jsonschema:"list the named aggregations (default false)"`
		WithFieldValues   *bool  `json:"with_field_values,omitempty" jsonschema:"add each field's most frequent values (default false; costs a query per field)"`
		Fields            string `json:"fields,omitempty" jsonschema:"own: the table's own fields only, related tables listed without theirs; all (default)"`
	}
	MetricArgs struct {
		MetricID                    int   `json:"metric_id" jsonschema:"the metric's id, from search or get_schema"`
		WithDefaultTemporalBreakout *bool `json:"with_default_temporal_breakout,omitempty" jsonschema:"say which time field the metric is broken out by by default (default true)"`
		WithQueryableDimensions     *bool `json:"with_queryable_dimensions,omitempty" jsonschema:"list the fields the metric can be grouped and filtered by, with their c<metric>-<n> ids (default true)"`
		WithSegments                *bool `json:"with_segments,omitempty" jsonschema:"list the segments of the metric's table (default false)"`
		WithFieldValues             *bool `json:"with_field_values,omitempty" jsonschema:"add each dimension's most frequent values (default false)"`
	}
	FieldValuesArgs struct {
		TableID  int    `json:"table_id,omitempty" jsonschema:"the table whose field it is (or give metric_id)"`
		MetricID int    `json:"metric_id,omitempty" jsonschema:"the metric whose dimension it is (or give table_id)"`
		FieldID  string `json:"field_id" jsonschema:"the field: an id (t1-5, c1-7) or a name (TOTAL, USER.STATE)"`
		Limit    int    `json:"limit,omitempty" jsonschema:"the most values to list, the most frequent first (default 30)"`
	}
	SchemaArgs struct{}
	// Budget shapes a query result for a model's context.
	Budget struct {
		RowLimit int      `json:"row_limit,omitempty" jsonschema:"the most rows to return in this result (the rest is reached with the cursor)"`
		Columns  []string `json:"columns,omitempty" jsonschema:"return only these result columns, by name or field id, e.g. [\"STATE\", \"count\"]"`
		Format   string   `json:"format,omitempty" jsonschema:"the text block's format: csv (default, compact) or json"`
	}
	ConstructArgs struct {
		engine.Request
		Explain bool `json:"explain,omitempty" jsonschema:"also return the query in words: columns, joins, filters, order, and how the rows are restricted for you"`
	}
	QueryArgs struct {
		engine.Request
		Budget
		Cursor   string `json:"cursor,omitempty" jsonschema:"the cursor of the previous result, to get the rows after it (then give nothing else but the budget)"`
		PageSize int    `json:"page_size,omitempty" jsonschema:"rows per page when limit is the total (at most 2000)"`
	}
	ResultArgs struct {
		Handle string `json:"handle" jsonschema:"the handle a query or execute_query call answered with"`
		Cancel bool   `json:"cancel,omitempty" jsonschema:"stop the query instead"`
	}
	ExecuteArgs struct {
		Query string `json:"query" jsonschema:"the token construct_query returned"`
		Budget
		Cursor string `json:"cursor,omitempty" jsonschema:"the cursor of a previous result, to get the rows after it"`
	}
)

// definitions lists every tool.
func (t *tools) definitions() []toolDef {
	tableScopes := []string{auth.ScopeTableRead}
	return []toolDef{
		{tool: &sdk.Tool{Name: "search", Title: "Search the data",
			Description: "Find tables, metrics, fields, segments and measures by keywords (term_queries) or by meaning (semantic_queries). Start here, then inspect what you found with get_table or get_metric. Example: {\"term_queries\": [\"revenue\"], \"semantic_queries\": [\"sales by state\"]}.",
			InputSchema: schemaOf[SearchArgs](), OutputSchema: schemaOf[searchOutput]()},
			scopes: []string{auth.ScopeSearch}, run: t.search},
		{tool: &sdk.Tool{Name: "get_table", Title: "Describe a table",
			Description: "A table's fields with their ids and types, the tables related to it (their fields are reachable from this table as RELATIONSHIP.FIELD), its metrics, segments and measures, and how your access to its rows is restricted. Example: {\"table_id\": 1}.",
			InputSchema: schemaOf[TableArgs](), OutputSchema: schemaOf[engine.TableDetail]()},
			scopes: tableScopes, run: t.table},
		{tool: &sdk.Tool{Name: "get_metric", Title: "Describe a metric",
			Description: "A metric (a named, reusable aggregation) with the dimensions it can be grouped and filtered by (c<metric>-<n> ids). Example: {\"metric_id\": 1}.",
			InputSchema: schemaOf[MetricArgs](), OutputSchema: schemaOf[engine.MetricDetail]()},
			scopes: []string{auth.ScopeMetricRead}, run: t.metric},
		{tool: &sdk.Tool{Name: "get_field_values", Title: "Values of a field",
			Description: "The most frequent values of a field, with counts and statistics (min, max, average, share of empty values): use it to write filters with values that exist. Example: {\"table_id\": 2, \"field_id\": \"STATE\"}.",
			InputSchema: schemaOf[FieldValuesArgs](), OutputSchema: schemaOf[fieldValuesOutput]()},
			scopes: []string{auth.ScopeTableRead, auth.ScopeMetricRead}, run: t.fieldValues},
		{tool: &sdk.Tool{Name: "get_schema", Title: "Everything you may query",
			Description: "Every table, field (id, name, type), relationship, metric, segment and measure you may see, one line each, with the server's current time and time zone. Read it once at the start.",
			InputSchema: schemaOf[SchemaArgs](), OutputSchema: schemaOf[schemaOutput]()},
			scopes: tableScopes, run: t.schema},
		{tool: &sdk.Tool{Name: "construct_query", Title: "Build a query",
			Description: "Turn a query request into an opaque query token for execute_query; it is checked now, so mistakes come back with the valid choices. A request names table_id or metric_id, then fields, filters, aggregations, group_by, order_by and limit, with field ids or names. Example: {\"table_id\": 1, \"aggregations\": [{\"function\": \"sum\", \"field_id\": \"TOTAL\"}], \"group_by\": [{\"field_id\": \"USER.STATE\"}], \"limit\": 10}.",
			InputSchema: requestSchema(schemaOf[ConstructArgs]()), OutputSchema: schemaOf[constructOutput]()},
			scopes: []string{auth.ScopeQueryConstruct}, run: t.construct, request: true},
		{tool: &sdk.Tool{Name: "execute_query", Title: "Run a query token",
			Description: "Run the token construct_query returned. The result is cut to fit its budget (row_limit, and a byte budget); when cut, it says so and carries a cursor: call query with {\"cursor\": …} for the rows after. Example: {\"query\": \"<token>\", \"row_limit\": 50}.",
			InputSchema: schemaOf[ExecuteArgs]()}, // answers as query does: its output schema says it once
			scopes: []string{auth.ScopeQueryExecute}, run: t.execute, async: true},
		{tool: &sdk.Tool{Name: "query", Title: "Build and run a query",
			Description: "Build and run a query request at once (as construct_query then execute_query), a page at a time: limit is the most rows over every page (row_limit is an alias of it), page_size the rows of a page (200 by default). When more rows follow, the result carries a cursor: call query again with {\"cursor\": …}. Example: {\"metric_id\": 1, \"group_by\": [{\"field_id\": \"c1-7\", \"field_granularity\": \"month\"}], \"limit\": 24}.",
			InputSchema: requestSchema(schemaOf[QueryArgs]()), OutputSchema: schemaOf[queryOutputSchema]()},
			scopes: []string{auth.ScopeQuery}, run: t.query, request: true, async: true},
		{tool: &sdk.Tool{Name: "get_result", Title: "The answer of a running query",
			Description: "A query or execute_query call not answered within its time answers with a handle while the query goes on: give the handle to get its answer once ready (status running until then), or cancel to stop it. Example: {\"handle\": \"…\"}.",
			InputSchema: schemaOf[ResultArgs]()}, // answers as query does
			scopes: []string{auth.ScopeQuery, auth.ScopeQueryExecute}, run: t.getResult},
	}
}

// handler runs a tool for the user a call acts for. A credential whose
// scopes do not cover the tool gets the protocol error of an unknown tool;
// any other failure is a tool error a model can act on.
func (t *tools) handler(def toolDef) sdk.ToolHandler {
	return func(ctx context.Context, req *sdk.CallToolRequest) (res *sdk.CallToolResult, err error) {
		defer func() {
			// A panic is a tool error that says nothing of its cause, as
			// the Agent API answers 500; the process goes on.
			if v := recover(); v != nil {
				t.opts.Logger.ErrorContext(ctx, "panic in a tool call", "tool", def.tool.Name, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				res, err = t.toolError(ctx, httpapi.ErrInternal), nil
			}
		}()
		p := t.principal(ctx, req.Extra)
		if p == nil || !slices.ContainsFunc(def.scopes, p.Allows) {
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("unknown tool %q", def.tool.Name)}
		}
		var raw json.RawMessage
		if req.Params != nil {
			raw = req.Params.Arguments
		}
		schema := def.tool.InputSchema.(*jsonschema.Schema)
		if def.request {
			schema = nil
		}
		start := time.Now()
		ctx = engine.WithEndpoint(ctx, "mcp "+def.tool.Name)
		a, err := parseArgs(raw, schema)
		if err == nil && def.async {
			res, err = t.runAsync(ctx, p, a, def.run)
		} else if err == nil {
			res, err = def.run(ctx, p, a)
		}
		outcome := "ok"
		switch {
		case err != nil && ctx.Err() != nil:
			outcome = "canceled"
		case err != nil:
			res, outcome = t.toolError(ctx, absent(err, a)), "error"
		case res.IsError:
			outcome = "failed"
		}
		t.opts.Logger.InfoContext(ctx, "mcp tool call", "tool", def.tool.Name, "user", p.Email, "outcome", outcome,
			"duration", time.Since(start).Round(time.Microsecond))
		if outcome == "canceled" {
			return nil, ctx.Err()
		}
		return res, nil
	}
}

// absent answers a table or metric the caller may not see exactly as one
// that does not exist: over MCP an agent learns nothing from an id it may
// not use (the Agent API keeps Metabase's 403 by id). Fields already
// answer so everywhere.
func absent(err error, a args) error {
	var se *engine.Error
	if !errors.As(err, &se) || se.Kind != engine.KindForbidden {
		return err
	}
	var id int
	switch se.Reason {
	case engine.ReasonTable:
		if a.get("table_id", &id) != nil || id == 0 {
			return err
		}
		return &engine.Error{Kind: engine.KindNotFound, Path: se.Path, Message: fmt.Sprintf("No table found with table_id %d", id)}
	case engine.ReasonMetric:
		if se.Path == "" {
			return &engine.Error{Kind: engine.KindNotFound, Message: engine.MessageNotFound}
		}
		if a.get("metric_id", &id) != nil || id == 0 {
			return err
		}
		return &engine.Error{Kind: engine.KindNotFound, Path: se.Path, Message: fmt.Sprintf("No metric found with metric_id %d", id)}
	}
	return err
}

// toolErrorBody is a tool error as the Agent API words the same error.
type toolErrorBody struct {
	Error      string   `json:"error"`
	Message    string   `json:"message"`
	Path       string   `json:"path,omitempty"`
	Candidates []string `json:"candidates,omitempty"`
	Reason     string   `json:"reason,omitempty"`
}

// toolError is the result of a failed call: isError, with the same code,
// message, path and candidates as the HTTP error, in words and as JSON.
func (t *tools) toolError(ctx context.Context, err error) *sdk.CallToolResult {
	ae := httpapi.Map(ctx, t.opts.Logger, err)
	body := toolErrorBody{Error: ae.Code, Message: ae.Message, Path: ae.Path, Candidates: ae.Candidates, Reason: ae.Reason}
	var text strings.Builder
	text.WriteString("error " + ae.Code)
	if ae.Path != "" {
		text.WriteString(" at " + ae.Path)
	}
	text.WriteString(": " + ae.Message)
	if ae.Reason != "" {
		text.WriteString("\n" + ae.Reason)
	}
	if len(ae.Candidates) > 0 {
		text.WriteString("\ncandidates: " + strings.Join(ae.Candidates, ", "))
	}
	return &sdk.CallToolResult{IsError: true, Content: []sdk.Content{&sdk.TextContent{Text: text.String()}}, StructuredContent: body}
}

// args are a call's arguments: JSON objects by name, checked against the
// tool's properties.
type args map[string]json.RawMessage

// parseArgs reads a call's arguments: an object whose keys are the tool's
// properties (a likely typo is named with the property meant); any keys
// with no schema, for a construct request's own parser to check.
func parseArgs(raw json.RawMessage, schema *jsonschema.Schema) (args, error) {
	a := args{}
	if len(bytes.TrimSpace(raw)) == 0 || string(raw) == "null" {
		return a, nil
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, invalid("", "the arguments must be a JSON object")
	}
	if schema == nil {
		return a, nil
	}
	known := make([]string, 0, len(schema.Properties))
	for k := range schema.Properties {
		known = append(known, k)
	}
	slices.Sort(known)
	for k := range a {
		if _, ok := schema.Properties[k]; ok {
			continue
		}
		msg := fmt.Sprintf("unknown argument %q", k)
		if s := suggest.Closest(k, known); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		e := invalid(k, "%s", msg)
		e.Candidates = known
		return nil, e
	}
	return a, nil
}

func invalid(path, format string, v ...any) *httpapi.Error {
	return &httpapi.Error{Status: 400, Code: "invalid_request", Message: fmt.Sprintf(format, v...), Path: path}
}

// get decodes argument name into dst, if given.
func (a args) get(name string, dst any) error {
	raw, ok := a[name]
	if !ok || string(raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return invalid(name, "%s must be %s", name, kindOf(dst))
	}
	return nil
}

func kindOf(dst any) string {
	switch dst.(type) {
	case *int:
		return "an integer"
	case *bool, **bool:
		return "true or false"
	case *string:
		return "a string"
	case *[]string:
		return "a list of strings"
	}
	return "of another type"
}

// flag reads an optional boolean argument with its default.
func (a args) flag(name string, def bool, dst *bool) error {
	*dst = def
	var v *bool
	if err := a.get(name, &v); err != nil {
		return err
	}
	if v != nil {
		*dst = *v
	}
	return nil
}

// without returns the arguments but those named, as a JSON object: the
// construct request inside a query's arguments.
func (a args) without(names ...string) []byte {
	rest := make(map[string]json.RawMessage, len(a))
	for k, v := range a {
		if !slices.Contains(names, k) {
			rest[k] = v
		}
	}
	data, _ := json.Marshal(rest)
	return data
}

// ok is a successful result: structured content, and one text block.
func ok(structured any, text string) *sdk.CallToolResult {
	return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: text}}, StructuredContent: structured}
}

// jsonText is v as compact JSON, for a text block.
func jsonText(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	return strings.TrimSuffix(b.String(), "\n")
}

// maxSearchResults bounds a search result, for a model's context.
const maxSearchResults = 200

type searchOutput struct {
	Data       []engine.SearchResult `json:"data"`
	TotalCount int                   `json:"total_count"`
	// Note says why nothing can be found: no policy grants the caller
	// anything (engine.NothingGranted).
	Note string `json:"note,omitempty"`
}

func (t *tools) search(ctx context.Context, p *auth.Principal, a args) (*sdk.CallToolResult, error) {
	var terms, semantic []string
	limit := engine.SearchLimit
	if err := errors.Join(a.get("term_queries", &terms), a.get("semantic_queries", &semantic), a.get("limit", &limit)); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > maxSearchResults {
		return nil, invalid("limit", "limit must be an integer from 1 to %d", maxSearchResults)
	}
	results, err := t.e.Search(ctx, p, terms, semantic)
	if err != nil {
		return nil, err
	}
	if len(results) > limit {
		results = results[:limit]
	}
	out := searchOutput{Data: results, TotalCount: len(results)}
	if out.Data == nil {
		out.Data = []engine.SearchResult{}
	}
	var b strings.Builder
	for _, r := range results {
		fmt.Fprintf(&b, "%s %d %s", r.Type, r.ID, r.Name)
		if r.Description != "" {
			b.WriteString(" — " + r.Description)
		}
		// Which of its texts matched: a field's name tells where to look.
		var where []string
		for _, m := range r.Matches {
			where = append(where, m.Where)
		}
		if len(where) > 0 {
			b.WriteString(" (matched: " + strings.Join(where, ", ") + ")")
		}
		b.WriteByte('\n')
	}
	if b.Len() == 0 {
		b.WriteString("nothing found\n")
		if tables, metrics, err := t.e.Visible(p); err == nil && tables == 0 && metrics == 0 {
			out.Note = engine.NothingGranted
			b.WriteString(engine.NothingGranted + "\n")
		}
	}
	return ok(out, b.String()), nil
}

func (t *tools) table(ctx context.Context, p *auth.Principal, a args) (*sdk.CallToolResult, error) {
	var id int
	var o engine.TableOptions
	var fields string
	if err := errors.Join(a.get("table_id", &id),
		a.flag("with_fields", true, &o.Fields), a.flag("with_related_tables", true, &o.RelatedTables),
		a.flag("with_metrics", true, &o.Metrics), a.flag("with_segments", false, &o.Segments),
		a.flag("with_measures", false, &o.Measures), a.flag("with_field_values", false, &o.FieldValues),
		a.get("fields", &fields)); err != nil {
		return nil, err
	}
	if id <= 0 {
		return nil, invalid("table_id", "table_id is required: a table's id, from search or get_schema")
	}
	switch fields {
	case "", "all":
	case "own":
		o.OwnFields = true
	default:
		return nil, invalid("fields", "fields must be own or all, not %q", fields)
	}
	d, err := t.e.Table(ctx, p, id, o)
	if err != nil {
		return nil, err
	}
	return ok(d, jsonText(d)), nil
}

func (t *tools) metric(ctx context.Context, p *auth.Principal, a args) (*sdk.CallToolResult, error) {
	var id int
	var o engine.MetricOptions
	if err := errors.Join(a.get("metric_id", &id),
		a.flag("with_default_temporal_breakout", true, &o.DefaultTemporalBreakout),
		a.flag("with_queryable_dimensions", true, &o.QueryableDimensions),
		a.flag("with_segments", false, &o.Segments), a.flag("with_field_values", false, &o.FieldValues)); err != nil {
		return nil, err
	}
	if id <= 0 {
		return nil, invalid("metric_id", "metric_id is required: a metric's id, from search or get_schema")
	}
	d, err := t.e.Metric(ctx, p, id, o)
	if err != nil {
		return nil, err
	}
	return ok(d, jsonText(d)), nil
}

type fieldValuesOutput struct {
	FieldID     string         `json:"field_id"`
	Values      []any          `json:"values"`
	ValueCounts [][2]any       `json:"value_counts"`
	Statistics  map[string]any `json:"statistics"`
	// Truncated says more distinct values exist than are listed, or that
	// the list was cut to fit the result's budget.
	Truncated bool   `json:"truncated"`
	Note      string `json:"note,omitempty"`
	// Restrictions say how the caller's access limits the rows the
	// values come from, as an answer's do.
	Restrictions []engine.Restriction `json:"restrictions"`
}

func (t *tools) fieldValues(ctx context.Context, p *auth.Principal, a args) (*sdk.CallToolResult, error) {
	var ref engine.FieldRef
	limit := engine.DefaultFieldValues
	if err := errors.Join(a.get("table_id", &ref.TableID), a.get("metric_id", &ref.MetricID), a.get("field_id", &ref.FieldID), a.get("limit", &limit)); err != nil {
		return nil, err
	}
	switch {
	case (ref.TableID > 0) == (ref.MetricID > 0):
		return nil, invalid("table_id", "give table_id or metric_id, one of them")
	case ref.FieldID == "":
		return nil, invalid("field_id", "field_id is required: a field's id or name")
	case limit <= 0 || limit > 10_000:
		return nil, invalid("limit", "limit must be an integer from 1 to 10000")
	}
	if ref.MetricID > 0 && !p.Allows(auth.ScopeMetricRead) || ref.TableID > 0 && !p.Allows(auth.ScopeTableRead) {
		return nil, httpapi.ErrScope
	}
	fv, err := t.e.FieldValues(ctx, p, ref, limit)
	if err != nil {
		return nil, err
	}
	out := fieldValuesOutput{FieldID: fv.FieldID, Values: fv.Values, Statistics: fv.Statistics.Map(), Truncated: fv.Truncated,
		ValueCounts: make([][2]any, len(fv.Counts)), Restrictions: fv.Restrictions}
	if out.Restrictions == nil {
		out.Restrictions = []engine.Restriction{}
	}
	if out.Values == nil {
		out.Values = []any{}
	}
	for i, c := range fv.Counts {
		out.ValueCounts[i] = [2]any{c.Value, c.Count}
	}
	// Within the budget: each value is listed twice (values and counts),
	// and once more in the text.
	for len(out.ValueCounts) > 0 && 3*len(jsonText(out.ValueCounts)) > t.opts.MaxResultBytes {
		n := len(out.ValueCounts) * 3 / 4
		out.ValueCounts, out.Values = out.ValueCounts[:n], out.Values[:min(n, len(out.Values))]
		out.Truncated = true
		out.Note = fmt.Sprintf("cut to the %d most frequent values to fit the result's budget", n)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d values", out.FieldID, len(out.ValueCounts))
	if out.Truncated {
		b.WriteString(" (more exist)")
	}
	for _, r := range out.Restrictions {
		b.WriteString("\n" + r.Text)
	}
	if line := statsLine(out.Statistics); line != "" {
		b.WriteString("\n" + line)
	}
	b.WriteString("\nvalue,count\n")
	for _, vc := range out.ValueCounts {
		b.WriteString(csvCell(fmt.Sprint(vc[0])) + "," + fmt.Sprint(vc[1]) + "\n")
	}
	res := ok(out, b.String())
	res.Meta = provenanceMeta(fv.Provenance)
	return res, nil
}

type schemaOutput struct {
	Schema string `json:"schema" jsonschema:"everything the user may see, one line per field"`
}

func (t *tools) schema(ctx context.Context, p *auth.Principal, a args) (*sdk.CallToolResult, error) {
	s, err := t.e.Schema(ctx, p)
	if err != nil {
		return nil, err
	}
	text := t.fitText(s.Compact())
	return ok(schemaOutput{Schema: text}, text), nil
}

// fitText cuts a compact text, counted twice (structured and text), to the
// result's budget at a table's boundary, saying what was left out.
func (t *tools) fitText(text string) string {
	if 2*len(text) <= t.opts.MaxResultBytes {
		return text
	}
	cut := t.opts.MaxResultBytes / 2
	i := strings.LastIndex(text[:cut], "\ntable ")
	if i <= 0 {
		i = strings.LastIndex(text[:cut], "\n")
	}
	rest := strings.Count(text[i:], "\ntable ")
	return text[:i] + fmt.Sprintf("\n\n# … %d more tables left out to fit this result's budget: search for them, or get_table by id.\n", rest)
}

type constructOutput struct {
	Query       string              `json:"query" jsonschema:"the query token, for execute_query"`
	Explanation *engine.Explanation `json:"explanation,omitempty"`
}

// request reads the construct request among a call's arguments, strictly
// as the HTTP endpoints do: the same errors at the same paths.
func request(a args, others ...string) (*engine.Request, error) {
	return engine.ParseRequest(a.without(others...))
}

func (t *tools) construct(ctx context.Context, p *auth.Principal, a args) (*sdk.CallToolResult, error) {
	var explain bool
	if err := a.get("explain", &explain); err != nil {
		return nil, err
	}
	req, err := request(a, "explain")
	if err != nil {
		return nil, err
	}
	q, err := t.e.Construct(ctx, p, req)
	if err != nil {
		return nil, err
	}
	var out constructOutput
	if explain {
		out.Explanation, err = t.e.Explain(ctx, p, q)
	} else {
		_, err = t.e.Plan(ctx, p, q)
	}
	if err != nil {
		return nil, err
	}
	if out.Query, err = t.e.Token(q); err != nil {
		return nil, err
	}
	return ok(out, jsonText(out)), nil
}

// statsLine writes a field's statistics on one line, in a fixed order, to
// four significant digits: what the structure holds, for a model that
// reads the text.
func statsLine(stats map[string]any) string {
	var parts []string
	for _, k := range []string{"distinct_count", "percent_null", "min", "max", "avg", "q1", "q3", "sd", "earliest", "latest", "average_length"} {
		v, ok := stats[k]
		if !ok || v == nil {
			continue
		}
		switch x := v.(type) {
		case float64:
			parts = append(parts, k+" "+significant(x, 4))
		case *float64:
			if x != nil {
				parts = append(parts, k+" "+significant(*x, 4))
			}
		default:
			parts = append(parts, fmt.Sprintf("%s %v", k, v))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "statistics (numbers to 4 significant digits): " + strings.Join(parts, ", ")
}

// significant writes x rounded to n significant digits, without an
// exponent: 10486.7 → 10490.
func significant(x float64, n int) string {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	p := math.Pow(10, float64(n)-math.Ceil(math.Log10(math.Abs(x))))
	return strconv.FormatFloat(math.Round(x*p)/p, 'f', -1, 64)
}
