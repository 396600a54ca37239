package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/internal/httpapi"
)

// instructions guide a model through the server, in its initialize result.
const instructions = `agentlayer answers questions about a database through a semantic model, as the user you act for may see it: tables, columns and rows they may not see do not exist here.

Work in four steps:
1. Find what to query: search (by keywords or meaning), or get_schema for everything at once (also the resource agentlayer://model).
2. Inspect it: get_table or get_metric lists fields with their ids; get_field_values shows the values a field holds, to filter by values that exist.
3. Ask: query builds and runs a request at once (construct_query then execute_query do it in two steps). A request names table_id or metric_id, then fields, filters, aggregations, group_by, order_by, limit.
4. Read the answer: rows come as JSON and as a compact CSV block. When a result is cut to fit its budget it says so and carries a cursor: call query with {"cursor": "…"} for the rows after.

Fields are named by id or by name. t<table>-<n> is a field of a table's wide column list — its own fields, then those of related tables (t1-16 can be USER → STATE); c<metric>-<n> the same for a metric's table. Names work too: TOTAL, USER.STATE (a relationship and a field), or a display name. Ids are stable across model changes.

Limits: detail queries return at most 2,000 rows by default and aggregated ones more; in query, limit is the most rows over every page and page_size a page; each result holds about 64 KiB (page_size and columns keep it smaller). Errors say what was wrong, where (path), and the valid choices (candidates): correct the request and call again.`

const (
	modelURI  = "agentlayer://model"
	tableURI  = "agentlayer://table/"
	metricURI = "agentlayer://metric/"
)

// addResources registers what a user may read as resources: the model, as
// compact text, and each table and metric by id, as their details.
func addResources(srv *sdk.Server, t *tools) {
	srv.AddResource(&sdk.Resource{URI: modelURI, Name: "model", Title: "What you may query",
		Description: "Every table, field (id, reference, type), relationship, metric, segment and measure the user may see, one line each.",
		MIMEType:    "text/plain"}, t.readModel)
	srv.AddResourceTemplate(&sdk.ResourceTemplate{URITemplate: tableURI + "{id}", Name: "table", Title: "A table",
		Description: "A table's detail, as get_table returns it.", MIMEType: "application/json"}, t.readTable)
	srv.AddResourceTemplate(&sdk.ResourceTemplate{URITemplate: metricURI + "{id}", Name: "metric", Title: "A metric",
		Description: "A metric's detail, as get_metric returns it.", MIMEType: "application/json"}, t.readMetric)
}

// reader is who a resource read acts for, if their scopes cover it.
func (t *tools) reader(ctx context.Context, req *sdk.ReadResourceRequest, scope string) (*auth.Principal, error) {
	p := t.principal(ctx, req.Extra)
	if p == nil || !p.Allows(scope) {
		return nil, sdk.ResourceNotFoundError(req.Params.URI)
	}
	return p, nil
}

func (t *tools) readModel(ctx context.Context, req *sdk.ReadResourceRequest) (*sdk.ReadResourceResult, error) {
	p, err := t.reader(ctx, req, auth.ScopeTableRead)
	if err != nil {
		return nil, err
	}
	s, err := t.e.Schema(ctx, p)
	if err != nil {
		return nil, t.resourceError(ctx, err)
	}
	return &sdk.ReadResourceResult{Contents: []*sdk.ResourceContents{{URI: modelURI, MIMEType: "text/plain", Text: t.fitText(s.Compact())}}}, nil
}

func (t *tools) readTable(ctx context.Context, req *sdk.ReadResourceRequest) (*sdk.ReadResourceResult, error) {
	return t.readDetail(ctx, req, auth.ScopeTableRead, tableURI, func(p *auth.Principal, id int) (any, error) {
		return t.e.Table(ctx, p, id, engine.TableOptions{Fields: true, RelatedTables: true, Metrics: true, Segments: true, Measures: true})
	})
}

