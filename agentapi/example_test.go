package agentapi_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/agentlayer/agentlayer/agentapi"
	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
)

// A service mounts the Agent API in its own mux, beside its other routes.
func ExampleNew() {
	ctx := context.Background()
	e, err := engine.New(ctx, engine.Options{
		ModelFile: "model.yaml", // in a service: the paths of its files, no YAML inline
		ModelYAML: []byte(`version: 1
tables:
  - id: 1
    name: CUSTOMERS
    synonyms: [clients]
    source: {sql: "SELECT range AS ID, 'customer ' || range AS NAME FROM range(3)"}
    fields:
      - {name: ID, semantic_type: type/PK}
      - {name: NAME}
`),
		PolicyFile: "policy.yaml",
		PolicyYAML: []byte("version: 1\npolicies:\n  - {name: analysts, when: '\"analyst\" in user.groups', tables: \"*\"}\n"),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	secret := []byte("a shared secret of at least 32 bytes!!")
	verifier, err := auth.NewVerifier(auth.VerifierOptions{Secret: secret})
	if err != nil {
		log.Fatal(err)
	}
	agent := agentapi.New(e, agentapi.Options{Verifier: verifier})

	mux := http.NewServeMux()
	mux.Handle("/api/agent/", agent) // the Agent API
	mux.Handle("/auth/sso", agent)   // and its session exchange
	mux.Handle("/readyz", agent)     // and, if it likes, its readiness
	srv := httptest.NewServer(mux)
	defer srv.Close()

	token, _ := auth.Sign(secret, auth.Claims{Email: "analyst@example.com", Groups: []string{"analyst"}, IssuedAt: time.Now()})
	req, _ := http.NewRequest("POST", srv.URL+"/api/agent/v1/search", strings.NewReader(`{"term_queries": ["clients"]}`))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, strings.Contains(string(body), `"name":"CUSTOMERS"`))
	// Output: 200 true
}
