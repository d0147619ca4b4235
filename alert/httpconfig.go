package alert

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/seismo-dev/seismo/config/field"
)

// HTTPConfig is an integration's HTTP client, in the http_config form of
// Alertmanager (Prometheus's common HTTP client configuration). Seismo
// honours the subset below; oauth2 is refused, and other keys are unknown
// fields.
//
// Where it applies: an integration's own http_config (webhook, Slack,
// WeCom, DingTalk, Feishu, Alertmanager forwarding) replaces the global
// one entirely, as in Alertmanager. The global http_config applies whole
// to webhook_configs and slack_configs — Alertmanager's integrations —
// and only its transport (proxy, TLS, HTTP/2, redirects) to Seismo's own
// robots and Alertmanager forwarding, whose authentication is their key,
// signature or own credentials.
type HTTPConfig struct {
	// Authentication, at most one: sent as the Authorization header of
	// every request that has none of its own (a Slack bot token wins).
	BasicAuth       *BasicAuth     `yaml:"basic_auth,omitempty"`
	Authorization   *Authorization `yaml:"authorization,omitempty"`
	BearerToken     field.Secret   `yaml:"bearer_token,omitempty"`
	BearerTokenFile string         `yaml:"bearer_token_file,omitempty"`

	// ProxyURL sends every request through this proxy (http, https or
	// socks5), except to the hosts of NoProxy (comma-separated host
	// names, .domain suffixes, IP addresses and CIDR ranges). Without
	// it, Go's default applies: HTTP_PROXY, HTTPS_PROXY and NO_PROXY from
	// the environment, which ProxyFromEnvironment asks for explicitly.
	ProxyURL             string `yaml:"proxy_url,omitempty"`
	NoProxy              string `yaml:"no_proxy,omitempty"`
	ProxyFromEnvironment bool   `yaml:"proxy_from_environment,omitempty"`

	TLSConfig       TLSConfig `yaml:"tls_config,omitempty"`
	FollowRedirects *bool     `yaml:"follow_redirects,omitempty"` // default true
	EnableHTTP2     *bool     `yaml:"enable_http2,omitempty"`     // default true

	// OAuth2 is Alertmanager's; Seismo refuses it rather than send
	// requests without the authentication they need.
	OAuth2 amOnly `yaml:"oauth2,omitempty"`
}

// Authorization is an Authorization header: type (default Bearer) and
// credentials.
type Authorization struct {
	Type            string       `yaml:"type,omitempty"`
	Credentials     field.Secret `yaml:"credentials,omitempty"`
	CredentialsFile string       `yaml:"credentials_file,omitempty"`
}

// TLSConfig is the TLS client configuration of an integration (e-mail,
// and http_config), as in Alertmanager.
type TLSConfig struct {
	CAFile             string `yaml:"ca_file,omitempty"`     // PEM certificates to trust, instead of the system's
	CertFile           string `yaml:"cert_file,omitempty"`   // a client certificate (PEM), with key_file
	KeyFile            string `yaml:"key_file,omitempty"`    // its private key (PEM)
	ServerName         string `yaml:"server_name,omitempty"` // default the host
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify,omitempty"`
	MinVersion         string `yaml:"min_version,omitempty"` // TLS12 (default) or TLS13; TLS10 and TLS11 are accepted
}

// tlsVersions are the names of min_version.
var tlsVersions = map[string]uint16{
	"TLS10": tls.VersionTLS10, "TLS11": tls.VersionTLS11, "TLS12": tls.VersionTLS12, "TLS13": tls.VersionTLS13,
}

func (c TLSConfig) validate() error {
	var errs field.List
	for _, f := range []struct{ key, path string }{{"ca_file", c.CAFile}, {"cert_file", c.CertFile}, {"key_file", c.KeyFile}} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			errs.Addf(f.key, "cannot read %s", f.path)
		}
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		errs.Addf("cert_file", "a client certificate needs both cert_file and key_file")
	}
	if _, ok := tlsVersions[c.MinVersion]; c.MinVersion != "" && !ok {
		errs.Addf("min_version", "unknown TLS version %q (use TLS12 or TLS13)", c.MinVersion)
	}
	if len(errs) == 0 {
		// The files are there: check that they hold certificates and a
		// matching key, at load rather than at the first notification.
		if _, err := c.build(""); err != nil {
			key, msg, _ := strings.Cut(err.Error(), ": ")
			errs.Addf(strings.TrimPrefix(key, "tls_config."), "%s", msg)
		}
	}
	return errs.Err()
}

