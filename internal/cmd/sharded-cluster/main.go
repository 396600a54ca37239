// Command demo starts a sharded PostgreSQL holding the sample dataset — a
// coordinator and shards, each a server of its own (package sharded) —
// prints the coordinator's URL, and removes it all on SIGINT or SIGTERM.
// scripts/sharded-demo runs it and serves the Agent API from the
// coordinator.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/agentlayer/agentlayer/internal/testsupport/sharded"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "sharded-demo:", err)
		os.Exit(1)
	}
}

func run() error {
	scale := flag.Float64("scale", 1, "scale of the sample dataset")
	shards := flag.Int("shards", 2, "number of shards")
	dir := flag.String("dir", "", "`directory` for the servers' data (default: the system's temporary directory)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := sharded.Start(ctx, *dir, *shards, *scale)
	if err != nil {
		return err
	}
	defer c.Remove()
	counts, err := c.Counts(ctx)
	if err != nil {
		return err
	}
	for i, s := range c.Shards {
		fmt.Printf("shard %d: %s (ORDERS %d rows, PEOPLE %d rows)\n", i, s.URL(sharded.Database), counts["ORDERS"][i], counts["PEOPLE"][i])
	}
	fmt.Printf("coordinator %s\n", c.URL())
	<-ctx.Done()
	return nil
}
