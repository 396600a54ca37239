package engine_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agentlayer/agentlayer/auth"
	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/testsupport/testkit"
	"github.com/agentlayer/agentlayer/permissions"
	"github.com/agentlayer/agentlayer/semantic"
)

// TestNew_modelAndPolicyProblemsInOneRun: a model with a mistake in one
// table and a policy with mistakes about other tables are reported
// together; what the policy says about the broken table is not checked,
// since that would report false problems.
func TestNew_modelAndPolicyProblemsInOneRun(t *testing.T) {
	opts := sampleOptions()
	opts.ModelYAML = []byte(strings.Replace(string(fixtures.Model()), "        type: DOUBLE\n        semantic_type: type/Price\n        description: List price.",
		"        type: DUBBLE\n        semantic_type: type/Price\n        description: List price.", 1))
	opts.PolicyYAML = []byte(strings.Replace(strings.Replace(string(fixtures.Policy()),
		"hide: [EMAIL, PASSWORD, ADDRESS, BIRTH_DATE]", "hide: [EMAIL, PASWORD, ADDRESS, BIRTH_DATE]", 1),
		"    tables:\n      PRODUCTS: \"*\"\n      REVIEWS:", "    tables:\n      PRODUCTS: {hide: [PRICEE]}\n      REVIEWS:", 1))
	_, err := newEngine(context.Background(), opts)
	var me *semantic.Error
	var pe *permissions.Error
	if !errors.As(err, &me) || !errors.As(err, &pe) {
		t.Fatalf("want the model's and the policy's problems, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"unsupported type DUBBLE", "PASWORD"} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "PRICEE") {
		t.Errorf("a policy problem about the broken table PRODUCTS was reported:\n%s", msg)
	}
}

// TestNew_staleIDLock: the engine refuses a model whose id lock does not
// number a field, with the command that fixes it; without a lock it serves
// positional ids and warns.
func TestNew_staleIDLock(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "model.yaml")
	data := strings.Replace(string(fixtures.Model()), "      - name: TAX\n", "      - name: VAT\n        type: DOUBLE\n        column: TAX\n      - name: TAX\n", 1)
	if err := os.WriteFile(model, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(semantic.LockFile(model), fixtures.Shop.IDs(), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := engine.Options{ModelFile: model, Unrestricted: true, Setup: fixtures.Setup(0.01)}
	_, err := newEngine(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), "field ORDERS.VAT has no id in "+semantic.LockFile(model)) ||
		!strings.Contains(err.Error(), "run agentlayer ids update --model "+model) {
		t.Fatalf("a stale lock: %v", err)
	}
	os.Remove(semantic.LockFile(model))
	var log testkit.SyncBuffer
	opts.Logger = slog.New(slog.NewTextHandler(&log, nil))
	e, err := newEngine(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if !strings.Contains(log.String(), "field ids are positions") {
		t.Errorf("no warning about positional ids: %s", log.String())
	}
}

// TestConstruct_hiddenFieldIsNotFound: a field that is hidden from the
// caller, or does not exist, by id or by name, is an *engine.Error (of
// KindNotFound for an id, KindInvalidFieldID for a name, as the Agent API
// answers them) that errors.Is(err, engine.ErrNotFound) recognises.
func TestConstruct_hiddenFieldIsNotFound(t *testing.T) {
	e := sampleEngine(t)
	analyst := &auth.Principal{Email: "analyst@example.com", Groups: []string{"analyst"}}
	for _, id := range []string{"t2-2", "EMAIL", "t2-99", "NOPE"} {
		_, err := e.Construct(context.Background(), analyst, &engine.Request{TableID: 2, Fields: []engine.RequestField{{FieldID: id}}})
		var ee *engine.Error
		if !errors.Is(err, engine.ErrNotFound) || !errors.As(err, &ee) || (ee.Kind != engine.KindInvalidFieldID && ee.Kind != engine.KindNotFound) {
			t.Errorf("field %s: %v", id, err)
		}
		if errors.Is(err, engine.ErrForbidden) {
			t.Errorf("field %s is forbidden, not unknown", id)
		}
	}
}
