package config

import (
	"net"
	"strings"
	"time"

	"github.com/seismo-dev/seismo/config/field"
)

// Server configures the HTTP API's access control.
type Server struct {
	// Tokens are bearer tokens with a role. With none configured and none
	// created through the API, the API is open — and then Seismo refuses
	// to listen on anything but a loopback address.
	Tokens []APIToken `yaml:"tokens,omitempty"`
	// MaxBodyBytes caps every request body (default 1 MiB); a larger one
	// gets 413. Bulk label imports are the only large bodies.
	MaxBodyBytes int64 `yaml:"max_body_bytes,omitempty"`
}

// APIToken is one configured bearer token. The secret is read from the
// environment or a file like every other secret; the server keeps only its
// SHA-256.
type APIToken struct {
	Name  string       `yaml:"name"`
	Role  string       `yaml:"role"` // viewer, labeler or admin
	Token field.Secret `yaml:"token"`
}

// Roles of API tokens, lowest first (store.Role has the same values).
var apiRoles = []string{"viewer", "labeler", "admin"}

// MinTokenLen is the shortest accepted token secret: 32 characters, e.g.
// the 64 hex digits of `openssl rand -hex 32`. Tokens are compared by an
// unsalted hash, which is safe only for high-entropy secrets.
const MinTokenLen = 32

// DefaultMaxBodyBytes is the request body cap when none is configured.
const DefaultMaxBodyBytes = 1 << 20

// Maintenance is a recurring window during which a monitor's series are
// expected to misbehave: Seismo proposes noise labels over them.
type Maintenance struct {
	// Schedule is when each window starts: cron with an optional seconds
	// field, in the monitor's time zone (as its schedule).
	Schedule string `yaml:"schedule"`
	// Duration is how long each window lasts.
	Duration field.Duration `yaml:"duration"`
	// Note is copied to the proposed labels.
	Note string `yaml:"note,omitempty"`
}

// maxMaintenance bounds a maintenance window: anything longer is not
// maintenance but an outage, and would hide a week of anomalies.
const maxMaintenance = 7 * 24 * time.Hour

// validateServer checks the server section. Secrets are resolved before
// validation, so the token's length is known here.
func (l *loader) validateServer(c *Config) {
	s := &c.Server
	if s.MaxBodyBytes < 0 {
		l.errs.Addf("server.max_body_bytes", "max_body_bytes must be positive, got %d", s.MaxBodyBytes)
	}
	names := map[string]bool{}
	for i := range s.Tokens {
		t := &s.Tokens[i]
		p := indexPath("server.tokens", i)
		switch {
		case t.Name == "":
			l.errs.Addf(p+".name", "a token needs a name (it is the author of the labels made with it)")
		case names[t.Name]:
			l.errs.Addf(p+".name", "token name %q is used twice", t.Name)
		}
		names[t.Name] = true
		if !validRole(t.Role) {
			l.errs.Addf(p+".role", "unknown role %q (want %s)", t.Role, strings.Join(apiRoles, ", "))
		}
		switch {
		case t.Token.IsZero():
			l.errs.Addf(p+".token", "a token needs its secret: token: {env: NAME} or {file: path}")
		case t.Token.Literal != "":
			l.errs.Addf(p+".token", "write the token as {env: NAME} or {file: path}, not in the file itself")
		case t.Token.Value() != "" && len(t.Token.Value()) < MinTokenLen:
			l.errs.Addf(p+".token", "token is %d characters long, at least %d required (e.g. openssl rand -hex 32)", len(t.Token.Value()), MinTokenLen)
		}
	}
}

func validRole(r string) bool {
	for _, x := range apiRoles {
		if r == x {
			return true
		}
	}
	return false
}

// IsLoopback reports whether a listen address only accepts local
// connections: 127.0.0.0/8, ::1 or localhost. An empty host (all
// interfaces) is not loopback.
func IsLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validateMaintenance checks a monitor's maintenance windows.
func (l *loader) validateMaintenance(p string, m *Monitor) {
	for i, mw := range m.Maintenance {
		mp := indexPath(p+".maintenance", i)
		if strings.TrimSpace(mw.Schedule) == "" {
			l.errs.Addf(mp+".schedule", "a maintenance window needs a schedule (cron, e.g. \"0 0 2 * * sun\")")
		} else if _, err := ScheduleParser.Parse(mw.Schedule); err != nil {
			l.errs.Addf(mp+".schedule", "invalid schedule %q: %v", mw.Schedule, err)
		}
		switch d := mw.Duration.Std(); {
		case d <= 0:
			l.errs.Addf(mp+".duration", "a maintenance window needs a positive duration")
		case d > maxMaintenance:
			l.errs.Addf(mp+".duration", "duration %s is longer than %s", mw.Duration, field.Duration(maxMaintenance))
		}
		if len(mw.Note) > 1024 {
			l.errs.Addf(mp+".note", "note is longer than 1024 bytes")
		}
	}
}

// resolveServerSecrets reads the tokens' secrets.
func (l *loader) resolveServerSecrets(c *Config) {
	for i := range c.Server.Tokens {
		l.resolve(indexPath("server.tokens", i)+".token", &c.Server.Tokens[i].Token)
	}
}

// applyServerDefaults fills the server section's defaults.
func applyServerDefaults(c *Config) {
	if c.Server.MaxBodyBytes == 0 {
		c.Server.MaxBodyBytes = DefaultMaxBodyBytes
	}
}
