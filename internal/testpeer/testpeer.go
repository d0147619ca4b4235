// Package testpeer starts the real protocol peers that integration tests
// (build tag integration) talk to: VictoriaMetrics and Alertmanager from
// their Debian packages, each on a free loopback port with its data in a
// temporary folder, stopped when the test ends. It also holds the rule
// every such test follows for a missing peer: skip on a developer's
// machine, fail under CI=true, so that CI never passes by skipping.
//
// It is imported only by tests.
package testpeer

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// AlertmanagerBin is where Debian's prometheus-alertmanager package puts
// Alertmanager.
const AlertmanagerBin = "/usr/bin/prometheus-alertmanager"

// startTimeout bounds how long a peer may take to become ready.
const startTimeout = 30 * time.Second

// Absent skips the test because a peer it needs is missing, or fails it
// when the environment variable CI is "true": there the peer must be
// installed.
func Absent(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// RequireService calls Absent unless addr accepts TCP connections; what
// names the service in the message.
func RequireService(t testing.TB, what, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err == nil {
		c.Close()
		return
	}
	Absent(t, "%s is not reachable at %s: %v", what, addr, err)
}

// StartVictoriaMetrics runs a single-node VictoriaMetrics (the
// victoria-metrics binary on PATH) and returns its URL.
func StartVictoriaMetrics(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("victoria-metrics")
	if err != nil {
		Absent(t, "victoria-metrics binary not found: %v", err)
	}
	addr := freeAddr(t)
	return start(t, "victoria-metrics", "/health", addr, exec.Command(bin,
		"-httpListenAddr="+addr,
		"-storageDataPath="+t.TempDir(),
		"-retentionPeriod=100y",
		"-loggerLevel=WARN",
	))
}

// ImportVictoriaMetrics posts series in VictoriaMetrics' JSON-lines import
// format ({"metric": {...}, "values": [...], "timestamps": [...]}) to the
// server at url and flushes them to searchable storage.
func ImportVictoriaMetrics(t testing.TB, url string, lines []map[string]any) {
	t.Helper()
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	for _, l := range lines {
		if err := enc.Encode(l); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.Post(url+"/api/v1/import", "application/json", &body)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("import: %s: %s", resp.Status, msg)
	}
	resp, err = http.Get(url + "/internal/force_flush")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("force_flush: %s", resp.Status)
	}
}

// StartAlertmanager runs Debian's Alertmanager (AlertmanagerBin) with the
// configuration cfg (YAML) and clustering off, and returns its URL.
func StartAlertmanager(t testing.TB, cfg string) string {
	t.Helper()
	if _, err := os.Stat(AlertmanagerBin); err != nil {
		Absent(t, "%s not installed (apt-get install prometheus-alertmanager): %v", AlertmanagerBin, err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	return start(t, "alertmanager", "/-/ready", addr, exec.Command(AlertmanagerBin,
		"--config.file="+file,
		"--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--cluster.listen-address=",
	))
}

// freeAddr returns a loopback address no one listens on now.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// start starts cmd, which serves HTTP on addr, and waits until GET path
// answers 200; it returns the base URL. The process is killed when the
// test ends, and its output logged if the test failed.
func start(t testing.TB, name, path, addr string, cmd *exec.Cmd) string {
	t.Helper()
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill() //nolint:errcheck // it may have exited already
		<-exited
		if t.Failed() {
			t.Logf("%s output:\n%s", name, out.String())
		}
	})

	url := "http://" + addr
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if resp, err := http.Get(url + path); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		select {
		case err := <-exited:
			exited <- err // for the cleanup
			t.Fatalf("%s exited: %v\n%s", name, err, out.String())
		case <-ctx.Done():
			t.Fatalf("%s not ready at %s: %v\n%s", name, url, ctx.Err(), out.String())
		case <-tick.C:
		}
	}
}

// lockedBuffer is a bytes.Buffer the process writes while the test may
// read it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
