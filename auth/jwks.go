package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/httprc/v3"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// The algorithms a provider's key may verify, by the key's type and curve.
// A key that names its alg is bound to that one (if its type allows it); a
// key that does not is bound to every algorithm of its type. HS* is never
// among them: a shared secret is not a provider's key.
var (
	rsaAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}
	curveAlgs     = map[string]string{"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}
	// ProviderAlgorithms are the algorithms provider tokens may be signed
	// with.
	ProviderAlgorithms = append(slices.Clone(rsaAlgorithms), "ES256", "ES384", "ES512", "EdDSA")
)

// minRSABits is the smallest RSA modulus a key set may hold.
const minRSABits = 2048

// boundKey is a verification key and the algorithms it may verify.
type boundKey struct {
	key  any // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
	algs []string
}

// keyTable is one fetched key set: its usable keys by kid.
type keyTable struct {
	byKID   map[string]boundKey
	skipped []string // why keys were left out, for the log
}

// parseKeySet reads a JWKS document. Keys that cannot verify provider
// tokens are left out, each with its reason: symmetric keys (kty oct),
// keys whose use is not sig, keys without a kid, private keys, RSA keys
// under 2,048 bits, and keys whose alg does not fit their type. A document
// that is not a key set at all is an error, so a refresh that fetched
// something else keeps the last good set.
func parseKeySet(data []byte) (*keyTable, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("the key set is not JSON: %w", err)
	}
	if doc.Keys == nil {
		return nil, errors.New(`the key set has no "keys" list`)
	}
	t := &keyTable{byKID: map[string]boundKey{}}
	for i, raw := range doc.Keys {
		kid, bk, err := bindKey(raw)
		if err != nil {
			t.skipped = append(t.skipped, fmt.Sprintf("key %d (kid %q): %v", i, kid, err))
			continue
		}
		if _, dup := t.byKID[kid]; dup {
			// Two keys under one kid: which verifies is ambiguous, so
			// neither does.
			delete(t.byKID, kid)
			t.skipped = append(t.skipped, fmt.Sprintf("key %d: kid %q appears twice; neither is used", i, kid))
			continue
		}
		t.byKID[kid] = bk
	}
	return t, nil
}

