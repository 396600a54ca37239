// Package sharded spreads the sample dataset over PostgreSQL servers of
// agentlayer's own (pgcluster): a coordinator and shards, for the sharded
// tests and scripts/sharded-demo.
package sharded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the pgx driver of database/sql

	"github.com/agentlayer/agentlayer/fixtures"
	"github.com/agentlayer/agentlayer/internal/testsupport/pgcluster"
)

// Database is the name of the sample's database on every server of a
// cluster.
const Database = "sample"

// Cluster is the sample dataset spread over servers: a coordinator where
// ORDERS is hash-partitioned by USER_ID and PEOPLE by ID, with the same
// modulus, each partition a postgres_fdw foreign table on one shard — so a
// customer and their orders live on the same shard — and the small tables
// (PRODUCTS, REVIEWS) on the coordinator. Partition-wise joins and
// aggregates are on in the sample database.
type Cluster struct {
	Coordinator *pgcluster.Server
	Shards      []*pgcluster.Server
}

// partitioned names the sharded tables and the column each is partitioned
// by.
var partitioned = [][2]string{{"ORDERS", "USER_ID"}, {"PEOPLE", "ID"}}

// Start starts a coordinator and n shards under parent ("" for the
// system's temporary directory) and loads the sample at scale into them.
// On error, what was started is removed.
func Start(ctx context.Context, parent string, shards int, scale float64) (c *Cluster, err error) {
	c = &Cluster{}
	defer func() {
		if err != nil {
			c.Remove()
		}
	}()
	start := func() (*pgcluster.Server, error) {
		s, err := pgcluster.NewServer(parent)
		if err != nil {
			return nil, err
		}
		if err := s.Start(); err != nil {
			s.Remove()
			return nil, err
		}
		return s, nil
	}
	if c.Coordinator, err = start(); err != nil {
		return c, err
	}
	for i := 0; i < shards; i++ {
		s, err := start()
		if err != nil {
			return c, err
		}
		c.Shards = append(c.Shards, s)
	}
	return c, c.load(ctx, scale)
}

// URL is the coordinator's sample database: what agentlayer connects to.
func (c *Cluster) URL() string { return c.Coordinator.URL(Database) }

// Remove stops every server and deletes its directory.
func (c *Cluster) Remove() {
	for _, s := range append([]*pgcluster.Server{c.Coordinator}, c.Shards...) {
		if s != nil {
			s.Remove()
		}
	}
}

// load creates the partitions on the shards, loads the sample on the
// coordinator, and moves the sharded tables' rows through the foreign
// partitions to the shards.
func (c *Cluster) load(ctx context.Context, scale float64) error {
	for i, s := range c.Shards {
		stmts := []string{}
		for _, p := range partitioned {
			create, err := fixtures.PostgresTable(p[0], partition(p[0], i))
			if err != nil {
				return err
			}
			stmts = append(stmts, create, fmt.Sprintf("ALTER TABLE %s ADD PRIMARY KEY (%q)", ident(partition(p[0], i)), "ID"))
		}
		stmts = append(stmts, fmt.Sprintf("CREATE INDEX ON %s (%q)", ident(partition("ORDERS", i)), "USER_ID"))
		if err := s.Exec(ctx, "", "CREATE DATABASE "+Database); err != nil {
			return err
		}
		if err := s.Exec(ctx, Database, strings.Join(stmts, ";\n")); err != nil {
			return fmt.Errorf("shard %d: %w", i, err)
		}
	}
	if err := c.Coordinator.Exec(ctx, "", "CREATE DATABASE "+Database); err != nil {
		return err
	}
	db, err := sql.Open("pgx", c.URL())
	if err != nil {
		return err
	}
	defer db.Close()
	if err := fixtures.LoadPostgres(ctx, db, scale); err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, c.shardStatements())
	return err
}

// shardStatements turn the coordinator's ORDERS and PEOPLE into
// partitioned tables over the shards, keeping their rows.
func (c *Cluster) shardStatements() string {
	stmts := []string{"CREATE EXTENSION postgres_fdw"}
	for i, s := range c.Shards {
		stmts = append(stmts,
			fmt.Sprintf("CREATE SERVER shard%d FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '%s', port '%d', dbname '%s', fetch_size '10000', batch_size '1000', async_capable 'true')",
				i, strings.ReplaceAll(s.Dir(), "'", "''"), s.Port, Database),
			fmt.Sprintf("CREATE USER MAPPING FOR PUBLIC SERVER shard%d OPTIONS (user 'postgres')", i))
	}
	for _, p := range partitioned {
		table, key := p[0], p[1]
		create, _ := fixtures.PostgresTable(table, table)
		stmts = append(stmts,
			fmt.Sprintf("ALTER TABLE %s RENAME TO %s", ident(table), ident(table+"_load")),
			fmt.Sprintf("%s PARTITION BY HASH (%q)", create, key))
		for i := range c.Shards {
			stmts = append(stmts, fmt.Sprintf("CREATE FOREIGN TABLE %s PARTITION OF %s FOR VALUES WITH (MODULUS %d, REMAINDER %d) SERVER shard%d OPTIONS (table_name '%s')",
				ident(partition(table, i)), ident(table), len(c.Shards), i, i, partition(table, i)))
		}
		stmts = append(stmts,
			fmt.Sprintf("INSERT INTO %s SELECT * FROM %s", ident(table), ident(table+"_load")),
			fmt.Sprintf("DROP TABLE %s CASCADE", ident(table+"_load")))
	}
	return strings.Join(append(stmts,
		"ALTER DATABASE "+Database+" SET enable_partitionwise_join = on",
		"ALTER DATABASE "+Database+" SET enable_partitionwise_aggregate = on",
		"ANALYZE"), ";\n")
}

// Counts reports the rows of each sharded table on each shard.
func (c *Cluster) Counts(ctx context.Context) (map[string][]int, error) {
	out := map[string][]int{}
	for i, s := range c.Shards {
		db, err := sql.Open("pgx", s.URL(Database))
		if err != nil {
			return nil, err
		}
		for _, p := range partitioned {
			var n int
			err = errors.Join(err, db.QueryRowContext(ctx, "SELECT count(*) FROM "+ident(partition(p[0], i))).Scan(&n))
			out[p[0]] = append(out[p[0]], n)
		}
		db.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func partition(table string, i int) string { return fmt.Sprintf("%s_p%d", table, i) }

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }
