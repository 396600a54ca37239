package agentapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/agentlayer/agentlayer/auth"
)

// SessionHeader carries a session token.
const SessionHeader = "X-Metabase-Session"

// authenticate finds the request's principal: a live session first, then a
// Bearer JWT.
func (h *handler) authenticate(r *http.Request) (*auth.Principal, error) {
	if tok := r.Header.Get(SessionHeader); tok != "" {
		p, err := h.sessions.Lookup(r.Context(), tok)
		if err == nil && h.verifier != nil && h.verifier.Deactivated(p.Email) {
			err = auth.ErrNoSession // deactivated since: the session ends with the user
		}
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, auth.ErrNoSession) {
			h.log.Error("session lookup failed", "err", err)
			return nil, err
		}
	}
	authz := r.Header.Get("Authorization")
	if authz == "" {
		return nil, errMissingAuth
	}
	scheme, token, found := strings.Cut(authz, " ")
	token = strings.TrimSpace(token)
	if !found || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return nil, errAuthFormat
	}
	return h.verify(r, token)
}

// verify checks a JWT; the reason of a failure goes to the debug log only.
func (h *handler) verify(r *http.Request, token string) (*auth.Principal, error) {
	if h.verifier == nil {
		return nil, errJWTNotConfigured
	}
	p, err := h.verifier.Verify(token)
	if err != nil {
		h.log.DebugContext(r.Context(), "JWT refused", "reason", err.Error())
		h.metrics.jwtFailure(err)
		return nil, errInvalidJWT
	}
	return p, nil
}

type ssoRequest struct {
	JWT string `json:"jwt"`
}

type ssoResponse struct {
	Status       string `json:"status"`
	ID           string `json:"id"`
	SessionToken string `json:"session_token"`
	Exp          int64  `json:"exp"`
	Iat          int64  `json:"iat"`
}

// sso exchanges a JWT for a session: POST /auth/sso, POST
// /auth/sso/to_session with {"jwt": …}, or GET /auth/sso?jwt=….
func (h *handler) sso(w http.ResponseWriter, r *http.Request) error {
	var req ssoRequest
	if r.Method == http.MethodGet {
		req.JWT = r.URL.Query().Get("jwt")
	} else if err := decodeBody(r, &req); err != nil {
		return err
	}
	if req.JWT == "" {
		return badRequestAt("jwt", "jwt is required")
	}
	p, err := h.verify(r, req.JWT)
	if err != nil {
		return err
	}
	info(r.Context()).email = p.Email
	tok, sess, err := h.sessions.Create(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ssoResponse{Status: "ok", ID: tok, SessionToken: tok, Exp: sess.Expires.Unix(), Iat: sess.Created.Unix()})
	return nil
}

// logout ends the session of the X-Metabase-Session header.
func (h *handler) logout(w http.ResponseWriter, r *http.Request) error {
	tok := r.Header.Get(SessionHeader)
	if tok == "" {
		return errMissingAuth
	}
	if err := h.sessions.End(r.Context(), tok); err != nil {
		if errors.Is(err, auth.ErrNoSession) {
			return errMissingAuth
		}
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
