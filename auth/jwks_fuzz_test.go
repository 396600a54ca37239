package auth

import (
	"encoding/json"
	"slices"
	"testing"
)

// FuzzParseKeySet feeds arbitrary documents to the key set reader: no
// panic, and every key it keeps verifies only asymmetric algorithms its
// type allows.
func FuzzParseKeySet(f *testing.F) {
	f.Add(`{"keys":[{"kty":"EC","kid":"a","crv":"P-256","x":"DMaeywLdUh-CuhqydIop6UgpKJQ4p5GDowSKn9ViOQM","y":"i2lBmCVQvc3zkGog0osPrRAEg4kjoOGk-sckwgY9ie4"}]}`)
	f.Add(`{"keys":[{"kty":"oct","kid":"s","k":"c2VjcmV0"},{"kty":"OKP","crv":"Ed25519","kid":"e","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","alg":"EdDSA"}]}`)
	f.Add(`{"keys":[{"kty":"RSA","kid":"r","n":"AQAB","e":"AQAB"}]}`)
	f.Add(`{"keys":[{"kty":"EC","kid":"a","crv":"P-256","x":"AA","y":"AA","alg":"RS256","use":"enc"}]}`)
	f.Add(`{"keys":null}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, doc string) {
		table, err := parseKeySet([]byte(doc))
		if err != nil {
			return
		}
		for kid, k := range table.byKID {
			if kid == "" || len(k.algs) == 0 || k.key == nil {
				t.Fatalf("kept %q: %+v", kid, k)
			}
			for _, alg := range k.algs {
				if !slices.Contains(ProviderAlgorithms, alg) {
					t.Fatalf("kept %q for %s", kid, alg)
				}
			}
		}
		if !json.Valid([]byte(doc)) {
			t.Fatalf("read a key set from a document that is not JSON: %q", doc)
		}
	})
}