// build returns the crypto/tls configuration; serverName is the host
// connected to, used when server_name is not set.
func (c TLSConfig) build(serverName string) (*tls.Config, error) {
	tc := &tls.Config{ServerName: serverName, MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.InsecureSkipVerify} //nolint:gosec // the operator's choice, off by default
	if c.ServerName != "" {
		tc.ServerName = c.ServerName
	}
	if v, ok := tlsVersions[c.MinVersion]; ok {
		tc.MinVersion = v
	}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls_config.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls_config.ca_file: no PEM certificate in %s", c.CAFile)
		}
		tc.RootCAs = pool
	}
	if c.CertFile != "" || c.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls_config.cert_file: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// resolvePaths makes the files relative to dir.
func (c *TLSConfig) resolvePaths(dir string) {
	for _, p := range []*string{&c.CAFile, &c.CertFile, &c.KeyFile} {
		*p = joinDir(dir, *p)
	}
}

// joinDir returns p relative to dir, unless it is empty or absolute.
func joinDir(dir, p string) string {
	if p == "" || dir == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

func (h *HTTPConfig) applyDefaults() {
	fileSecret(&h.BearerToken, h.BearerTokenFile)
	if h.BasicAuth != nil {
		fileSecret(&h.BasicAuth.Password, h.BasicAuth.PasswordFile)
	}
	if a := h.Authorization; a != nil {
		fileSecret(&a.Credentials, a.CredentialsFile)
		if a.Type == "" {
			a.Type = "Bearer"
		}
	}
}

func (h HTTPConfig) validate() error {
	var errs field.List
	if h.OAuth2.set {
		errs.Addf("oauth2", "not supported by Seismo; use authorization, basic_auth or bearer_token")
	}
	checkFileSecret(&errs, "bearer_token", h.BearerToken, h.BearerTokenFile)
	n := 0
	if h.BasicAuth != nil {
		n++
		checkFileSecret(&errs, "basic_auth.password", h.BasicAuth.Password, h.BasicAuth.PasswordFile)
		if h.BasicAuth.Username == "" {
			errs.Addf("basic_auth.username", "required")
		}
	}
	if a := h.Authorization; a != nil {
		n++
		checkFileSecret(&errs, "authorization.credentials", a.Credentials, a.CredentialsFile)
		if strings.EqualFold(a.Type, "basic") {
			errs.Addf("authorization.type", "use basic_auth for basic authentication")
		}
	}
	if !h.BearerToken.IsZero() {
		n++
	}
	if n > 1 {
		errs.Addf("", "at most one of basic_auth, authorization and bearer_token may be set")
	}
	switch {
	case h.ProxyURL != "":
		if err := checkProxyURL(h.ProxyURL); err != nil {
			errs.Add("proxy_url", err)
		}
		if h.ProxyFromEnvironment {
			errs.Addf("proxy_from_environment", "give either proxy_url or proxy_from_environment, not both")
		}
	case h.NoProxy != "":
		errs.Addf("no_proxy", "no_proxy needs proxy_url")
	}
	errs.Add("tls_config", h.TLSConfig.validate())
	return errs.Err()
}

// checkProxyURL checks a proxy URL; it may carry credentials, so the
// error never repeats it.
func checkProxyURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a valid URL")
	}
	switch u.Scheme {
	case "http", "https", "socks5":
	default:
		return errors.New("the proxy URL scheme must be http, https or socks5")
	}
	if u.Host == "" {
		return errors.New("the proxy URL has no host")
	}
	return nil
}

// secrets lists h's secrets under prefix, for Config.Secrets.
func (h *HTTPConfig) secrets(prefix string, add func(path string, s *field.Secret)) {
	if h.BasicAuth != nil {
		add(prefix+".basic_auth.password", &h.BasicAuth.Password)
	}
	if h.Authorization != nil {
		add(prefix+".authorization.credentials", &h.Authorization.Credentials)
	}
	add(prefix+".bearer_token", &h.BearerToken)
}

// transportOnly returns h without its authentication: what the global
// http_config gives integrations that authenticate on their own.
func (h *HTTPConfig) transportOnly() *HTTPConfig {
	if h == nil {
		return nil
	}
	c := *h
	c.BasicAuth, c.Authorization, c.BearerToken, c.BearerTokenFile = nil, nil, field.Secret{}, ""
	return &c
}

// ownTransport reports whether h needs a transport of its own rather
// than the base client's.
func (h *HTTPConfig) ownTransport() bool {
	return h.ProxyURL != "" || h.ProxyFromEnvironment || h.TLSConfig != (TLSConfig{}) || (h.EnableHTTP2 != nil && !*h.EnableHTTP2)
}

