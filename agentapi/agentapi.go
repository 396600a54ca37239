// Package agentapi serves a Metabase-compatible Agent API over an engine:
// an http.Handler for /api/agent and the /auth/sso session exchange, which a
// service can mount in its own mux.
package agentapi

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"

	"github.com/agentlayer/agentlayer/engine"
)

// Options configure the handler. The zero value means every default.
type Options struct {
	// Logger receives one line per request; nil discards.
	Logger *slog.Logger
}

type handler struct {
	e   *engine.Engine
	log *slog.Logger
	mux *http.ServeMux
}

// New returns the Agent API handler over e.
func New(e *engine.Engine, opts Options) http.Handler {
	h := &handler{e: e, log: opts.Logger, mux: http.NewServeMux()}
	if h.log == nil {
		h.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	h.mux.HandleFunc("GET /api/agent/v1/ping", h.ping)
	return h.mux
}

func (h *handler) ping(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"message": "pong"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
