package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/engine"
)

// backtestOptions are the flags of `seismo backtest`.
type backtestOptions struct {
	config, monitor, series    string
	from, to                   string
	typ, direction             string
	sensitivity, budget        float64
	persistence                string
	refit                      time.Duration
	sweep, asJSON, remoteWrite bool
}

const backtestSynopsis = `Replays a monitor over a past range with its current detector setting (the
configuration's, or the one saved from the tuning page) or a draft one, and
prints the alerts it would have raised — the monitor's schedule and its
alert state machine replayed — with alerts a day and, where the series have
labels, precision and recall. With --sweep it backtests every sensitivity
from 0.05 to 1 and prints the curve and the setting recommended for the
--budget of alerts a day. The last line is a one-line summary.

Times are RFC 3339, a date (2006-01-02, midnight in the configured time
zone), "now", or now minus a duration (now-7d). Progress goes to standard
error: a bar on a terminal, a line per tenth otherwise.`

func cmdBacktest(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("backtest [--config FILE] --monitor NAME [--from T] [--to T] [--sensitivity S] [--series SEL] [--sweep]", backtestSynopsis, stderr)
	var o backtestOptions
	fs.StringVar(&o.config, "config", "", "configuration file (default: the built-in demo)")
	fs.StringVar(&o.monitor, "monitor", "", "monitor to backtest (required)")
	fs.StringVar(&o.series, "series", "", `series selector, e.g. '{channel="app"}' (default: every series)`)
	fs.StringVar(&o.from, "from", "now-7d", "start of the range")
	fs.StringVar(&o.to, "to", "now", "end of the range")
	fs.Float64Var(&o.sensitivity, "sensitivity", 0, "draft sensitivity in (0, 1] (default: the monitor's)")
	fs.StringVar(&o.typ, "type", "", "draft detector type (default: the monitor's)")
	fs.StringVar(&o.direction, "direction", "", "draft direction: both, up or down (default: the monitor's)")
	fs.StringVar(&o.persistence, "persistence", "", "draft persistence k/n, e.g. 2/3 (default: the monitor's)")
	fs.DurationVar(&o.refit, "refit", 0, "refit the baseline this often (default 24h: each local midnight)")
	fs.BoolVar(&o.sweep, "sweep", false, "backtest every sensitivity and recommend one for --budget")
	fs.Float64Var(&o.budget, "budget", engine.DefaultMaxAlertsPerDay, "noise budget of --sweep, in alerts a day")
	fs.BoolVar(&o.asJSON, "json", false, "print the result as JSON")
	fs.BoolVar(&o.remoteWrite, "remote-write", false, "also write the scores and bands to global.remote_write, labelled backtest=\"true\"")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.monitor == "" {
		return usageError{errors.New("backtest: --monitor is required")}
	}
	if o.sweep && (o.sensitivity != 0 || o.remoteWrite) {
		return usageError{errors.New("backtest: --sweep tries every sensitivity; it takes neither --sensitivity nor --remote-write")}
	}
	cfg, err := loadConfig(o.config)
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(cfg.Global.Timezone)
	if err != nil {
		return usageError{fmt.Errorf("global.timezone: %w", err)}
	}
	now := time.Now()
	req := engine.BacktestRequest{Monitor: o.monitor, Refit: o.refit, RemoteWrite: o.remoteWrite}
	if req.From, err = parseCLITime(o.from, now, loc); err != nil {
		return usageError{fmt.Errorf("backtest: --from: %w", err)}
	}
	if req.To, err = parseCLITime(o.to, now, loc); err != nil {
		return usageError{fmt.Errorf("backtest: --to: %w", err)}
	}
	if o.series != "" {
		if req.Match, err = parser.NewParser(parser.Options{}).ParseMetricSelector(o.series); err != nil {
			return usageError{fmt.Errorf("backtest: --series: %w", err)}
		}
	}
	req.Draft = engine.Draft{Type: o.typ, Sensitivity: o.sensitivity, Direction: o.direction}
	if o.persistence != "" {
		var k, n int
		if _, err := fmt.Sscanf(o.persistence, "%d/%d", &k, &n); err != nil {
			return usageError{fmt.Errorf("backtest: --persistence %q: want k/n, e.g. 2/3", o.persistence)}
		}
		req.Draft.Persistence = &engine.DraftPersistence{K: k, N: n}
	}
	logger, err := newLogger(stderr, "warn", "text")
	if err != nil {
		return err
	}
	ctx, eng, closeEngine, err := openEngine(cfg, logger)
	if err != nil {
		return err
	}
	defer closeEngine()
	bar := newProgressBar(stderr)
	req.Progress = bar.update
	if o.sweep {
		res, err := eng.Sweep(ctx, engine.SweepRequest{BacktestRequest: req, MaxAlertsPerDay: o.budget})
		bar.done()
		if err != nil {
			return backtestError(err)
		}
		if o.asJSON {
			return writeJSONTo(stdout, res)
		}
		return printSweep(stdout, res, loc)
	}
	res, err := eng.Backtest(ctx, req)
	bar.done()
	if err != nil {
		return backtestError(err)
	}
	if o.asJSON {
		return writeJSONTo(stdout, res)
	}
	return printBacktest(stdout, res, loc)
}

