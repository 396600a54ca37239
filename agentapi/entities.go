package agentapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/internal/suggest"
)

// boolParam reads a true/false query parameter, with a default.
func boolParam(r *http.Request, name string, def bool) (bool, error) {
	v := r.URL.Query().Get(name)
	switch v {
	case "":
		return def, nil
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, badRequestAt(name, "%s must be true or false, not %q", name, v)
}

// pathID reads a positive integer path parameter.
func pathID(r *http.Request, what string) (int, error) {
	s := r.PathValue("id")
	id, err := strconv.Atoi(s)
	if err != nil || id <= 0 || strconv.Itoa(id) != s { // canonical only: not 01 or +1
		return 0, badRequestAt("id", "%s id must be a positive integer, not %q", what, s)
	}
	return id, nil
}

// bools reads several boolean parameters in order.
func bools(r *http.Request, params ...struct {
	name string
	def  bool
	dst  *bool
}) error {
	for _, p := range params {
		v, err := boolParam(r, p.name, p.def)
		if err != nil {
			return err
		}
		*p.dst = v
	}
	return nil
}

type param = struct {
	name string
	def  bool
	dst  *bool
}

func (h *handler) table(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "table")
	if err != nil {
		return err
	}
	var o engine.TableOptions
	if err := bools(r,
		param{"with-fields", true, &o.Fields},
		param{"with-field-values", false, &o.FieldValues},
		param{"with-related-tables", true, &o.RelatedTables},
		param{"with-metrics", true, &o.Metrics},
		param{"with-measures", false, &o.Measures},
		param{"with-segments", false, &o.Segments},
	); err != nil {
		return err
	}
	switch f := r.URL.Query().Get("fields"); f {
	case "", "all":
	case "own":
		o.OwnFields = true
	default:
		return badRequestAt("fields", "fields must be own or all, not %q", f)
	}
	d, err := h.e.Table(r.Context(), p, id, o)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (h *handler) metric(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := pathID(r, "metric")
	if err != nil {
		return err
	}
	var o engine.MetricOptions
	if err := bools(r,
		param{"with-default-temporal-breakout", true, &o.DefaultTemporalBreakout},
		param{"with-field-values", false, &o.FieldValues},
		param{"with-queryable-dimensions", true, &o.QueryableDimensions},
		param{"with-segments", false, &o.Segments},
	); err != nil {
		return err
	}
	d, err := h.e.Metric(r.Context(), p, id, o)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// statistics has the keys of both shapes clients read.
type statistics map[string]any

func statsMaps(s engine.Statistics) (snake, kebab statistics) {
	snake = s.Map()
	kebab = statistics{}
	for k, v := range snake {
		kebab[strings.ReplaceAll(k, "_", "-")] = v
	}
	return snake, kebab
}

type fieldValuesResponse struct {
	FieldID       string        `json:"field_id"`
	Values        []any         `json:"values"`
	Statistics    statistics    `json:"statistics"`
	ResultType    string        `json:"result_type"`
	ValueMetadata valueMetadata `json:"value_metadata"`
	// ValueCounts are [value, count] pairs, the most frequent first;
	// Truncated says more distinct values exist than were listed.
	ValueCounts [][2]any `json:"value_counts"`
	Truncated   bool     `json:"truncated"`
	// Restrictions (an addition) say how the caller's access limits the
	// rows the values come from, as an answer's do.
	Restrictions []engine.Restriction `json:"restrictions"`
}

type valueMetadata struct {
	Statistics  statistics `json:"statistics"`
	FieldValues []any      `json:"field_values"`
}

// fieldValues answers both field-values routes: of a table's field or of a
// metric's dimension.
func (h *handler) fieldValues(metric bool) func(http.ResponseWriter, *http.Request, *auth.Principal) error {
	what := "table"
	if metric {
		what = "metric"
	}
	return func(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
		id, err := pathID(r, what)
		if err != nil {
			return err
		}
		limit := engine.DefaultFieldValues
		if s := r.URL.Query().Get("limit"); s != "" {
			if limit, err = strconv.Atoi(s); err != nil || limit <= 0 || limit > MaxFieldValues {
				return badRequestAt("limit", "limit must be an integer from 1 to %d, not %q", MaxFieldValues, s)
			}
		}
		ref := engine.FieldRef{FieldID: r.PathValue("field_id")}
		if metric {
			ref.MetricID = id
		} else {
			ref.TableID = id
		}
		fv, err := h.e.FieldValues(r.Context(), p, ref, limit)
		if err != nil {
			return err
		}
		setProvenance(w.Header(), fv.Provenance)
		snake, kebab := statsMaps(fv.Statistics)
		counts := make([][2]any, len(fv.Counts))
		for i, c := range fv.Counts {
			counts[i] = [2]any{c.Value, c.Count}
		}
		writeJSON(w, http.StatusOK, fieldValuesResponse{
			FieldID: fv.FieldID, Values: fv.Values, Statistics: snake, ResultType: "field-metadata",
			ValueMetadata: valueMetadata{Statistics: kebab, FieldValues: fv.Values},
			ValueCounts:   counts, Truncated: fv.Truncated, Restrictions: restrictionsOf(fv.Restrictions),
		})
		return nil
	}
}

// queries reads a search list: a list of strings, or one string.
func queries(raw json.RawMessage, path string) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		if strings.TrimSpace(one) == "" {
			return nil, nil
		}
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, badRequestAt(path, "%s must be a list of strings", path)
	}
	out := many[:0]
	for _, q := range many {
		if strings.TrimSpace(q) != "" {
			out = append(out, q)
		}
	}
	return out, nil
}

var searchKeys = []string{"term_queries", "semantic_queries"}

type searchResponse struct {
	Data       []engine.SearchResult `json:"data"`
	TotalCount int                   `json:"total_count"`
	// Note (an addition) says why nothing can be found: no policy grants
	// the caller anything.
	Note string `json:"note,omitempty"`
}

func (h *handler) search(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var body map[string]json.RawMessage
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	for k := range body {
		// Other keys are ignored, as Metabase ignores them; a likely typo is not.
		if s := suggest.Closest(k, searchKeys); s != "" && k != s {
			e := badRequest("unknown key %q in the search request (did you mean %q?)", k, s)
			e.Path, e.Candidates = k, searchKeys
			return e
		}
	}
	terms, err := queries(body["term_queries"], "term_queries")
	if err != nil {
		return err
	}
	semantic, err := queries(body["semantic_queries"], "semantic_queries")
	if err != nil {
		return err
	}
	limit := engine.SearchLimit
	if s := r.URL.Query().Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit <= 0 {
			return badRequestAt("limit", "limit must be a positive integer, not %q", s)
		}
	}
	results, err := h.e.Search(r.Context(), p, terms, semantic)
	if err != nil {
		return err
	}
	if len(results) > limit {
		results = results[:limit]
	}
	resp := searchResponse{Data: results, TotalCount: len(results)}
	if len(results) == 0 {
		if tables, metrics, err := h.e.Visible(p); err == nil && tables == 0 && metrics == 0 {
			resp.Note = engine.NothingGranted
		}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// restrictionsOf is a list of restrictions, empty rather than null.
func restrictionsOf(rs []engine.Restriction) []engine.Restriction {
	if rs == nil {
		return []engine.Restriction{}
	}
	return rs
}
