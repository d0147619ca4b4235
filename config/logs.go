package config

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/detector"
	"github.com/seismo-dev/seismo/logpattern"
	"github.com/seismo-dev/seismo/source"
)

// LogStream is a log input mined into templates: it raises an event when
// a new template appears, when a template's rate leaves its baseline and
// when the share of error-level records does.
type LogStream struct {
	Name      string                 `yaml:"name"`
	Input     string                 `yaml:"input"`               // a source of type file, stdin or kafka
	Format    source.LogFormatConfig `yaml:"format,omitempty"`    // how time, level and message are found
	Multiline source.MultilineConfig `yaml:"multiline,omitempty"` // how the lines of one record are joined
	Miner     logpattern.Config      `yaml:"miner,omitempty"`     // the template miner's settings
	// AlertOn lists the events the stream raises: new_template,
	// rate_change, error_ratio (default: all three).
	AlertOn []string `yaml:"alert_on,omitempty"`
	// Absorption is how long a template counts as new; after it, the
	// template is normal and its rate is judged (default 1h).
	Absorption  field.Duration    `yaml:"absorption,omitempty"`
	ErrorLevels []string          `yaml:"error_levels,omitempty"` // levels counted as errors (default ERROR, FATAL, CRITICAL, ...)
	Examples    int               `yaml:"examples,omitempty"`     // masked example lines kept per template (default 3)
	Rate        LogRate           `yaml:"rate,omitempty"`
	Timeout     field.Duration    `yaml:"timeout,omitempty"` // of one evaluation run (default global.job_timeout)
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

// LogRate says how template counts become series and are judged.
type LogRate struct {
	Step     field.Duration `yaml:"step,omitempty"`     // count period, and how often the stream is evaluated (default 1m)
	History  field.Duration `yaml:"history,omitempty"`  // what the baseline learns from (default 7d)
	Backfill field.Duration `yaml:"backfill,omitempty"` // judged on the first run (default 0)
	// MinCount: templates seen fewer times over the history are not
	// judged (a handful of occurrences has no rate to speak of).
	MinCount int `yaml:"min_count,omitempty"`
	// MaxTemplates bounds the templates judged per run, the most
	// frequent first (default 500).
	MaxTemplates int             `yaml:"max_templates,omitempty"`
	Baseline     baseline.Config `yaml:"baseline,omitempty"`
	Detector     detector.Config `yaml:"detector,omitempty"`
}

// Events a log stream can raise (LogStream.AlertOn).
const (
	AlertNewTemplate = "new_template"
	AlertRateChange  = "rate_change"
	AlertErrorRatio  = "error_ratio"
)

// Defaults of log streams.
const (
	DefaultAbsorption      = field.Duration(time.Hour)
	DefaultLogStep         = field.Duration(time.Minute)
	DefaultLogHistory      = field.Duration(7 * 24 * time.Hour)
	DefaultLogExamples     = 3
	DefaultLogMinCount     = 10
	DefaultLogMaxTemplates = 500
)

// DefaultErrorLevels are the levels counted as errors, compared without
// regard to case.
var DefaultErrorLevels = []string{"ERROR", "ERR", "FATAL", "CRITICAL", "CRIT", "SEVERE", "PANIC", "EMERG", "EMERGENCY", "ALERT"}

func (l *loader) applyLogDefaults(c *Config) {
	for i := range c.Logs {
		s := &c.Logs[i]
		p := indexPath("logs", i)
		applyDomainDefaults(&s.Format)
		applyDomainDefaults(&s.Multiline)
		applyDomainDefaults(&s.Miner)
		applyDomainDefaults(&s.Rate.Baseline)
		applyDomainDefaults(&s.Rate.Detector)
		if len(s.AlertOn) == 0 && !l.present(p+".alert_on") {
			s.AlertOn = []string{AlertNewTemplate, AlertRateChange, AlertErrorRatio}
		}
		if s.Absorption == 0 && !l.present(p+".absorption") {
			s.Absorption = DefaultAbsorption
		}
		if len(s.ErrorLevels) == 0 {
			s.ErrorLevels = slices.Clone(DefaultErrorLevels)
		}
		if s.Examples == 0 {
			s.Examples = DefaultLogExamples
		}
		if s.Timeout == 0 && !l.present(p+".timeout") {
			s.Timeout = c.Global.JobTimeout
		}
		r := &s.Rate
		if r.Step == 0 && !l.present(p+".rate.step") {
			r.Step = DefaultLogStep
		}
		if r.History == 0 && !l.present(p+".rate.history") {
			r.History = DefaultLogHistory
		}
		if r.MinCount == 0 {
			r.MinCount = DefaultLogMinCount
		}
		if r.MaxTemplates == 0 {
			r.MaxTemplates = DefaultLogMaxTemplates
		}
		if r.Baseline.Timezone == "" {
			r.Baseline.Timezone = c.Global.Timezone
		}
	}
}

func (l *loader) validateLogs(c *Config, jobs map[string]string) {
	for i := range c.Logs {
		p := indexPath("logs", i)
		s := &c.Logs[i]
		l.validateJobName(jobs, p, "log stream", s.Name)
		src, ok := c.Sources[s.Input]
		switch {
		case s.Input == "":
			l.errs.Addf(p+".input", "a log stream needs an input (a source of type file, stdin or kafka)")
		case !ok:
			l.errs.Addf(p+".input", "unknown source %q%s", s.Input, known(slices.Collect(maps.Keys(c.Sources))))
		case !source.IsLogType(src.Type):
			l.errs.Addf(p+".input", "source %q is of type %s, not a log input (file, stdin or kafka)", s.Input, src.Type)
		}
		l.validateDomain(p+".format", &s.Format)
		l.validateDomain(p+".multiline", &s.Multiline)
		l.validateDomain(p+".miner", &s.Miner)
		for j, a := range s.AlertOn {
			switch a {
			case AlertNewTemplate, AlertRateChange, AlertErrorRatio:
			default:
				l.errs.Addf(indexPath(p+".alert_on", j), "unknown event %q (valid: %s, %s, %s)", a, AlertNewTemplate, AlertRateChange, AlertErrorRatio)
			}
		}
		if s.Absorption < 0 {
			l.errs.Addf(p+".absorption", "must not be negative")
		}
		if s.Examples < 0 || s.Examples > 100 {
			l.errs.Addf(p+".examples", "must be between 0 and 100")
		}
		if s.Timeout <= 0 {
			l.errs.Addf(p+".timeout", "timeout must be positive")
		}
		r := &s.Rate
		rp := p + ".rate"
		if r.Step <= 0 {
			l.errs.Addf(rp+".step", "step must be positive")
		} else if time.Duration(24*time.Hour)%r.Step.Std() != 0 {
			l.errs.Addf(rp+".step", "step (%s) must divide a day, so that counts fall on the same minutes every day", r.Step)
		}
		if r.History <= r.Step {
			l.errs.Addf(rp+".history", "history (%s) must be longer than step (%s)", r.History, r.Step)
		}
		if r.Backfill > r.History || r.Backfill < 0 {
			l.errs.Addf(rp+".backfill", "backfill (%s) must be between 0 and history (%s)", r.Backfill, r.History)
		}
		if r.MinCount < 0 {
			l.errs.Addf(rp+".min_count", "must not be negative")
		}
		if r.MaxTemplates < 0 {
			l.errs.Addf(rp+".max_templates", "must not be negative")
		}
		l.validateDomain(rp+".baseline", &r.Baseline)
		l.validateDomain(rp+".detector", &r.Detector)
		for _, k := range sortedKeys(s.Labels) {
			switch {
			case !model.LegacyValidation.IsValidLabelName(k):
				l.errs.Addf(field.Join(p+".labels", k), "invalid label name %q: use letters, digits and _, not starting with a digit", k)
			case k == model.AlertNameLabel || k == "template_id" || k == "event":
				l.errs.Addf(field.Join(p+".labels", k), "label %q is reserved: the stream sets it", k)
			case strings.HasPrefix(k, "__"):
				l.errs.Addf(field.Join(p+".labels", k), "label names starting with __ are reserved")
			}
		}
	}
}
