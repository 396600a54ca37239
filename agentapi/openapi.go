package agentapi

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"gopkg.in/yaml.v3"
)

//go:embed openapi.yaml
var openapiYAML []byte

// OpenAPI returns the OpenAPI 3.1 description of the Agent API, as JSON.
var OpenAPI = sync.OnceValue(func() []byte {
	var doc any
	if err := yaml.Unmarshal(openapiYAML, &doc); err != nil {
		panic(fmt.Sprintf("agentapi: openapi.yaml: %v", err)) // a build defect, caught by every test
	}
	out, err := json.Marshal(doc)
	if err != nil {
		panic(fmt.Sprintf("agentapi: openapi.yaml: %v", err))
	}
	return out
})

func (h *handler) openapi(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Write(OpenAPI())
	return nil
}
