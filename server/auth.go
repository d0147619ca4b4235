package server

// Access control. Every request except health, readiness and metrics
// carries a bearer token (Authorization: Bearer <token>, or HTTP Basic
// with the token as password, which browsers prompt for) whose role
// must cover the route's: viewer < labeler < admin. Tokens come from the
// configuration (server.tokens) or are created by an admin through
// POST /api/v1/tokens; the server keeps only their SHA-256 and compares
// in constant time. With no token at all the server is open — and then
// it serves loopback clients only, and refuses to listen elsewhere.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/seismo-dev/seismo/config"
	"github.com/seismo-dev/seismo/store"
)

// Anonymous is the actor of requests to an open server (no tokens).
const Anonymous = "anonymous"

// principal is who makes a request.
type principal struct {
	name string
	role store.Role
}

type principalKey struct{}

// principalOf returns the request's principal (set by the guard).
func principalOf(r *http.Request) principal {
	if p, ok := r.Context().Value(principalKey{}).(principal); ok {
		return p
	}
	return principal{}
}

// tokenEntry is a token the server accepts.
type tokenEntry struct {
	name       string
	role       store.Role
	hash       [sha256.Size]byte
	fromConfig bool
}

// authenticator holds the accepted tokens: the configured ones, fixed,
// and the stored ones, reloaded whenever this server changes them.
type authenticator struct {
	store store.TokenStore

	mu     sync.RWMutex
	tokens []tokenEntry
	conf   []tokenEntry
}

func newAuthenticator(ctx context.Context, cfg config.Server, st store.TokenStore) (*authenticator, error) {
	a := &authenticator{store: st}
	for _, t := range cfg.Tokens {
		a.conf = append(a.conf, tokenEntry{name: t.Name, role: store.Role(t.Role), hash: sha256.Sum256([]byte(t.Token.Value())), fromConfig: true})
	}
	if err := a.reload(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// reload reads the stored tokens again.
func (a *authenticator) reload(ctx context.Context) error {
	all := append([]tokenEntry(nil), a.conf...)
	if a.store != nil {
		stored, err := a.store.Tokens(ctx)
		if err != nil {
			return fmt.Errorf("load API tokens: %w", err)
		}
		for _, t := range stored {
			raw, err := hex.DecodeString(t.Hash)
			if err != nil || len(raw) != sha256.Size {
				return fmt.Errorf("load API tokens: token %q has a malformed hash", t.Name)
			}
			e := tokenEntry{name: t.Name, role: t.Role}
			copy(e.hash[:], raw)
			all = append(all, e)
		}
	}
	a.mu.Lock()
	a.tokens = all
	a.mu.Unlock()
	return nil
}

// open reports whether no token exists: the server then runs open to
// loopback clients.
func (a *authenticator) open() bool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return len(a.tokens) == 0
}

// configured reports whether name is a configured token's name.
func (a *authenticator) configured(name string) bool {
	for _, t := range a.conf {
		if t.name == name {
			return true
		}
	}
	return false
}

// lookup finds the token whose secret is given. Every entry is compared,
// in constant time, whatever matches, so timing tells nothing about
// which token (or how much of one) was right.
func (a *authenticator) lookup(secret string) (tokenEntry, bool) {
	h := sha256.Sum256([]byte(secret))
	a.mu.RLock()
	defer a.mu.RUnlock()
	var found tokenEntry
	ok := 0
	for _, t := range a.tokens {
		if subtle.ConstantTimeCompare(h[:], t.hash[:]) == 1 {
			found, ok = t, 1
		}
	}
	return found, ok == 1
}

// credentials extracts the token of a request: a bearer token, or the
// password of HTTP Basic authentication.
func credentials(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", false
	}
	if scheme, tok, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
		tok = strings.TrimSpace(tok)
		return tok, tok != ""
	}
	if _, pw, ok := r.BasicAuth(); ok && pw != "" {
		return pw, true
	}
	return "", false
}

// publicRoutes need no token: probes and scrapers cannot carry one.
var publicRoutes = map[string]bool{
	"GET /healthz":             true,
	"GET /readyz":              true,
	"GET /metrics":             true,
	"GET /api/v1/openapi.json": true, // describes the API, holds no data
}

// routeRoles overrides the role a route needs; the default is viewer for
// GET and HEAD and labeler for every other method. Keys are the mux
// patterns as registered.
var routeRoles = map[string]store.Role{
	"GET /api/v1/audit":            store.RoleAdmin,
	"GET /api/v1/tokens":           store.RoleAdmin,
	"POST /api/v1/tokens":          store.RoleAdmin,
	"DELETE /api/v1/tokens/{name}": store.RoleAdmin,
	// Grafana's JSON datasource reads with POST.
	"POST /grafana/metrics":     store.RoleViewer,
	"POST /grafana/search":      store.RoleViewer,
	"POST /grafana/query":       store.RoleViewer,
	"POST /grafana/annotations": store.RoleViewer,
	// What-ifs of the tuning API: they compute and write nothing.
	"POST /api/v1/backtest": store.RoleViewer,
	"POST /api/v1/sweep":    store.RoleViewer,
	"POST /api/v1/evaluate": store.RoleViewer,
}

// roleFor returns the role the route pattern needs for method.
func roleFor(method, pattern string) store.Role {
	if r, ok := routeRoles[pattern]; ok {
		return r
	}
	if method == http.MethodGet || method == http.MethodHead {
		return store.RoleViewer
	}
	return store.RoleLabeler
}

