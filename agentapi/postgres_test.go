package agentapi

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/testsupport/pgtest"
)

// TestPostgres_restartUnderLoad restarts a PostgreSQL server of the
// test's own while clients query through the Agent API. Every request
// gets an answer — completed, 202 failed, or 503 unavailable with
// Retry-After — never a hang or a 5xx of another kind; answers complete
// again once the server is back; and afterwards no goroutine is left and
// the connections to the server are within the pool's bound, none busy.
func TestPostgres_restartUnderLoad(t *testing.T) {
	ctx := context.Background()
	pg := pgtest.StartServer(t)
	if err := pg.Exec(ctx, "", "CREATE DATABASE sample"); err != nil {
		t.Fatal(err)
	}
	url := pg.URL("sample")
	const maxConns = 4
	opts := sampleOptions()
	opts.Database, opts.MaxConnections, opts.MaxConcurrentQueries, opts.QueueTimeout = url, maxConns, maxConns, 2*time.Second
	opts.Setup = func(ctx context.Context, db *sql.DB) error { return fixtures.LoadPostgres(ctx, db, 0.1) }
	e, err := engine.New(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	handler, err := sampleHandler(e)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler)
	defer srv.Close()
	before := runtime.NumGoroutine()

	h := personaNamed("sales").header(t)
	s := &e2e{srv: srv}
	tokens := []string{
		constructToken(t, s, h, `{"table_id":1,"aggregations":[{"function":"sum","field_id":"t1-5"}],"group_by":[{"field_id":"t1-7","field_granularity":"month"}]}`),
		constructToken(t, s, h, `{"table_id":2,"limit":50}`),
	}
	client := &http.Client{Timeout: 30 * time.Second} // a hang fails the request, and the test
	var completed, failed, unavailable, other atomic.Int64
	var mu sync.Mutex
	var others []string
	var sawDown atomic.Bool
	var completedAfter atomic.Int64 // completed after the restart
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				status, body, retry, err := post(client, srv.URL+"/api/agent/v1/execute", h["Authorization"], `{"query":"`+tokens[(w+i)%2]+`"}`)
				switch {
				case err != nil:
					other.Add(1)
					mu.Lock()
					others = append(others, err.Error())
					mu.Unlock()
				case status == 202 && strings.Contains(body, `"status":"completed"`):
					completed.Add(1)
					if sawDown.Load() {
						completedAfter.Add(1)
					}
				case status == 202 && strings.Contains(body, `"status":"failed"`) && json.Valid([]byte(body)):
					failed.Add(1)
				case status == 503 && retry == "1" && strings.Contains(body, `"error":"unavailable"`):
					unavailable.Add(1)
				default:
					other.Add(1)
					mu.Lock()
					others = append(others, fmt.Sprintf("%d %s", status, body[:min(len(body), 200)]))
					mu.Unlock()
				}
			}
		}(w)
	}
	waitFor(t, func() bool { return completed.Load() >= 20 }, "answers before the restart")
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	sawDown.Store(true)
	waitFor(t, func() bool { return unavailable.Load()+failed.Load() >= 5 }, "requests refused while the server is down")
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return completedAfter.Load() >= 20 }, "answers after the restart")
	close(stop)
	wg.Wait()
	t.Logf("completed %d (%d after the restart), failed %d, unavailable %d", completed.Load(), completedAfter.Load(), failed.Load(), unavailable.Load())
	if other.Load() > 0 {
		t.Errorf("%d requests got another answer, first: %v", other.Load(), others[:min(len(others), 3)])
	}

	admin, err := sql.Open("pgx", pg.URL(""))
	if err != nil {
		t.Fatal(err)
	}
	var conns, busy int
	err = admin.QueryRow(`SELECT count(*), count(*) FILTER (WHERE state = 'active')
		FROM pg_stat_activity WHERE application_name = 'agentlayer'`).Scan(&conns, &busy)
	admin.Close()
	if err != nil {
		t.Fatal(err)
	}
	if conns > maxConns || busy > 0 {
		t.Errorf("%d connections to the server, %d busy; the pool's bound is %d", conns, busy, maxConns)
	}
	srv.CloseClientConnections()
	client.CloseIdleConnections()
	checkGoroutines(t, before)
}