// bindKey reads one JWK and binds it to the algorithms it may verify.
func bindKey(raw json.RawMessage) (string, boundKey, error) {
	var head struct {
		Kty    string   `json:"kty"`
		Kid    string   `json:"kid"`
		Use    string   `json:"use"`
		Alg    string   `json:"alg"`
		KeyOps []string `json:"key_ops"`
		D      string   `json:"d"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return "", boundKey{}, fmt.Errorf("not a JSON object: %w", err)
	}
	switch {
	case head.Kty == "oct":
		return head.Kid, boundKey{}, errors.New("a symmetric key (kty oct) is never a provider's key")
	case head.Use != "" && head.Use != "sig":
		return head.Kid, boundKey{}, fmt.Errorf("its use is %q, not sig", head.Use)
	case head.KeyOps != nil && !slices.Contains(head.KeyOps, "verify"):
		return head.Kid, boundKey{}, errors.New("its key_ops do not include verify")
	case head.Kid == "":
		return "", boundKey{}, errors.New("it has no kid")
	case head.D != "":
		return head.Kid, boundKey{}, errors.New("it is a private key; a key set publishes public keys only")
	}
	key, err := jwk.ParseKey(raw)
	if err != nil {
		return head.Kid, boundKey{}, err
	}
	var pub any
	if err := jwk.Export(key, &pub); err != nil {
		return head.Kid, boundKey{}, err
	}
	var algs []string
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < minRSABits {
			return head.Kid, boundKey{}, fmt.Errorf("an RSA key of %d bits (at least %d)", k.N.BitLen(), minRSABits)
		}
		algs = rsaAlgorithms
	case *ecdsa.PublicKey:
		alg, ok := curveAlgs[k.Curve.Params().Name]
		if !ok {
			return head.Kid, boundKey{}, fmt.Errorf("the curve %s", k.Curve.Params().Name)
		}
		algs = []string{alg}
	case ed25519.PublicKey:
		algs = []string{"EdDSA"}
	default:
		return head.Kid, boundKey{}, fmt.Errorf("a key of type %T", pub)
	}
	if head.Alg != "" {
		if !slices.Contains(algs, head.Alg) {
			return head.Kid, boundKey{}, fmt.Errorf("its alg %s does not fit its type", head.Alg)
		}
		algs = []string{head.Alg}
	}
	return head.Kid, boundKey{key: pub, algs: algs}, nil
}

// KeySetStatus says how a provider's key set stands, for metrics and
// logs.
type KeySetStatus struct {
	// Source is the key set's URL or file.
	Source string
	// Keys is how many usable keys the set holds now; 0 before the first
	// fetch succeeded.
	Keys int
	// FetchedAt is when the set now held was fetched; zero if never.
	FetchedAt time.Time
	// Stale is true when the last fetch failed: the set held is the last
	// good one (or none).
	Stale bool
	// LastError is the last fetch's error, "" after a success.
	LastError string
}

// keySet is a provider's key set, fetched from a URL (refreshed as its
// Cache-Control says, within bounds) or read from a file, and refreshed
// when a token names a kid it does not hold.
type keySet struct {
	source string
	log    *slog.Logger
	now    func() time.Time

	// A URL is fetched by jwx's httprc, which schedules refreshes on the
	// response's Cache-Control max-age (or Expires) within [min, max] and
	// keeps the last good value when a fetch fails.
	ctrl httprc.Controller
	res  *httprc.ResourceBase[*keyTable]
	// A file is read by readFile.
	file string
	// client fetches the set when an unknown kid asks.
	client *http.Client
	// stopFile ends the file's rereading.
	stopFile chan struct{}
	stopOnce sync.Once

	table     atomic.Pointer[keyTable]
	fetchedAt atomic.Int64 // unix nanoseconds of the set held
	lastErr   atomic.Pointer[string]

	// Refreshes for unknown kids: each kid may ask for one per perKID, and
	// refreshes start at most one per floor; a request waits (up to
	// waitMax) for a refresh that started after it arrived, so made-up
	// kids can neither starve a real new one nor hammer the provider.
	perKID, floor, waitMax time.Duration
	mu                     sync.Mutex
	asked                  map[string]time.Time
	running                chan struct{}
	runningSince           time.Time
	lastStart              time.Time
}

// maxAsked bounds the memory of kids that asked for a refresh; older
// entries than perKID are dropped first.
const maxAsked = 4096

type keySetOptions struct {
	url, file               string
	minRefresh, maxRefresh  time.Duration
	perKID, floor, waitMax  time.Duration
	client                  *http.Client
	log                     *slog.Logger
	now                     func() time.Time
	fetchTimeout, startWait time.Duration
}

// newKeySet starts a key set. A URL is fetched now, waiting up to
// startWait; a provider that does not answer in time leaves the set empty
// (provider tokens are refused) until a refresh succeeds. A file must read.
func newKeySet(ctx context.Context, o keySetOptions) (*keySet, error) {
	s := &keySet{log: o.log, now: o.now, perKID: o.perKID, floor: o.floor, waitMax: o.waitMax, asked: map[string]time.Time{}}
	if o.file != "" {
		s.source, s.file = o.file, o.file
		if err := s.readFile(); err != nil {
			return nil, err
		}
		// The file is read again every minRefresh: a key removed from it
		// stops verifying then, not at the next restart.
		s.stopFile = make(chan struct{})
		go s.rereadFile(o.minRefresh)
		return s, nil
	}
	s.source = o.url
	client := o.client
	if client == nil {
		client = &http.Client{Timeout: o.fetchTimeout}
	}
	s.client = client
	transform := httprc.TransformFunc[*keyTable](func(_ context.Context, res *http.Response) (*keyTable, error) {
		return s.acceptBody(res.Body)
	})
	res, err := httprc.NewResource[*keyTable](o.url, transform,
		httprc.WithHTTPClient(client), httprc.WithMinInterval(o.minRefresh), httprc.WithMaxInterval(o.maxRefresh))
	if err != nil {
		return nil, fmt.Errorf("auth: the key set URL: %w", err)
	}
	hc := httprc.NewClient(httprc.WithWorkers(1),
		httprc.WithErrorSink(errSink(func(err error) { s.failed(err) })))
	ctrl, err := hc.Start(ctx)
	if err != nil {
		return nil, err
	}
	s.ctrl, s.res = ctrl, res
	wait, cancel := context.WithTimeout(ctx, o.startWait)
	defer cancel()
	if err := ctrl.Add(wait, res, httprc.WithWaitReady(true)); err != nil {
		if s.table.Load() == nil {
			msg := err.Error()
			s.lastErr.Store(&msg)
			s.log.Error("the identity provider's key set could not be fetched at start; its tokens are refused until it is",
				"jwks", s.source, "err", err.Error())
		}
	}
	return s, nil
}

type errSink func(error)

func (f errSink) Put(_ context.Context, err error) { f(err) }

// store makes t the set held.
func (s *keySet) store(t *keyTable) {
	prev := s.table.Swap(t)
	s.fetchedAt.Store(s.now().UnixNano())
	if old := s.lastErr.Swap(nil); old != nil && prev != nil {
		s.log.Info("the identity provider's key set is fresh again", "jwks", s.source, "keys", len(t.byKID))
	}
	if prev == nil || !sameKIDs(prev, t) || !slices.Equal(prev.skipped, t.skipped) {
		s.log.Info("identity provider key set loaded", "jwks", s.source, "keys", len(t.byKID), "kids", kids(t))
		for _, why := range t.skipped {
			s.log.Warn("a key of the identity provider's key set is not used", "jwks", s.source, "why", why)
		}
	}
}

// acceptBody reads a fetched key set (1 MiB at most) and accepts it.
func (s *keySet) acceptBody(r io.Reader) (*keyTable, error) {
	body, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return nil, err
	}
	return s.accept(body)
}

// accept reads a fetched key set and makes it the set held, unless it
// has no usable key while the set held has some: a provider serving an
// empty or broken set for a moment keeps its keys working.
func (s *keySet) accept(data []byte) (*keyTable, error) {
	t, err := parseKeySet(data)
	if err != nil {
		return nil, err
	}
	if len(t.byKID) == 0 {
		if prev := s.table.Load(); prev != nil && len(prev.byKID) > 0 {
			return nil, fmt.Errorf("the key set has no usable key (%d left out): the last good set stays", len(t.skipped))
		}
	}
	s.store(t)
	return t, nil
}

// failed records a failed fetch: the set held stays, and is stale.
func (s *keySet) failed(err error) {
	msg := err.Error()
	if old := s.lastErr.Swap(&msg); old == nil {
		s.log.Warn("the identity provider's key set could not be refreshed; the last good set stays in use and is stale",
			"jwks", s.source, "err", msg, "fetched_at", time.Unix(0, s.fetchedAt.Load()).UTC().Format(time.RFC3339))
	}
}

func (s *keySet) readFile() error {
	data, err := os.ReadFile(s.file)
	if err != nil {
		return fmt.Errorf("auth: read the key set: %w", err)
	}
	if _, err := s.accept(data); err != nil {
		return fmt.Errorf("auth: %s: %w", s.file, err)
	}
	return nil
}

// Status says how the set stands.
func (s *keySet) Status() KeySetStatus {
	st := KeySetStatus{Source: s.source}
	if t := s.table.Load(); t != nil {
		st.Keys = len(t.byKID)
		st.FetchedAt = time.Unix(0, s.fetchedAt.Load())
	}
	if e := s.lastErr.Load(); e != nil {
		st.Stale, st.LastError = true, *e
	}
	return st
}

// maxKIDLen bounds the kids that may ask for a refresh.
const maxKIDLen = 256

// key finds kid, refreshing the set once if it is unknown and the kid may
// ask.
func (s *keySet) key(kid string) (boundKey, bool) {
	if k, ok := s.lookup(kid); ok {
		return k, true
	}
	if len(kid) > maxKIDLen {
		return boundKey{}, false
	}
	s.refreshFor(kid)
	return s.lookup(kid)
}

func (s *keySet) lookup(kid string) (boundKey, bool) {
	t := s.table.Load()
	if t == nil {
		return boundKey{}, false
	}
	k, ok := t.byKID[kid]
	return k, ok
}

// refreshFor waits (up to waitMax) for a refresh that started after the
// request arrived: it joins one under way, or starts one, at most one per
// floor. A kid that a successful refresh did not bring may not ask again
// for perKID, so made-up kids cost the provider one fetch each, and a
// real new kid, asking with its first requests, is never turned away.
func (s *keySet) refreshFor(kid string) {
	arrived := s.now()
	deadline := time.NewTimer(s.waitMax)
	defer deadline.Stop()
	s.mu.Lock()
	for {
		if s.running != nil {
			done, since := s.running, s.runningSince
			s.mu.Unlock()
			select {
			case <-done:
			case <-deadline.C:
				return
			}
			if _, ok := s.lookup(kid); ok || !since.Before(arrived) {
				return
			}
			s.mu.Lock()
			continue
		}
		if last, ok := s.asked[kid]; ok && arrived.Sub(last) < s.perKID {
			s.mu.Unlock()
			return
		}
		if wait := s.floor - s.now().Sub(s.lastStart); wait > 0 {
			s.mu.Unlock()
			select {
			case <-time.After(wait):
			case <-deadline.C:
				return
			}
			if _, ok := s.lookup(kid); ok {
				return
			}
			s.mu.Lock()
			continue
		}
		done := make(chan struct{})
		s.running, s.runningSince, s.lastStart = done, s.now(), s.now()
		s.mu.Unlock()
		ok := s.refresh()
		s.mu.Lock()
		s.running = nil
		close(done)
		if _, found := s.lookup(kid); ok && !found {
			s.forget(arrived)
			s.asked[kid] = s.now()
		}
		s.mu.Unlock()
		return
	}
}

// forget drops kids that asked longer than perKID ago, and the oldest
// beyond maxAsked.
func (s *keySet) forget(now time.Time) {
	if len(s.asked) < maxAsked {
		return
	}
	for k, t := range s.asked {
		if now.Sub(t) >= s.perKID {
			delete(s.asked, k)
		}
	}
	for k := range s.asked {
		if len(s.asked) < maxAsked {
			break
		}
		delete(s.asked, k)
	}
}

// refresh fetches the set now, itself (not through httprc's queue, which
// a refresh waited on by requests could fill), within waitMax, and
// reports whether it succeeded.
func (s *keySet) refresh() bool {
	if s.file != "" {
		if err := s.readFile(); err != nil {
			s.failed(err)
			return false
		}
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.waitMax)
	defer cancel()
	err := func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.source, nil)
		if err != nil {
			return err
		}
		res, err := s.client.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("the key set answered %s", res.Status)
		}
		_, err = s.acceptBody(res.Body)
		return err
	}()
	if err != nil {
		s.failed(err)
		return false
	}
	return true
}

// close stops the set's refreshes.
func (s *keySet) close() {
	if s.ctrl != nil {
		_ = s.ctrl.Shutdown(time.Second)
	}
	if s.stopFile != nil {
		s.stopOnce.Do(func() { close(s.stopFile) })
	}
}

// rereadFile reads the key set file every interval until close.
func (s *keySet) rereadFile(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stopFile:
			return
		case <-t.C:
			if err := s.readFile(); err != nil {
				s.failed(err)
			}
		}
	}
}

func kids(t *keyTable) []string {
	out := make([]string, 0, len(t.byKID))
	for k := range t.byKID {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func sameKIDs(a, b *keyTable) bool { return slices.Equal(kids(a), kids(b)) }