// client returns the HTTP client of an integration configured by h: base
// (Options.Client, or a default client) when h is nil, otherwise a client
// with h's transport, redirect policy and authentication. Secrets not
// yet resolved (a Config built in code) are read here.
func (h *HTTPConfig) client(base *http.Client) (*http.Client, error) {
	if base == nil {
		base = &http.Client{}
	}
	if h == nil {
		return base, nil
	}
	rt := base.Transport
	if h.ownTransport() {
		t := http.DefaultTransport.(*http.Transport).Clone()
		tc, err := h.TLSConfig.build("")
		if err != nil {
			return nil, err
		}
		t.TLSClientConfig = tc
		if h.EnableHTTP2 != nil && !*h.EnableHTTP2 {
			t.ForceAttemptHTTP2 = false
			t.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		}
		switch {
		case h.ProxyURL != "":
			u, err := url.Parse(h.ProxyURL)
			if err != nil {
				return nil, errors.New("proxy_url: not a valid URL")
			}
			noProxy := parseNoProxy(h.NoProxy)
			t.Proxy = func(r *http.Request) (*url.URL, error) {
				if noProxy.match(r.URL) {
					return nil, nil
				}
				return u, nil
			}
		default:
			t.Proxy = http.ProxyFromEnvironment
		}
		rt = t
	}
	if rt == nil {
		rt = http.DefaultTransport
	}
	auth, err := h.authorization()
	if err != nil {
		return nil, err
	}
	if auth != "" {
		rt = &authTransport{next: rt, header: auth}
	}
	c := &http.Client{Transport: rt, CheckRedirect: base.CheckRedirect, Jar: base.Jar, Timeout: base.Timeout}
	if h.FollowRedirects != nil && !*h.FollowRedirects {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return c, nil
}

// authorization returns the Authorization header h configures, or "".
func (h *HTTPConfig) authorization() (string, error) {
	switch {
	case h.BasicAuth != nil:
		pw, err := resolved(h.BasicAuth.Password)
		if err != nil {
			return "", fmt.Errorf("basic_auth.password: %w", err)
		}
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(h.BasicAuth.Username+":"+pw)), nil
	case h.Authorization != nil:
		cred, err := resolved(h.Authorization.Credentials)
		if err != nil {
			return "", fmt.Errorf("authorization.credentials: %w", err)
		}
		typ := h.Authorization.Type
		if typ == "" {
			typ = "Bearer"
		}
		return typ + " " + cred, nil
	case !h.BearerToken.IsZero():
		tok, err := resolved(h.BearerToken)
		if err != nil {
			return "", fmt.Errorf("bearer_token: %w", err)
		}
		return "Bearer " + tok, nil
	}
	return "", nil
}

// authTransport sets the Authorization header of requests that have none.
type authTransport struct {
	next   http.RoundTripper
	header string // a secret
}

// RoundTrip sends r with the header, on a copy: a RoundTripper must not
// modify its request.
func (t *authTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("Authorization") != "" {
		return t.next.RoundTrip(r)
	}
	r2 := r.Clone(r.Context())
	r2.Header.Set("Authorization", t.header)
	return t.next.RoundTrip(r2)
}

// noProxyList is a parsed no_proxy: the hosts that bypass the proxy.
type noProxyList struct {
	all     bool
	hosts   []string // exact host names and IPs
	domains []string // ".example.com": the domain and its subdomains
	nets    []*net.IPNet
}

// parseNoProxy parses a comma-separated no_proxy (the NO_PROXY syntax:
// "*", host names, ".domain" suffixes, IP addresses, CIDR ranges; a port
// is ignored).
func parseNoProxy(s string) noProxyList {
	var l noProxyList
	for _, e := range strings.Split(s, ",") {
		e = strings.ToLower(strings.TrimSpace(e))
		switch {
		case e == "":
			continue
		case e == "*":
			l.all = true
			continue
		}
		if _, n, err := net.ParseCIDR(e); err == nil {
			l.nets = append(l.nets, n)
			continue
		}
		if h, _, err := net.SplitHostPort(e); err == nil {
			e = h
		}
		if strings.HasPrefix(e, ".") {
			l.domains = append(l.domains, e)
			continue
		}
		l.hosts = append(l.hosts, strings.Trim(e, "[]"))
		if net.ParseIP(e) == nil {
			l.domains = append(l.domains, "."+e) // "example.com" covers its subdomains too, as NO_PROXY does
		}
	}
	return l
}

// match reports whether u bypasses the proxy.
func (l noProxyList) match(u *url.URL) bool {
	if l.all {
		return true
	}
	host := strings.ToLower(u.Hostname())
	for _, h := range l.hosts {
		if host == h {
			return true
		}
	}
	for _, d := range l.domains {
		if host == d[1:] || strings.HasSuffix(host, d) {
			return true
		}
	}
	if ip := net.ParseIP(host); ip != nil {
		for _, n := range l.nets {
			if n.Contains(ip) {
				return true
			}
		}
	}
	return false
}
