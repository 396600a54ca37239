// Package search ranks the tables and metrics a caller may see against
// words: names, synonyms, descriptions and the names of the fields the
// caller may see, with stems and small typos forgiven, several query
// strings fused by Reciprocal Rank Fusion; or against vectors of an
// Embedder, for semantic queries, when one is given.
package search

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strings"
	"unicode"

	"github.com/agentlayer/agentlayer/internal/suggest"
	"github.com/agentlayer/agentlayer/semantic"
)

// Embedder turns texts into vectors, for semantic search. No model is
// available offline, so without one semantic queries are matched lexically.
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// Access is what the caller may see.
type Access interface {
	Table(t *semantic.Table) bool
	Field(f *semantic.Field) bool
	Metric(m *semantic.Metric) bool
}

// Limit is how many results each query string ranks.
const Limit = 50

// Index is a model's tables and metrics, tokenised (and embedded) once. It
// is immutable and safe for concurrent use.
type Index struct {
	docs     []*doc
	embedder Embedder
}

// Hit is a table or metric found, with its score.
type Hit struct {
	Table  *semantic.Table  // for a table
	Metric *semantic.Metric // for a metric
	Score  float64
	// Matches say why it matched: which of its texts matched which words
	// of the queries, best first; only what the caller may see.
	Matches []Match
}

// Match is a text of a table or metric that matched words of a query.
type Match struct {
	// Where is the text: "name", "synonyms", "description", "field NAME"
	// (a field's name or display name), "field NAME synonyms", or
	// "meaning" (the embedder found it close).
	Where string `json:"where"`
	// Words are the words of the text that matched, as stems.
	Words []string `json:"words,omitempty"`
}

// rrfK is the constant of Reciprocal Rank Fusion.
const rrfK = 60

// doc is a table or metric, tokenised once.
type doc struct {
	table  *semantic.Table  // for a table
	metric *semantic.Metric // for a metric
	parts  []docPart
	name   string // normalised name, for whole-phrase matches
	text   string // for embeddings
	vector []float32
}

// docPart is a weighted text of a document; field is set for a field's
// name, which only counts for users who may see the field.
type docPart struct {
	weight float64
	tokens []string
	field  *semantic.Field
	where  string // what the part is, for Match
}

// The weights of the parts of a document.
const (
	weightName        = 3.0
	weightSynonym     = 2.5
	weightField       = 1.5
	weightDescription = 1.0
)

// New tokenises the tables and metrics of m once, and embeds them when
// there is an embedder.
func New(ctx context.Context, m *semantic.Model, embedder Embedder) (*Index, error) {
	var docs []*doc
	for _, t := range m.Tables {
		d := &doc{table: t, name: normalise(t.DisplayName)}
		d.add(weightName, nil, "name", t.Name, t.DisplayName)
		d.add(weightSynonym, nil, "synonyms", t.Synonyms...)
		d.add(weightDescription, nil, "description", t.Description)
		for _, f := range t.Fields {
			d.add(weightField, f, "field "+f.Name, f.Name, f.DisplayName)
			d.add(weightField*0.8, f, "field "+f.Name+" synonyms", f.Synonyms...)
		}
		d.text = strings.Join(append([]string{t.DisplayName, t.Description}, t.Synonyms...), ". ")
		docs = append(docs, d)
	}
	for _, m := range m.Metrics {
		d := &doc{metric: m, name: normalise(m.Name)}
		d.add(weightName, nil, "name", m.Name)
		d.add(weightSynonym, nil, "synonyms", m.Synonyms...)
		d.add(weightDescription, nil, "description", m.Description)
		if f := m.Aggregation.Field; f != nil {
			d.add(weightField, f, "field "+f.Name, f.Name, f.DisplayName)
			d.add(weightField*0.8, f, "field "+f.Name+" synonyms", f.Synonyms...)
		}
		d.text = strings.Join(append([]string{m.Name, m.Description}, m.Synonyms...), ". ")
		docs = append(docs, d)
	}
	ix := &Index{docs: docs, embedder: embedder}
	if embedder == nil {
		return ix, nil
	}
	texts := make([]string, len(docs))
	for i, d := range docs {
		texts[i] = d.text
	}
	vecs, err := embedder.Embed(ctx, texts)
	if err != nil {
		return nil, err
	}
	for i, d := range docs {
		if i < len(vecs) {
			d.vector = vecs[i]
		}
	}
	return ix, nil
}

