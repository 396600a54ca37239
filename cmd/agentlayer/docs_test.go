package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The docs state what the code is; these tests keep the mechanical claims
// true: every command in the README, the architecture and this command's
// doc; every flag of serve in docs/operations.md; every package of the
// module in the architecture's table of layers; and the import rules that
// table states, against go list.

const module = "github.com/agentlayer/agentlayer"

func readDoc(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../../" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDocs_everyCommand(t *testing.T) {
	readme, arch, main := readDoc(t, "README.md"), readDoc(t, "docs/architecture.md"), readDoc(t, "cmd/agentlayer/main.go")
	var help bytes.Buffer
	run(context.Background(), []string{"--help"}, &help, &help)
	for _, c := range commands() {
		if !strings.Contains(readme, "`agentlayer "+c.name+"`") {
			t.Errorf("README.md does not list `agentlayer %s` (its Commands table)", c.name)
		}
		if !strings.Contains(arch, "`"+c.name+"`") {
			t.Errorf("docs/architecture.md does not name the command `%s`", c.name)
		}
		if !regexp.MustCompile(`(?m)^//\tagentlayer ` + regexp.QuoteMeta(c.name) + ` `).MatchString(main) {
			t.Errorf("cmd/agentlayer/main.go's doc does not list agentlayer %s", c.name)
		}
		if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(c.name) + `  `).MatchString(help.String()) {
			t.Errorf("agentlayer --help does not show %s in its column:\n%s", c.name, help.String())
		}
	}
}

func TestDocs_everyServeFlag(t *testing.T) {
	ops := readDoc(t, "docs/operations.md")
	var help bytes.Buffer
	run(context.Background(), []string{"serve", "--help"}, &help, &help)
	flags := regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`).FindAllStringSubmatch(help.String(), -1)
	if len(flags) < 20 {
		t.Fatalf("serve --help shows %d flags:\n%s", len(flags), help.String())
	}
	for _, f := range flags {
		if !regexp.MustCompile("`--" + regexp.QuoteMeta(f[1]) + "[` ]").MatchString(ops) {
			t.Errorf("docs/operations.md does not document serve's --%s", f[1])
		}
	}
}

// layerRow is a row of the architecture's table: | layer | `package` | owns |
var layerRow = regexp.MustCompile("(?m)^\\| (\\d+) \\| `([a-z0-9/_-]+)` \\|")

// TestDocs_packagesAndLayers: the architecture's table names every package
// of the module, once, with its layer, and every import of a package (but
// its tests') is of a lower layer.
func TestDocs_packagesAndLayers(t *testing.T) {
	layers := map[string]int{}
	for _, m := range layerRow.FindAllStringSubmatch(readDoc(t, "docs/architecture.md"), -1) {
		if _, twice := layers[m[2]]; twice {
			t.Errorf("docs/architecture.md lists %s twice", m[2])
		}
		layers[m[2]], _ = strconv.Atoi(m[1])
	}
	imports := goList(t, "{{.ImportPath}} {{join .Imports \" \"}}", "./...")
	for _, line := range imports {
		fields := strings.Fields(line)
		pkg := rel(fields[0])
		own, ok := layers[pkg]
		if !ok {
			t.Errorf("docs/architecture.md's table of packages has no row for %s", pkg)
			continue
		}
		for _, imp := range fields[1:] {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			if l, ok := layers[rel(imp)]; ok && l >= own {
				t.Errorf("%s (layer %d) imports %s (layer %d): imports go to lower layers only", pkg, own, rel(imp), l)
			}
		}
	}
	for pkg := range layers {
		if !slices.ContainsFunc(imports, func(l string) bool { return rel(strings.Fields(l)[0]) == pkg }) {
			t.Errorf("docs/architecture.md lists %s, which is not a package of the module", pkg)
		}
	}
}

// TestDocs_importRules: the rules the architecture states beside its table.
func TestDocs_importRules(t *testing.T) {
	for _, pkg := range []string{"semantic", "permissions", "sqlgen", "sqlgen/celsql", "sqlgen/sqlast", "auth", "sqlfront"} {
		for _, dep := range goList(t, "{{.ImportPath}}", "-deps", "./"+pkg) {
			if strings.Contains(dep, "duckdb") {
				t.Errorf("%s links %s: it must build without DuckDB", pkg, dep)
			}
		}
	}
	for _, line := range goList(t, "{{.ImportPath}} {{join .Deps \" \"}}", "./...") {
		fields := strings.Fields(line)
		pkg := rel(fields[0])
		if strings.HasPrefix(pkg, "internal/testsupport/") || strings.HasPrefix(pkg, "internal/cmd/") || strings.HasPrefix(pkg, "benchmarks") {
			continue
		}
		for _, dep := range fields[1:] {
			if strings.HasPrefix(dep, module+"/internal/testsupport/") {
				t.Errorf("%s depends on %s: test support is for tests, benchmarks and internal/cmd only", pkg, rel(dep))
			}
		}
	}
	for _, adapter := range []string{"agentapi", "mcp", "pgwire"} {
		for _, imp := range goList(t, "{{join .Imports \"\\n\"}}", "./"+adapter) {
			switch rel(imp) {
			case "engine", "auth", "internal/httpapi", "internal/jsontree", "internal/jsonw", "internal/suggest", "internal/openapi":
			case "sqlfront":
				if adapter != "pgwire" {
					t.Errorf("%s imports sqlfront; only the SQL adapter does", adapter)
				}
			default:
				if strings.HasPrefix(imp, module) {
					t.Errorf("%s imports %s; the adapters import engine, auth, internal/httpapi and the leaves", adapter, rel(imp))
				}
			}
		}
	}
}

func rel(importPath string) string { return strings.TrimPrefix(importPath, module+"/") }

func goList(t *testing.T, format string, args ...string) []string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-f", format}, args...)...)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v: %v", args, err)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}
