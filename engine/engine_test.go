package engine_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"

	"github.com/agentlayer/agentlayer/engine"
	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/semantic"
)

func sampleOptions() engine.Options {
	return engine.Options{
		ModelFile: fixtures.ModelFile,
		ModelYAML: fixtures.Model(),
		Setup:     fixtures.Setup(0.1),
		Threads:   2,
	}
}

func TestNew_sample(t *testing.T) {
	ctx := context.Background()
	e, err := engine.New(ctx, sampleOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	m := e.Model()
	if got := len(m.Tables); got != 4 {
		t.Fatalf("%d tables, want 4", got)
	}
	f := m.TableByName("PEOPLE").Field("BIRTH_DATE")
	if f.Type.Database != "DATE" || f.Type.Kind != semantic.KindDate {
		t.Errorf("BIRTH_DATE type = %+v", f.Type)
	}
	var threads string
	if err := e.DB().QueryRowContext(ctx, "SELECT current_setting('threads')").Scan(&threads); err != nil {
		t.Fatal(err)
	}
	if threads != "2" {
		t.Errorf("threads = %s, want 2", threads)
	}
}

func TestNew_missingColumn(t *testing.T) {
	opts := sampleOptions()
	opts.ModelYAML = []byte(strings.Replace(string(fixtures.Model()), "      - name: TAX\n", "      - name: TAX\n        column: TAXES\n", 1))
	_, err := engine.New(context.Background(), opts)
	var serr *semantic.Error
	if !errors.As(err, &serr) {
		t.Fatalf("New error = %v, want *semantic.Error", err)
	}
	want := `fixtures/sample/model.yaml:36:17: table ORDERS, field TAX: source table ORDERS has no column "TAXES" (did you mean TAX?)`
	if got := strings.SplitN(err.Error(), "\n", 2)[0]; got != want {
		t.Errorf("error = %q\nwant    %q", got, want)
	}
}

func TestNew_typeMismatch(t *testing.T) {
	opts := sampleOptions()
	opts.ModelYAML = []byte(strings.Replace(string(fixtures.Model()), "      - name: QUANTITY\n        type: INTEGER\n", "      - name: QUANTITY\n        type: DOUBLE\n", 1))
	_, err := engine.New(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), "field QUANTITY is declared DOUBLE but column \"QUANTITY\" is INTEGER") {
		t.Fatalf("New error = %v", err)
	}
}

func TestNew_setupError(t *testing.T) {
	opts := sampleOptions()
	opts.Setup = func(ctx context.Context, db *sql.DB) error { return errors.New("no data today") }
	if _, err := engine.New(context.Background(), opts); err == nil || !strings.Contains(err.Error(), "no data today") {
		t.Fatalf("New error = %v", err)
	}
}

func TestNew_noModel(t *testing.T) {
	if _, err := engine.New(context.Background(), engine.Options{}); err == nil {
		t.Fatal("New without a model succeeded")
	}
}
