package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestServerSection(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat("ab", 20)
	if err := os.WriteFile(filepath.Join(dir, "admin.token"), []byte(long+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SEISMO_TEST_LABELER_TOKEN", long+"cd")
	t.Setenv("SEISMO_TEST_SHORT_TOKEN", "short")
	base := `
sources:
  csv: {type: csv, path: x.csv}
monitors:
  - name: m
    schedule: "@every 1m"
    query: {source: csv, expr: "*"}
`
	tests := []struct {
		name     string
		yaml     string
		contains []string // errors; none = must load
	}{
		{name: "valid", yaml: base + `
    maintenance:
      - {schedule: "0 0 2 * * sun", duration: 2h, note: weekly patching}
server:
  max_body_bytes: 4194304
  tokens:
    - {name: root, role: admin, token: {file: admin.token}}
    - {name: ana, role: labeler, token: {env: SEISMO_TEST_LABELER_TOKEN}}
`},
		{name: "bad tokens", yaml: base + `
server:
  max_body_bytes: -1
  tokens:
    - {name: root, role: superuser, token: {env: SEISMO_TEST_SHORT_TOKEN}}
    - {name: root, role: viewer, token: "inline-secret-inline-secret-inline-secret"}
    - {role: viewer}
`, contains: []string{
			"server.max_body_bytes: max_body_bytes must be positive, got -1",
			`server.tokens[0].role: unknown role "superuser" (want viewer, labeler, admin)`,
			"server.tokens[0].token: token is 5 characters long, at least 32 required",
			`server.tokens[1].name: token name "root" is used twice`,
			"server.tokens[1].token: write the token as {env: NAME} or {file: path}, not in the file itself",
			"server.tokens[2].name: a token needs a name",
			"server.tokens[2].token: a token needs its secret",
		}},
		{name: "bad maintenance", yaml: base + `
    maintenance:
      - {schedule: "every sunday", duration: 2h}
      - {schedule: "0 2 * * sun", duration: 8d}
      - {schedule: "0 2 * * sun"}
`, contains: []string{
			`monitors[0].maintenance[0].schedule: invalid schedule "every sunday"`,
			"monitors[0].maintenance[1].duration: duration 8d is longer than 1w",
			"monitors[0].maintenance[2].duration: a maintenance window needs a positive duration",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tc.yaml), filepath.Join(dir, "seismo.yaml"))
			if len(tc.contains) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if got := cfg.Server.Tokens[0].Token.Value(); got != long {
					t.Errorf("admin token read from its file as %d characters, want %d", len(got), len(long))
				}
				if cfg.Server.MaxBodyBytes != 4<<20 || len(cfg.Monitors[0].Maintenance) != 1 {
					t.Errorf("server %+v, maintenance %+v", cfg.Server, cfg.Monitors[0].Maintenance)
				}
				return
			}
			if err == nil {
				t.Fatal("loaded without errors")
			}
			for _, want := range tc.contains {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("errors lack %q:\n%v", want, err)
				}
			}
			if strings.Contains(err.Error(), "inline-secret") || strings.Contains(err.Error(), long) {
				t.Errorf("an error message shows a token:\n%v", err)
			}
		})
	}
}

func TestDefaultMaxBody(t *testing.T) {
	cfg, err := Parse([]byte("sources: {csv: {type: csv, path: x.csv}}\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.MaxBodyBytes != DefaultMaxBodyBytes {
		t.Errorf("max_body_bytes defaults to %d, want %d", cfg.Server.MaxBodyBytes, DefaultMaxBodyBytes)
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:9108": true, "[::1]:9108": true, "localhost:9108": true, "127.1.2.3:80": true,
		"0.0.0.0:9108": false, ":9108": false, "10.0.0.5:9108": false, "[::]:9108": false, "nonsense": false,
	} {
		if got := IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}