// backtestError makes the request's own faults usage errors (exit 2).
func backtestError(err error) error {
	if errors.Is(err, engine.ErrInvalidRequest) || errors.Is(err, engine.ErrUnknownMonitor) {
		return usageError{err}
	}
	return err
}

func writeJSONTo(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	return nil
}

// parseCLITime reads "now", "now-7d", a date or RFC 3339.
func parseCLITime(s string, now time.Time, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "now":
		return now, nil
	case strings.HasPrefix(s, "now-"):
		d, err := field.ParseDuration(strings.TrimPrefix(s, "now-"))
		if err != nil {
			return time.Time{}, err
		}
		return now.Add(-d.Std()), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04", "2006-01-02 15:04", time.DateOnly} {
		if layout == time.RFC3339Nano {
			if t, err := time.Parse(layout, s); err == nil {
				return t, nil
			}
			continue
		}
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid time %q: use RFC 3339, 2006-01-02[ 15:04], now or now-7d", s)
}

// seriesText shows a label set compactly.
func seriesText(ls labels.Labels) string { return ls.String() }

func printBacktest(w io.Writer, res *engine.BacktestResult, loc *time.Location) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "START\tEND\tSERIES\tEVENTS\tPEAK SCORE\tVALUE\tEXPECTED\tVERDICT")
	shown := 0
	for _, a := range res.Alerts {
		if a.Silent {
			continue
		}
		end := "firing"
		if !a.End.IsZero() {
			end = a.End.In(loc).Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.2f\t%.4g\t%.4g\t%s\n", a.Start.In(loc).Format(time.DateTime), end,
			seriesText(a.Series), a.Events, a.PeakScore, a.PeakValue, a.PeakExpected, dash(a.Verdict))
		shown++
	}
	if shown == 0 {
		fmt.Fprintln(tw, "(no alert would have fired)\t\t\t\t\t\t\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if res.AlertsTruncated {
		fmt.Fprintf(w, "(the first %d alerts are listed)\n", engine.MaxBacktestAlerts)
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERIES\tDETECTOR\tPOINTS\tALERTS\tALERTS/DAY\tRECALL\tPRECISION\tEVENT F1\tNOTE")
	for _, s := range res.Series {
		m := s.Metrics
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.2f\t%s\t%s\t%s\t%s\n", seriesText(s.Labels), s.Detector, m.Points, m.Alerts, m.AlertsPerDay,
			labelled(m, m.Alert.Recall), labelled(m, m.Alert.Precision), labelled(m, m.Event.F1), s.NotJudged)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	m := res.Metrics
	d := res.Detector
	summary := fmt.Sprintf("backtest %s %s → %s (%.1f days) with %s sensitivity %.2f direction %s persistence %d/%d: %d series, %d points, %d alerts (%.2f a day, %d silent)",
		res.Monitor, res.From.In(loc).Format(time.DateTime), res.To.In(loc).Format(time.DateTime), res.Days,
		d.Type, d.Sensitivity, d.Direction, d.Persistence.K, d.Persistence.N, len(res.Series), m.Points, m.Alerts, m.AlertsPerDay, m.Silent)
	if m.Labelled {
		summary += fmt.Sprintf(", %d of %d labelled incidents paged (recall %.2f, precision %.2f), event F1 %.2f",
			m.Alert.Detected, m.Alert.Ranges, m.Alert.Recall, m.Alert.Precision, m.Event.F1)
	} else {
		summary += ", no anomaly labels"
	}
	fmt.Fprintf(w, "\n%s, %s\n", summary, res.Duration.Round(time.Millisecond))
	return nil
}

func printSweep(w io.Writer, res *engine.SweepResult, loc *time.Location) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "SENSITIVITY\tALERTS/DAY\tALERTS\tDAYS OVER BUDGET\tRECALL\tPRECISION\tEVENT RECALL\tEVENT F1\t")
	for _, p := range res.Curve {
		m := p.Metrics
		mark := ""
		if p.Sensitivity == res.Recommended.Sensitivity {
			mark = " ←"
		}
		fmt.Fprintf(tw, "%.2f\t%.2f\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", p.Sensitivity, m.AlertsPerDay, m.Alerts, p.DaysOverBudget,
			labelled(m, m.Alert.Recall), labelled(m, m.Alert.Precision), labelled(m, m.Event.Recall), labelled(m, m.Event.F1), mark)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	r := res.Recommended
	how := "re-thresholded one run"
	if !res.Rethresholded {
		how = "one run per sensitivity"
	}
	fmt.Fprintf(w, "\nsweep %s %s → %s (%.1f days), %s, %d sensitivities (%s): recommended %.2f for %g alerts a day: %s, %s\n",
		res.Monitor, res.From.In(loc).Format(time.DateTime), res.To.In(loc).Format(time.DateTime), res.Days, res.Detector.Type,
		len(res.Curve), how, r.Sensitivity, res.MaxAlertsPerDay, r.Reason, res.Duration.Round(time.Millisecond))
	return nil
}

