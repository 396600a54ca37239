package agentapi

import "context"

// requestInfo collects what the request log line reports.
type requestInfo struct {
	email   string
	rows    int
	counted bool
	// outcome is what became of a request whose status does not say it:
	// "canceled" (the client left), "timeout" or "failed" (the query), set
	// by the handler that saw it.
	outcome string
}

type infoKey struct{}

func withInfo(ctx context.Context, i *requestInfo) context.Context {
	return context.WithValue(ctx, infoKey{}, i)
}

// info returns the request's log info; never nil.
func info(ctx context.Context) *requestInfo {
	if i, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		return i
	}
	return &requestInfo{}
}
