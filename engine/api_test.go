package engine_test

import (
	"bufio"
	"bytes"
	"go/importer"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

// The facade: an embedder imports engine and auth and nothing else of
// this module. Every type reachable from engine's exported API — through
// an exported function's signature, an exported type's exported fields
// (embedded ones too) and exported methods, an exported variable or
// constant — is engine's own, an alias engine declares as part of its API,
// auth's, or the standard library's; foreign lists the others allowed, each
// with its reason.
var foreign = map[string]string{
	// Options.DuckDB: the embedder's own connector to its DuckDB file,
	// which engine then runs on.
	"github.com/duckdb/duckdb-go/v2.Connector": "the embedder's own DuckDB connector (Options.DuckDB)",
	// Options.Registerer: where the engine's metrics go.
	"github.com/prometheus/client_golang/prometheus.Registerer": "the embedder's own metrics registry",
}

func TestAPI_facadeNamesOnlyEngineAndAuth(t *testing.T) {
	const self = "github.com/agentlayer/agentlayer/engine"
	pkg := importExported(t, self)
	v := &apiWalker{self: self, seen: map[types.Type]bool{}, leaks: map[string][]string{}, aliased: map[*types.TypeName]bool{}}
	// What engine's aliases name is part of its API, and so is what that
	// reaches in turn.
	for _, name := range pkg.Scope().Names() {
		if tn, ok := pkg.Scope().Lookup(name).(*types.TypeName); ok && tn.Exported() && tn.IsAlias() {
			if n, ok := types.Unalias(tn.Type()).(*types.Named); ok {
				v.aliased[n.Obj()] = true
			}
		}
	}
	for _, name := range pkg.Scope().Names() {
		if obj := pkg.Scope().Lookup(name); obj.Exported() {
			v.walk(obj.Type(), "engine."+name)
		}
	}
	var leaks []string
	for typ, paths := range v.leaks {
		sort.Strings(paths)
		leaks = append(leaks, typ+"\n\t\treached by "+strings.Join(paths, "\n\t\treached by "))
	}
	sort.Strings(leaks)
	for _, l := range leaks {
		t.Errorf("engine's API names %s", l)
	}
}

// importExported type-checks nothing: it reads the compiler's export data
// of path and its dependencies, as go list -export builds them.
func importExported(t *testing.T, path string) *types.Package {
	t.Helper()
	out, err := exec.Command("go", "list", "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Export}}", path).Output()
	if err != nil {
		t.Fatalf("go list -export: %v", err)
	}
	exports := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if p, file, ok := strings.Cut(sc.Text(), "\t"); ok {
			exports[p] = file
		}
	}
	imp := importer.ForCompiler(token.NewFileSet(), "gc", func(p string) (io.ReadCloser, error) { return os.Open(exports[p]) })
	pkg, err := imp.Import(path)
	if err != nil {
		t.Fatal(err)
	}
	return pkg
}

type apiWalker struct {
	self    string
	seen    map[types.Type]bool
	leaks   map[string][]string
	aliased map[*types.TypeName]bool // the types engine's aliases name
}

func (v *apiWalker) walk(t types.Type, path string) {
	if t == nil || v.seen[t] {
		return
	}
	v.seen[t] = true
	switch t := t.(type) {
	case *types.Alias:
		v.walk(types.Unalias(t), path)
	case *types.Named:
		obj := t.Obj()
		if obj.Pkg() == nil {
			return // error
		}
		pkgPath := obj.Pkg().Path()
		switch {
		case pkgPath == v.self, v.aliased[obj]:
			v.members(t, path)
		case pkgPath == "github.com/agentlayer/agentlayer/auth", !strings.Contains(strings.Split(pkgPath, "/")[0], "."):
		case foreign[pkgPath+"."+obj.Name()] != "":
		default:
			name := pkgPath + "." + obj.Name()
			v.leaks[name] = append(v.leaks[name], path)
		}
		for i := range t.TypeArgs().Len() {
			v.walk(t.TypeArgs().At(i), path)
		}
	case *types.Pointer:
		v.walk(t.Elem(), path)
	case *types.Slice:
		v.walk(t.Elem(), path)
	case *types.Array:
		v.walk(t.Elem(), path)
	case *types.Map:
		v.walk(t.Key(), path)
		v.walk(t.Elem(), path)
	case *types.Chan:
		v.walk(t.Elem(), path)
	case *types.Signature:
		for i := range t.Params().Len() {
			v.walk(t.Params().At(i).Type(), path)
		}
		for i := range t.Results().Len() {
			v.walk(t.Results().At(i).Type(), path)
		}
	case *types.Struct:
		v.fields(t, path)
	case *types.Interface:
		for i := range t.NumMethods() {
			if m := t.Method(i); m.Exported() {
				v.walk(m.Type(), path+"."+m.Name())
			}
		}
	}
}

// members walks an engine type's exported fields and methods.
func (v *apiWalker) members(t *types.Named, path string) {
	if s, ok := t.Underlying().(*types.Struct); ok {
		v.fields(s, path)
	} else {
		v.walk(t.Underlying(), path)
	}
	for _, recv := range []types.Type{t, types.NewPointer(t)} {
		ms := types.NewMethodSet(recv)
		for i := range ms.Len() {
			if m := ms.At(i).Obj(); m.Exported() {
				v.walk(m.Type(), path+"."+m.Name())
			}
		}
	}
}

func (v *apiWalker) fields(s *types.Struct, path string) {
	for i := range s.NumFields() {
		if f := s.Field(i); f.Exported() || f.Embedded() {
			v.walk(f.Type(), path+"."+f.Name())
		}
	}
}
