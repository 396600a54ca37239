package agentapi

import (
	"net/http"

	"github.com/agentlayer/agentlayer/auth"
)

// context answers GET /v1/context: the server's now, report time zone and
// week start, and the tables and metrics the caller can see.
func (h *handler) context(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	c, err := h.e.Context(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// schema answers GET /v1/schema: everything the caller can see, as JSON
// (format=json) or as compact text, one line per field (format=compact,
// the default).
func (h *handler) schema(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	format := r.URL.Query().Get("format")
	if format != "" && format != "compact" && format != "json" {
		return badRequestAt("format", "format must be compact or json, not %q", format)
	}
	s, err := h.e.Schema(r.Context(), p)
	if err != nil {
		return err
	}
	if format == "json" {
		writeJSON(w, http.StatusOK, s)
		return nil
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(s.Compact()))
	return nil
}
