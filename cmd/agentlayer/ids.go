package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/agentlayer/agentlayer/semantic"
)

const idsHelp = `
update writes the id lock file beside the model (model.ids.yaml beside
model.yaml), which keeps field ids stable across model edits: a field keeps
its number, a new field or relationship gets its table's next number, and a
removed field's number is never given again. The first lock is seeded from
today's positional ids, so nothing moves for existing users. Check the lock
in with the model; the server refuses a model whose lock is stale.

check says what update would change, and exits 1 if the lock is stale.`

func ids(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ids", "agentlayer ids update --model FILE\n       agentlayer ids check --model FILE", idsHelp, nil, stdout)
	modelFile := fs.String("model", "", "semantic model `file`")
	if done, err := subcommand(fs, args, "update", "check"); done || err != nil {
		return err
	}
	if *modelFile == "" {
		return usagef("%s needs --model, the model file", args[0])
	}
	data, err := os.ReadFile(*modelFile)
	if err != nil {
		return err
	}
	lockFile := semantic.LockFile(*modelFile)
	prev, err := semantic.ReadIDLock(lockFile)
	if err != nil {
		return err
	}
	// The model is read without its lock, which may be the stale part.
	m, err := semantic.Parse(*modelFile, data, semantic.Options{})
	if err != nil {
		return err
	}
	lock, changes := semantic.UpdateIDs(m, prev)
	report := func(verb string) {
		if prev == nil {
			fmt.Fprintf(stdout, "%s: no lock yet; %s it from today's positional ids, so no id moves\n", lockFile, verb)
			return
		}
		if changes.Empty() {
			fmt.Fprintf(stdout, "%s: up to date\n", lockFile)
			return
		}
		if len(changes.Added) > 0 {
			fmt.Fprintf(stdout, "%s: new ids: %s\n", lockFile, strings.Join(changes.Added, ", "))
		}
		if len(changes.Retired) > 0 {
			fmt.Fprintf(stdout, "%s: retired ids, never given again: %s\n", lockFile, strings.Join(changes.Retired, ", "))
		}
	}
	if args[0] == "check" {
		report("update would seed")
		if prev == nil || len(changes.Added) > 0 {
			return fmt.Errorf("%s is missing or stale: run agentlayer ids update --model %s", lockFile, *modelFile)
		}
		return nil
	}
	report("seeded")
	return os.WriteFile(lockFile, lock.Marshal(m), 0o644)
}
