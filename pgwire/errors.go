package pgwire

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/internal/httpapi"
	"github.com/agentlayer/agentlayer/sqlfront"
)

// errorResponse words an error for a client: the mapping's own with its
// SQLSTATE and position, or the engine's as the Agent API words it (the
// same message), under a SQLSTATE of its class. The database's own text
// never reaches a client.
func errorResponse(err error) *pgproto3.ErrorResponse {
	out := &pgproto3.ErrorResponse{Severity: "ERROR", SeverityUnlocalized: "ERROR"}
	var se *sqlfront.Error
	switch {
	case errors.As(err, &se):
		out.Code, out.Message, out.Hint, out.Position = se.Code, se.Message, se.Hint, int32(se.Position)
		return out
	case errors.Is(err, engine.ErrTooManyRows):
		out.Code, out.Message = "54000", err.Error()
		out.Hint = "add a LIMIT, or aggregate: the server's --sql-max-rows caps an answer"
		return out
	case errors.Is(err, context.Canceled):
		out.Code, out.Message = "57014", "canceling statement due to user request"
		return out
	}
	e := httpapi.Map(context.Background(), slog.New(slog.DiscardHandler), err)
	out.Message = e.Message
	if e.Reason != "" && e.Reason != e.Message {
		out.Detail = e.Reason
	}
	switch {
	case e.Code == "forbidden" || e.Status == http.StatusForbidden:
		out.Code = "42501"
	case e.Code == "not_found":
		out.Code = "42704"
	case e.Status == http.StatusBadRequest:
		out.Code = "22023"
	case errors.Is(err, engine.ErrTimeout) || errors.Is(err, context.DeadlineExceeded):
		out.Code = "57014"
	case errors.Is(err, engine.ErrOverloaded):
		out.Code = "53000"
	case e.Status == http.StatusServiceUnavailable:
		out.Code = "57P03"
	default:
		out.Code = "XX000"
	}
	return out
}
