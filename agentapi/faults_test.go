package agentapi

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
)

// bigServer serves a table of 300,000 rows of ~120 bytes each (a 40 MB
// answer with the row cap lifted), over a listener whose connections have
// small send buffers, so that a client that stops reading stalls the
// server's writes at once rather than after megabytes of kernel buffers.
// twoTables is a model of table 1, name, read from the SQL first (with the
// field pad too, unless ""), and table 2, SMALL, from small.
func twoTables(name, first, small, pad string) []byte {
	extra := ""
	if pad != "" {
		extra = "\n      - {name: " + pad + "}"
	}
	return []byte(`version: 1
tables:
  - id: 1
    name: ` + name + `
    source: {sql: '` + first + `'}
    fields:
      - {name: ID, semantic_type: type/PK}` + extra + `
  - id: 2
    name: SMALL
    source: {sql: '` + small + `'}
    fields:
      - {name: ID, semantic_type: type/PK}
`)
}

func bigServer(t *testing.T, opts engine.Options) (*httptest.Server, *engine.Engine) {
	t.Helper()
	testkit.FullTier(t, "answers that outlast timeouts")
	big, small := `SELECT range AS ID, repeat(''x'', 100) AS PAD FROM range(300000)`, "SELECT range AS ID FROM range(10)"
	if engine.IsPostgres(opts.Database) {
		big, small = `SELECT g AS "ID", repeat(''x'', 100) AS "PAD" FROM generate_series(0, 299999) AS g`, `SELECT g AS "ID" FROM generate_series(0, 9) AS g`
	}
	opts.ModelFile = "big.yaml"
	opts.ModelYAML = twoTables("BIG", big, small, "PAD")
	opts.Unrestricted = true
	opts.MaxRows = 300000
	e, err := engine.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := auth.NewVerifier(auth.VerifierOptions{Secret: testSecret})
	srv := httptest.NewUnstartedServer(New(e, Options{Verifier: v}))
	srv.Listener = smallBuffers{srv.Listener}
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		e.Close()
	})
	return srv, e
}

type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(16 << 10)
	}
	return c, err
}

const bigQuery = `{"table_id":1,"fields":[{"field_id":"t1-0"},{"field_id":"t1-1"}],"limit":300000}`

// rawExecute sends an execute request over its own connection, with a
// small receive buffer, and returns the connection and a reader of the
// response.
func rawExecute(t *testing.T, srv *httptest.Server, h map[string]string, token string) (*net.TCPConn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	tc := c.(*net.TCPConn)
	tc.SetReadBuffer(4 << 10)
	body := `{"query":"` + token + `"}`
	fmt.Fprintf(tc, "POST /api/agent/v1/execute HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		h["Authorization"], len(body), body)
	return tc, bufio.NewReaderSize(tc, 1024)
}

// TestSlowReader_cannotHoldASlot: a client reading a large answer at
// 1 KiB/s holds the only query slot for at most the query timeout; the
// queries of everyone else, queued meanwhile, all complete, and the slow
// client's answer is cut, never claimed complete.
func TestSlowReader_cannotHoldASlot(t *testing.T) {
	eachBackend(t, func(t *testing.T, database string) {
		srv, e := bigServer(t, engine.Options{Database: database, MaxConcurrentQueries: 1, QueryTimeout: 2 * time.Second, QueueTimeout: 20 * time.Second})
		h := bearer(t)
		tok := constructTokenAt(t, srv.URL, h, bigQuery)
		quick := constructTokenAt(t, srv.URL, h, `{"table_id":2,"aggregations":[{"function":"count"}]}`)

		conn, r := rawExecute(t, srv, h, tok)
		defer conn.Close()
		slow := make(chan string, 1)
		hurry := make(chan struct{})
		go func() {
			var got strings.Builder
			buf := make([]byte, 1024)
			for {
				n, err := r.Read(buf)
				got.Write(buf[:n])
				// The answer ends when the server closes the connection
				// (its write deadline passed), or with the chunked body's
				// last chunk, when the reader caught up before that and the
				// connection stays open for the next request.
				if err != nil || strings.HasSuffix(got.String(), "\r\n0\r\n\r\n") {
					slow <- got.String()
					return
				}
				select {
				case <-hurry: // read what is left at once
				case <-time.After(time.Second):
				}
			}
		}()
		waitRunning(t, e)

		var wg sync.WaitGroup
		failures := make(chan string, 20)
		for i := 0; i < 10; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				code, res := executeAt(t, srv.URL, h, quick)
				if code != 202 || res.Status != "completed" {
					failures <- fmt.Sprintf("%d %+v", code, res)
				}
			}()
		}
		wg.Wait()
		close(failures)
		for f := range failures {
			t.Errorf("a query behind the slow reader: %s", f)
		}
		// What the server wrote before it gave up on the slow client is read
		// at once: it must be cut short, never the whole answer.
		close(hurry)
		select {
		case body := <-slow:
			if strings.Contains(body, `"status":"completed"`) || len(body) > 10<<20 {
				t.Errorf("the slow client got %d bytes, complete: the server never gave up on it", len(body))
			}
		case <-time.After(60 * time.Second):
			t.Error("the slow client's answer was never cut")
		}
	})
}

