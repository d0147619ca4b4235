// Package config loads Seismo's YAML configuration: it composes the config
// structs owned by the domain packages, fills defaults, resolves secrets and
// reports every problem with its file, line and field.
package config

import (
	"github.com/seismo-dev/seismo/alert"
	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/baseline/calendar"
	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/detector"
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
