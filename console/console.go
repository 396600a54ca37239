// Package console serves agentlayer's console: one page, for the people
// who write models and policies, that shows what one user sees and why —
// the tables, fields, metrics and values they see, the answers they get as
// tables and charts, the policies and row rules that decided them, and how
// two users differ.
//
// The page holds no data of its own and is given no privilege: it calls
// the Agent API, as anyone does, with the credentials of the user it acts
// for, so it can never show more than that user may see. Its assets are
// embedded in the binary and served under a strict Content-Security-Policy:
// nothing is fetched from anywhere else.
//
// A development convenience: when the server listens only on a loopback
// address and has a user directory, the page lists the directory's users
// and opens an ordinary session for the one picked (Options.Picker). The
// picker answers only requests the page itself makes (same origin, a
// loopback Host, a header no cross-origin page can send without a
// preflight nobody grants), and is refused everywhere else; anywhere, an
// author can paste a JWT or a session token instead.
package console

import (
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/agentlayer/agentlayer/auth"
)

//go:embed static
var static embed.FS

// Path is where serve mounts the console.
const Path = "/console/"

// PickerHeader carries the picker's key: a cross-origin page cannot send it
// without a CORS preflight, which the server never grants.
const PickerHeader = "X-Agentlayer-Console"

// Options configure the console.
type Options struct {
	// Picker offers the user picker: set it only when the server listens
	// on loopback addresses alone (LoopbackOnly says whether it does).
	Picker bool
	// PickerKey is the secret the picker's requests must carry (NewKey);
	// without one there is no picker. Give it to the author in the
	// console's URL: Path + "#key=" + PickerKey.
	PickerKey string
	// Verifier holds the user directory the picker lists (as reloaded),
	// and makes the principal of the user picked; without a directory
	// there is no picker.
	Verifier *auth.Verifier
	// Sessions opens the picked user's session, as /auth/sso does.
	Sessions *auth.Sessions
	// Logger receives the sessions the picker opens; nil discards.
	Logger *slog.Logger
}

// CSP is the console's Content-Security-Policy: its own scripts, styles
// and API, nothing else.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// New returns the console's handler, to mount at Path.
func New(opts Options) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	assets, _ := fs.Sub(static, "static")
	files := http.FileServerFS(assets)
	mux := http.NewServeMux()
	c := &console{opts: opts}
	mux.HandleFunc("GET /console/api/users", c.users)
	mux.HandleFunc("POST /console/api/session", c.session)
	mux.HandleFunc("GET /console/api/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, problem{"not_found", "no such console endpoint"})
	})
	mux.HandleFunc("/console/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusMethodNotAllowed, problem{"method_not_allowed", "the console answers GET, and POST on its session endpoint"})
	})
	mux.Handle("GET /console/", http.StripPrefix("/console", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// What the console does not hold is a JSON 404, with the
		// console's headers (the file server's own 404 drops
		// Cache-Control).
		name := strings.TrimPrefix(r.URL.Path, "/")
		if name == "" {
			name = "index.html"
		}
		if _, err := fs.Stat(assets, name); err != nil {
			writeJSON(w, http.StatusNotFound, problem{"not_found", "the console has no " + r.URL.Path})
			return
		}
		files.ServeHTTP(w, r)
	})))
	mux.HandleFunc("GET /console", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, Path, http.StatusMovedPermanently)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", CSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		mux.ServeHTTP(w, r)
	})
}

type console struct{ opts Options }

// problem is an error body, as the Agent API writes them.
type problem struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// NewKey makes a picker key: 128 random bits, hex.
func NewKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// errNoPicker is why the picker is refused.
var errNoPicker = errors.New("the user picker is offered only when agentlayer serve listens on a loopback address alone and has a user directory: paste a JWT or a session token instead")

// proxyHeaders are the headers proxies and CDNs add: a request carrying
// one came through a proxy, whose clients may be anyone.
var proxyHeaders = []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Port",
	"X-Real-Ip", "Via", "True-Client-Ip", "Cf-Connecting-Ip", "X-Client-Ip"}

// pickerAllowed checks that the picker may answer r: it is on, and r comes
// from the console's own page, opened with the picker's key, on a
// loopback host, not through a proxy.
func (c *console) pickerAllowed(r *http.Request) error {
	if !c.opts.Picker || c.opts.PickerKey == "" || c.opts.Verifier == nil || c.opts.Verifier.Directory() == nil || c.opts.Sessions == nil {
		return errNoPicker
	}
	for _, h := range proxyHeaders {
		if r.Header.Get(h) != "" {
			return errors.New("the user picker does not answer through a proxy (" + h + "): paste a JWT or a session token instead")
		}
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if !LoopbackHost(host) {
		return errors.New("the user picker answers only requests addressed to a loopback host (localhost, 127.0.0.1, ::1)")
	}
	if subtle.ConstantTimeCompare([]byte(r.Header.Get(PickerHeader)), []byte(c.opts.PickerKey)) != 1 {
		return errors.New("the user picker needs its key: open the console with the URL agentlayer serve printed (it ends in #key=…), or paste a JWT or a session token")
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		return errors.New("the user picker answers only the console's own page, not " + site + " requests")
	}
	if origin := r.Header.Get("Origin"); origin != "" && origin != "http://"+r.Host && origin != "https://"+r.Host {
		return errors.New("the user picker answers only the console's own origin")
	}
	return nil
}

// pickedUser is a directory user as the picker lists it.
type pickedUser struct {
	Email  string   `json:"email"`
	Name   string   `json:"name,omitempty"`
	Groups []string `json:"groups"`
}

func (c *console) users(w http.ResponseWriter, r *http.Request) {
	if err := c.pickerAllowed(r); err != nil {
		writeJSON(w, http.StatusForbidden, problem{"forbidden", err.Error()})
		return
	}
	out := []pickedUser{}
	for _, u := range c.opts.Verifier.Directory().Users() {
		if !u.Active {
			continue
		}
		groups := u.Groups
		if groups == nil {
			groups = []string{}
		}
		out = append(out, pickedUser{Email: u.Email, Name: strings.TrimSpace(u.FirstName + " " + u.LastName), Groups: groups})
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
}

func (c *console) session(w http.ResponseWriter, r *http.Request) {
	if err := c.pickerAllowed(r); err != nil {
		writeJSON(w, http.StatusForbidden, problem{"forbidden", err.Error()})
		return
	}
	var body struct {
		Email string `json:"email"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 4<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || strings.TrimSpace(body.Email) == "" {
		writeJSON(w, http.StatusBadRequest, problem{"invalid_request", `the body must be {"email": "a user of the directory"}`})
		return
	}
	p, err := c.opts.Verifier.DirectoryUser(body.Email)
	if err != nil {
		writeJSON(w, http.StatusNotFound, problem{"not_found", "no active user " + body.Email + " in the user directory"})
		return
	}
	tok, _, err := c.opts.Sessions.Create(r.Context(), p)
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, problem{"unavailable", "cannot open a session now"})
		return
	}
	c.opts.Logger.Info("console: session opened by the user picker", "user", p.Email)
	writeJSON(w, http.StatusOK, map[string]string{"id": tok, "email": p.Email})
}

// LoopbackHost reports whether host (a name or an address, without a
// port) is a loopback host.
func LoopbackHost(host string) bool {
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// LoopbackOnly reports whether a listen address (host:port) accepts only
// loopback connections: an empty host or an unspecified address (0.0.0.0,
// ::) listens everywhere.
func LoopbackOnly(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	return LoopbackHost(host)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