// TestClientGone_midStream: a client that reads part of a large answer and
// leaves frees the slot and leaves no goroutine behind.
func TestClientGone_midStream(t *testing.T) {
	eachBackend(t, func(t *testing.T, database string) {
		srv, e := bigServer(t, engine.Options{Database: database, MaxConcurrentQueries: 1, QueueTimeout: 20 * time.Second})
		before := runtime.NumGoroutine()
		h := bearer(t)
		tok := constructTokenAt(t, srv.URL, h, bigQuery)
		conn, r := rawExecute(t, srv, h, tok)
		if _, err := io.ReadFull(r, make([]byte, 64<<10)); err != nil {
			t.Fatal(err)
		}
		conn.Close()
		waitFor(t, func() bool { return e.Stats().Running == 0 }, "the slot to be freed")
		code, res := executeAt(t, srv.URL, h, constructTokenAt(t, srv.URL, h, `{"table_id":2,"aggregations":[{"function":"count"}]}`))
		if code != 202 || res.Status != "completed" {
			t.Errorf("after the client left: %d %+v", code, res)
		}
		checkGoroutines(t, before)
	})
}

// TestTimeout_midStream: a query whose time runs out while its rows are
// being written ends its answer with status failed; the rows already sent
// are not claimed to be the whole answer.
func TestTimeout_midStream(t *testing.T) {
	eachBackend(t, func(t *testing.T, database string) {
		const timeout = 1500 * time.Millisecond
		srv, _ := bigServer(t, engine.Options{Database: database, QueryTimeout: timeout})
		h := bearer(t)
		tok := constructTokenAt(t, srv.URL, h, bigQuery)
		req, _ := http.NewRequest("POST", srv.URL+"/api/agent/v1/execute", strings.NewReader(`{"query":"`+tok+`"}`))
		req.Header.Set("Authorization", h["Authorization"])
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		// Read at ~4 MB/s until the query's deadline has passed, so that the
		// 40 MB answer outlasts it; then at full speed, as a client that
		// keeps up, which the server's write grace lets read the end.
		var body []byte
		buf := make([]byte, 64<<10)
		for {
			n, err := resp.Body.Read(buf)
			body = append(body, buf[:n]...)
			if err != nil {
				break
			}
			if time.Since(start) < timeout {
				time.Sleep(15 * time.Millisecond)
			}
		}
		var res struct {
			Status   string `json:"status"`
			Error    string `json:"error"`
			RowCount int    `json:"row_count"`
		}
		if err := json.Unmarshal(body, &res); err != nil {
			t.Fatalf("the answer does not end as JSON after %d bytes: %v\n…%s", len(body), err, body[max(0, len(body)-200):])
		}
		if resp.StatusCode != 202 || res.Status != "failed" || res.Error != "The query took longer than the time allowed." || res.RowCount >= 300000 {
			t.Errorf("%d %s %q after %d rows", resp.StatusCode, res.Status, res.Error, res.RowCount)
		}
	})
}

