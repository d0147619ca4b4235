package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/seismo-dev/seismo/config/field"
)

// FuzzParse checks that no input makes Parse panic, and that every failure
// is a non-empty field.List of printable errors.
//
//	go test ./config -run '^$' -fuzz FuzzParse -fuzztime 1m
func FuzzParse(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("monitors: [{query: {step: 1m, history: 1m}}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, filepath.Join("testdata", "fuzz.yaml"))
		if err == nil {
			if cfg == nil {
				t.Fatal("nil config and nil error")
			}
			return
		}
		var list field.List
		if !errors.As(err, &list) || len(list) == 0 {
			t.Fatalf("error %T is not a non-empty field.List: %v", err, err)
		}
		for _, e := range list {
			if e.Err == nil {
				t.Fatalf("field error without a message: %+v", e)
			}
			_ = e.Error()
		}
	})
}