func (d *doc) add(weight float64, f *semantic.Field, where string, texts ...string) {
	var tokens []string
	for _, t := range texts {
		tokens = append(tokens, tokenize(t)...)
	}
	if len(tokens) > 0 {
		d.parts = append(d.parts, docPart{weight: weight, tokens: tokens, field: f, where: where})
	}
}

var stopWords = map[string]bool{
	"a": true, "an": true, "the": true, "of": true, "by": true, "per": true, "and": true, "or": true,
	"for": true, "in": true, "on": true, "to": true, "with": true, "what": true, "which": true,
	"is": true, "are": true, "how": true, "many": true, "much": true, "show": true, "me": true,
	"all": true, "my": true, "our": true, "list": true, "find": true,
}

// tokenize splits text into lower-case stems: words split at anything but
// letters and digits, and at camelCase.
func tokenize(text string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			w := string(cur)
			if !stopWords[w] {
				out = append(out, stem(w))
			}
			cur = cur[:0]
		}
	}
	runes := []rune(text)
	for i, r := range runes {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if unicode.IsUpper(r) && i > 0 && unicode.IsLower(runes[i-1]) {
				flush()
			}
			cur = append(cur, unicode.ToLower(r))
		default:
			flush()
		}
	}
	flush()
	return out
}

// stem folds English plurals: categories → category, boxes → box,
// orders → order.
func stem(w string) string {
	switch {
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case len(w) > 4 && (strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "shes") || strings.HasSuffix(w, "xes") || strings.HasSuffix(w, "sses")):
		return w[:len(w)-2]
	case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us"):
		return w[:len(w)-1]
	}
	return w
}

func normalise(s string) string { return strings.Join(tokenize(s), " ") }

