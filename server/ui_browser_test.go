//go:build integration

package server

import (
	"context"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/internal/testpeer"
)

// chromiumPath finds Debian's headless-capable Chromium. Outside CI a
// machine without it skips; in CI its absence is a failure.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	testpeer.Absent(t, "chromium is not installed (apt-get install -y chromium)")
	return ""
}

// TestUIInChromium loads the web UI in a real browser and reads the DOM it
// rendered: the events table must list the monitor's events, with times in
// the configured zone.
func TestUIInChromium(t *testing.T) {
	browser := chromiumPath(t)
	_, eng := newTestServer(t)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- New(Options{Engine: eng, Version: "browser-test"}).Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})

	runCtx, stop := context.WithTimeout(context.Background(), 90*time.Second)
	defer stop()
	cmd := exec.CommandContext(runCtx, browser,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--dump-dom", "http://"+ln.Addr().String()+"/")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	dom := string(out)
	if !strings.Contains(dom, "version browser-test") {
		t.Fatalf("page not rendered:\n%.2000s", dom)
	}
	i := strings.Index(dom, `id="events"`)
	if i < 0 {
		t.Fatalf("no events table:\n%.2000s", dom)
	}
	rows := regexp.MustCompile(`<tr>\s*<td>2026-03-\d\d \d\d:\d\d:\d\d</td><td>shop</td>`).FindAllString(dom[i:], -1)
	if len(rows) < 2 {
		t.Errorf("events table shows %d shop events, want at least the 2 injected:\n%.3000s", len(rows), dom[i:])
	}
	if !strings.Contains(dom, "time (UTC)") {
		t.Errorf("events table does not name its time zone")
	}
}
