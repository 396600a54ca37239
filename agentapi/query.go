package agentapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/internal/jsontree"
	"github.com/agentlayer/agentlayer/sqlgen"
)

// PageSize is the number of rows a /v1/query page holds at most.
const PageSize = 200

// MaxFieldValues is the most values the field-values endpoints list.
const MaxFieldValues = 10_000

// readRequest reads a construct request body.
func readRequest(r *http.Request) (*sqlgen.Request, error) {
	data, err := readBody(r)
	if err != nil {
		return nil, err
	}
	return sqlgen.ParseRequest(data)
}

type constructResponse struct {
	Query string `json:"query"`
}

func (h *handler) construct(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	req, err := readRequest(r)
	if err != nil {
		writeError(w, h.mapError(r, err, "", 0))
		return
	}
	q, err := h.e.Construct(r.Context(), p, req)
	if err != nil {
		writeError(w, h.mapError(r, err, "table", req.TableID))
		return
	}
	// Planning for the caller now finds what they may not do together
	// (403) before they hold a token.
	if _, err := h.e.Plan(r.Context(), p, q); err != nil {
		writeError(w, h.mapError(r, err, "table", req.TableID))
		return
	}
	tok, err := h.e.Token(q)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, constructResponse{Query: tok})
}

type tokenRequest struct {
	Query string `json:"query"`
}

func (h *handler) execute(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var body tokenRequest
	if err := decodeBody(r, &body); err != nil {
		writeError(w, err)
		return
	}
	if body.Query == "" {
		writeError(w, badRequestAt("query", "query is required: the token construct-query returned"))
		return
	}
	// The token is compiled and planned again, for whoever executes it.
	q, _, err := h.e.QueryFromToken(r.Context(), p, body.Query)
	if err != nil {
		writeError(w, h.mapError(r, err, "", 0))
		return
	}
	start := time.Now()
	rows, err := h.e.Execute(r.Context(), p, q)
	h.stream(w, r, rows, err, start, nil, 0)
}