// labelled formats a label metric, or "-" when there are no labels.
func labelled(m engine.Metrics, v float64) string {
	if !m.Labelled {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// progressBar shows a backtest's progress on stderr: a bar redrawn in
// place on a terminal, a line per tenth otherwise (logs, CI).
type progressBar struct {
	w        io.Writer
	tty      bool
	lastTick int // tenths printed (not a terminal)
	drawn    bool
}

func newProgressBar(w io.Writer) *progressBar {
	p := &progressBar{w: w}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progressBar) update(done, total int) {
	if total <= 0 {
		return
	}
	frac := float64(done) / float64(total)
	if p.tty {
		const width = 30
		n := int(frac * width)
		fmt.Fprintf(p.w, "\r[%s%s] %3.0f%% %d/%d", strings.Repeat("#", n), strings.Repeat("-", width-n), 100*frac, done, total)
		p.drawn = true
		return
	}
	if tick := int(frac * 10); tick > p.lastTick || (done == 0 && p.lastTick == 0 && !p.drawn) {
		p.lastTick = tick
		p.drawn = true
		fmt.Fprintf(p.w, "progress: %3.0f%% (%d/%d)\n", 100*frac, done, total)
	}
}

func (p *progressBar) done() {
	if p.tty && p.drawn {
		fmt.Fprintln(p.w)
	}
}
