package agentapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/internal/httpapi"
	"github.com/agentlayer/agentlayer/internal/jsontree"
	"github.com/agentlayer/agentlayer/internal/jsonw"
)

// MaxFieldValues is the most values the field-values endpoints list.
const MaxFieldValues = 10_000

// readRequest reads a construct request body.
func readRequest(r *http.Request) (*engine.Request, error) {
	data, err := readBody(r)
	if err != nil {
		return nil, err
	}
	return engine.ParseRequest(data)
}

type constructResponse struct {
	Query string `json:"query"`
	// Explanation is the query in words, with explain=true.
	Explanation *engine.Explanation `json:"explanation,omitempty"`
}

func (h *handler) construct(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	req, err := readRequest(r)
	if err != nil {
		return err
	}
	explain, err := boolParam(r, "explain", false)
	if err != nil {
		return err
	}
	q, err := h.e.Construct(r.Context(), p, req)
	if err != nil {
		return err
	}
	// Planning for the caller now finds what they may not do together
	// (403) before they hold a token.
	var out constructResponse
	if explain {
		out.Explanation, err = h.e.Explain(r.Context(), p, q)
	} else {
		_, err = h.e.Plan(r.Context(), p, q)
	}
	if err != nil {
		return err
	}
	if out.Query, err = h.e.Token(q); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type tokenRequest struct {
	Query string `json:"query"`
}

func (h *handler) execute(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var body tokenRequest
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	if body.Query == "" {
		return badRequestAt("query", "query is required: the token construct-query returned")
	}
	// The token is compiled and planned again, for whoever executes it.
	q, _, err := h.e.QueryFromToken(r.Context(), p, body.Query)
	if err != nil {
		return err
	}
	start := time.Now()
	rows, err := h.e.Execute(r.Context(), p, q)
	return h.stream(w, r, rows, err, start, false)
}

// query answers /v1/query: a construct request, or a continuation token,
// run at once. As in Metabase, the request's limit is the page size (at
// most engine.DefaultPageSize, that by default); pages follow while they are full,
// up to the row cap, each authorized again for whoever asks. A request
// that gives page_size pages by it instead, and its limit is the total:
// the last page carries no token.
func (h *handler) query(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	body, err := decodeObject(r)
	if err != nil {
		return err
	}
	var q *engine.Query
	offset := 0
	if raw, ok := body["continuation_token"]; ok && raw != nil {
		tok, _ := raw.(string)
		if tok == "" {
			return badRequestAt("continuation_token", "continuation_token must be the token of the previous page")
		}
		if q, offset, err = h.e.QueryFromToken(r.Context(), p, tok); err != nil {
			ae := *h.mapError(r, err)
			if ae.Path == "query" {
				ae.Path = "continuation_token"
			}
			return &ae
		}
	} else {
		delete(body, "continuation_token")
		pageSize, err := pageSizeOf(body)
		if err != nil {
			return err
		}
		req, err := engine.DecodeRequest(body)
		if err != nil {
			return err
		}
		if q, err = h.e.Construct(r.Context(), p, req); err != nil {
			return err
		}
		if pageSize > 0 {
			q.Paging = engine.Paging{Size: pageSize, LimitIsTotal: true}
		}
	}
	start := time.Now()
	rows, err := h.e.Page(r.Context(), p, q, offset)
	return h.stream(w, r, rows, err, start, true)
}

// pageSizeOf takes page_size out of a /v1/query body: 0 when absent.
func pageSizeOf(body map[string]any) (int, error) {
	raw, ok := body["page_size"]
	if !ok {
		return 0, nil
	}
	delete(body, "page_size")
	n, isNum := raw.(json.Number)
	v, err := n.Int64()
	if !isNum || err != nil || v < 1 || v > engine.MaxPageSize {
		return 0, badRequestAt("page_size", "page_size must be an integer from 1 to %d", engine.MaxPageSize)
	}
	return int(v), nil
}

// decodeObject reads a JSON object body once into a tree, refusing a key
// given twice and nesting past jsontree.MaxDepth.
func decodeObject(r *http.Request) (map[string]any, error) {
	data, err := readBody(r)
	if err != nil {
		return nil, err
	}
	root, err := jsontree.Decode(data, 0)
	var je *jsontree.Error
	switch {
	case errors.As(err, &je):
		return nil, badRequestAt(je.Path, "%s", je.Message)
	case err != nil:
		return nil, badRequest("request body must be a JSON object: %v", jsonProblem(data, json.Unmarshal(data, new(any))))
	}
	m, ok := root.(map[string]any)
	if !ok {
		return nil, badRequest("request body must be a JSON object: expected an object, not %s", jsonKindOf(root))
	}
	return m, nil
}

// readBody reads a JSON request body whole. A body of another
// Content-Type (a form, as curl -d sends without -H) is refused, naming
// it; none given is JSON.
func readBody(r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, badRequest("the request body must be JSON: Content-Type must be application/json, not %q", ct)
		}
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, errTooLarge
		}
		return nil, badRequest("cannot read the request body")
	}
	return data, nil
}

