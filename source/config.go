package source

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/VictoriaMetrics/metricsql"
	"github.com/prometheus/prometheus/promql/parser"

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
	TypeFile       = "file"       // log files followed like tail -F (a log input)
	TypeStdin      = "stdin"      // the standard input (a log input)
	TypeKafka      = "kafka"      // Kafka topics read by a consumer group (a log input)
)

// Query dialects of a prometheus source.
const (
	DialectPromQL    = "promql"    // checked with both the MetricsQL and the Prometheus parser
	DialectMetricsQL = "metricsql" // VictoriaMetrics' superset of PromQL
)

// Time formats of a csv source besides Go layouts.
const (
	TimeFormatAuto   = ""        // detect per value: RFC 3339, "2006-01-02 15:04:05", dates, unix seconds or milliseconds
	TimeFormatUnix   = "unix"    // unix seconds, possibly fractional
	TimeFormatUnixMs = "unix_ms" // unix milliseconds
)

// Defaults applied by ApplyDefaults.
const (
	DefaultTimeout    = 30 * time.Second
	DefaultRetries    = 3
	DefaultMaxPoints  = 10000
	DefaultDialect    = DialectMetricsQL
	DefaultTimeColumn = "timestamp"
)

// types lists the valid source types, sorted, for error messages.
var types = []string{TypeCSV, TypeDemo, TypeFile, TypeKafka, TypeMySQL, TypePostgres, TypePrometheus, TypeSQLite, TypeStdin}

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

	// csv; file (a glob)
	Path       string `yaml:"path,omitempty"`
	TimeColumn string `yaml:"time_column,omitempty"` // default "timestamp"
	TimeFormat string `yaml:"time_format,omitempty"` // Go layout, "unix", "unix_ms" or "" for auto
	Timezone   string `yaml:"timezone,omitempty"`    // IANA zone for timestamps without an offset (default UTC)

	// demo
	Seed     int64  `yaml:"seed,omitempty"`
	Calendar string `yaml:"calendar,omitempty"` // the calendar whose sessions and holidays shape the data

	// log inputs: file, stdin, kafka (see log_config.go)
	Paths        []string       `yaml:"paths,omitempty"`          // file: more globs
	PollInterval field.Duration `yaml:"poll_interval,omitempty"`  // file: how often files are checked (default 1s)
	StartAt      string         `yaml:"start_at,omitempty"`       // file, kafka: end (default) or beginning
	MaxLineBytes int            `yaml:"max_line_bytes,omitempty"` // file, stdin, kafka: longer lines are cut (default 1 MiB)
	Brokers      []string       `yaml:"brokers,omitempty"`        // kafka: seed brokers host:port
	Topics       []string       `yaml:"topics,omitempty"`         // kafka
	Group        string         `yaml:"group,omitempty"`          // kafka: consumer group (default seismo)

	// all network sources
	Timeout field.Duration `yaml:"timeout,omitempty"` // per request (default 30s)
	Retries int            `yaml:"retries,omitempty"` // attempts after the first (default 3; -1 for none)
}

// isSQL reports whether t is a database/sql source type.
func isSQL(t string) bool {
	return t == TypeSQLite || t == TypePostgres || t == TypeMySQL
}

// isNetwork reports whether t talks to a remote peer and so needs a timeout
// and retries.
func isNetwork(t string) bool { return isSQL(t) || t == TypePrometheus }

// ApplyDefaults fills unset fields that apply to the source's type and
// moves the dsn_env shorthand into DSN. It leaves fields of other types
// alone so that Validate can still reject them.
func (c *Config) ApplyDefaults() {
	if isNetwork(c.Type) {
		if c.Timeout == 0 {
			c.Timeout = field.Duration(DefaultTimeout)
		}
		if c.Retries == 0 {
			c.Retries = DefaultRetries
		}
	}
	switch {
	case c.Type == TypePrometheus:
		if c.MaxPoints == 0 {
			c.MaxPoints = DefaultMaxPoints
		}
		if c.Dialect == "" {
			c.Dialect = DefaultDialect
		}
	case isSQL(c.Type):
		// Only when dsn is unset: with both set Validate reports the conflict.
		if c.DSNEnv != "" && c.DSN.IsZero() {
			c.DSN = field.FromEnv(c.DSNEnv)
			c.DSNEnv = ""
		}
	case c.Type == TypeCSV:
		if c.TimeColumn == "" {
			c.TimeColumn = DefaultTimeColumn
		}
	case IsLogType(c.Type):
		c.applyLogDefaults()
	}
}

