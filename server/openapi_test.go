package server

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// registeredRoutes reads every route pattern the server registers: the
// string literals passed to mux.Handle and mux.HandleFunc in the
// package's non-test files. Reading the source (rather than asking the
// mux, which cannot list its patterns) catches every route another file
// adds.
func registeredRoutes(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		file, err := parser.ParseFile(fset, f, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
				return true
			}
			if x, ok := sel.X.(*ast.SelectorExpr); !ok || x.Sel.Name != "mux" {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				t.Errorf("%s: a route registered with a non-literal pattern cannot be checked", fset.Position(call.Pos()))
				return true
			}
			p, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, p)
			return true
		})
	}
	sort.Strings(out)
	return out
}

// TestOpenAPICoversRoutes: every /api/ and /grafana/ route the server
// registers is in the OpenAPI document, with its method, and the
// document describes no route that does not exist.
func TestOpenAPICoversRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q, want 3.x", doc.OpenAPI)
	}
	routes := registeredRoutes(t)
	if len(routes) < 40 {
		t.Fatalf("found only %d routes: is the source scan broken? %v", len(routes), routes)
	}
	registered := map[string]bool{}
	for _, r := range routes {
		method, p, ok := strings.Cut(r, " ")
		if !ok {
			t.Errorf("route %q has no method", r)
			continue
		}
		p = strings.TrimSuffix(p, "{$}")
		registered[strings.ToLower(method)+" "+p] = true
		if !strings.HasPrefix(p, "/api/") && !strings.HasPrefix(p, "/grafana/") {
			continue
		}
		if _, ok := doc.Paths[p][strings.ToLower(method)]; !ok {
			t.Errorf("route %s %s is not in openapi.json", method, p)
		}
	}
	for p, ops := range doc.Paths {
		for m := range ops {
			if !registered[m+" "+p] {
				t.Errorf("openapi.json describes %s %s, which the server does not register", strings.ToUpper(m), p)
			}
		}
	}
	// The role table and the public routes name registered routes only.
	for pattern := range routeRoles {
		if m, p, _ := strings.Cut(pattern, " "); !registered[strings.ToLower(m)+" "+p] {
			t.Errorf("routeRoles names %q, which is not registered", pattern)
		}
	}
	for pattern := range publicRoutes {
		if m, p, _ := strings.Cut(pattern, " "); !registered[strings.ToLower(m)+" "+p] {
			t.Errorf("publicRoutes names %q, which is not registered", pattern)
		}
	}
}

func TestOpenAPIServedOpen(t *testing.T) {
	ls := newLabelServer(t, true, "")
	resp, err := http.Get(ls.url + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != 200 || doc["paths"] == nil {
		t.Errorf("GET /api/v1/openapi.json without a token: %d, %v", resp.StatusCode, err)
	}
}