// matchScore is how well a query token matches a document token: 1 for the
// same stem, less for a prefix or a small typo.
func matchScore(q, d string) float64 {
	switch {
	case q == d:
		return 1
	case len(q) >= 3 && strings.HasPrefix(d, q):
		return 0.8 * float64(len(q)) / float64(len(d))
	case len(d) >= 3 && strings.HasPrefix(q, d) && len(q)-len(d) <= 2:
		return 0.7
	}
	if len(q) < 4 {
		return 0
	}
	limit := 1
	if len(q) >= 8 {
		limit = 2
	}
	if abs(len(q)-len(d)) <= limit && suggest.Distance(q, d) <= limit {
		return 0.6
	}
	return 0
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// score ranks a document for a query; 0 means no match.
func (d *doc) score(a Access, query []string, phrase string) float64 {
	total := 0.0
	for _, q := range query {
		best, _, _ := d.best(a, q)
		total += best
	}
	if total > 0 && phrase == d.name {
		total += weightName
	}
	return total
}

// best is the part of the document, and its word, that match a query
// word best, and the score; 0 means none. Parts of a field a may not see
// do not count.
func (d *doc) best(a Access, q string) (score float64, part *docPart, word string) {
	for i, p := range d.parts {
		if p.field != nil && !a.Field(p.field) {
			continue
		}
		for _, t := range p.tokens {
			if s := p.weight * matchScore(q, t); s > score {
				score, part, word = s, &d.parts[i], t
			}
		}
	}
	return score, part, word
}

// matches says which parts of the document matched which of the query
// words.
func (d *doc) matches(a Access, words []string) []Match {
	var out []Match
	for _, q := range words {
		_, part, word := d.best(a, q)
		if part == nil {
			continue
		}
		i := slices.IndexFunc(out, func(m Match) bool { return m.Where == part.where })
		if i < 0 {
			out = append(out, Match{Where: part.where})
			i = len(out) - 1
		}
		if !slices.Contains(out[i].Words, word) {
			out[i].Words = append(out[i].Words, word)
		}
	}
	return out
}

// Search ranks what a may see against each query string, and fuses the
// rankings by Reciprocal Rank Fusion (k = 60), best first, tables before
// metrics at equal scores. Term queries match words; semantic queries use
// the Embedder when there is one, words otherwise. Strings that match
// nothing add nothing. With no query at all, it lists everything a may
// see, tables first, by name.
func (ix *Index) Search(ctx context.Context, a Access, termQueries, semanticQueries []string) ([]Hit, error) {
	var docs []*doc
	for _, d := range ix.docs {
		if (d.table != nil && a.Table(d.table)) || (d.metric != nil && a.Metric(d.metric)) {
			docs = append(docs, d)
		}
	}
	if len(termQueries)+len(semanticQueries) == 0 {
		out := make([]Hit, 0, len(docs))
		for _, d := range docs {
			out = append(out, Hit{Table: d.table, Metric: d.metric})
		}
		slices.SortStableFunc(out, func(x, y Hit) int {
			return cmp.Or(cmp.Compare(kind(x), kind(y)), strings.Compare(name(x), name(y)))
		})
		return out, nil
	}
	var rankings [][]*doc
	for _, q := range termQueries {
		rankings = append(rankings, lexical(a, docs, q))
	}
	for _, q := range semanticQueries {
		if ix.embedder == nil {
			rankings = append(rankings, lexical(a, docs, q))
			continue
		}
		r, err := ix.semantic(ctx, docs, q)
		if err != nil {
			return nil, err
		}
		rankings = append(rankings, r)
	}
	fused := map[*doc]float64{}
	for _, r := range rankings {
		for rank, d := range r {
			fused[d] += 1 / float64(rrfK+rank+1)
		}
	}
	// Words explain a match; without an embedder, semantic queries are
	// matched by words too.
	lexicalQueries := termQueries
	if ix.embedder == nil {
		lexicalQueries = append(slices.Clip(termQueries), semanticQueries...)
	}
	var words []string
	for _, q := range lexicalQueries {
		words = append(words, tokenize(q)...)
	}
	out := make([]Hit, 0, len(fused))
	for d, score := range fused {
		h := Hit{Table: d.table, Metric: d.metric, Score: score, Matches: d.matches(a, words)}
		if len(h.Matches) == 0 {
			h.Matches = []Match{{Where: "meaning"}}
		}
		out = append(out, h)
	}
	slices.SortFunc(out, func(x, y Hit) int {
		return cmp.Or(cmp.Compare(y.Score, x.Score), cmp.Compare(kind(x), kind(y)), id(x)-id(y))
	})
	return out, nil
}

// kind orders tables before metrics.
func kind(h Hit) int {
	if h.Table != nil {
		return 0
	}
	return 1
}

func name(h Hit) string {
	if h.Table != nil {
		return h.Table.Name
	}
	return h.Metric.Name
}

func id(h Hit) int {
	if h.Table != nil {
		return h.Table.ID
	}
	return h.Metric.ID
}

func (ix *Index) semantic(ctx context.Context, docs []*doc, q string) ([]*doc, error) {
	vecs, err := ix.embedder.Embed(ctx, []string{q})
	if err != nil || len(vecs) == 0 {
		return nil, err
	}
	return rank(docs, func(d *doc) float64 { return cosine(vecs[0], d.vector) }), nil
}

func lexical(a Access, docs []*doc, q string) []*doc {
	tokens := tokenize(q)
	phrase := strings.Join(tokens, " ")
	return rank(docs, func(d *doc) float64 { return d.score(a, tokens, phrase) })
}

// rank orders the documents that score above 0, best first, keeping at
// most Limit.
func rank(docs []*doc, score func(*doc) float64) []*doc {
	type scored struct {
		d *doc
		s float64
	}
	var hits []scored
	for _, d := range docs {
		if s := score(d); s > 0 {
			hits = append(hits, scored{d, s})
		}
	}
	slices.SortStableFunc(hits, func(a, b scored) int { return cmp.Compare(b.s, a.s) })
	out := make([]*doc, 0, min(len(hits), Limit))
	for i := 0; i < len(hits) && i < Limit; i++ {
		out = append(out, hits[i].d)
	}
	return out
}

func cosine(a, b []float32) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return 0
	}
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}
