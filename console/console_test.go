package console_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/agentlayer/agentlayer/agentapi"
	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/console"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
	"github.com/agentlayer/agentlayer/semantic"
)

var screenshot = flag.String("screenshot", "", "write a screenshot of the console answering a question to this `file` (the README's)")

var secret = []byte("console-test-secret-of-at-least-32-bytes")

// pickerKey is the picker's key in the tests, as serve prints it in the
// console's URL.
const pickerKey = "0123456789abcdef0123456789abcdef"

// stack is the Agent API and the console over the sample, on a real
// listener on 127.0.0.1, as serve mounts them.
type stack struct {
	url string
	v   *auth.Verifier
}

func newStack(t *testing.T, picker bool) *stack {
	t.Helper()
	e, err := engine.New(context.Background(), engine.Options{ModelFile: fixtures.ModelFile, ModelYAML: fixtures.Model(),
		PolicyFile: fixtures.PolicyFile, PolicyYAML: fixtures.Policy(), Setup: fixtures.Setup(0.2)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	dir, err := auth.ParseDirectory(fixtures.UsersFile, fixtures.Users())
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.VerifierOptions{Secret: secret, Directory: dir})
	if err != nil {
		t.Fatal(err)
	}
	sessions := auth.NewSessions(auth.SessionOptions{})
	mux := http.NewServeMux()
	mux.Handle("/console/", console.New(console.Options{Picker: picker, PickerKey: pickerKey, Verifier: v, Sessions: sessions}))
	mux.Handle("/", agentapi.New(e, agentapi.Options{Verifier: v, Sessions: sessions}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &stack{url: srv.URL, v: v}
}

// chromium is the browser the tests drive: Debian's, installed by the
// test command in CI.
func chromium(t *testing.T) string {
	testkit.FullTier(t, "a browser")
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	testkit.Missing(t, "no Chromium on this machine: install it (apt-get install -y chromium) to run the console's browser tests")
	return ""
}

// browser is a headless Chromium tab, closed with the test.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)), chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.NoFirstRun, chromedp.WindowSize(1280, 1300))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(alloc)
	ctx, cancelTime := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	return ctx
}

// step runs a step of a browser test; when it fails, a screenshot of the
// page goes under testdata/failures, named after the test and the step.
func step(t *testing.T, ctx context.Context, name string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		shoot(t, ctx, name)
		t.Fatalf("%s: %v", name, err)
	}
}

// read runs an action that reads the page, as a step.
func read[T any](t *testing.T, ctx context.Context, name string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		shoot(t, ctx, name)
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// void runs a and drops its value.
func void[T any](a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := a(ctx, t)
		return chromedp.Void{}, err
	}
}

// poll waits until a JavaScript expression is true.
func poll(expr string) chromedp.Action[chromedp.Void] { return void(chromedp.Poll[bool](expr)) }

func shoot(t *testing.T, ctx context.Context, name string) {
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("no screenshot: %v", err)
		return
	}
	dir := filepath.Join("testdata", "failures")
	os.MkdirAll(dir, 0o755)
	file := filepath.Join(dir, regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name()+"-"+name, "_")+".png")
	if err := os.WriteFile(file, png, 0o644); err == nil {
		t.Logf("screenshot of the failed step: %s", file)
	}
}

// failf fails the test after a screenshot.
func failf(t *testing.T, ctx context.Context, name, format string, args ...any) {
	t.Helper()
	shoot(t, ctx, name)
	t.Fatalf(name+": "+format, args...)
}

// set sets a select's or input's value as a person would: change fires.
func set(selector, value string) chromedp.Action[chromedp.Void] {
	return void(chromedp.Evaluate[string](fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q; e.dispatchEvent(new Event("change")); return e.value; })()`, selector, value)))
}

// pick opens a session for a directory user with the picker.
func pick(t *testing.T, ctx context.Context, url, email string) {
	t.Helper()
	step(t, ctx, "open the console", chromedp.Navigate(url+"/console/#key="+pickerKey), chromedp.WaitVisible("#picker"))
	step(t, ctx, "pick "+email, set("#picker-users", email), chromedp.Click("#picker-open"), chromedp.WaitVisible("#acting-email"))
	if acting := read(t, ctx, "pick "+email, chromedp.Text("#acting-email")); acting != email {
		failf(t, ctx, "pick "+email, "acting as %q", acting)
	}
}

// apiRows is the answer of the Agent API to a request, as email.
func apiRows(t *testing.T, url, email, request string) [][]any {
	t.Helper()
	tok, _ := auth.Sign(secret, auth.Claims{Email: email})
	status, _, data := testkit.Call(t, "POST", url+"/api/agent/v1/query", request, testkit.Bearer(tok))
	var out struct {
		Data struct {
			Rows [][]any `json:"rows"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(data), &out); err != nil || status != http.StatusAccepted {
		t.Fatalf("%s: %d %s", request, status, data)
	}
	return out.Data.Rows
}

