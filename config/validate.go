package config

import (
	"fmt"
	"maps"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time zones must load on hosts without a zoneinfo database

	"github.com/prometheus/common/model"
	"github.com/robfig/cron/v3"

	"github.com/seismo-dev/seismo/baseline/calendar"
	"github.com/seismo-dev/seismo/config/field"
)

// ScheduleParser parses monitor schedules: standard five-field cron with an
// optional leading seconds field, and descriptors such as @hourly or
// @every 5m. The engine schedules with the same parser.
var ScheduleParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

var monitorNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_:-]*$`)

// validator is implemented by every domain config.
type validator interface{ Validate() error }

// queryValidator is implemented by source.Config: it checks an expression
// in the source's query language.
type queryValidator interface{ ValidateQuery(expr string) error }

// validateDomain records v.Validate's errors under path, if v has the method.
func (l *loader) validateDomain(path string, v any) {
	if val, ok := v.(validator); ok {
		l.errs.Add(path, val.Validate())
	}
}

// validate checks every field and cross-reference, recording all problems.
func (l *loader) validate(c *Config) {
	l.validateGlobal(&c.Global)
	for _, name := range sortedKeys(c.Calendars) {
		cal := c.Calendars[name]
		l.validateDomain(field.Join("calendars", name), &cal)
	}
	for _, name := range sortedKeys(c.Sources) {
		src := c.Sources[name]
		l.validateDomain(sourcePath(name), &src)
		if src.Calendar != "" {
			if _, ok := c.Calendars[src.Calendar]; !ok {
				l.errs.Addf(field.Join(sourcePath(name), "calendar"), "unknown calendar %q%s", src.Calendar, known(slices.Collect(maps.Keys(c.Calendars))))
			}
		}
	}
	// The router may name calendars as time intervals: their sessions by
	// the bare name, their trading days with a suffix (see engine).
	c.Alerting.Calendars = c.Alerting.Calendars[:0]
	for _, name := range sortedKeys(c.Calendars) {
		c.Alerting.Calendars = append(c.Alerting.Calendars, name, name+calendar.TradingDaysSuffix)
	}
	l.validateDomain("alerting", &c.Alerting)

	jobs := map[string]string{} // job name → the path that claimed it: every kind of job shares one namespace
	for i := range c.Monitors {
		p := indexPath("monitors", i)
		m := &c.Monitors[i]
		l.validateJobName(jobs, p, "monitor", m.Name)
		l.validateMonitor(p, m, c)
	}
	l.validateLogs(c, jobs)
	l.validateChecks(c, jobs)
	l.validateRuleGroups(c, jobs)
	l.validateServer(c)
}

// validateJobName checks a monitor's or log stream's name (kind says
// which) and claims it in jobs, where every job name maps to the path of
// the job that holds it.
func (l *loader) validateJobName(jobs map[string]string, path, kind, name string) {
	switch other, taken := jobs[name]; {
	case name == "":
		l.errs.Addf(path+".name", "a %s needs a name", kind)
	case !monitorNameRE.MatchString(name):
		l.errs.Addf(path+".name", "invalid %s name %q: use letters, digits, _, : and -, not starting with a digit", kind, name)
	case taken && strings.HasPrefix(other, kind+"s["):
		l.errs.Addf(path+".name", "%s name %q is already used by %s", kind, name, other)
	case taken:
		l.errs.Addf(path+".name", "name %q is already used by %s (monitors, log streams, checks and rule groups share one namespace)", name, other)
	default:
		jobs[name] = path
	}
}

func (l *loader) validateGlobal(g *Global) {
	if g.RemoteWrite != nil {
		l.validateDomain("global.remote_write", g.RemoteWrite)
	}
	if _, err := time.LoadLocation(g.Timezone); err != nil {
		l.errs.Addf("global.timezone", "unknown time zone %q", g.Timezone)
	}
	if g.JobTimeout <= 0 {
		l.errs.Addf("global.job_timeout", "job_timeout must be positive")
	}
	if err := validateListen(g.Listen); err != nil {
		l.errs.Add("global.listen", err)
	}
	switch g.Store.Driver {
	case "sqlite":
	case "postgres":
		l.errs.Addf("global.store.driver", "store driver postgres is not supported yet (use sqlite)")
	default:
		l.errs.Addf("global.store.driver", "unknown store driver %q (use sqlite)", g.Store.Driver)
	}
}

// validateListen checks a host:port listen address.
func validateListen(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("invalid listen address %q: want host:port, e.g. 127.0.0.1:9108", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("invalid port %q in listen address %q", port, addr)
	}
	return nil
}

func (l *loader) validateMonitor(p string, m *Monitor, c *Config) {
	if strings.TrimSpace(m.Schedule) == "" {
		l.errs.Addf(p+".schedule", "a monitor needs a schedule (cron, e.g. \"*/5 * * * *\" or \"@every 5m\")")
	} else if _, err := ScheduleParser.Parse(m.Schedule); err != nil {
		l.errs.Addf(p+".schedule", "invalid cron expression %q: %v", m.Schedule, err)
	}
	// An inherited time zone was checked where it was written.
	if _, err := time.LoadLocation(m.Timezone); err != nil && l.present(p+".timezone") {
		l.errs.Addf(p+".timezone", "unknown time zone %q", m.Timezone)
	}

	if m.Timeout <= 0 {
		l.errs.Addf(p+".timeout", "timeout must be positive")
	}
	if m.Calendar != "" {
		if _, ok := c.Calendars[m.Calendar]; !ok {
			l.errs.Addf(p+".calendar", "unknown calendar %q%s", m.Calendar, known(slices.Collect(maps.Keys(c.Calendars))))
		}
	}
	switch m.ActiveIn {
	case ActiveAlways:
	case ActiveSessions, ActiveTradingDays:
		if m.Calendar == "" {
			l.errs.Addf(p+".active_in", "active_in %s needs a calendar", m.ActiveIn)
		}
	default:
		l.errs.Addf(p+".active_in", "invalid active_in %q (use always, sessions or trading_days)", m.ActiveIn)
	}

	q := &m.Query
	qp := p + ".query"
	src, srcOK := c.Sources[q.Source]
	switch {
	case q.Source == "":
		l.errs.Addf(qp+".source", "a query needs a source")
	case !srcOK:
		l.errs.Addf(qp+".source", "unknown source %q%s", q.Source, known(slices.Collect(maps.Keys(c.Sources))))
	}
	if strings.TrimSpace(q.Expr) == "" {
		l.errs.Addf(qp+".expr", "a query needs an expr")
	} else if srcOK {
		if qv, ok := any(&src).(queryValidator); ok {
			l.errs.Add(qp+".expr", qv.ValidateQuery(q.Expr))
		}
	}
	if q.Step <= 0 {
		l.errs.Addf(qp+".step", "step must be positive")
	}
	if q.History <= q.Step {
		l.errs.Addf(qp+".history", "history (%s) must be longer than step (%s)", q.History, q.Step)
	}
	if q.Backfill > q.History {
		l.errs.Addf(qp+".backfill", "backfill (%s) must not exceed history (%s)", q.Backfill, q.History)
	}

	l.validateDomain(p+".baseline", &m.Baseline)
	l.validateDomain(p+".detector", &m.Detector)
	l.validateMonitorRules(p, m)
	l.validateMaintenance(p, m)

	for _, k := range sortedKeys(m.Labels) {
		switch {
		case !model.LegacyValidation.IsValidLabelName(k):
			l.errs.Addf(field.Join(p+".labels", k), "invalid label name %q: use letters, digits and _, not starting with a digit", k)
		case k == model.AlertNameLabel:
			l.errs.Addf(field.Join(p+".labels", k), "label %q is reserved: it is set to the monitor's name", k)
		case strings.HasPrefix(k, "__"):
			l.errs.Addf(field.Join(p+".labels", k), "label names starting with __ are reserved")
		}
	}
}

// known lists the valid names for an "unknown X" message.
func known(names []string) string {
	if len(names) == 0 {
		return " (none are defined)"
	}
	slices.Sort(names)
	return " (defined: " + strings.Join(names, ", ") + ")"
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

func sourcePath(name string) string { return field.Join("sources", name) }

func indexPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }
