// Package auth turns credentials into a Principal: the user on whose behalf
// every agentlayer operation runs.
//
// A Verifier checks HS256 JWTs exactly as the Agent API contract says: iat
// required and at most MaxAge old, not in the future beyond Leeway, exp and
// nbf honoured, an email claim present. Any failure is ErrInvalidToken, with
// the detail for logs only. A Directory (a YAML file of users) supplies the
// groups and attributes of users whose tokens carry only an email, and can
// deactivate users. Sessions exchange a verified token for a session token
// kept, as a hash only, in a SessionStore.
//
// An embedder that authenticates users itself builds a Principal directly.
//
// auth is pure Go: it knows nothing of tables or DuckDB.
package auth
