package check

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/rules/expr"
)

// Modes of a check.
const (
	ModeMerge    = "merge"    // stream both sides ordered by key and compare every row
	ModeChecksum = "checksum" // compare per-key-range counts and hashes in the databases, then merge the ranges that differ
)

// Column rules (Compare.Rule).
const (
	RuleExact   = "exact"   // the same datum after normalisation (the default)
	RuleCI      = "ci"      // text equal regardless of case
	RuleTrim    = "trim"    // text equal once leading and trailing white space is removed
	RuleNumeric = "numeric" // numbers within abs or rel of each other
	RuleTime    = "time"    // times within time_tolerance of each other
)

// Defaults of a check.
const (
	DefaultMode           = ModeMerge
	DefaultSampleLimit    = 10
	DefaultMaxDifferences = 10000
	DefaultChunkRows      = 100000
	DefaultSeverity       = "warning"
)

// Limits on a check's settings.
const (
	maxSampleLimit    = 1000
	maxMaxDifferences = 1000000
	minChunkRows      = 100
)

// Config is one consistency check: two queries on two SQL sources,
// joined on Key and compared column by column.
type Config struct {
	Name     string `yaml:"name"`
	Schedule string `yaml:"schedule"`           // cron with an optional seconds field
	Timezone string `yaml:"timezone,omitempty"` // of the schedule (default: the calendar's, then global)
	Calendar string `yaml:"calendar,omitempty"` // name under calendars
	// ActiveIn limits runs to the calendar's trading days or sessions
	// (always, trading_days, sessions; default always).
	ActiveIn string `yaml:"active_in,omitempty"`
	Left     Side   `yaml:"left"`
	Right    Side   `yaml:"right"`
	// Key lists the columns that identify a row on both sides.
	Key []string `yaml:"key"`
	// Compare lists the columns compared, each a name or a mapping with
	// its rule; empty compares every column both results have, keys aside.
	Compare []Compare `yaml:"compare,omitempty"`
	// Grace is how long a difference may last before it counts: the keys
	// that differ are queried again after it, and those that agree by then
	// are recorded as transient (0: no re-check).
	Grace field.Duration `yaml:"grace,omitempty"`
	Mode  string         `yaml:"mode,omitempty"` // merge (default) or checksum
	// ChunkRows is the number of rows per key range in checksum mode
	// (default 100000).
	ChunkRows int `yaml:"chunk_rows,omitempty"`
	// SampleLimit is how many differences an alert shows (default 10).
	SampleLimit int `yaml:"sample_limit,omitempty"`
	// MaxDifferences is how many differences a run keeps, re-checks and
	// stores; beyond it they are counted only (default 10000).
	MaxDifferences int `yaml:"max_differences,omitempty"`
	// Rules are analyst rules over each difference (package rules/expr):
	// a suppress rule that matches drops it from alerts, else the first
	// label rule that matches names it and sets its severity, labels and
	// annotations.
	Rules       []expr.RuleConfig `yaml:"rules,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`      // added to every event's label set
	Annotations map[string]string `yaml:"annotations,omitempty"` // added to every event
	// Timeout bounds one run, grace included (default: grace plus twice
	// global.job_timeout).
	Timeout field.Duration `yaml:"timeout,omitempty"`
}

// Side is one of the two queries of a check.
type Side struct {
	Source string `yaml:"source"` // a source of type postgres, mysql or sqlite
	Query  string `yaml:"query"`  // one SELECT (or WITH) statement
	// Timezone is the zone of the side's dates and times that carry none
	// (DATE, DATETIME, timestamp without time zone, SQLite text); default UTC.
	Timezone string `yaml:"timezone,omitempty"`
}

