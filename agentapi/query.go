package agentapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/sqlgen"
)

// PageSize is the number of rows a /v1/query page holds at most.
const PageSize = 200

// readRequest reads a construct request body.
func readRequest(r *http.Request) (*sqlgen.Request, error) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, errTooLarge
		}
		return nil, badRequest("cannot read the request body")
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
	tok, err := h.e.Token(q, req)
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
		e := badRequest("query is required: the token construct-query returned")
		e.Path = "query"
		writeError(w, e)
		return
	}
	req, _, err := h.e.Request(body.Query)
	if err != nil {
		writeError(w, h.mapError(r, err, "", 0))
		return
	}
	// The token is planned again, for whoever executes it.
	q, err := h.e.Construct(r.Context(), p, req)
	if err != nil {
		writeError(w, h.mapError(r, err, "table", req.TableID))
		return
	}
	start := time.Now()
	rows, err := h.e.Execute(r.Context(), p, q)
	h.stream(w, r, rows, err, start, nil)
}

// query answers /v1/query: a construct request, or a continuation token,
// run at once, a page of at most PageSize rows at a time.
func (h *handler) query(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, errTooLarge)
			return
		}
		writeError(w, badRequest("cannot read the request body"))
		return
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		writeError(w, badRequest("request body must be a JSON object: %v", jsonProblem(err)))
		return
	}
	var req *sqlgen.Request
	offset := 0
	if raw, ok := probe["continuation_token"]; ok {
		var tok string
		if err := json.Unmarshal(raw, &tok); err != nil || tok == "" || len(probe) != 1 {
			e := badRequest("a continuation request is {\"continuation_token\": \"<token>\"} alone")
			e.Path = "continuation_token"
			writeError(w, e)
			return
		}
		if req, offset, err = h.e.Request(tok); err != nil {
			writeError(w, h.mapError(r, err, "", 0))
			return
		}
	} else if req, err = sqlgen.ParseRequest(data); err != nil {
		writeError(w, h.mapError(r, err, "", 0))
		return
	}
	// Every page is authorized again, for the caller.
	q, err := h.e.Construct(r.Context(), p, req)
	if err != nil {
		writeError(w, h.mapError(r, err, "table", req.TableID))
		return
	}
	start := time.Now()
	rows, err := h.e.Page(r.Context(), p, q, offset, PageSize+1)
	next := func() string {
		tok, err := h.e.Continuation(q, req, offset+PageSize)
		if err != nil {
			return ""
		}
		return tok
	}
	h.stream(w, r, rows, err, start, next)
}

// col is a result column as the Agent API describes it.
type col struct {
	Name          string `json:"name"`
	DisplayName   string `json:"display_name"`
	BaseType      string `json:"base_type"`
	EffectiveType string `json:"effective_type,omitempty"`
	SemanticType  string `json:"semantic_type,omitempty"`
	FieldID       string `json:"field_id,omitempty"`
	Unit          string `json:"unit,omitempty"`
}

type failedResponse struct {
	Status  string `json:"status"`
	Error   string `json:"error"`
	Running int64  `json:"running_time"`
}

// flushEvery is how many rows are written between flushes.
const flushEvery = 500

// stream writes a query's result as 202 and rows as DuckDB produces them.
// An error before the first byte becomes a 4xx or 503 (it could not
// start), or 202 {"status": "failed"}; an error after the rows began ends
// the body with status failed. With next (for /v1/query), at most PageSize
// rows are written, and next gives the continuation token.
func (h *handler) stream(w http.ResponseWriter, r *http.Request, rows *engine.Rows, err error, start time.Time, next func() string) {
	if err != nil {
		switch {
		case errors.Is(err, engine.ErrTimeout):
			writeJSON(w, http.StatusAccepted, failedResponse{Status: "failed", Error: "The query took longer than the time allowed.", Running: ms(start)})
		case errors.Is(err, context.Canceled):
			// The client went away: nobody to answer.
		default:
			ae := h.mapError(r, err, "", 0)
			var api *apiError
			if errors.As(ae, &api) && api.status == http.StatusInternalServerError && api.Code == "query_failed" {
				writeJSON(w, http.StatusAccepted, failedResponse{Status: "failed", Error: api.Message, Running: ms(start)})
				return
			}
			writeError(w, ae)
		}
		return
	}
	defer rows.Close()
	limit := -1
	if next != nil {
		limit = PageSize
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	flusher, _ := w.(http.Flusher)
	buf := make([]byte, 0, 64<<10)
	buf = append(buf, `{"data":{"cols":`...)
	cols := make([]col, len(rows.Columns))
	for i, c := range rows.Columns {
		cols[i] = col{Name: c.Name, DisplayName: c.DisplayName, BaseType: c.BaseType, SemanticType: c.SemanticType,
			FieldID: c.FieldID, Unit: string(c.Unit)}
		if c.EffectiveType != "" && c.EffectiveType != c.BaseType {
			cols[i].EffectiveType = c.EffectiveType
		}
	}
	enc, _ := json.Marshal(cols)
	buf = append(buf, enc...)
	buf = append(buf, `,"rows":[`...)
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
		if written%flushEvery == 0 || len(buf) > 48<<10 {
			if _, err := w.Write(buf); err != nil {
				return // the client went away; closing rows cancels the query
			}
			buf = buf[:0]
			if flusher != nil {
				flusher.Flush()
			}
		}
	}
	info(r.Context()).rows, info(r.Context()).counted = written, true
	buf = append(buf, "]}"...)
	if err := rows.Err(); err != nil {
		msg := "The query failed while running."
		switch {
		case errors.Is(err, engine.ErrTimeout):
			msg = "The query took longer than the time allowed."
		case errors.Is(err, context.Canceled):
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
	w.Write(buf)
}

func ms(start time.Time) int64 { return time.Since(start).Milliseconds() }

func appendJSONString(dst []byte, s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return append(dst, bytes.TrimRight(b.Bytes(), "\n")...)
}