// guard authenticates and authorises r for the route pattern. It writes
// the 401 or 403 itself and returns false when the request must stop.
func (s *Server) guard(w http.ResponseWriter, r *http.Request, pattern string) (*http.Request, bool) {
	if publicRoutes[pattern] {
		return r, true
	}
	a := s.lab.auth
	if a.open() {
		if !loopbackPeer(r.RemoteAddr) {
			writeError(w, http.StatusForbidden, "forbidden", errors.New("this server has no API tokens and answers loopback clients only: configure server.tokens"))
			return r, false
		}
		return r.WithContext(context.WithValue(r.Context(), principalKey{}, principal{name: Anonymous, role: store.RoleAdmin})), true
	}
	secret, ok := credentials(r)
	if !ok {
		challenge(w)
		writeError(w, http.StatusUnauthorized, "unauthorized", errors.New("missing token: send Authorization: Bearer <token>"))
		return r, false
	}
	t, ok := a.lookup(secret)
	if !ok {
		challenge(w)
		writeError(w, http.StatusUnauthorized, "unauthorized", errors.New("invalid token"))
		return r, false
	}
	need := roleFor(r.Method, pattern)
	if !t.role.Allows(need) {
		writeError(w, http.StatusForbidden, "forbidden", fmt.Errorf("token %q has role %s; %s %s needs %s", t.name, t.role, r.Method, r.URL.Path, need))
		return r, false
	}
	return r.WithContext(context.WithValue(r.Context(), principalKey{}, principal{name: t.name, role: t.role})), true
}

// challenge offers both schemes: Basic makes a browser prompt for the
// token (as the password), Bearer is what API clients send.
func challenge(w http.ResponseWriter) {
	w.Header().Add("WWW-Authenticate", `Bearer realm="seismo"`)
	w.Header().Add("WWW-Authenticate", `Basic realm="seismo", charset="UTF-8"`)
}

// loopbackPeer reports whether a request's remote address is loopback.
func loopbackPeer(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkListen refuses to serve an open API on a non-loopback address.
func (s *Server) checkListen(addr net.Addr) error {
	if !s.lab.auth.open() {
		return nil
	}
	if tcp, ok := addr.(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
		return fmt.Errorf("refusing to serve an API without tokens on %s: configure server.tokens (see docs/api.md) or listen on 127.0.0.1", addr)
	}
	return nil
}

// tokenJSON is a token as the admin API shows it (never its secret or
// hash, except the secret once, on creation).
type tokenJSON struct {
	Name      string     `json:"name"`
	Role      store.Role `json:"role"`
	Source    string     `json:"source"` // config or api
	CreatedAt string     `json:"created_at,omitempty"`
	CreatedBy string     `json:"created_by,omitempty"`
	Token     string     `json:"token,omitempty"`
}

// listTokens serves GET /api/v1/tokens (admin).
func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	out := []tokenJSON{}
	for _, t := range s.lab.auth.conf {
		out = append(out, tokenJSON{Name: t.name, Role: t.role, Source: "config"})
	}
	stored, err := s.opts.Engine.Store().Tokens(r.Context())
	if err != nil {
		s.internalError(w, "list tokens", err)
		return
	}
	for _, t := range stored {
		out = append(out, tokenJSON{Name: t.Name, Role: t.Role, Source: "api", CreatedAt: t.CreatedAt.Format("2006-01-02T15:04:05Z07:00"), CreatedBy: t.CreatedBy})
	}
	writeJSON(w, http.StatusOK, apiResponse{Status: "success", Data: map[string]any{"tokens": out}})
}

// createToken serves POST /api/v1/tokens {name, role} (admin): it makes a
// 256-bit random token, stores its hash and returns the token once.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name string     `json:"name"`
		Role store.Role `json:"role"`
	}
	if !s.decodeJSON(w, r, &req) {
		return
	}
	if s.lab.auth.configured(req.Name) {
		writeError(w, http.StatusConflict, "conflict", fmt.Errorf("token %q is configured in the configuration file", req.Name))
		return
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		s.internalError(w, "create token", err)
		return
	}
	secret := hex.EncodeToString(raw)
	t, err := s.opts.Engine.Store().CreateToken(r.Context(), principalOf(r).name, store.Token{Name: req.Name, Role: req.Role, Hash: store.HashToken(secret)})
	if err != nil {
		s.storeError(w, "create token", err)
		return
	}
	if err := s.lab.auth.reload(r.Context()); err != nil {
		s.internalError(w, "create token", err)
		return
	}
	writeJSON(w, http.StatusCreated, apiResponse{Status: "success", Data: map[string]any{"token": tokenJSON{
		Name: t.Name, Role: t.Role, Source: "api", CreatedAt: t.CreatedAt.Format("2006-01-02T15:04:05Z07:00"), CreatedBy: t.CreatedBy, Token: secret,
	}}})
}

// deleteToken serves DELETE /api/v1/tokens/{name} (admin).
func (s *Server) deleteToken(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if s.lab.auth.configured(name) {
		writeError(w, http.StatusConflict, "conflict", fmt.Errorf("token %q is configured in the configuration file: remove it there", name))
		return
	}
	if err := s.opts.Engine.Store().DeleteToken(r.Context(), principalOf(r).name, name); err != nil {
		s.storeError(w, "delete token", err)
		return
	}
	if err := s.lab.auth.reload(r.Context()); err != nil {
		s.internalError(w, "delete token", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
