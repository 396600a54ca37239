package pgtest_test

import (
	"context"
	"testing"

	"github.com/agentlayer/agentlayer/internal/testsupport/pgtest"
)

func TestServer(t *testing.T) {
	s := pgtest.StartServer(t)
	if err := s.Exec(context.Background(), "", "CREATE TABLE x (a int); INSERT INTO x VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	db := pgtest.Open(t, s.URL(""))
	var n int
	if err := db.QueryRow("SELECT count(*) FROM x").Scan(&n); err != nil || n != 1 {
		t.Fatal(n, err)
	}
}