func (t *tools) readMetric(ctx context.Context, req *sdk.ReadResourceRequest) (*sdk.ReadResourceResult, error) {
	return t.readDetail(ctx, req, auth.ScopeMetricRead, metricURI, func(p *auth.Principal, id int) (any, error) {
		return t.e.Metric(ctx, p, id, engine.MetricOptions{DefaultTemporalBreakout: true, QueryableDimensions: true, Segments: true})
	})
}

// readDetail reads the detail of the table or metric a URI names, as the
// reader may see it, as JSON.
func (t *tools) readDetail(ctx context.Context, req *sdk.ReadResourceRequest, scope, prefix string, detail func(*auth.Principal, int) (any, error)) (*sdk.ReadResourceResult, error) {
	p, err := t.reader(ctx, req, scope)
	if err != nil {
		return nil, err
	}
	id, err := idIn(req.Params.URI, prefix)
	if err != nil {
		return nil, err
	}
	d, err := detail(p, id)
	if err != nil {
		key := "table_id"
		if prefix == metricURI {
			key = "metric_id"
		}
		return nil, t.resourceError(ctx, absent(err, args{key: json.RawMessage(strconv.Itoa(id))}))
	}
	return jsonResource(req.Params.URI, d)
}

// idIn reads the id at the end of a resource URI.
func idIn(uri, prefix string) (int, error) {
	id, err := strconv.Atoi(strings.TrimPrefix(uri, prefix))
	if err != nil || id <= 0 || !strings.HasPrefix(uri, prefix) {
		return 0, sdk.ResourceNotFoundError(uri)
	}
	return id, nil
}

// resourceError is a failed read as the Agent API words it; a table or
// metric the user may not see reads as one that does not exist (absent).
func (t *tools) resourceError(ctx context.Context, err error) error {
	ae := httpapi.Map(ctx, t.opts.Logger, err)
	return fmt.Errorf("%s: %s", ae.Code, ae.Message)
}

func jsonResource(uri string, v any) (*sdk.ReadResourceResult, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return &sdk.ReadResourceResult{Contents: []*sdk.ResourceContents{{URI: uri, MIMEType: "application/json", Text: string(data)}}}, nil
}

// addPrompts registers the prompts a client offers its user.
func addPrompts(srv *sdk.Server) {
	srv.AddPrompt(&sdk.Prompt{Name: "explore_data", Title: "Explore the data",
		Description: "Get to know what you may query: the tables, metrics and what they hold."},
		func(ctx context.Context, req *sdk.GetPromptRequest) (*sdk.GetPromptResult, error) {
			return promptResult("Explore the data", "Read the resource agentlayer://model (or call get_schema) to see every table and metric I may query. "+
				"Then summarise, in a few lines each, what the main tables hold and how they relate, which metrics are defined, "+
				"and three questions the data can answer well. Use get_field_values on one or two key fields to show real values."), nil
		})
	srv.AddPrompt(&sdk.Prompt{Name: "answer_question", Title: "Answer a question with the data",
		Description: "Answer a question in plain words from the data, showing the query that answered it.",
		Arguments:   []*sdk.PromptArgument{{Name: "question", Description: "the question, e.g. \"Which state had the most revenue last year?\"", Required: true}}},
		func(ctx context.Context, req *sdk.GetPromptRequest) (*sdk.GetPromptResult, error) {
			q := strings.TrimSpace(req.Params.Arguments["question"])
			if q == "" {
				return nil, fmt.Errorf("the argument question is required")
			}
			return promptResult("Answer a question", "Answer this question from the data: "+q+"\n\n"+
				"Search for the tables and metrics it is about (search, by keywords and by meaning), inspect them (get_table or get_metric) to find the fields, "+
				"check the values you filter by (get_field_values), then run one query (query) that answers it. "+
				"Reply with the answer in a sentence, the few numbers that support it, and the request you ran. "+
				"If the data cannot answer it, or your access limits the answer (see restrictions), say so."), nil
		})
}

func promptResult(desc, text string) *sdk.GetPromptResult {
	return &sdk.GetPromptResult{Description: desc, Messages: []*sdk.PromptMessage{{Role: "user", Content: &sdk.TextContent{Text: text}}}}
}