// Validate checks the configuration of one source. Errors are a field.List
// with paths relative to the source ("url", "dsn", ...).
func (c Config) Validate() error {
	var errs field.List
	switch {
	case c.Type == "":
		errs.Addf("type", "required (one of %s)", strings.Join(types, ", "))
		return errs.Err()
	case !slices.Contains(types, c.Type):
		errs.Addf("type", "unknown source type %q (valid: %s)", c.Type, strings.Join(types, ", "))
		return errs.Err()
	}

	// Reject settings that the type ignores: a silently ignored setting is
	// a misconfiguration the user cannot see.
	for _, f := range c.setFields() {
		if !f.appliesTo(c.Type) {
			errs.Addf(f.name, "does not apply to a %s source", c.Type)
		}
	}

	if isNetwork(c.Type) {
		if c.Timeout < 0 {
			errs.Addf("timeout", "must not be negative")
		}
		if c.Retries < -1 {
			errs.Addf("retries", "must be -1 (no retries), 0 (default) or positive")
		}
	}

	switch {
	case c.Type == TypePrometheus:
		errs.Add("url", validateURL(c.URL))
		if c.Dialect != "" && c.Dialect != DialectPromQL && c.Dialect != DialectMetricsQL {
			errs.Addf("dialect", "unknown dialect %q (valid: %s, %s)", c.Dialect, DialectMetricsQL, DialectPromQL)
		}
		if c.MaxPoints < 0 {
			errs.Addf("max_points", "must not be negative")
		} else if c.MaxPoints == 1 {
			errs.Addf("max_points", "must be at least 2")
		}
		for name := range c.Headers {
			if !validHeaderName(name) {
				errs.Addf("headers", "invalid header name %q", name)
			}
		}
	case isSQL(c.Type):
		switch {
		case !c.DSN.IsZero() && c.DSNEnv != "":
			errs.Addf("dsn_env", "set either dsn or dsn_env, not both")
		case c.DSN.IsZero() && c.DSNEnv == "":
			errs.Addf("dsn", "required (or dsn_env)")
		}
		if c.MaxOpenConns < 0 {
			errs.Addf("max_open_conns", "must not be negative")
		}
	case IsLogType(c.Type):
		c.validateLog(&errs)
	case c.Type == TypeCSV:
		if c.Path == "" {
			errs.Addf("path", "required")
		}
		if err := validateTimeFormat(c.TimeFormat); err != nil {
			errs.Add("time_format", err)
		}
		if c.Timezone != "" {
			if _, err := time.LoadLocation(c.Timezone); err != nil {
				errs.Addf("timezone", "unknown time zone %q", c.Timezone)
			}
		}
	}
	return errs.Err()
}

// settable is one optional Config field and the source types it applies to.
type settable struct {
	name  string
	types []string
}

func (s settable) appliesTo(t string) bool { return slices.Contains(s.types, t) }