// appendCol appends a result column as the Agent API describes it: name,
// display_name, base_type, and effective_type, semantic_type, field_id and
// unit when known.
func appendCol(dst []byte, c engine.Column) []byte {
	dst = append(dst, `{"name":`...)
	dst = appendJSONString(dst, c.Name)
	dst = append(dst, `,"display_name":`...)
	dst = appendJSONString(dst, c.DisplayName)
	dst = append(dst, `,"base_type":`...)
	dst = appendJSONString(dst, c.BaseType)
	for _, kv := range [...][2]string{
		{"effective_type", effectiveType(c)}, {"semantic_type", c.SemanticType},
		{"field_id", c.FieldID}, {"unit", string(c.Unit)},
	} {
		if kv[1] != "" {
			dst = append(dst, `,"`+kv[0]+`":`...)
			dst = appendJSONString(dst, kv[1])
		}
	}
	if c.Currency != "" {
		dst = append(dst, `,"currency":`...)
		dst = appendJSONString(dst, c.Currency)
	}
	if c.Masked != "" {
		dst = append(dst, `,"masked":`...)
		dst = appendJSONString(dst, c.Masked)
	}
	if c.Round {
		dst = append(dst, `,"decimals":`...)
		dst = strconv.AppendInt(dst, int64(c.Decimals), 10)
	}
	return append(dst, '}')
}

func effectiveType(c engine.Column) string {
	if c.EffectiveType != c.BaseType {
		return c.EffectiveType
	}
	return ""
}

// failedResponse is a query that failed before its first row; data and
// row_count are there, empty, as Metabase clients read them first.
type failedResponse struct {
	Status   string     `json:"status"`
	Error    string     `json:"error"`
	Data     failedData `json:"data"`
	RowCount int        `json:"row_count"`
	Running  int64      `json:"running_time"`
}

type failedData struct {
	Cols []any `json:"cols"`
	Rows []any `json:"rows"`
}

func failed(msg string, start time.Time) failedResponse {
	return failedResponse{Status: "failed", Error: msg, Data: failedData{Cols: []any{}, Rows: []any{}}, Running: ms(start)}
}

// writeGrace is how long past its query's deadline an answer may take to
// be written.
const writeGrace = 2 * time.Second

// flushEvery is how many rows are written between flushes; a flush also
// comes when the buffer holds flushBytes.
const (
	flushEvery      = 500
	flushBytes      = 48 << 10
	maxPooledBuffer = 256 << 10
)

// buffers recycles the buffers results are written through.
var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// stream answers with a query's result: 202 and rows as the database
// produces them. An error before anything is written is returned (a 4xx or
// 503: the query could not start) or, for a query that failed or timed out,
// answered 202 {"status": "failed"}; an error after the rows began ends the
// body with status failed. A page (paged, for /v1/query) ends its body
// with its continuation token.
func (h *handler) stream(w http.ResponseWriter, r *http.Request, rows *engine.Rows, err error, start time.Time, paged bool) error {
	if err != nil {
		return h.notStarted(w, r, err, start)
	}
	defer rows.Close()
	// A client that reads slowly loses its answer soon after the query's
	// deadline, when the engine has given its slot to the next query: no
	// write waits on it longer than the grace that lets the end of an
	// answer cut short by the deadline reach a client that reads.
	if deadline, ok := rows.Deadline(); ok {
		http.NewResponseController(w).SetWriteDeadline(deadline.Add(writeGrace))
	}
	w.Header().Set("Content-Type", "application/json")
	setProvenance(w.Header(), rows.Provenance)
	// The status goes with the first bytes written: an answer whose body
	// fits the buffer is sent whole, with its length, in one write.
	began := false
	begin := func() {
		if !began {
			began = true
			w.WriteHeader(http.StatusAccepted)
		}
	}
	bp := buffers.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= maxPooledBuffer {
			*bp = (*bp)[:0]
			buffers.Put(bp)
		}
	}()
	inf := info(r.Context())
	buf, written, err := writeRows(w, rows, appendCols((*bp)[:0], rows.Columns), begin)
	*bp = buf
	if err != nil {
		cut(rows, inf) // closing rows cancels the query
		return nil
	}
	inf.rows, inf.counted = written, true
	buf = append(buf, "]}"...)
	if err := rows.Err(); err != nil {
		outcome, msg := h.failure(r, err)
		inf.outcome = outcome
		if outcome == "canceled" {
			return nil
		}
		buf = append(buf, `,"status":"failed","error":`...)
		buf = appendJSONString(buf, msg)
	} else {
		buf = append(buf, `,"status":"completed"`...)
	}
	buf = append(buf, `,"row_count":`...)
	buf = strconv.AppendInt(buf, int64(written), 10)
	buf = append(buf, `,"running_time":`...)
	buf = strconv.AppendInt(buf, ms(start), 10)
	if paged {
		buf = appendContinuation(buf, rows)
	}
	buf = appendRestrictions(buf, rows.Restrictions)
	*bp = append(buf, "}\n"...)
	if !began {
		w.Header().Set("Content-Length", strconv.Itoa(len(*bp)))
	}
	begin()
	if _, err := w.Write(*bp); err != nil {
		cut(rows, inf)
		return nil
	}
	// The last byte reaches the client before the answer is audited (at
	// Close).
	if err := http.NewResponseController(w).Flush(); err != nil {
		cut(rows, inf)
	}
	return nil
}

