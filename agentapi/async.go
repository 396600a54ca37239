package agentapi

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/agentlayer/agentlayer/auth"
)

// AsyncTimeout bounds a /v1/query asked with Prefer: respond-async; its
// answer is kept until fetched or for AsyncKeep after it ends.
const (
	AsyncTimeout = 10 * time.Minute
	AsyncKeep    = 5 * time.Minute
	// maxAsyncPerUser bounds the answers a user may have pending.
	maxAsyncPerUser = 8
)

// asyncQueries are the /v1/query answers asked with Prefer: respond-async
// (an addition to Metabase's API), in this process only.
type asyncQueries struct {
	key []byte
	mu  sync.Mutex
	m   map[string]*asyncQuery
}

// asyncQuery is one: its user and model generation, and the answer as the
// synchronous endpoint wrote it, recorded.
type asyncQuery struct {
	user    string
	gen     int
	expires time.Time
	done    chan struct{}
	rec     *answerRecorder
	cancel  context.CancelFunc
}

func newAsyncQueries() *asyncQueries {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return &asyncQueries{key: key, m: map[string]*asyncQuery{}}
}

func (as *asyncQueries) sign(id string, q *asyncQuery) string {
	m := hmac.New(sha256.New, as.key)
	fmt.Fprintf(m, "%s\x00%s\x00%d", id, q.user, q.gen)
	return id + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// answerRecorder keeps what a handler writes: the answer of a query run past
// its request.
type answerRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *answerRecorder) Header() http.Header { return r.header }
func (r *answerRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}
func (r *answerRecorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}
func (r *answerRecorder) Flush() {}

// respondAsync reports whether a request prefers an asynchronous answer
// (RFC 7240).
func respondAsync(r *http.Request) bool {
	for _, v := range r.Header.Values("Prefer") {
		for _, p := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(p), "respond-async") {
				return true
			}
		}
	}
	return false
}

// startAsync runs /v1/query past its request: 202 with a Location naming
// /v1/query/{handle}, where the answer is fetched once it is ready.
func (h *handler) startAsync(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	// The request's own log line ends with the 202; the query's work is
	// its own (a fresh log info, so that the two never share one).
	ctx, cancel := context.WithTimeout(withInfo(context.WithoutCancel(r.Context()), &requestInfo{email: p.Email}), AsyncTimeout)
	q := &asyncQuery{user: p.Email, gen: h.e.Version().Generation, done: make(chan struct{}), cancel: cancel,
		rec: &answerRecorder{header: http.Header{}}, expires: time.Now().Add(AsyncTimeout + AsyncKeep)}
	as := h.async
	as.mu.Lock()
	as.expire()
	n := 0
	for _, o := range as.m {
		if o.user == q.user {
			n++
		}
	}
	if n >= maxAsyncPerUser {
		as.mu.Unlock()
		cancel()
		return errOverloadedAsync
	}
	raw := make([]byte, 12)
	_, _ = rand.Read(raw)
	id := base64.RawURLEncoding.EncodeToString(raw)
	as.m[id] = q
	as.mu.Unlock()
	handle := as.sign(id, q)
	// The body is read now: the server closes it when this request ends.
	data, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		as.remove(id)
		return badRequest("cannot read the request body")
	}
	body := r.Clone(ctx)
	body.Body = io.NopCloser(bytes.NewReader(data))
	go func() {
		defer close(q.done)
		defer cancel()
		if err := h.query(q.rec, body, p); err != nil {
			h.fail(q.rec, body, err)
		}
	}()
	w.Header().Set("Location", "/api/agent/v1/query/"+handle)
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "running", "handle": handle})
	return nil
}

var errOverloadedAsync = &apiError{Status: http.StatusServiceUnavailable, Code: "overloaded",
	Message: fmt.Sprintf("you have %d answers running already: fetch them first", maxAsyncPerUser)}

// expire drops what is past its time. The caller holds mu.
func (as *asyncQueries) expire() {
	now := time.Now()
	for id, q := range as.m {
		if now.After(q.expires) {
			q.cancel()
			delete(as.m, id)
		}
	}
}

// queryResult answers GET /v1/query/{handle}: 202 running, or the answer
// as /v1/query would have written it, once; a handle of another user, of
// another process or expired is a 404, and after a reload the query must
// be asked again (what the user may see could have changed).
func (h *handler) queryResult(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	handle := r.PathValue("handle")
	as := h.async
	as.mu.Lock()
	as.expire()
	id, _, _ := strings.Cut(handle, ".")
	q := as.m[id]
	if q == nil || q.user != p.Email || !hmac.Equal([]byte(as.sign(id, q)), []byte(handle)) {
		as.mu.Unlock()
		return &apiError{Status: http.StatusNotFound, Code: "not_found", Message: "no answer has this handle here: it was fetched, expired, was another server's, or never was"}
	}
	as.mu.Unlock()
	if q.gen != h.e.Version().Generation {
		as.remove(id)
		return badRequest("the model or the policies were reloaded since the query started: ask it again")
	}
	select {
	case <-q.done:
	default:
		writeJSON(w, http.StatusAccepted, map[string]string{"status": "running", "handle": handle})
		return nil
	}
	as.remove(id)
	for k, v := range q.rec.header {
		w.Header()[k] = v
	}
	w.WriteHeader(q.rec.status)
	_, err := w.Write(q.rec.body.Bytes())
	return err
}

func (as *asyncQueries) remove(id string) {
	as.mu.Lock()
	defer as.mu.Unlock()
	if q := as.m[id]; q != nil {
		q.cancel()
		delete(as.m, id)
	}
}

// queryMaybeAsync is /v1/query, or its asynchronous form when the request
// prefers it.
func (h *handler) queryMaybeAsync(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if respondAsync(r) {
		return h.startAsync(w, r, p)
	}
	return h.query(w, r, p)
}