// Compare says how one column is compared.
type Compare struct {
	Column string `yaml:"column"`
	// Rule is exact (default), ci, trim, numeric or time. abs or rel imply
	// numeric, time_tolerance implies time.
	Rule          string            `yaml:"rule,omitempty"`
	Abs           float64           `yaml:"abs,omitempty"`            // numeric: largest absolute difference that counts as equal
	Rel           float64           `yaml:"rel,omitempty"`            // numeric: largest difference relative to the larger magnitude
	TimeTolerance field.Duration    `yaml:"time_tolerance,omitempty"` // time: largest difference that counts as equal
	Map           map[string]string `yaml:"map,omitempty"`            // left value → the right value it stands for
}

// UnmarshalYAML accepts a column name or a mapping. It decodes with the
// caller's decoder, so unknown keys are still rejected with their lines.
func (c *Compare) UnmarshalYAML(unmarshal func(any) error) error {
	var name string
	if err := unmarshal(&name); err == nil {
		*c = Compare{Column: name}
		return nil
	}
	type plain Compare
	return unmarshal((*plain)(c))
}

// MarshalYAML writes a column compared exactly as its name alone.
func (c Compare) MarshalYAML() (any, error) {
	if c.Rule == "" && c.Abs == 0 && c.Rel == 0 && c.TimeTolerance == 0 && len(c.Map) == 0 {
		return c.Column, nil
	}
	type plain Compare
	return plain(c), nil
}

// effectiveRule returns the rule, implied by the tolerances when unset.
func (c Compare) effectiveRule() string {
	switch {
	case c.Rule != "":
		return c.Rule
	case c.Abs != 0 || c.Rel != 0:
		return RuleNumeric
	case c.TimeTolerance != 0:
		return RuleTime
	}
	return RuleExact
}

// ApplyDefaults fills unset fields.
func (c *Config) ApplyDefaults() {
	if c.Mode == "" {
		c.Mode = DefaultMode
	}
	if c.SampleLimit == 0 {
		c.SampleLimit = DefaultSampleLimit
	}
	if c.MaxDifferences == 0 {
		c.MaxDifferences = DefaultMaxDifferences
	}
	if c.ChunkRows == 0 && c.Mode == ModeChecksum {
		c.ChunkRows = DefaultChunkRows
	}
}

// Severity returns the check's severity: its severity label, else warning.
func (c Config) Severity() string {
	if s := c.Labels["severity"]; s != "" {
		return s
	}
	return DefaultSeverity
}

// Validate checks the settings that need nothing outside the check; the
// config package checks the name, the schedule, the calendar and the
// sources. Paths are relative to the check ("key[1]", "compare[0].abs").
func (c Config) Validate() error {
	var errs field.List
	validateSide(&errs, "left", c.Left)
	validateSide(&errs, "right", c.Right)

	if len(c.Key) == 0 {
		errs.Addf("key", "a check needs at least one key column (the columns that identify a row on both sides)")
	}
	for i, k := range c.Key {
		p := fmt.Sprintf("key[%d]", i)
		switch {
		case strings.TrimSpace(k) == "":
			errs.Addf(p, "empty column name")
		case slices.Index(c.Key, k) < i:
			errs.Addf(p, "key column %q is listed twice", k)
		}
	}
	seen := map[string]int{}
	for i, cmp := range c.Compare {
		validateCompare(&errs, fmt.Sprintf("compare[%d]", i), cmp, c.Key, seen, i)
	}

	if c.Grace < 0 {
		errs.Addf("grace", "must not be negative")
	}
	if c.Timeout < 0 {
		errs.Addf("timeout", "must not be negative")
	} else if c.Timeout > 0 && c.Timeout <= c.Grace {
		errs.Addf("timeout", "timeout (%s) must be longer than grace (%s): a run waits out the grace and queries again", c.Timeout, c.Grace)
	}
	switch c.Mode {
	case ModeMerge, "":
		if c.ChunkRows != 0 {
			errs.Addf("chunk_rows", "applies to mode checksum only")
		}
	case ModeChecksum:
		if c.ChunkRows != 0 && c.ChunkRows < minChunkRows {
			errs.Addf("chunk_rows", "must be at least %d", minChunkRows)
		}
	default:
		errs.Addf("mode", "unknown mode %q (valid: %s, %s)", c.Mode, ModeMerge, ModeChecksum)
	}
	if c.SampleLimit < 0 || c.SampleLimit > maxSampleLimit {
		errs.Addf("sample_limit", "must be between 0 and %d", maxSampleLimit)
	}
	if c.MaxDifferences < 0 || c.MaxDifferences > maxMaxDifferences {
		errs.Addf("max_differences", "must be between 0 and %d", maxMaxDifferences)
	}
	if len(c.Rules) > 0 {
		if _, err := c.compileRules(); err != nil {
			errs.Add("rules", err)
		}
	}
	for _, k := range sortedKeys(c.Labels) {
		p := field.Join("labels", k)
		switch {
		case !model.LegacyValidation.IsValidLabelName(k):
			errs.Addf(p, "invalid label name %q: use letters, digits and _, not starting with a digit", k)
		case k == model.AlertNameLabel || k == LabelCheck || k == LabelRule:
			errs.Addf(p, "label %q is reserved: the check sets it", k)
		case strings.HasPrefix(k, "__"):
			errs.Addf(p, "label names starting with __ are reserved")
		}
	}
	return errs.Err()
}

