package config

import (
	"path/filepath"
	"strings"
	"time"

	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/source"
)

// Engine-level defaults. Domain packages own theirs (ApplyDefaults).
const (
	DefaultTimezone   = "UTC"
	DefaultListen     = "127.0.0.1:9108"
	DefaultDriver     = "sqlite"
	DefaultSQLiteDSN  = "seismo.db"
	DefaultJobTimeout = field.Duration(time.Minute)
	DefaultMaxJitter  = field.Duration(2 * time.Second)
	DefaultStep       = field.Duration(time.Minute)
	DefaultHistory    = field.Duration(28 * 24 * time.Hour)
	DefaultActiveIn   = ActiveAlways
)

// Values of Monitor.ActiveIn.
const (
	ActiveAlways      = "always"       // run on every schedule tick
	ActiveSessions    = "sessions"     // only while the calendar is in a trading session
	ActiveTradingDays = "trading_days" // only on the calendar's trading days
)

// defaulter is implemented by domain configs that fill their own defaults.
type defaulter interface{ ApplyDefaults() }

// applyDomainDefaults calls v.ApplyDefaults when the domain type has it.
// The assertion (rather than a direct call) keeps this package building
// while domain packages grow their methods.
func applyDomainDefaults(v any) {
	if d, ok := v.(defaulter); ok {
		d.ApplyDefaults()
	}
}

// applyDefaults fills every unset field: the domain packages' own defaults
// first, then the engine's, which may depend on them.
func (l *loader) applyDefaults(c *Config) {
	for name, cal := range c.Calendars {
		applyDomainDefaults(&cal)
		c.Calendars[name] = cal
	}
	for _, name := range sortedKeys(c.Sources) {
		src := c.Sources[name]
		applyDomainDefaults(&src) // also turns dsn_env into dsn: {env: NAME}
		c.Sources[name] = src
	}
	applyDomainDefaults(&c.Alerting)

	g := &c.Global
	if g.RemoteWrite != nil {
		g.RemoteWrite.ApplyDefaults()
	}
	if g.Timezone == "" {
		g.Timezone = DefaultTimezone
	}
	if g.Listen == "" {
		g.Listen = DefaultListen
	}
	if g.Store.Driver == "" {
		g.Store.Driver = DefaultDriver
	}
	if g.Store.DSN.IsZero() && g.Store.Driver == DefaultDriver {
		g.Store.DSN = field.Secret{Literal: DefaultSQLiteDSN}
	}
	if g.JobTimeout == 0 && !l.present("global.job_timeout") {
		g.JobTimeout = DefaultJobTimeout
	}
	if g.MaxJitter == 0 && !l.present("global.max_jitter") {
		g.MaxJitter = DefaultMaxJitter // an explicit 0 turns jitter off
	}
	applyServerDefaults(c)

	for i := range c.Monitors {
		m := &c.Monitors[i]
		p := indexPath("monitors", i)
		applyDomainDefaults(&m.Baseline)
		applyDomainDefaults(&m.Detector)
		// Only absent durations get defaults: an explicit 0 is a mistake
		// that validation reports.
		if m.Query.Step == 0 && !l.present(p+".query.step") {
			m.Query.Step = DefaultStep
		}
		if m.Query.History == 0 && !l.present(p+".query.history") {
			m.Query.History = DefaultHistory
		}
		if m.Timeout == 0 && !l.present(p+".timeout") {
			m.Timeout = g.JobTimeout
		}
		if m.ActiveIn == "" {
			m.ActiveIn = DefaultActiveIn
		}
		if m.Timezone == "" {
			m.Timezone = g.Timezone
			if cal, ok := c.Calendars[m.Calendar]; ok && cal.Timezone != "" {
				m.Timezone = cal.Timezone
			}
		}
		// Without a calendar the baseline's days start at midnight in its
		// own zone; the monitor's local day is the one users think in. A
		// bad zone is reported once, at the monitor.
		if _, err := time.LoadLocation(m.Timezone); err == nil && m.Baseline.Timezone == "" {
			m.Baseline.Timezone = m.Timezone
		}
	}
	l.applyLogDefaults(c)
}

// resolveSecrets reads every secret from its literal, environment variable
// or file. Errors name the variable or file, never a value.
func (l *loader) resolveSecrets(c *Config) {
	l.resolve("global.store.dsn", &c.Global.Store.DSN)
	if rw := c.Global.RemoteWrite; rw != nil {
		l.resolve("global.remote_write.bearer_token", &rw.BearerToken)
	}
	l.resolveServerSecrets(c)
	for _, name := range sortedKeys(c.Sources) {
		src := c.Sources[name]
		p := sourcePath(name)
		dsnPath := field.Join(p, "dsn")
		if !l.present(dsnPath) && l.present(field.Join(p, "dsn_env")) {
			dsnPath = field.Join(p, "dsn_env")
		}
		l.resolve(dsnPath, &src.DSN)
		l.resolve(field.Join(p, "bearer_token"), &src.BearerToken)
		c.Sources[name] = src
	}
	for _, ref := range c.Alerting.Secrets() {
		l.resolve("alerting."+ref.Path, ref.Secret)
	}
}

func (l *loader) resolve(path string, s *field.Secret) {
	if err := s.Resolve(l.dir); err != nil {
		l.errs.Add(path, err)
	}
}

// resolvePaths makes the relative file paths written in the configuration
// relative to its folder, so that the engine can be started from anywhere.
// Paths that arrive through an environment variable or a secret file are
// used as given.
func (l *loader) resolvePaths(c *Config) {
	if c.Global.Store.Driver == "sqlite" {
		relativeSQLite(&c.Global.Store.DSN, l.dir)
	}
	// Template files and TLS files of the alerting section.
	c.Alerting.ResolvePaths(l.dir)
	for name, src := range c.Sources {
		switch src.Type {
		case source.TypeSQLite:
			relativeSQLite(&src.DSN, l.dir)
		case source.TypeCSV:
			src.Path = l.path(src.Path)
		case source.TypeFile:
			src.Path = l.path(src.Path)
			for i, p := range src.Paths {
				src.Paths[i] = l.path(p)
			}
		}
		c.Sources[name] = src
	}
}

// path returns p taken relative to the configuration's folder.
func (l *loader) path(p string) string {
	if p == "" || filepath.IsAbs(p) || l.dir == "" {
		return p
	}
	return filepath.Join(l.dir, p)
}

// relativeSQLite rebases a literal SQLite DSN — a path or a "file:" URI
// with a relative path — onto dir.
func relativeSQLite(s *field.Secret, dir string) {
	if dir == "" || s.Literal == "" || s.Env != "" || s.File != "" {
		return
	}
	v := s.Value()
	rebase := func(p string) string {
		if p == "" || p == ":memory:" || strings.HasPrefix(p, "/") || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	if rest, ok := strings.CutPrefix(v, "file:"); ok {
		p, q, hasQ := strings.Cut(rest, "?")
		v = "file:" + rebase(p)
		if hasQ {
			v += "?" + q
		}
	} else {
		v = rebase(v)
	}
	*s = field.Secret{Literal: v}
	_ = s.Resolve("") // a literal always resolves
}
