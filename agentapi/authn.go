package agentapi

import (
	"errors"
	"net/http"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/internal/httpapi"
)

// SessionHeader carries a session token.
const SessionHeader = httpapi.SessionHeader

// authenticate finds the request's principal: a live session first, then a
// Bearer JWT.
func (h *handler) authenticate(r *http.Request) (*auth.Principal, error) {
	return h.authn.Authenticate(r)
}

// verify checks a JWT; the reason of a failure goes to the debug log only.
func (h *handler) verify(r *http.Request, token string) (*auth.Principal, error) {
	return h.authn.VerifyJWT(r.Context(), token)
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