// setFields lists the optional fields that are set, with their applicable types.
func (c Config) setFields() []settable {
	sqlTypes := []string{TypeSQLite, TypePostgres, TypeMySQL}
	netTypes := append([]string{TypePrometheus}, sqlTypes...)
	prom := []string{TypePrometheus}
	csv := []string{TypeCSV}
	var out []settable
	add := func(set bool, name string, types []string) {
		if set {
			out = append(out, settable{name, types})
		}
	}
	add(c.URL != "", "url", prom)
	add(c.Dialect != "", "dialect", prom)
	add(len(c.Headers) > 0, "headers", prom)
	add(!c.BearerToken.IsZero(), "bearer_token", prom)
	add(c.MaxPoints != 0, "max_points", prom)
	add(!c.DSN.IsZero(), "dsn", sqlTypes)
	add(c.DSNEnv != "", "dsn_env", sqlTypes)
	add(c.MaxOpenConns != 0, "max_open_conns", sqlTypes)
	add(c.Path != "", "path", []string{TypeCSV, TypeFile})
	add(len(c.Paths) > 0, "paths", []string{TypeFile})
	add(c.PollInterval != 0, "poll_interval", []string{TypeFile})
	add(c.StartAt != "", "start_at", []string{TypeFile, TypeKafka})
	add(c.MaxLineBytes != 0, "max_line_bytes", []string{TypeFile, TypeStdin, TypeKafka})
	add(len(c.Brokers) > 0, "brokers", []string{TypeKafka})
	add(len(c.Topics) > 0, "topics", []string{TypeKafka})
	add(c.Group != "", "group", []string{TypeKafka})
	add(c.TimeColumn != "", "time_column", csv)
	add(c.TimeFormat != "", "time_format", csv)
	add(c.Timezone != "", "timezone", csv)
	add(c.Seed != 0, "seed", []string{TypeDemo})
	add(c.Calendar != "", "calendar", []string{TypeDemo})
	add(c.Timeout != 0, "timeout", netTypes)
	add(c.Retries != 0, "retries", netTypes)
	return out
}

func validateURL(s string) error {
	if s == "" {
		return errors.New("required")
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("invalid URL %q: %w", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("invalid URL %q: scheme must be http or https", s)
	}
	if u.Host == "" {
		return fmt.Errorf("invalid URL %q: no host", s)
	}
	return nil
}

// validHeaderName reports whether name is an RFC 7230 token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if r > 0x7e || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}

// validateTimeFormat accepts the named formats and Go layouts that
// round-trip a reference time; a layout without time elements ("foo")
// would make every row parse as the zero time.
func validateTimeFormat(f string) error {
	switch f {
	case TimeFormatAuto, TimeFormatUnix, TimeFormatUnixMs:
		return nil
	}
	ref := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
	s := ref.Format(f)
	if s == f {
		return fmt.Errorf("layout %q has no time elements (use a Go layout such as 2006-01-02 15:04:05, or unix, unix_ms)", f)
	}
	if _, err := time.Parse(f, s); err != nil {
		return fmt.Errorf("layout %q does not parse its own output: %w", f, err)
	}
	return nil
}

// ValidateQuery checks a query expression against the source's type
// without contacting the source: PromQL/MetricsQL syntax for prometheus, a
// single SELECT or WITH statement for SQL, a column list for csv.
func (c Config) ValidateQuery(expr string) error {
	switch {
	case c.Type == TypePrometheus:
		if strings.TrimSpace(expr) == "" {
			return errors.New("empty query")
		}
		if _, err := metricsql.Parse(expr); err != nil {
			return fmt.Errorf("invalid MetricsQL: %w", err)
		}
		if c.Dialect == DialectPromQL {
			if _, err := parser.NewParser(parser.Options{}).ParseExpr(expr); err != nil {
				return fmt.Errorf("invalid PromQL: %w", err)
			}
		}
		return nil
	case isSQL(c.Type):
		return validateSQL(expr, c.Type == TypeMySQL)
	case c.Type == TypeCSV:
		_, err := parseColumns(expr)
		return err
	case c.Type == TypeDemo:
		return nil // the engine's demo source interprets its own expressions
	case IsLogType(c.Type):
		return fmt.Errorf("a %s source is a log input: use it as the input of a log stream (logs:), not in a monitor's query", c.Type)
	}
	return fmt.Errorf("unknown source type %q", c.Type)
}

// parseColumns parses a csv source's Expr: "" or "*" select every value
// column (nil), otherwise a comma-separated list of column names.
func parseColumns(expr string) ([]string, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" || expr == "*" {
		return nil, nil
	}
	var cols []string
	for _, c := range strings.Split(expr, ",") {
		c = strings.TrimSpace(c)
		if c == "" {
			return nil, fmt.Errorf("column list %q has an empty name", expr)
		}
		if slices.Contains(cols, c) {
			return nil, fmt.Errorf("column list %q names %q twice", expr, c)
		}
		cols = append(cols, c)
	}
	return cols, nil
}
