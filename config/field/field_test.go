package field

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30s", 30 * time.Second, true},
		{"1h30m", 90 * time.Minute, true},
		{"28d", 28 * 24 * time.Hour, true},
		{"1w", 7 * 24 * time.Hour, true},
		{"5 minutes", 0, false},
		{"", 0, false},
	}
	for _, tc := range tests {
		var v struct {
			D Duration `yaml:"d"`
		}
		err := yaml.Unmarshal([]byte("d: "+fmt.Sprintf("%q", tc.in)), &v)
		if (err == nil) != tc.ok {
			t.Errorf("%q: err = %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if tc.ok && v.D.Std() != tc.want {
			t.Errorf("%q = %v, want %v", tc.in, v.D.Std(), tc.want)
		}
		if !tc.ok && !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%q: error %q does not name the line", tc.in, err)
		}
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	t.Setenv("SEISMO_TEST_SECRET", "hunter2")
	var v struct {
		S Secret `yaml:"s"`
	}
	if err := yaml.Unmarshal([]byte("s: {env: SEISMO_TEST_SECRET}"), &v); err != nil {
		t.Fatal(err)
	}
	if err := v.S.Resolve(""); err != nil {
		t.Fatal(err)
	}
	if v.S.Value() != "hunter2" {
		t.Fatalf("value = %q", v.S.Value())
	}
	out, _ := yaml.Marshal(v)
	for _, s := range []string{fmt.Sprint(v), fmt.Sprintf("%+v", v), fmt.Sprintf("%#v", v.S), string(out)} {
		if strings.Contains(s, "hunter2") {
			t.Errorf("secret leaked in %q", s)
		}
	}
}

func TestSecretSources(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pw"), []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := Secret{File: "pw"}
	if err := s.Resolve(dir); err != nil || s.Value() != "from-file" {
		t.Fatalf("file secret = %q, %v", s.Value(), err)
	}
	missing := FromEnv("SEISMO_TEST_UNSET_VARIABLE")
	err := missing.Resolve("")
	if err == nil || !strings.Contains(err.Error(), "SEISMO_TEST_UNSET_VARIABLE") {
		t.Fatalf("missing env error = %v", err)
	}
	var bad struct {
		S Secret `yaml:"s"`
	}
	if err := yaml.Unmarshal([]byte("s: {env: A, file: b}"), &bad); err == nil {
		t.Fatal("secret with env and file accepted")
	}
}

func TestListPrefixesPaths(t *testing.T) {
	var inner List
	inner.Addf("step", "must be positive")
	var l List
	l.Add("monitors[1].query", inner)
	l.Add("monitors[1]", errors.Join(Errorf("name", "required"), errors.New("plain")))
	l.Add("x", nil)
	got := []string{}
	for _, e := range l {
		got = append(got, e.Path)
	}
	want := []string{"monitors[1].query.step", "monitors[1].name", "monitors[1]"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("paths = %v, want %v", got, want)
	}
	e := &Error{File: "a.yaml", Line: 3, Column: 5, Path: "p", Err: errors.New("bad")}
	if e.Error() != "a.yaml:3:5: p: bad" {
		t.Fatalf("Error() = %q", e.Error())
	}
}
