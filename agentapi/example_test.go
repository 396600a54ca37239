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
	"github.com/agentlayer/agentlayer/fixtures"
)

// A service mounts the Agent API in its own mux, beside its other routes.
func ExampleNew() {
	ctx := context.Background()
	e, err := engine.New(ctx, engine.Options{
		ModelFile: fixtures.ModelFile, ModelYAML: fixtures.Model(),
		PolicyFile: fixtures.PolicyFile, PolicyYAML: fixtures.Policy(),
		Setup: fixtures.Setup(0.01),
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
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	token, _ := auth.Sign(secret, auth.Claims{Email: "analyst@example.com", Groups: []string{"analyst"}, IssuedAt: time.Now()})
	req, _ := http.NewRequest("POST", srv.URL+"/api/agent/v1/search", strings.NewReader(`{"term_queries": ["customers"]}`))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, strings.Contains(string(body), `"name":"PEOPLE"`))
	// Output: 200 true
}
