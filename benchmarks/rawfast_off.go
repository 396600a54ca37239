//go:build !duckdb_arrow

package benchmarks

import "context"

// rawArrow is Raw in a build without the duckdb_arrow tag, which has no
// Arrow interface.
func (env *Env) rawArrow(ctx context.Context, p *Prepared) (int, error) { return env.Raw(ctx, p) }
