package mcp

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/internal/httpapi"
)

// The defaults of Options.AnswerWithin and AsyncTimeout: MCP clients cut
// a tool call off at about 60 s, so a query not answered within 25 s
// answers with a handle and goes on, for 10 minutes at most.
const (
	DefaultAnswerWithin = 25 * time.Second
	DefaultAsyncTimeout = 10 * time.Minute
	// maxJobsPerUser bounds the queries a user may leave running.
	maxJobsPerUser = 8
)

// jobs are the queries that outlived their call, until their answer is
// fetched (get_result), they are cancelled, or they expire. They live in
// this process only: another serve process does not know their handles.
type jobs struct {
	key []byte
	mu  sync.Mutex
	m   map[string]*job
}

// job is a query running past its call.
type job struct {
	user     string
	gen      int
	started  time.Time
	expires  time.Time
	done     chan struct{}
	res      *sdk.CallToolResult
	err      error
	cancel   context.CancelFunc
	finished time.Time
}

func newJobs() *jobs {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return &jobs{key: key, m: map[string]*job{}}
}

// handle names a job: an id and its signature over the user and the model
// generation, so that a handle is neither guessed nor another user's.
func (js *jobs) handle(id string, j *job) string {
	m := hmac.New(sha256.New, js.key)
	fmt.Fprintf(m, "%s\x00%s\x00%d", id, j.user, j.gen)
	return id + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// add keeps a job; false when its user has too many running.
func (js *jobs) add(j *job) (string, bool) {
	js.mu.Lock()
	defer js.mu.Unlock()
	js.expire()
	n := 0
	for _, o := range js.m {
		if o.user == j.user {
			n++
		}
	}
	if n >= maxJobsPerUser {
		return "", false
	}
	raw := make([]byte, 12)
	_, _ = rand.Read(raw)
	id := base64.RawURLEncoding.EncodeToString(raw)
	js.m[id] = j
	return js.handle(id, j), true
}

// find is the job a handle names for user; nil for any other handle,
// whoever's it is, as one that never existed.
func (js *jobs) find(handle, user string) (string, *job) {
	js.mu.Lock()
	defer js.mu.Unlock()
	js.expire()
	id, _, ok := strings.Cut(handle, ".")
	j := js.m[id]
	if !ok || j == nil || j.user != user || !hmac.Equal([]byte(js.handle(id, j)), []byte(handle)) {
		return "", nil
	}
	return id, j
}

func (js *jobs) remove(id string) {
	js.mu.Lock()
	defer js.mu.Unlock()
	if j := js.m[id]; j != nil {
		j.cancel()
		delete(js.m, id)
	}
}

// expire drops the jobs past their time, cancelling those still running.
// The caller holds mu.
func (js *jobs) expire() {
	now := time.Now()
	for id, j := range js.m {
		if now.After(j.expires) {
			j.cancel()
			delete(js.m, id)
		}
	}
}

// runAsync runs a query tool: its answer if it comes within AnswerWithin,
// else a handle while it goes on under AsyncTimeout.
func (t *tools) runAsync(ctx context.Context, p *auth.Principal, a args, run func(context.Context, *auth.Principal, args) (*sdk.CallToolResult, error)) (*sdk.CallToolResult, error) {
	if t.opts.AnswerWithin < 0 {
		return run(ctx, p, a)
	}
	jctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t.opts.AsyncTimeout)
	j := &job{user: p.Email, gen: t.e.Version().Generation, started: time.Now(), done: make(chan struct{}), cancel: cancel}
	j.expires = j.started.Add(t.opts.AsyncTimeout + 5*time.Minute)
	go func() {
		defer close(j.done)
		j.res, j.err = run(jctx, p, a)
		j.finished = time.Now()
	}()
	timer := time.NewTimer(t.opts.AnswerWithin)
	defer timer.Stop()
	select {
	case <-j.done:
		cancel()
		return j.res, j.err
	case <-ctx.Done():
		cancel() // the client went away before the handle: nobody will ask
		return nil, ctx.Err()
	case <-timer.C:
	}
	handle, ok := t.opts.jobs.add(j)
	if !ok {
		cancel()
		return nil, httpapi.ErrOverloaded
	}
	return running(handle, time.Since(j.started)), nil
}

// running is the result of a query still running: its handle.
func running(handle string, elapsed time.Duration) *sdk.CallToolResult {
	return jobResult(handle, elapsed, "running", fmt.Sprintf("The query is still running after %s: call get_result with {\"handle\": %q} for its answer (or {\"handle\": …, \"cancel\": true} to stop it).",
		elapsed.Round(time.Millisecond), handle))
}

// jobResult is a query's result while it has no rows: running, or
// canceled.
func jobResult(handle string, elapsed time.Duration, status, text string) *sdk.CallToolResult {
	out := map[string]any{"data": map[string]any{"cols": []any{}, "rows": []any{}}, "status": status, "handle": handle,
		"row_count": 0, "truncated": false, "has_more": false, "restrictions": []any{}, "elapsed_ms": elapsed.Milliseconds()}
	data, _ := json.Marshal(out)
	return ok(json.RawMessage(data), text)
}

// getResult answers get_result: the answer of a query that outlived its
// call once it is ready, its progress until then, or its cancellation.
func (t *tools) getResult(ctx context.Context, p *auth.Principal, a args) (*sdk.CallToolResult, error) {
	var handle string
	var stop bool
	if err := a.get("handle", &handle); err != nil {
		return nil, err
	}
	if err := a.get("cancel", &stop); err != nil {
		return nil, err
	}
	id, j := t.opts.jobs.find(handle, p.Email)
	if j == nil {
		e := invalid("handle", "no running query has this handle here: it ended, expired, was another server's, or never was; ask the query again")
		e.Status, e.Code = 404, "not_found"
		return nil, e
	}
	if stop {
		t.opts.jobs.remove(id)
		return jobResult(handle, time.Since(j.started), "canceled", "The query was cancelled."), nil
	}
	if gen := t.e.Version().Generation; gen != j.gen {
		// What the user may see could have changed: the rows read before
		// are not served.
		t.opts.jobs.remove(id)
		return nil, invalid("handle", "the model or the policies were reloaded since the query started: ask it again")
	}
	select {
	case <-j.done:
		t.opts.jobs.remove(id)
		return j.res, j.err
	default:
		return running(handle, time.Since(j.started)), nil
	}
}
