//go:build integration

package alert

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"go.yaml.in/yaml/v3"

	"github.com/seismo-dev/seismo/internal/testpeer"
)

const amtoolBin = "/usr/bin/amtool"

// TestRoutingMatchesAlertmanager checks testdata/alertmanager.yml with
// Alertmanager's own amtool (it must be a valid Alertmanager
// configuration, once Seismo's escalate_* keys are removed) and compares
// where Seismo routes label sets with where `amtool config routes test`
// says Alertmanager does.
func TestRoutingMatchesAlertmanager(t *testing.T) {
	if _, err := os.Stat(amtoolBin); err != nil {
		testpeer.Absent(t, "%s not installed (apt-get install prometheus-alertmanager): %v", amtoolBin, err)
	}
	src, err := os.ReadFile("testdata/alertmanager.yml")
	if err != nil {
		t.Fatal(err)
	}
	// The same file next to its template files, as Alertmanager finds
	// them relative to the configuration's folder.
	dir := t.TempDir()
	amFile := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(amFile, withoutKeys(t, src, "escalate_after", "escalate_to"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(filepath.Join(dir, "am-templates"), os.DirFS("testdata/am-templates")); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(amtoolBin, "check-config", amFile).CombinedOutput(); err != nil {
		t.Fatalf("amtool check-config: %v\n%s", err, out)
	}

	rt := compileOrFail(t, loadConfigIn(t, string(src), "testdata"))
	values := map[string][]string{
		"service":  {"pay-gateway", "pay-ledger", "pay-ledger2", "card-auth", "clearing", "database", "batch", ""},
		"severity": {"critical", "warning", "info", ""},
		"env":      {"prod", "canary", "staging", "dev", ""},
		"owner":    {"payments", "cards", "other", ""},
		"team":     {"frontend", "payments", ""},
	}
	rng := rand.New(rand.NewPCG(5, 8))
	for range 60 {
		args := []string{"alertname=X"}
		kv := []string{"alertname", "X"}
		for _, name := range []string{"env", "owner", "service", "severity", "team"} {
			v := values[name][rng.IntN(len(values[name]))]
			if v == "" {
				continue
			}
			args = append(args, name+"="+v)
			kv = append(kv, name, v)
		}
		cmd := exec.Command(amtoolBin, append([]string{"config", "routes", "test", "--config.file=" + amFile}, args...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("amtool config routes test %v: %v\n%s", args, err, stderr.String())
		}
		want := strings.Split(strings.TrimSpace(stdout.String()), ",")
		got := routeReceivers(rt, labels.FromStrings(kv...))
		if !slices.Equal(got, want) {
			t.Errorf("%v: Seismo routes to %v, Alertmanager to %v", args, got, want)
		}
	}
}

// withoutKeys returns the YAML document src with every mapping key in
// keys removed, at any depth.
func withoutKeys(t *testing.T, src []byte, keys ...string) []byte {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	var strip func(n *yaml.Node)
	strip = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			var kept []*yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if !slices.Contains(keys, n.Content[i].Value) {
					kept = append(kept, n.Content[i], n.Content[i+1])
				}
			}
			n.Content = kept
		}
		for _, c := range n.Content {
			strip(c)
		}
	}
	strip(&doc)
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(fmt.Errorf("re-encode: %w", err))
	}
	return out
}