// query answers /v1/query: a construct request, or a continuation token,
// run at once. As in Metabase, the request's limit is the page size (at
// most PageSize, PageSize by default); pages follow while they are full,
// up to the row cap, each authorized again for whoever asks.
func (h *handler) query(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	body, err := decodeObject(r)
	if err != nil {
		writeError(w, err)
		return
	}
	var q *engine.Query
	offset := 0
	if raw, ok := body["continuation_token"]; ok && raw != nil {
		tok, _ := raw.(string)
		if tok == "" {
			writeError(w, badRequestAt("continuation_token", "continuation_token must be the token of the previous page"))
			return
		}
		if q, offset, err = h.e.QueryFromToken(r.Context(), p, tok); err != nil {
			ae := h.mapError(r, err, "", 0)
			if api, ok := ae.(*apiError); ok && api.Path == "query" {
				api.Path = "continuation_token"
			}
			writeError(w, ae)
			return
		}
	} else {
		delete(body, "continuation_token")
		req, err := sqlgen.RequestOf(body)
		if err != nil {
			writeError(w, h.mapError(r, err, "", 0))
			return
		}
		if q, err = h.e.Construct(r.Context(), p, req); err != nil {
			writeError(w, h.mapError(r, err, "table", req.TableID))
			return
		}
	}
	// As in Metabase, the request's limit is the page size.
	pageSize := PageSize
	if q.Limit > 0 && q.Limit < PageSize {
		pageSize = q.Limit
	}
	start := time.Now()
	rows, err := h.e.Page(r.Context(), p, q, offset, pageSize+1)
	next := func() string {
		tok, err := h.e.Continuation(q, offset+pageSize)
		if err != nil {
			return ""
		}
		return tok
	}
	h.stream(w, r, rows, err, start, next, pageSize)
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

// readBody reads a request body whole.
func readBody(r *http.Request) ([]byte, error) {
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

// stream writes a query's result as 202 and rows as DuckDB produces them.
// An error before the first byte becomes a 4xx or 503 (it could not
// start), or 202 {"status": "failed"}; an error after the rows began ends
// the body with status failed. With next (for /v1/query), at most
// pageSize rows are written, and next gives the continuation token.
func (h *handler) stream(w http.ResponseWriter, r *http.Request, rows *engine.Rows, err error, start time.Time, next func() string, pageSize int) {
	inf := info(r.Context())
	if err != nil {
		switch {
		case errors.Is(err, engine.ErrTimeout):
			inf.outcome = "timeout"
			writeJSON(w, http.StatusAccepted, failed("The query took longer than the time allowed.", start))
		case errors.Is(err, context.Canceled):
			// The client went away: nobody to answer.
			inf.outcome = "canceled"
		default:
			ae := h.mapError(r, err, "", 0)
			var api *apiError
			if errors.As(ae, &api) && api.status == http.StatusInternalServerError && api.Code == "query_failed" {
				inf.outcome = "failed"
				writeJSON(w, http.StatusAccepted, failed(api.Message, start))
				return
			}
			writeError(w, ae)
		}
		return
	}
	defer rows.Close()
	// A client that reads slowly loses its answer soon after the query's
	// deadline, when the engine has given its slot to the next query: no
	// write waits on it longer than the grace that lets the end of an
	// answer cut short by the deadline reach a client that reads.
	if deadline, ok := rows.Deadline(); ok {
		http.NewResponseController(w).SetWriteDeadline(deadline.Add(writeGrace))
	}
	limit := -1
	if next != nil {
		limit = pageSize
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	flusher, _ := w.(http.Flusher)
	bp := buffers.Get().(*[]byte)
	buf := (*bp)[:0]
	defer func() {
		if cap(buf) <= maxPooledBuffer {
			*bp = buf[:0]
			buffers.Put(bp)
		}
	}()
	buf = append(buf, `{"data":{"cols":[`...)
	for i, c := range rows.Columns {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendCol(buf, c)
	}
	buf = append(buf, `],"rows":[`...)
	written, more := 0, false
	for rows.Next() {
		if limit >= 0 && written == limit {
			more = true // one row past the page: there is a next page
			break
		}
		if written > 0 {
			buf = append(buf, ',')
		}
		buf = rows.AppendJSON(buf)
		written++
		if written%flushEvery == 0 || len(buf) > flushBytes {
			if _, err := w.Write(buf); err != nil {
				inf.outcome = "canceled"
				return // the client went away; closing rows cancels the query
			}
			buf = buf[:0]
			if flusher != nil {
				flusher.Flush()
			}
		}
	}
	inf.rows, inf.counted = written, true
	buf = append(buf, "]}"...)
	if err := rows.Err(); err != nil {
		msg := "The query failed while running."
		inf.outcome = "failed"
		switch {
		case errors.Is(err, engine.ErrTimeout):
			inf.outcome = "timeout"
			msg = "The query took longer than the time allowed."
		case errors.Is(err, context.Canceled):
			inf.outcome = "canceled"
			return
		default:
			var qe *engine.QueryError
			if errors.As(err, &qe) {
				h.log.ErrorContext(r.Context(), "query failed", "err", qe.Err.Error())
				msg = failedMessage(qe)
			}
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
	if next != nil {
		token := ""
		if more && rows.Err() == nil {
			token = next()
		}
		buf = append(buf, `,"continuation_token":`...)
		if token == "" {
			buf = append(buf, "null"...)
		} else {
			buf = appendJSONString(buf, token)
		}
	}
	buf = append(buf, "}\n"...)
	if _, err := w.Write(buf); err != nil {
		inf.outcome = "canceled"
	}
}

func ms(start time.Time) int64 { return time.Since(start).Milliseconds() }

func appendJSONString(dst []byte, s string) []byte { return engine.AppendJSONString(dst, s) }
