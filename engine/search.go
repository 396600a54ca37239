package engine

import (
	"context"
	"slices"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine/internal/search"
	"github.com/agentlayer/agentlayer/permissions"
	"github.com/agentlayer/agentlayer/semantic"
	"github.com/agentlayer/agentlayer/sqlgen"
)

// SearchResult is a table or metric found by Search.
type SearchResult struct {
	ID             int    `json:"id"`
	Type           string `json:"type"` // "table" or "metric"
	Name           string `json:"name"`
	DisplayName    string `json:"display_name,omitempty"`
	Description    string `json:"description,omitempty"`
	DatabaseID     int    `json:"database_id"`
	DatabaseSchema string `json:"database_schema,omitempty"`
	Verified       bool   `json:"verified"`
	// Matches say why it matched: which of its texts (name, synonyms,
	// description, a field) matched which words of the query.
	Matches []SearchMatch `json:"matches,omitempty"`
	Score   float64       `json:"-"`
}

// SearchMatch is a text of a search result that matched words of a query.
type SearchMatch = search.Match

// Embedder turns texts into vectors, for semantic search. No model is
// available offline, so without one semantic queries are matched lexically;
// a service can plug one in through Options.Embedder.
type Embedder = search.Embedder

// SearchLimit is how many results each query string ranks.
const SearchLimit = search.Limit

// Search ranks the tables and metrics p may see against each query string,
// and fuses the rankings by Reciprocal Rank Fusion (k = 60). Term queries
// match words; semantic queries use the Embedder when there is one, words
// otherwise. Strings that match nothing add nothing; no string at all
// lists everything p may see.
func (e *Engine) Search(ctx context.Context, p *auth.Principal, termQueries, semanticQueries []string) ([]SearchResult, error) {
	s := e.cur.Load()
	g, err := s.grant(p)
	if err != nil {
		return nil, err
	}
	cache := e.cacheFor(ctx)
	if cache == nil {
		return s.find(ctx, g, termQueries, semanticQueries)
	}
	v, fill, err := cache.Get(ctx, s.searchKey(g, termQueries, semanticQueries), e.queueTimeout)
	if err != nil {
		return nil, err
	}
	if v != nil {
		return slices.Clone(v.([]SearchResult)), nil
	}
	out, err := s.find(ctx, g, termQueries, semanticQueries)
	if fill != nil {
		if err != nil {
			fill.Abandon()
		} else {
			fill.Finish(slices.Clone(out), searchSize(out), nil) // the model's, read from no table
		}
	}
	return out, err
}

// find ranks what g sees against the query strings.
func (s *state) find(ctx context.Context, g *permissions.Grant, termQueries, semanticQueries []string) ([]SearchResult, error) {
	hits, err := s.search.Search(ctx, searchAccess{g, s.catalog}, termQueries, semanticQueries)
	if err != nil {
		return nil, err
	}
	out := make([]SearchResult, len(hits))
	for i, h := range hits {
		out[i] = result(h)
	}
	return out, nil
}

// searchAccess is a grant as search sees it.
type searchAccess struct {
	g *permissions.Grant
	c *sqlgen.Catalog
}

func (a searchAccess) Table(t *semantic.Table) bool   { return a.g.Table(t) }
func (a searchAccess) Field(f *semantic.Field) bool   { return a.g.Field(f) }
func (a searchAccess) Metric(m *semantic.Metric) bool { return a.c.MetricVisible(a.g, m) }

func result(h search.Hit) SearchResult {
	if t := h.Table; t != nil {
		return SearchResult{ID: t.ID, Type: "table", Name: t.Name, DisplayName: t.DisplayName, Description: t.Description,
			DatabaseID: DatabaseID, DatabaseSchema: schemaOf(t.Source), Score: h.Score, Matches: h.Matches}
	}
	m := h.Metric
	return SearchResult{ID: m.ID, Type: "metric", Name: m.Name, Description: m.Description, DatabaseID: DatabaseID,
		Verified: m.Verified, Score: h.Score, Matches: h.Matches}
}
