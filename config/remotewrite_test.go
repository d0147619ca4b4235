package config

import (
	"strings"
	"testing"
	"time"
)

func TestRemoteWriteConfig(t *testing.T) {
	const base = `
sources:
  demo: {type: demo}
monitors:
  - name: m
    schedule: "@every 1m"
    query: {source: demo, expr: 'account_openings'}
`
	t.Setenv("RW_TOKEN", "t0ken")
	cfg, err := Parse([]byte("global:\n  remote_write:\n    url: http://127.0.0.1:8428/api/v1/write\n    bearer_token: {env: RW_TOKEN}\n    max_samples_per_send: 100\n"+base), "seismo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rw := cfg.Global.RemoteWrite
	if rw == nil || rw.URL != "http://127.0.0.1:8428/api/v1/write" || rw.BearerToken.Value() != "t0ken" || rw.MaxSamplesPerSend != 100 || rw.Timeout.Std() != 30*time.Second {
		t.Fatalf("remote_write = %+v", rw)
	}
	if cfg, err := Parse([]byte(base), "seismo.yaml"); err != nil || cfg.Global.RemoteWrite != nil {
		t.Errorf("without remote_write: %+v, %v", cfg.Global.RemoteWrite, err)
	}
	_, err = Parse([]byte("global:\n  remote_write:\n    url: ftp://vm\n    retries: -7\n"+base), "seismo.yaml")
	for _, want := range []string{"seismo.yaml:3", "global.remote_write.url", "global.remote_write.retries"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}