// cut records an answer whose client was cut off while it was written: it
// left (canceled), or read too slowly to get it before the query's
// deadline (timeout).
func cut(rows *engine.Rows, inf *requestInfo) {
	rows.Cut()
	inf.outcome = "canceled"
	if deadline, ok := rows.Deadline(); ok && time.Now().After(deadline) {
		inf.outcome = "timeout"
	}
}

// The headers that trace an answer without its values.
const (
	// PoliciesHeader names the policies (applying to the caller) that
	// decided the answer.
	PoliciesHeader = "X-Agentlayer-Policies"
	// PlanHeader is a fingerprint of the plan run.
	PlanHeader = "X-Agentlayer-Plan"
	// CacheHeader says whether the answer came from the result cache: hit
	// or miss; absent when the cache is off.
	CacheHeader = "X-Agentlayer-Cache"
)

func setProvenance(h http.Header, pv engine.Provenance) {
	h.Set(PoliciesHeader, strings.Join(pv.Policies, ", "))
	h.Set(PlanHeader, pv.Plan)
	if pv.Cache != "" {
		h.Set(CacheHeader, pv.Cache)
	}
}

// notStarted answers a query that failed before its first row: a timeout
// or a failure in the database is 202 {"status": "failed"}, as for a
// failure midway; anything else is its error.
func (h *handler) notStarted(w http.ResponseWriter, r *http.Request, err error, start time.Time) error {
	if errors.Is(err, engine.ErrTimeout) || errors.As(err, new(*engine.QueryError)) || errors.Is(err, context.Canceled) {
		outcome, msg := h.failure(r, err)
		info(r.Context()).outcome = outcome
		if outcome != "canceled" { // else the client went away: nobody to answer
			writeJSON(w, http.StatusAccepted, failed(msg, start))
		}
		return nil
	}
	return err
}

// failure names what ended a query that had started (httpapi.Failure).
func (h *handler) failure(r *http.Request, err error) (outcome, msg string) {
	return httpapi.Failure(r.Context(), h.log, err)
}

// appendCols starts a result body with its columns.
func appendCols(buf []byte, cols []engine.Column) []byte {
	buf = append(buf, `{"data":{"cols":[`...)
	for i, c := range cols {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendCol(buf, c)
	}
	return append(buf, `],"rows":[`...)
}

// writeRows appends the rows to buf, writing and flushing it as it fills
// (begin is called before the first write). An error is the client's: it
// went away.
func writeRows(w http.ResponseWriter, rows *engine.Rows, buf []byte, begin func()) (out []byte, written int, err error) {
	flusher, _ := w.(http.Flusher)
	for rows.Next() {
		if written > 0 {
			buf = append(buf, ',')
		}
		buf = rows.AppendJSON(buf)
		written++
		if written%flushEvery == 0 || len(buf) > flushBytes {
			begin()
			if _, err := w.Write(buf); err != nil {
				return buf, written, err
			}
			buf = buf[:0]
			if flusher != nil {
				flusher.Flush()
			}
		}
	}
	return buf, written, nil
}

// appendContinuation ends a page with its continuation token, null on the
// last page (or one that failed), and has_more, which says whether the
// token is there.
func appendContinuation(buf []byte, rows *engine.Rows) []byte {
	buf = append(buf, `,"continuation_token":`...)
	if rows.Err() == nil {
		if tok, err := rows.Continuation(); err == nil && tok != "" {
			buf = appendJSONString(buf, tok)
			return append(buf, `,"has_more":true`...)
		}
	}
	return append(buf, `null,"has_more":false`...)
}

// appendRestrictions adds how the rows of each table the answer read are
// limited for the caller.
func appendRestrictions(buf []byte, rs []engine.Restriction) []byte {
	buf = append(buf, `,"restrictions":`...)
	if len(rs) == 0 {
		return append(buf, "[]"...)
	}
	data, err := json.Marshal(rs)
	if err != nil {
		return append(buf, "[]"...)
	}
	return append(buf, data...)
}

func ms(start time.Time) int64 { return time.Since(start).Milliseconds() }

func appendJSONString(dst []byte, s string) []byte { return jsonw.String(dst, s) }
