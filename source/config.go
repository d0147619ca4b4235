package source

import (
	"github.com/seismo-dev/seismo/config/field"
)

// Source types.
const (
	TypeCSV        = "csv"        // a CSV file: NAB's timestamp,value or a wide table
	TypeSQLite     = "sqlite"     // an SQLite database file (built in)
	TypePostgres   = "postgres"   // PostgreSQL through pgx
	TypeMySQL      = "mysql"      // MySQL or MariaDB through go-sql-driver/mysql
	TypePrometheus = "prometheus" // a Prometheus-compatible query_range API (Prometheus, VictoriaMetrics)
	TypeDemo       = "demo"       // the built-in synthetic brokerage data (see package datasets)
)

// Config describes one named source. Which fields apply depends on Type.
type Config struct {
	Type string `yaml:"type"`

	// prometheus
	URL         string            `yaml:"url,omitempty"`
	Dialect     string            `yaml:"dialect,omitempty"` // promql or metricsql (default metricsql: a superset)
	Headers     map[string]string `yaml:"headers,omitempty"` // extra HTTP headers (e.g. tenant)
	BearerToken field.Secret      `yaml:"bearer_token,omitempty"`
	MaxPoints   int               `yaml:"max_points,omitempty"` // points per series per request; longer ranges are split (default 10000)

	// sqlite, postgres, mysql
	DSN          field.Secret `yaml:"dsn,omitempty"`
	DSNEnv       string       `yaml:"dsn_env,omitempty"` // shorthand for dsn: {env: NAME}
	MaxOpenConns int          `yaml:"max_open_conns,omitempty"`

	// csv
	Path       string `yaml:"path,omitempty"`
	TimeColumn string `yaml:"time_column,omitempty"` // default "timestamp"
	TimeFormat string `yaml:"time_format,omitempty"` // Go layout, "unix", "unix_ms" or "" for auto

	// demo
	Seed int64 `yaml:"seed,omitempty"`

	// all network sources
	Timeout field.Duration `yaml:"timeout,omitempty"` // per request (default 30s)
	Retries int            `yaml:"retries,omitempty"` // attempts after the first (default 3)
}