// TestBrowser_salesRevenueByMonth: as the Texan sales user, revenue by
// month is a line with one point per month, equal to the API's answer for
// that user (and not the admin's); why says the rows are Texas's; and
// orders by the customer's state hold only Texas.
func TestBrowser_salesRevenueByMonth(t *testing.T) {
	st := newStack(t, true)
	ctx := browser(t)
	pick(t, ctx, st.url, "sales.tx@example.com")
	step(t, ctx, "ask revenue by month", chromedp.Click(`#tabs button[data-tab="ask"]`),
		set("#source", "metric:1"), poll(`askFields.length > 0`),
		chromedp.Click("#add-groupby"), set("#groupby .field", "c1-7"), set("#groupby .granularity", "month"),
		chromedp.Click("#run"), chromedp.WaitVisible(`#chart svg[data-kind="line"]`))
	if *screenshot != "" {
		png := read(t, ctx, "screenshot", chromedp.CaptureScreenshot())
		if err := os.WriteFile(*screenshot, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	points := read(t, ctx, "read the answer", chromedp.Evaluate[int](`document.querySelectorAll("#chart circle.point").length`))
	tableRows := read(t, ctx, "read the answer", chromedp.Evaluate[int](`document.querySelectorAll("#table tbody tr").length`))
	cells := read(t, ctx, "read the answer", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#table tbody tr")].map((r) => [...r.cells].map((c) => c.textContent).join("|"))`))
	rules := read(t, ctx, "read the answer", chromedp.Text("#why-rules"))
	want := apiRows(t, st.url, "sales.tx@example.com", `{"metric_id":1,"group_by":[{"field_id":"c1-7","field_granularity":"month"}]}`)
	admin := apiRows(t, st.url, "admin@example.com", `{"metric_id":1,"group_by":[{"field_id":"c1-7","field_granularity":"month"}]}`)
	if points == 0 || points != tableRows || points != len(want) {
		failf(t, ctx, "read the answer", "%d points, %d table rows, the API answers %d months", points, tableRows, len(want))
	}
	for i, row := range want {
		// A month shows as "Jan 2022", read from the bucket's own text.
		month, err := time.Parse(time.RFC3339, fmt.Sprint(row[0]))
		if err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		if got := fmt.Sprintf("%s|%v", month.Format("Jan 2006"), row[1]); cells[i] != got {
			failf(t, ctx, "read the answer", "row %d: the page shows %q, the API %q", i, cells[i], got)
		}
	}
	// The chart reads: time labels under the line, round values beside it.
	xs := read(t, ctx, "read the chart", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#chart text.tick.x")].map((e) => e.textContent)`))
	ys := read(t, ctx, "read the chart", chromedp.Evaluate[int](`document.querySelectorAll("#chart text.tick.y").length`))
	if len(xs) < 3 || !strings.Contains(xs[0], " 20") || ys < 4 {
		failf(t, ctx, "read the chart", "x labels %q, %d y ticks", xs, ys)
	}
	if n := strings.Count(rules, "PEOPLE.STATE"); n != 1 {
		failf(t, ctx, "read the answer", "why says the rule %d times: %q", n, rules)
	}
	if fmt.Sprint(want) == fmt.Sprint(admin) {
		t.Fatal("the sales user's revenue equals the admin's: the test proves nothing")
	}
	if !strings.Contains(rules, "TX") {
		failf(t, ctx, "read the answer", "why does not say the rows are Texas's: %q", rules)
	}

	step(t, ctx, "ask orders by state", set("#source", "table:1"), poll(`askFields.some((f) => f.field_id === "t1-16")`),
		chromedp.Click("#add-aggregation"), set("#aggregations .fn", "count"),
		chromedp.Click("#add-groupby"), set("#groupby .field", "t1-16"),
		chromedp.Click("#run"), chromedp.WaitVisible(`#chart svg[data-kind="bars"]`))
	states := read(t, ctx, "read the states", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#table tbody tr")].map((r) => r.cells[0].textContent)`))
	if len(states) != 1 || states[0] != "TX" {
		failf(t, ctx, "read the states", "the sales user's orders are of the states %v", states)
	}
}

// TestBrowser_compareAdminWithSales: side by side, REVIEWS is marked
// hidden for the sales user, and the columns that differ are listed.
func TestBrowser_compareAdminWithSales(t *testing.T) {
	st := newStack(t, true)
	ctx := browser(t)
	pick(t, ctx, st.url, "admin@example.com")
	step(t, ctx, "compare", chromedp.Click(`#tabs button[data-tab="compare"]`), set("#compare-users", "sales.tx@example.com"),
		chromedp.Click("#compare-run"), chromedp.WaitVisible(`#compare-tables tr[data-name="REVIEWS"]`))
	admin := read(t, ctx, "compare", chromedp.Text(`#compare-tables tr[data-name="REVIEWS"] td:nth-child(2)`))
	sales := read(t, ctx, "compare", chromedp.Text(`#compare-tables tr[data-name="REVIEWS"] td:nth-child(3)`))
	email := read(t, ctx, "compare", chromedp.Text(`#compare-fields tr[data-name="PEOPLE.EMAIL"] td:nth-child(3)`))
	if admin != "sees" || sales != "hidden" {
		failf(t, ctx, "compare", "REVIEWS: admin %q, sales %q", admin, sales)
	}
	if email != "hidden" {
		failf(t, ctx, "compare", "PEOPLE.EMAIL for sales: %q", email)
	}
	if !read(t, ctx, "the mark", chromedp.Evaluate[bool](`document.querySelector('#compare-tables tr[data-name="REVIEWS"] td:nth-child(3)').classList.contains("hidden")`)) {
		failf(t, ctx, "the mark", "REVIEWS is not marked hidden")
	}
}

// TestBrowser_expiredJWT: a pasted JWT past its age is refused, and the
// page says why in words.
func TestBrowser_expiredJWT(t *testing.T) {
	st := newStack(t, true)
	ctx := browser(t)
	old, _ := auth.Sign(secret, auth.Claims{Email: "admin@example.com", IssuedAt: time.Now().Add(-10 * time.Minute)})
	step(t, ctx, "paste an expired JWT", chromedp.Navigate(st.url+"/console/"), chromedp.WaitReady("#token"),
		chromedp.SendKeys("#token", old), chromedp.Click("#token-use"), chromedp.WaitVisible("#auth-error"))
	msg := read(t, ctx, "paste an expired JWT", chromedp.Text("#auth-error"))
	acting := read(t, ctx, "paste an expired JWT", chromedp.Text("#acting"))
	if !strings.Contains(msg, "401 Unauthorized") || !strings.Contains(msg, "180 s") || strings.Contains(acting, "admin@") {
		failf(t, ctx, "paste an expired JWT", "the page says %q; acting: %q", msg, acting)
	}
	// A fresh one works.
	fresh, _ := auth.Sign(secret, auth.Claims{Email: "admin@example.com"})
	step(t, ctx, "paste a fresh JWT", set("#token", ""), chromedp.SendKeys("#token", fresh), chromedp.Click("#token-use"),
		chromedp.WaitVisible("#acting-email"))
	if acting := read(t, ctx, "paste a fresh JWT", chromedp.Text("#acting-email")); acting != "admin@example.com" {
		failf(t, ctx, "paste a fresh JWT", "acting as %q", acting)
	}
}

// TestBrowser_noPickerOffLoopback: a console serving on an address that is
// not loopback only offers no picker, says why, and its endpoints refuse;
// a pasted credential still works.
func TestBrowser_noPickerOffLoopback(t *testing.T) {
	st := newStack(t, false)
	ctx := browser(t)
	step(t, ctx, "open the console", chromedp.Navigate(st.url+"/console/"), chromedp.WaitReady(`#picker-note[data-refused="true"]`))
	note := read(t, ctx, "open the console", chromedp.Text("#picker-note"))
	hidden := read(t, ctx, "open the console", chromedp.Evaluate[bool](`document.getElementById("picker").hidden`))
	if !hidden || !strings.Contains(note, "loopback") {
		failf(t, ctx, "open the console", "picker hidden %v, note %q", hidden, note)
	}
	status, _ := post(t, st.url+"/console/api/session", `{"email":"admin@example.com"}`, map[string]string{console.PickerHeader: pickerKey})
	if status != http.StatusForbidden {
		t.Fatalf("the picker's session endpoint answered %d off loopback", status)
	}
}

func post(t *testing.T, url, body string, header map[string]string) (int, string) {
	t.Helper()
	status, _, data := testkit.Call(t, "POST", url, body, header)
	return status, data
}

// TestPicker_onlyTheConsolesOwnRequests: the picker answers the console's
// page, opened with the key, on a loopback host; it refuses a request
// without the key or with another (another local user, a form another
// site posts), from another origin, addressed to another host (DNS
// rebinding) or forwarded by a proxy; a session it opens is the user's
// ordinary session, with their name from the directory.
func TestPicker_onlyTheConsolesOwnRequests(t *testing.T) {
	st := newStack(t, true)
	own := map[string]string{console.PickerHeader: pickerKey, "Content-Type": "application/json"}
	status, body := post(t, st.url+"/console/api/session", `{"email":"sales.tx@example.com"}`, own)
	if status != 200 {
		t.Fatalf("the console's own request: %d %s", status, body)
	}
	var s struct{ ID string }
	json.Unmarshal([]byte(body), &s)
	status, _, current := testkit.Call(t, "GET", st.url+"/api/user/current", "", map[string]string{"X-Metabase-Session": s.ID})
	if status != 200 {
		t.Fatalf("the picked session: %d %s", status, current)
	}
	var who struct {
		Email     string   `json:"email"`
		FirstName string   `json:"first_name"`
		Groups    []string `json:"groups"`
	}
	json.Unmarshal([]byte(current), &who)
	if who.Email != "sales.tx@example.com" || who.FirstName == "" || fmt.Sprint(who.Groups) != "[sales]" {
		t.Errorf("the picked session acts as %+v", who)
	}
	for name, h := range map[string]map[string]string{
		"no key":        {"Content-Type": "application/json"},
		"another key":   {console.PickerHeader: "1"},
		"cross-site":    {console.PickerHeader: pickerKey, "Sec-Fetch-Site": "cross-site"},
		"other origin":  {console.PickerHeader: pickerKey, "Origin": "http://evil.example"},
		"rebinding":     {console.PickerHeader: pickerKey, "Host": "evil.example"},
		"a proxy":       {console.PickerHeader: pickerKey, "X-Forwarded-For": "203.0.113.9"},
		"a TLS proxy":   {console.PickerHeader: pickerKey, "X-Forwarded-Proto": "https"},
		"a port proxy":  {console.PickerHeader: pickerKey, "X-Forwarded-Port": "443"},
		"Akamai":        {console.PickerHeader: pickerKey, "True-Client-IP": "203.0.113.9"},
		"Cloudflare":    {console.PickerHeader: pickerKey, "CF-Connecting-IP": "203.0.113.9"},
		"a client IP":   {console.PickerHeader: pickerKey, "X-Client-IP": "203.0.113.9"},
		"unknown users": nil,
	} {
		if name == "unknown users" {
			if status, _ := post(t, st.url+"/console/api/session", `{"email":"nobody.here@example.com"}`, own); status != http.StatusNotFound {
				t.Errorf("%s: %d", name, status)
			}
			continue
		}
		req, _ := http.NewRequest("POST", st.url+"/console/api/session", strings.NewReader(`{"email":"admin@example.com"}`))
		for k, v := range h {
			req.Header.Set(k, v)
		}
		if host, ok := h["Host"]; ok {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, resp.StatusCode)
		}
	}
}

// TestConsole_selfContained: every page and asset is served under the
// strict Content-Security-Policy, and none names anything outside the
// server.
func TestConsole_selfContained(t *testing.T) {
	st := newStack(t, true)
	for _, path := range []string{"/console/", "/console/app.js", "/console/chart.js", "/console/app.css"} {
		resp, err := http.Get(st.url + path)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Security-Policy") != console.CSP {
			t.Errorf("%s: %d, CSP %q", path, resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
		}
		text := strings.ReplaceAll(string(data), "http://www.w3.org/2000/svg", "")
		if m := regexp.MustCompile(`https?://|//[a-z0-9.-]+\.[a-z]{2,}/|url\(|@import|\.innerHTML|eval\(|new Function`).FindString(text); m != "" {
			t.Errorf("%s holds %q", path, m)
		}
	}
	if err := fs.WalkDir(os.DirFS("static"), ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(path, ".html") && !strings.HasSuffix(path, ".js") && !strings.HasSuffix(path, ".css") {
			t.Errorf("an asset of another kind: %s", path)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func TestLoopbackOnly(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:3000": true, "localhost:3000": true, "[::1]:3000": true, "127.0.0.2:80": true,
		"0.0.0.0:3000": false, ":3000": false, "[::]:3000": false, "192.168.1.4:3000": false, "example.com:3000": false, "nonsense": false,
	} {
		if got := console.LoopbackOnly(addr); got != want {
			t.Errorf("LoopbackOnly(%q) = %v", addr, got)
		}
	}
}

// TestBrowser_browseMasksAndValues: as the support user, PEOPLE's fields
// say which are masked and how, and a field's values come masked too.
func TestBrowser_browseMasksAndValues(t *testing.T) {
	st := newStack(t, true)
	ctx := browser(t)
	pick(t, ctx, st.url, "support@example.com")
	step(t, ctx, "browse PEOPLE", chromedp.WaitVisible(`#catalog-list li[data-name="PEOPLE"] button`),
		chromedp.Click(`#catalog-list li[data-name="PEOPLE"] button`), chromedp.WaitVisible(`#detail tr[data-field="EMAIL"]`))
	email := read(t, ctx, "browse PEOPLE", chromedp.Text(`#detail tr[data-field="EMAIL"] td:nth-child(5)`))
	state := read(t, ctx, "browse PEOPLE", chromedp.Text(`#detail tr[data-field="STATE"] td:nth-child(5)`))
	if email != "masked (email_domain)" || state != "visible" {
		failf(t, ctx, "browse PEOPLE", "EMAIL %q, STATE %q", email, state)
	}
	if n := read(t, ctx, "browse PEOPLE", chromedp.Evaluate[int](`document.querySelectorAll('#detail tr[data-field="PASSWORD"]').length`)); n != 0 {
		failf(t, ctx, "browse PEOPLE", "PASSWORD, hidden from support, is listed")
	}
	step(t, ctx, "EMAIL's values", chromedp.Click(`#detail tr[data-field="EMAIL"] button`), chromedp.WaitVisible(`#detail tr.values`))
	values := read(t, ctx, "EMAIL's values", chromedp.Text(`#detail tr.values`))
	if strings.Contains(values, "@") || !strings.Contains(values, "example") {
		failf(t, ctx, "EMAIL's values", "support sees the values %q", values)
	}
}

// TestConsole_offersWhatTheAPITakes: the aggregation functions the
// console offers are exactly those a construct request takes.
func TestConsole_offersWhatTheAPITakes(t *testing.T) {
	js, err := os.ReadFile("static/app.js")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`const FUNCTIONS = \[([^\]]*)\];`).FindSubmatch(js)
	if m == nil {
		t.Fatal("app.js has no FUNCTIONS")
	}
	var offered []string
	if err := json.Unmarshal([]byte("["+string(m[1])+"]"), &offered); err != nil {
		t.Fatal(err)
	}
	var takes []string
	for _, f := range semantic.AggFuncs {
		takes = append(takes, string(f))
	}
	slices.Sort(offered)
	slices.Sort(takes)
	if !slices.Equal(offered, takes) {
		t.Errorf("the console offers %v; the API takes %v", offered, takes)
	}
}

// TestConsole_notFound: a path the console does not hold is a JSON 404
// with the console's headers, Cache-Control: no-store among them.
func TestConsole_notFound(t *testing.T) {
	st := newStack(t, true)
	resp, err := http.Get(st.url + "/console/no/such/file.js")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Content-Type") != "application/json" || !json.Valid(body) {
		t.Errorf("%d %v %s", resp.StatusCode, resp.Header, body)
	}
}
