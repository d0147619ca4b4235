// Package config loads Seismo's YAML configuration: it composes the config
// structs owned by the domain packages, fills defaults, resolves secrets and
// reports every problem with its file, line and field.
package config

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/seismo-dev/seismo/alert"
	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/baseline/calendar"
	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/detector"
	"github.com/seismo-dev/seismo/rules/check"
	"github.com/seismo-dev/seismo/rules/expr"
	"github.com/seismo-dev/seismo/rules/metric"
	"github.com/seismo-dev/seismo/source"
)

// Config is a whole Seismo configuration file.
type Config struct {
	Global    Global                     `yaml:"global"`
	Calendars map[string]calendar.Config `yaml:"calendars,omitempty"`
	Sources   map[string]source.Config   `yaml:"sources,omitempty"`
	Monitors  []Monitor                  `yaml:"monitors,omitempty"`
	Logs      []LogStream                `yaml:"logs,omitempty"`
	Alerting  alert.Config               `yaml:"alerting"`
	// Server configures the HTTP API's tokens and limits (server.go).
	Server Server `yaml:"server,omitempty"`
	// Checks are consistency checks between two SQL sources (rules/check).
	Checks []check.Config `yaml:"checks,omitempty"`
	// RuleGroups are groups of metric alerting rules (rules/metric, docs/rules.md).
	RuleGroups []metric.GroupConfig `yaml:"rule_groups,omitempty"`

	// File is the path the configuration was loaded from ("" for embedded).
	File string `yaml:"-"`
}

// Global holds engine-wide settings.
type Global struct {
	Timezone   string         `yaml:"timezone,omitempty"`    // IANA name (default UTC)
	Listen     string         `yaml:"listen,omitempty"`      // HTTP address (default 127.0.0.1:9108)
	Store      Store          `yaml:"store,omitempty"`       // where events and state live
	JobTimeout field.Duration `yaml:"job_timeout,omitempty"` // default per-job timeout (default 1m)
	MaxJitter  field.Duration `yaml:"max_jitter,omitempty"`  // random delay before each scheduled run (default 2s)
	// RemoteWrite, when set, writes every monitor run's scores and bands
	// to a Prometheus remote write receiver (docs/tuning.md).
	RemoteWrite *source.RemoteWriteConfig `yaml:"remote_write,omitempty"`
}

// Store selects the persistence backend.
type Store struct {
	Driver string       `yaml:"driver,omitempty"` // sqlite (default)
	DSN    field.Secret `yaml:"dsn,omitempty"`    // sqlite: a file path or "file:…" URI (default seismo.db)
}

// Monitor is a scheduled time-series job: query → baseline → detector → events.
type Monitor struct {
	Name        string            `yaml:"name"`
	Schedule    string            `yaml:"schedule"`            // cron with optional seconds field
	Timezone    string            `yaml:"timezone,omitempty"`  // for the schedule (default: calendar's, then global)
	Calendar    string            `yaml:"calendar,omitempty"`  // name under calendars
	ActiveIn    string            `yaml:"active_in,omitempty"` // always (default), sessions, trading_days
	Timeout     field.Duration    `yaml:"timeout,omitempty"`   // default global.job_timeout
	Query       Query             `yaml:"query"`
	Baseline    baseline.Config   `yaml:"baseline,omitempty"`
	Detector    detector.Config   `yaml:"detector,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`      // added to every event's label set
	Annotations map[string]string `yaml:"annotations,omitempty"` // added to every event
	// Maintenance lists recurring windows over which Seismo proposes noise
	// labels (server.go).
	Maintenance []Maintenance `yaml:"maintenance,omitempty"`
	// Rules are analyst rules over the monitor's judged points: they set
	// severity, suppress or raise events (rules/expr, docs/rules.md).
	Rules []expr.RuleConfig `yaml:"rules,omitempty"`
}

// Query says what a monitor reads and over which range.
type Query struct {
	Source   string         `yaml:"source"`
	Expr     string         `yaml:"expr"`
	Step     field.Duration `yaml:"step,omitempty"`     // resolution (default 1m)
	History  field.Duration `yaml:"history,omitempty"`  // how far back the baseline learns (default 28d)
	Backfill field.Duration `yaml:"backfill,omitempty"` // on the first run, judge this much past data (default 0: only new points)
	Delay    field.Duration `yaml:"delay,omitempty"`    // ignore the newest points still being ingested (default 0)
}

// validateChecks checks the consistency checks: their names (in the
// namespace monitors and log streams share), schedules, calendars and
// sources, the queries in their sources' dialect, then the rest through
// check.Config.Validate. It also fills the defaults, as applyDefaults does
// for monitors: the schedule's time zone (the calendar's, else the global
// one) and active_in.
func (l *loader) validateChecks(c *Config, jobs map[string]string) {
	for i := range c.Checks {
		p := indexPath("checks", i)
		ch := &c.Checks[i]
		ch.ApplyDefaults()
		if ch.ActiveIn == "" {
			ch.ActiveIn = DefaultActiveIn
		}
		tzWritten := ch.Timezone != ""
		if ch.Timezone == "" {
			ch.Timezone = c.Global.Timezone
			if cal, ok := c.Calendars[ch.Calendar]; ok && cal.Timezone != "" {
				ch.Timezone = cal.Timezone
			}
		}
		l.validateJobName(jobs, p, "check", ch.Name)
		if strings.TrimSpace(ch.Schedule) == "" {
			l.errs.Addf(p+".schedule", "a check needs a schedule (cron, e.g. \"0 30 16 * * mon-fri\" or \"@every 10m\")")
		} else if _, err := ScheduleParser.Parse(ch.Schedule); err != nil {
			l.errs.Addf(p+".schedule", "invalid cron expression %q: %v", ch.Schedule, err)
		}
		if _, err := time.LoadLocation(ch.Timezone); err != nil && tzWritten {
			l.errs.Addf(p+".timezone", "unknown time zone %q", ch.Timezone)
		}
		if ch.Calendar != "" {
			if _, ok := c.Calendars[ch.Calendar]; !ok {
				l.errs.Addf(p+".calendar", "unknown calendar %q%s", ch.Calendar, known(slices.Collect(maps.Keys(c.Calendars))))
			}
		}
		switch ch.ActiveIn {
		case ActiveAlways:
		case ActiveSessions, ActiveTradingDays:
			if ch.Calendar == "" {
				l.errs.Addf(p+".active_in", "active_in %s needs a calendar", ch.ActiveIn)
			}
		default:
			l.errs.Addf(p+".active_in", "invalid active_in %q (use always, sessions or trading_days)", ch.ActiveIn)
		}
		for _, sd := range []struct {
			path string
			side check.Side
		}{{p + ".left", ch.Left}, {p + ".right", ch.Right}} {
			if sd.side.Source == "" {
				continue // reported by Validate
			}
			src, ok := c.Sources[sd.side.Source]
			switch {
			case !ok:
				l.errs.Addf(sd.path+".source", "unknown source %q%s", sd.side.Source, known(slices.Collect(maps.Keys(c.Sources))))
			case !check.IsSQLSource(src.Type):
				l.errs.Addf(sd.path+".source", "source %q is of type %s; a check reads postgres, mysql or sqlite sources", sd.side.Source, src.Type)
			case strings.TrimSpace(sd.side.Query) != "":
				l.errs.Add(sd.path+".query", src.ValidateQuery(sd.side.Query))
			}
		}
		l.validateDomain(p, ch)
	}
}
