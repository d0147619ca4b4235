package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocsExample keeps the complete example of docs/configuration.md
// valid: it must load without errors, with its side files in place.
func TestDocsExample(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "## Complete example")
	if !ok {
		t.Fatal("docs/configuration.md has no \"## Complete example\" section")
	}
	_, rest, ok = strings.Cut(rest, "```yaml\n")
	if !ok {
		t.Fatal("the complete example has no yaml block")
	}
	example, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("the yaml block is not closed")
	}

	dir := t.TempDir()
	for name, content := range map[string]string{
		"holidays-cn.txt":     "2025-01-01\n2025-10-01 # National Day\n",
		"secrets/trading-dsn": "seismo:pw@tcp(127.0.0.1:3306)/trading\n",
		"seismo.yaml":         example,
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("VM_TOKEN", "token")
	t.Setenv("ACCOUNTS_DSN", "postgres://127.0.0.1/accounts")
	t.Setenv("OPS_WEBHOOK_URL", "https://hooks.example.com/ops")

	cfg, err := Load(filepath.Join(dir, "seismo.yaml"))
	if err != nil {
		t.Fatalf("the documented example does not load:\n%v", err)
	}
	if got := cfg.Calendars["cn-stock"].Holidays; len(got) != 3 {
		t.Errorf("holidays = %v, want the inline date and the file's two", got)
	}
	if len(cfg.Monitors) != 2 {
		t.Errorf("%d monitors, want 2", len(cfg.Monitors))
	}
}
