package alert

import (
	"encoding/base64"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// seenRequest is what a test server saw of a request.
type seenRequest struct {
	URL, Auth string
}

// recordingServer answers every request with 200 and a WeCom "ok" body,
// recording its URL (absolute when the server is used as a proxy) and
// Authorization header.
type recordingServer struct {
	*httptest.Server
	mu   sync.Mutex
	seen []seenRequest
}

func startRecording(t *testing.T, tlsServer bool) *recordingServer {
	t.Helper()
	s := &recordingServer{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) //nolint:errcheck // the test reads nothing of it
		s.mu.Lock()
		s.seen = append(s.seen, seenRequest{URL: r.URL.String(), Auth: r.Header.Get("Authorization")})
		s.mu.Unlock()
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	})
	if tlsServer {
		s.Server = httptest.NewTLSServer(h)
	} else {
		s.Server = httptest.NewServer(h)
	}
	t.Cleanup(s.Close)
	return s
}

func (s *recordingServer) requests() []seenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seenRequest(nil), s.seen...)
}

// TestHTTPConfigProxyAndAuthentication sends through real HTTP servers:
// the global http_config's proxy and basic authentication apply to a
// webhook without an http_config of its own; an integration's own
// http_config replaces the global one entirely (no proxy, its own
// credentials); no_proxy hosts go direct; and a WeCom robot gets the
// global transport but not the global credentials.
func TestHTTPConfigProxyAndAuthentication(t *testing.T) {
	proxy := startRecording(t, false)
	target := startRecording(t, false)
	targetHost := strings.TrimPrefix(target.URL, "http://")
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"proxy-password": "pw\n", "hook-token": "t0ken\n"})
	c := loadConfigIn(t, `
global:
  http_config:
    proxy_url: '`+proxy.URL+`'
    no_proxy: 'localhost, `+targetHost+`'
    basic_auth: {username: am, password_file: proxy-password}
route: {receiver: r}
receivers:
  - name: r
    webhook_configs:
      - url: 'http://hooks.bank.test/global'
      - url: '`+target.URL+`/own'
        http_config:
          authorization: {credentials_file: hook-token}
      - url: '`+target.URL+`/bypass'
    wecom_configs:
      - url: 'http://qyapi.bank.test/cgi-bin/webhook/send?key=k'
`, dir)
	m, err := NewManager(c, Options{Logger: quietLogger})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range m.receivers["r"] {
		if retry, err := in.notifier.Notify(t.Context(), fixedMessage()); err != nil {
			t.Fatalf("%s[%d]: Notify = %v, %v", in.name, in.index, retry, err)
		}
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("am:pw"))
	if diff := cmp.Diff([]seenRequest{
		{URL: "http://hooks.bank.test/global", Auth: basic},
		{URL: "http://qyapi.bank.test/cgi-bin/webhook/send?key=k"},
	}, proxy.requests()); diff != "" {
		t.Errorf("through the proxy (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]seenRequest{
		{URL: "/own", Auth: "Bearer t0ken"},
		{URL: "/bypass", Auth: basic},
	}, target.requests()); diff != "" {
		t.Errorf("direct (-want +got):\n%s", diff)
	}
}

// TestHTTPConfigTLSAndRedirects checks tls_config.ca_file (relative to
// the config file's folder) against a TLS server with its own CA, and
// follow_redirects.
func TestHTTPConfigTLSAndRedirects(t *testing.T) {
	srv := startRecording(t, true)
	mux := http.NewServeMux()
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/new", http.StatusTemporaryRedirect)
	})
	mux.Handle("/", srv.Config.Handler)
	srv.Config.Handler = mux
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"certs/hook-ca.pem": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})),
	})
	c := loadConfigIn(t, `
route: {receiver: r}
receivers:
  - name: r
    webhook_configs:
      - url: '`+srv.URL+`/moved'
        http_config: {tls_config: {ca_file: certs/hook-ca.pem}}
      - url: '`+srv.URL+`/moved'
        http_config: {tls_config: {ca_file: certs/hook-ca.pem, min_version: TLS13}, follow_redirects: false}
      - url: '`+srv.URL+`/untrusted'
`, dir)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	m, err := NewManager(c, Options{Logger: quietLogger})
	if err != nil {
		t.Fatal(err)
	}
	ints := m.receivers["r"]
	if _, err := ints[0].notifier.Notify(t.Context(), fixedMessage()); err != nil {
		t.Errorf("trusted CA, redirect followed: %v", err)
	}
	if _, err := ints[1].notifier.Notify(t.Context(), fixedMessage()); err == nil || !strings.Contains(err.Error(), "307") {
		t.Errorf("follow_redirects false: err %v, want the 307", err)
	}
	if _, err := ints[2].notifier.Notify(t.Context(), fixedMessage()); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("without the CA: err %v, want a certificate error", err)
	}
	var paths []string
	for _, r := range srv.requests() {
		paths = append(paths, r.URL)
	}
	if diff := cmp.Diff([]string{"/new"}, paths); diff != "" {
		t.Errorf("requests reaching the handler (-want +got):\n%s", diff)
	}
}

func TestNoProxy(t *testing.T) {
	l := parseNoProxy(" localhost, .bank.test,10.0.0.0/8, example.com:8080 ,192.168.1.1")
	for raw, want := range map[string]bool{
		"http://localhost:9093/x":       true,
		"http://bank.test/":             true,
		"http://hooks.bank.test/":       true,
		"http://notbank.test/":          false,
		"http://10.1.2.3/":              true,
		"http://11.1.2.3/":              false,
		"http://example.com/":           true,
		"http://api.example.com/":       true,
		"http://badexample.com/":        false,
		"http://192.168.1.1:8080/":      true,
		"https://hooks.slack.com/s/x/y": false,
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := l.match(u); got != want {
			t.Errorf("%s: bypass %v, want %v", raw, got, want)
		}
	}
	if !parseNoProxy("*").match(&url.URL{Host: "anything"}) {
		t.Error(`"*" does not bypass everything`)
	}
}

// FuzzParseNoProxy checks that any no_proxy parses, and that a plain host
// name listed is bypassed.
func FuzzParseNoProxy(f *testing.F) {
	for _, s := range []string{"localhost,.bank.test", "10.0.0.0/8, ::1", "*", "example.com:8080", "[::1]:80, ,,", "%zz"} {
		f.Add(s, "hooks.bank.test")
	}
	f.Fuzz(func(t *testing.T, list, host string) {
		l := parseNoProxy(list)
		l.match(&url.URL{Scheme: "http", Host: host})
		for _, e := range strings.Split(list, ",") {
			e = strings.ToLower(strings.TrimSpace(e))
			if e == "" || strings.ContainsAny(e, ":/[]%*") {
				continue
			}
			if !l.match(&url.URL{Scheme: "http", Host: e}) {
				t.Errorf("no_proxy %q: %q is not bypassed", list, e)
			}
		}
	})
}
