package agentapi

import (
	"net/http"

	"github.com/agentlayer/agentlayer/internal/openapi"
)

// OpenAPI returns the OpenAPI 3.1 description of the Agent API, as JSON
// (internal/openapi holds it: MCP renders its tools' schemas from it).
func OpenAPI() []byte { return openapi.JSON() }

func (h *handler) openapi(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Write(OpenAPI())
	return nil
}