// TestSlowReaders_fairSlots: with 4 query slots, two hostile users who
// keep re-opening a 40 MB answer and reading it at 1 KiB/s, and keep
// asking for a query that reads the whole table, cannot turn a third user
// away: each of the third user's queries is answered within the 5 s queue
// time (past it, a 503). The slow readers would otherwise hold every slot
// until their 20 s deadline: a slow reader holds no slot (the database
// writes its rows into a buffer), and while the third user waits, each
// hostile user holds at most 3 slots and is served in turn, so the third
// user waits at most for one hostile query to finish.
func TestSlowReaders_fairSlots(t *testing.T) {
	srv, _ := bigServer(t, engine.Options{MaxConcurrentQueries: 4, QueryTimeout: 20 * time.Second, QueueTimeout: 5 * time.Second})
	as := func(email string) map[string]string {
		return map[string]string{"Authorization": "Bearer " + hs256(t, jwt.MapClaims{"email": email, "iat": time.Now().Unix()})}
	}
	ctx, stop := context.WithCancel(context.Background())
	var hostile sync.WaitGroup
	for _, email := range []string{"h1@example.com", "h2@example.com"} {
		h := as(email)
		tok := constructTokenAt(t, srv.URL, h, bigQuery)
		heavy := constructTokenAt(t, srv.URL, h, `{"table_id":1,"aggregations":[{"function":"count-distinct","field_id":"t1-1"},{"function":"sum","field_id":"t1-0"}]}`)
		for range 4 { // slow readers, re-opening as soon as they are cut
			hostile.Add(1)
			go func() {
				defer hostile.Done()
				for ctx.Err() == nil {
					conn, r := rawExecute(t, srv, h, tok)
					// Whatever the answer (rows, or a 503), a reader never
					// waits past the test on a connection kept open.
					conn.SetReadDeadline(time.Now().Add(25 * time.Second))
					buf := make([]byte, 1024)
					for ctx.Err() == nil {
						if _, err := r.Read(buf); err != nil {
							break
						}
						time.Sleep(time.Second)
					}
					conn.Close()
				}
			}()
		}
		for range 2 { // the whole table, again and again
			hostile.Add(1)
			go func() {
				defer hostile.Done()
				for ctx.Err() == nil {
					executeAt(t, srv.URL, h, heavy)
				}
			}()
		}
	}
	time.Sleep(time.Second) // the waves are on
	h := as("third@example.com")
	quick := constructTokenAt(t, srv.URL, h, `{"table_id":2,"aggregations":[{"function":"count"}]}`)
	var waits []time.Duration
	for range 12 {
		start := time.Now()
		code, res := executeAt(t, srv.URL, h, quick)
		waits = append(waits, time.Since(start))
		if code != 202 || res.Status != "completed" {
			t.Errorf("the third user's query: %d %+v", code, res)
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	hostile.Wait()
	slices.Sort(waits)
	t.Logf("the third user's %d queries: median %v, longest %v", len(waits), waits[len(waits)/2], waits[len(waits)-1])
}

// TestAudit_whatTheClientSaw: an answer is audited when its client has it
// whole, or is cut: clients that leave mid-answer are each audited
// canceled, and slow readers cut at the deadline timeout, alike.
func TestAudit_whatTheClientSaw(t *testing.T) {
	var audit testkit.SyncBuffer
	srv, e := bigServer(t, engine.Options{MaxConcurrentQueries: 4, QueryTimeout: 2 * time.Second, QueueTimeout: 20 * time.Second, AuditLog: &audit})
	h := bearer(t)
	tok := constructTokenAt(t, srv.URL, h, bigQuery)
	const leavers = 12
	var wg sync.WaitGroup
	for range leavers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, r := rawExecute(t, srv, h, tok)
			io.ReadFull(r, make([]byte, 32<<10))
			conn.Close()
		}()
	}
	wg.Wait()
	// Two slow readers of the same answer, cut at the same deadline.
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, r := rawExecute(t, srv, h, tok)
			defer conn.Close()
			conn.SetReadDeadline(time.Now().Add(30 * time.Second))
			buf := make([]byte, 1024)
			var tail []byte
			for {
				n, err := r.Read(buf)
				// The answer ends when the server cuts the connection, or
				// with the last chunk of a body ended short (status failed).
				if tail = append(tail, buf[:n]...); err != nil || strings.HasSuffix(string(tail), "\r\n0\r\n\r\n") {
					return
				}
				if len(tail) > 16 {
					tail = tail[len(tail)-16:]
				}
				time.Sleep(20 * time.Millisecond) // 50 KB/s: 40 MB never arrive in time
			}
		}()
	}
	wg.Wait()
	waitFor(t, func() bool { return strings.Count(audit.String(), "\n") >= leavers+2 && e.Stats().Running == 0 }, "every answer to be audited")
	outcomes := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(audit.String()), "\n") {
		var rec engine.AuditRecord
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		outcomes[rec.Outcome]++
	}
	if outcomes["canceled"] != leavers || outcomes["timeout"] != 2 || len(outcomes) != 2 {
		t.Errorf("outcomes %v, want %d canceled and 2 timeout", outcomes, leavers)
	}
}