// Labels a check sets on its events.
const (
	LabelCheck = "check" // the check's name
	LabelRule  = "rule"  // the analyst rule that classified the differences
)

func validateSide(errs *field.List, p string, s Side) {
	if s.Source == "" {
		errs.Addf(p+".source", "a side needs a source (of type postgres, mysql or sqlite)")
	}
	if strings.TrimSpace(s.Query) == "" {
		errs.Addf(p+".query", "a side needs a query")
	}
	if s.Timezone != "" {
		if _, err := time.LoadLocation(s.Timezone); err != nil {
			errs.Addf(p+".timezone", "unknown time zone %q", s.Timezone)
		}
	}
}

func validateCompare(errs *field.List, p string, c Compare, key []string, seen map[string]int, i int) {
	switch {
	case strings.TrimSpace(c.Column) == "":
		errs.Addf(p+".column", "a compared column needs a name")
	case slices.Contains(key, c.Column):
		errs.Addf(p+".column", "%q is a key column: keys are matched, not compared", c.Column)
	default:
		if j, dup := seen[c.Column]; dup {
			errs.Addf(p+".column", "column %q is already compared by compare[%d]", c.Column, j)
		}
		seen[c.Column] = i
	}
	rule := c.effectiveRule()
	switch rule {
	case RuleExact, RuleCI, RuleTrim, RuleNumeric, RuleTime:
	default:
		errs.Addf(p+".rule", "unknown rule %q (valid: %s, %s, %s, %s, %s)", c.Rule, RuleExact, RuleCI, RuleTrim, RuleNumeric, RuleTime)
	}
	if c.Abs < 0 {
		errs.Addf(p+".abs", "must not be negative")
	}
	if c.Rel < 0 || c.Rel >= 1 {
		errs.Addf(p+".rel", "must be in [0, 1)")
	}
	if (c.Abs != 0 || c.Rel != 0) && rule != RuleNumeric {
		errs.Addf(p+".rule", "abs and rel apply to rule numeric, not %s", rule)
	}
	if c.TimeTolerance < 0 {
		errs.Addf(p+".time_tolerance", "must not be negative")
	}
	if c.TimeTolerance != 0 && rule != RuleTime {
		errs.Addf(p+".rule", "time_tolerance applies to rule time, not %s", rule)
	}
	if len(c.Map) > 0 && (rule == RuleNumeric || rule == RuleTime) {
		errs.Addf(p+".map", "a map applies to rules exact, ci and trim, not %s", rule)
	}
}

// compileRules compiles the analyst rules; their key.x names are checked
// against the key columns (the other columns are known only when the
// queries run).
func (c Config) compileRules() (*expr.RowRules, error) {
	return expr.CompileRowRules(c.Rules, expr.KeyColumns(c.Key...))
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