// post sends a POST with a bearer token and reads the whole answer.
func post(c *http.Client, url, authorization, body string) (int, string, string, error) {
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		return 0, "", "", err
	}
	req.Header.Set("Authorization", authorization)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("Retry-After"), err
}

// TestPostgres_failureMidStream: the server's backend dies while an answer
// streams; the answer that has begun ends with status failed, as valid
// JSON, never claimed complete.
func TestPostgres_failureMidStream(t *testing.T) {
	url := pgtest.NewDatabase(t)
	database := url[strings.LastIndex(url, "/")+1:]
	srv, _ := bigServer(t, engine.Options{Database: url})
	h := bearer(t)
	req, _ := http.NewRequest("POST", srv.URL+"/api/agent/v1/execute", strings.NewReader(`{"query":"`+constructTokenAt(t, srv.URL, h, bigQuery)+`"}`))
	req.Header.Set("Authorization", h["Authorization"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	head := make([]byte, 64<<10)
	if _, err := io.ReadFull(resp.Body, head); err != nil {
		t.Fatal(err)
	}
	var killed int
	if err := pgtest.Open(t, pgtest.URL(t)).QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = $1 AND application_name = 'agentlayer' AND state = 'active'`, database).Scan(&killed); err != nil || killed != 1 {
		t.Fatalf("terminated %d backends (%v)", killed, err)
	}
	rest, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body := append(head, rest...)
	tail := string(body[max(0, len(body)-200):])
	if !json.Valid(body) || !strings.Contains(tail, `"status":"failed","error":"The query failed while running (`) {
		t.Errorf("valid JSON %v, the answer ends %q", json.Valid(body), tail)
	}
	var r struct {
		RowCount int `json:"row_count"`
	}
	json.Unmarshal(body, &r)
	if r.RowCount >= 300000 {
		t.Errorf("all %d rows arrived: the backend did not die midway", r.RowCount)
	}
	t.Logf("%d rows, then %s", r.RowCount, tail[strings.Index(tail, `"status"`):])
}

// TestPostgres_sessionStoreDown: while the PostgreSQL holding the sessions
// is down, a request with a session and an exchange for one answer 503
// unavailable with Retry-After — not 401, which would tell the client its
// session is gone, nor 500 — and both work again once it is back.
func TestPostgres_sessionStoreDown(t *testing.T) {
	ctx := context.Background()
	pg := pgtest.StartServer(t)
	db, err := sql.Open("pgx", pg.URL(""))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	store, err := auth.OpenPostgresStore(ctx, db, auth.PostgresStoreOptions{SweepInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	s := server(t)
	v, _ := auth.NewVerifier(auth.VerifierOptions{Secret: testSecret})
	srv := httptest.NewServer(New(s.e, Options{Verifier: v, Sessions: auth.NewSessions(auth.SessionOptions{Store: store})}))
	defer srv.Close()
	jwt := personaNamed("admin").header(t)["Authorization"][len("Bearer "):]
	got := call(t, "POST", srv.URL+"/auth/sso", nil, `{"jwt":"`+jwt+`"}`)
	var sso struct{ ID string }
	if json.Unmarshal([]byte(got.body), &sso); got.status != 200 || sso.ID == "" {
		t.Fatalf("sso: %d %s", got.status, got.body)
	}
	session := map[string]string{SessionHeader: sso.ID}
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, r := range []response{
		call(t, "GET", srv.URL+"/api/agent/v1/ping", session, ""),
		call(t, "POST", srv.URL+"/auth/sso", nil, `{"jwt":"`+jwt+`"}`),
	} {
		if r.status != 503 || r.header.Get("Retry-After") != "1" || !strings.Contains(r.body, `"error":"unavailable"`) {
			t.Errorf("with the store down: %d %s", r.status, r.body)
		}
	}
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		return call(t, "GET", srv.URL+"/api/agent/v1/ping", session, "").status == 200
	}, "the session to work again")
}
