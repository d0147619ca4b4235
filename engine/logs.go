package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/alert"
	"github.com/seismo-dev/seismo/config"
	"github.com/seismo-dev/seismo/detector"
	"github.com/seismo-dev/seismo/logpattern"
	"github.com/seismo-dev/seismo/series"
	"github.com/seismo-dev/seismo/source"
	"github.com/seismo-dev/seismo/store"
)

// Label names a log stream sets on its events.
const (
	labelTemplateID = "template_id" // the template's id in the stream
	labelEvent      = "event"       // new_template, rate_change or error_ratio: keeps the alerts of one template apart
)

// Query expressions of a stream's stored counts (logSeries).
const (
	exprTemplates  = "templates"
	exprErrorRatio = "error_ratio"
)

// maxExampleBytes bounds one example line kept for a template.
const maxExampleBytes = 1 << 10

// ErrUnknownStream is returned for a log stream the configuration does
// not define.
var ErrUnknownStream = errors.New("unknown log stream")

// logStream is the job of one configured log stream. Its input runs
// continuously (ingest), mining each record and counting it per template
// and step in memory; on every step the scheduled run (evaluate) flushes
// the counts, the templates and the miner's snapshot to the store,
// commits the input's checkpoint, raises new-template events, and judges
// the stored counts with the monitor machinery: each template's count
// series and the error ratio go through baseline and detector like a
// monitor's series do.
type logStream struct {
	cfg       config.LogStream
	input     source.LogInput
	miner     *logpattern.Miner
	store     store.Store
	now       func() time.Time
	log       *slog.Logger
	step      time.Duration
	errLevels map[string]bool
	alertOn   map[string]bool
	rate      *monitor // judges template counts; nil unless alert_on has rate_change
	errRatio  *monitor // judges the error ratio; nil unless alert_on has error_ratio

	mu          sync.Mutex
	counts      map[countKey]int64
	steps       map[int64]*store.LogStep // by unix ms
	templates   map[uint64]*templateState
	fresh       []uint64 // templates first seen since the last flush
	ckpt        source.Checkpoint
	watchedFrom time.Time // first step not yet marked as watched
	lines       uint64    // miner lines at the last snapshot
}

type countKey struct {
	id uint64
	ts int64 // unix ms of the step
}

// templateState is what the stream knows of one template.
type templateState struct {
	text        string
	examples    []string
	first, last time.Time
	delta       int64 // occurrences not flushed yet
	dirty       bool  // text, examples, times or delta to flush
}

func (e *Engine) newLogStream(ctx context.Context, lc config.LogStream) (*logStream, error) {
	srcCfg, ok := e.cfg.Sources[lc.Input]
	if !ok || !source.IsLogType(srcCfg.Type) {
		return nil, fmt.Errorf("input %q is not a log input", lc.Input)
	}
	s := &logStream{
		cfg:       lc,
		store:     e.store,
		now:       e.now,
		log:       e.log.With("stream", lc.Name),
		step:      lc.Rate.Step.Std(),
		errLevels: map[string]bool{},
		alertOn:   map[string]bool{},
		counts:    map[countKey]int64{},
		steps:     map[int64]*store.LogStep{},
		templates: map[uint64]*templateState{},
		// Watched from the step the engine starts in.
		watchedFrom: e.now().UTC().Truncate(lc.Rate.Step.Std()),
	}
	for _, l := range lc.ErrorLevels {
		s.errLevels[strings.ToUpper(l)] = true
	}
	for _, a := range lc.AlertOn {
		s.alertOn[a] = true
	}
	in, err := source.OpenLog(lc.Input, srcCfg, source.LogOptions{
		Format:    lc.Format,
		Multiline: lc.Multiline,
		Offsets:   streamOffsets{st: e.store, stream: lc.Name},
		Logger:    s.log.With("input", lc.Input),
		Now:       e.now,
	})
	if err != nil {
		return nil, err
	}
	s.input = in
	if err := s.restore(ctx); err != nil {
		return nil, err
	}
	ls := logSeries{s: s}
	for _, j := range []struct {
		on, expr, event string
		dst             **monitor
	}{
		{config.AlertRateChange, exprTemplates, config.AlertRateChange, &s.rate},
		{config.AlertErrorRatio, exprErrorRatio, config.AlertErrorRatio, &s.errRatio},
	} {
		if !s.alertOn[j.on] {
			continue
		}
		det, err := detector.New(lc.Rate.Detector)
		if err != nil {
			return nil, fmt.Errorf("rate detector: %w", err)
		}
		lbls := map[string]string{labelEvent: j.event}
		for k, v := range lc.Labels {
			lbls[k] = v
		}
		m := &monitor{
			cfg: config.Monitor{
				Name:    lc.Name,
				Timeout: lc.Timeout,
				Query: config.Query{
					Expr: j.expr, Step: lc.Rate.Step, History: lc.Rate.History, Backfill: lc.Rate.Backfill,
					Delay: lc.Rate.Step, // the current step is still counting: judge up to the last closed one
				},
				Baseline: lc.Rate.Baseline, Detector: lc.Rate.Detector,
				Labels: lbls, Annotations: lc.Annotations,
			},
			src: ls, det: det, location: e.location,
		}
		if sel, ok := detector.SelectionOf(det); ok {
			m.chooser = newChooser(lc.Name+"/"+j.expr, sel, e.store, e.now)
		}
		*j.dst = m
	}
	return s, nil
}

// restore loads the stream's templates and its miner's snapshot. A
// snapshot taken with other miner settings is dropped: the miner starts
// afresh (template ids then continue from new ones).
func (s *logStream) restore(ctx context.Context) error {
	stored, err := s.store.LogTemplates(ctx, s.cfg.Name, time.Time{}, time.Time{})
	if err != nil {
		return err
	}
	for _, t := range stored {
		s.templates[t.ID] = &templateState{text: t.Template, examples: t.Examples, first: t.FirstSeen, last: t.LastSeen}
	}
	snap, err := s.store.LogSnapshot(ctx, s.cfg.Name)
	if err != nil {
		return err
	}
	want := s.cfg.Miner
	want.Masks = slices.Clone(want.Masks)
	want.ApplyDefaults()
	if snap != nil {
		m, err := logpattern.Restore(snap)
		switch {
		case err != nil:
			s.log.Warn("miner snapshot unreadable: mining afresh", "err", err)
		case !reflect.DeepEqual(m.Config(), want):
			s.log.Info("miner settings changed since the snapshot: mining afresh")
		default:
			s.miner = m
			s.lines = m.Stats().Lines
		}
	}
	if s.miner == nil {
		if s.miner, err = logpattern.New(s.cfg.Miner); err != nil {
			return fmt.Errorf("miner: %w", err)
		}
	}
	return nil
}

// sink mines and counts a batch. It is the input's LogSink.
func (s *logStream) sink(_ context.Context, b source.LogBatch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range b.Records {
		m := s.miner.Add(r.Message)
		t := r.Time.UTC()
		ts := t.Truncate(s.step) // steps divide a day: aligned on UTC midnight
		ms := ts.UnixMilli()
		s.counts[countKey{m.ClusterID, ms}]++
		st := s.steps[ms]
		if st == nil {
			st = &store.LogStep{Time: ts}
			s.steps[ms] = st
		}
		st.Records++
		if s.errLevels[r.Level] {
			st.Errors++
		}
		if m.ClusterID == 0 {
			continue // empty or binary: counted, not a template
		}
		if m.Change == logpattern.ChangeChanged {
			s.foldMerged()
		}
		ts2 := s.templates[m.ClusterID]
		if ts2 == nil {
			ts2 = &templateState{first: t, last: t}
			s.templates[m.ClusterID] = ts2
			s.fresh = append(s.fresh, m.ClusterID)
		}
		ts2.text = m.Template
		if t.Before(ts2.first) {
			ts2.first = t
		}
		if t.After(ts2.last) {
			ts2.last = t
		}
		if len(ts2.examples) < s.cfg.Examples {
			ts2.examples = append(ts2.examples, example(m))
		}
		ts2.delta++
		ts2.dirty = true
	}
	if !b.Checkpoint.IsZero() {
		s.ckpt = b.Checkpoint
	}
	return nil
}

// foldMerged folds the state of templates the miner merged into another
// (a word that turned out to be a variable) into the surviving template:
// their unflushed counts, times and examples move over, and a merged
// template that was still fresh raises no new-template event of its own.
// Counts already stored stay under the old id. Called with s.mu held.
func (s *logStream) foldMerged() {
	for id, st := range s.templates {
		to := s.miner.Canonical(id)
		if to == id {
			continue
		}
		dst := s.templates[to]
		if dst == nil {
			dst = &templateState{first: st.first, last: st.last}
			s.templates[to] = dst
		}
		dst.first = minTime(dst.first, st.first)
		if st.last.After(dst.last) {
			dst.last = st.last
		}
		for _, ex := range st.examples {
			if len(dst.examples) < s.cfg.Examples {
				dst.examples = append(dst.examples, ex)
			}
		}
		dst.delta += st.delta
		dst.dirty = true
		delete(s.templates, id)
		for k, n := range s.counts {
			if k.id == id {
				s.counts[countKey{to, k.ts}] += n
				delete(s.counts, k)
			}
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// example writes a template with its parameters put back: the record as
// it was, except for what the miner masked as personal data.
func example(m logpattern.Match) string {
	parts := strings.Split(m.Template, "<*>")
	if len(parts) != len(m.Params)+1 {
		return truncate(m.Template, maxExampleBytes)
	}
	var b strings.Builder
	for i, p := range parts {
		b.WriteString(p)
		if i < len(m.Params) {
			b.WriteString(m.Params[i])
		}
	}
	return truncate(b.String(), maxExampleBytes)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n] + "…"
}

// flush stores what the stream counted since the last flush, and then
// commits the input's checkpoint. It returns the templates first seen
// since the last flush. On a store error the counts stay in memory for
// the next flush.
func (s *logStream) flush(ctx context.Context, now time.Time) ([]freshTemplate, error) {
	s.mu.Lock()
	f := store.LogFlush{Stream: s.cfg.Name, SavedAt: now}
	counts, steps := s.counts, s.steps
	s.counts, s.steps = map[countKey]int64{}, map[int64]*store.LogStep{}

	// Every step from the last flush to the current one was watched: a
	// step without records is a quiet one (0), not a gap. After a long
	// outage only the last history is marked.
	cur := now.UTC().Truncate(s.step)
	from := s.watchedFrom
	if from.IsZero() {
		from = cur
	}
	if lim := cur.Add(-s.cfg.Rate.History.Std()); from.Before(lim) {
		from = lim
	}
	for ts := from; !ts.After(cur); ts = ts.Add(s.step) {
		if steps[ts.UnixMilli()] == nil {
			steps[ts.UnixMilli()] = &store.LogStep{Time: ts}
		}
	}
	prevWatched := s.watchedFrom
	s.watchedFrom = cur

	var dirty []uint64
	for id, t := range s.templates {
		if !t.dirty {
			continue
		}
		dirty = append(dirty, id)
		f.Templates = append(f.Templates, store.LogTemplate{
			ID: id, Template: t.text, Examples: slices.Clone(t.examples), FirstSeen: t.first, LastSeen: t.last, Count: t.delta,
		})
		t.delta, t.dirty = 0, false
	}
	for k, n := range counts {
		f.Counts = append(f.Counts, store.LogCount{ID: k.id, Time: time.UnixMilli(k.ts).UTC(), Count: n})
	}
	for _, st := range steps {
		f.Steps = append(f.Steps, *st)
	}
	fresh := s.fresh
	s.fresh = nil
	ckpt := s.ckpt
	var out []freshTemplate
	for _, id := range fresh {
		if t := s.templates[id]; t != nil {
			out = append(out, freshTemplate{id: id, text: t.text, examples: slices.Clone(t.examples), first: t.first})
		}
	}
	for _, t := range f.Templates {
		for i := range out {
			if out[i].id == t.ID {
				out[i].count = t.Count
			}
		}
	}
	var err error
	if lines := s.miner.Stats().Lines; lines != s.lines {
		if f.Snapshot, err = s.miner.Snapshot(); err != nil {
			s.log.Warn("miner snapshot", "err", err) // the counts are still worth storing
			f.Snapshot = nil
		} else {
			s.lines = lines
		}
	}
	s.mu.Unlock()

	if err := s.store.SaveLogFlush(ctx, f); err != nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		for k, n := range counts {
			s.counts[k] += n
		}
		for ms, st := range steps {
			if cur := s.steps[ms]; cur != nil {
				cur.Records += st.Records
				cur.Errors += st.Errors
			} else {
				s.steps[ms] = st
			}
		}
		for i, id := range dirty {
			t := s.templates[id]
			t.delta += f.Templates[i].Count
			t.dirty = true
		}
		s.fresh = append(fresh, s.fresh...)
		s.watchedFrom = prevWatched
		s.lines = 0 // snapshot again next time
		return nil, err
	}
	if !ckpt.IsZero() {
		if err := s.input.Commit(ctx, ckpt); err != nil {
			// The counts are stored: the records would be counted again
			// after a restart, which is the lesser harm.
			s.log.Warn("commit input checkpoint", "err", err)
		}
	}
	return out, nil
}

// freshTemplate is a template first seen since the last flush.
type freshTemplate struct {
	id       uint64
	text     string
	examples []string
	first    time.Time
	count    int64 // all its occurrences so far: all were in this flush
}

// logRun is what one evaluation of a stream did.
type logRun struct {
	Fresh, Rate, ErrorRatio *Result
	NewTemplates            int
	Stored                  int
	Duration                time.Duration
}

func (r *logRun) summary(name string) string {
	parts := []string{fmt.Sprintf("stream %s: %d new templates", name, r.NewTemplates)}
	if r.Rate != nil {
		parts = append(parts, fmt.Sprintf("%d templates judged over %d points, %d rate events", r.Rate.Series, r.Rate.Evaluated, len(r.Rate.Events)))
	}
	if r.ErrorRatio != nil {
		parts = append(parts, fmt.Sprintf("%d error-ratio events", len(r.ErrorRatio.Events)))
	}
	return strings.Join(parts, ", ") + fmt.Sprintf(", %d events stored, %s", r.Stored, r.Duration.Round(time.Millisecond))
}

// evaluate is one scheduled run of a stream.
func (e *Engine) evaluate(ctx context.Context, s *logStream, now time.Time) (*logRun, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout.Std())
	defer cancel()
	start := time.Now()
	run := &logRun{}
	fresh, err := s.flush(ctx, now)
	if err != nil {
		return nil, fmt.Errorf("flush: %w", err)
	}
	run.NewTemplates = len(fresh)
	if s.alertOn[config.AlertNewTemplate] && len(fresh) > 0 {
		evs := s.newTemplateEvents(fresh)
		n, err := e.storeEvents(ctx, s.cfg.Name, evs, now)
		if err != nil {
			return nil, err
		}
		run.Stored += n
		window := max(10*time.Minute, 3*s.step)
		var recent []alert.Event
		for _, ev := range evs {
			if ev.ID != 0 && !ev.Time.Before(now.Add(-window)) {
				recent = append(recent, ev)
			}
		}
		if len(recent) > 0 {
			e.alerts.Fire(recent...)
		}
	}
	for _, j := range []struct {
		m    *monitor
		kind alert.Kind
		dst  **Result
	}{{s.rate, alert.KindTemplateRate, &run.Rate}, {s.errRatio, alert.KindErrorRatio, &run.ErrorRatio}} {
		if j.m == nil {
			continue
		}
		cursorKey := s.cfg.Name + "/" + j.m.cfg.Query.Expr
		cursor, err := e.store.Cursor(ctx, cursorKey)
		if err != nil {
			return nil, fmt.Errorf("read cursor: %w", err)
		}
		res, err := j.m.run(ctx, now, cursor)
		if err != nil {
			return nil, fmt.Errorf("judge %s: %w", j.m.cfg.Query.Expr, err)
		}
		*j.dst = res
		if res.Skipped != "" {
			continue
		}
		for i := range res.Events {
			s.decorate(&res.Events[i], j.kind)
		}
		n, err := e.storeEvents(ctx, s.cfg.Name, res.Events, now)
		if err != nil {
			return nil, err
		}
		run.Stored += n
		res.Stored = n
		e.notify(j.m, res)
		if err := e.store.SetCursor(ctx, cursorKey, res.To); err != nil {
			return nil, fmt.Errorf("save cursor: %w", err)
		}
	}
	run.Duration = time.Since(start)
	return run, nil
}

// storeEvents stores evs and counts them in the metrics.
func (e *Engine) storeEvents(ctx context.Context, job string, evs []alert.Event, now time.Time) (int, error) {
	if len(evs) == 0 {
		return 0, nil
	}
	for i := range evs {
		evs[i].CreatedAt = now
	}
	n, err := e.store.AppendEvents(ctx, evs)
	if err != nil {
		return 0, fmt.Errorf("store events: %w", err)
	}
	for _, ev := range evs {
		if ev.ID != 0 {
			e.metrics.events.WithLabelValues(job, string(ev.Kind)).Inc()
			e.log.Info("event", "kind", ev.Kind, "job", ev.Job, "labels", ev.Labels.String(),
				"time", ev.Time.In(e.location).Format(time.DateTime), "summary", ev.Annotations["summary"])
		}
	}
	return n, nil
}

// streamLabels is the label set of a stream's events about template id
// (0: about the stream as a whole).
func (s *logStream) streamLabels(event string, id uint64) labels.Labels {
	b := labels.NewBuilder(labels.EmptyLabels())
	for k, v := range s.cfg.Labels {
		b.Set(k, v)
	}
	b.Set(labelEvent, event)
	b.Set("alertname", s.cfg.Name)
	if id != 0 {
		b.Set(labelTemplateID, strconv.FormatUint(id, 10))
	}
	return b.Labels()
}

func (s *logStream) newTemplateEvents(fresh []freshTemplate) []alert.Event {
	evs := make([]alert.Event, 0, len(fresh))
	for _, t := range fresh {
		ann := map[string]string{}
		for k, v := range s.cfg.Annotations {
			ann[k] = v
		}
		ann["template"] = t.text
		ann["examples"] = strings.Join(t.examples, "\n")
		ann["count"] = strconv.FormatInt(t.count, 10)
		if _, ok := ann["summary"]; !ok {
			ann["summary"] = fmt.Sprintf("new log template in %s, seen %d times: %s", s.cfg.Name, t.count, t.text)
		}
		evs = append(evs, alert.Event{
			Kind: alert.KindNewTemplate, Job: s.cfg.Name, Labels: s.streamLabels(config.AlertNewTemplate, t.id),
			Annotations: ann, Time: t.first.Truncate(time.Millisecond), Value: float64(t.count), Detector: "new_template",
		})
	}
	return evs
}

// decorate turns a monitor event about a template's count series (or the
// error ratio) into a log stream event: its kind, the template and its
// examples, and a summary in words.
func (s *logStream) decorate(ev *alert.Event, kind alert.Kind) {
	ev.Kind = kind
	dir := "more"
	if ev.Value < ev.Expected {
		dir = "fewer"
	}
	if ev.Annotations == nil {
		ev.Annotations = map[string]string{}
	}
	_, custom := s.cfg.Annotations["summary"]
	if kind == alert.KindErrorRatio {
		if !custom {
			ev.Annotations["summary"] = fmt.Sprintf("%s: %.1f%% of the records per %s are errors, expected %.1f%% (band %.1f%%..%.1f%%)",
				s.cfg.Name, 100*ev.Value, s.step, 100*ev.Expected, 100*ev.Lower, 100*ev.Upper)
		}
		return
	}
	id, _ := strconv.ParseUint(ev.Labels.Get(labelTemplateID), 10, 64)
	s.mu.Lock()
	t := s.templates[id]
	var text, examples string
	if t != nil {
		text, examples = t.text, strings.Join(t.examples, "\n")
	}
	s.mu.Unlock()
	ev.Annotations["template"] = text
	ev.Annotations["examples"] = examples
	ev.Annotations["count"] = strconv.FormatFloat(ev.Value, 'f', -1, 64)
	if !custom {
		ev.Annotations["summary"] = fmt.Sprintf("%s: %s occurrences than usual of a log template: %.0f per %s, expected %.4g (band %.4g..%.4g): %s",
			s.cfg.Name, dir, ev.Value, s.step, ev.Expected, ev.Lower, ev.Upper, text)
	}
}

// logSeries serves a stream's stored counts to its monitors as series:
// one per template (labelled template_id) or the error ratio. Steps the
// stream watched without a record of a template count 0; steps nobody
// watched are gaps.
type logSeries struct{ s *logStream }

func (l logSeries) Query(ctx context.Context, q source.Query) ([]series.Series, error) {
	s := l.s
	steps, err := s.store.LogSteps(ctx, s.cfg.Name, q.Start, q.End)
	if err != nil {
		return nil, err
	}
	if q.Expr == exprErrorRatio {
		pts := make([]series.Point, 0, len(steps))
		for _, st := range steps {
			if st.Records > 0 {
				pts = append(pts, series.Point{T: st.Time, V: float64(st.Errors) / float64(st.Records)})
			}
		}
		return []series.Series{{Labels: labels.FromStrings("__name__", "log_error_ratio"), Points: pts}}, nil
	}
	tmpls, err := s.store.LogTemplates(ctx, s.cfg.Name, q.Start, q.End)
	if err != nil {
		return nil, err
	}
	newSince := s.now().Add(-s.cfg.Absorption.Std())
	tmpls = slices.DeleteFunc(tmpls, func(t store.LogTemplate) bool {
		// Templates still new have no baseline to speak of; a handful of
		// occurrences has no rate.
		return t.ID == 0 || t.FirstSeen.After(newSince) || t.RangeCount < int64(s.cfg.Rate.MinCount)
	})
	slices.SortFunc(tmpls, func(a, b store.LogTemplate) int {
		return cmp.Or(cmp.Compare(b.RangeCount, a.RangeCount), cmp.Compare(a.ID, b.ID))
	})
	if len(tmpls) > s.cfg.Rate.MaxTemplates {
		tmpls = tmpls[:s.cfg.Rate.MaxTemplates]
	}
	if len(tmpls) == 0 {
		return nil, nil
	}
	idx := make(map[uint64]int, len(tmpls))
	out := make([]series.Series, len(tmpls))
	for i, t := range tmpls {
		idx[t.ID] = i
		out[i] = series.Series{Labels: labels.FromStrings(labelTemplateID, strconv.FormatUint(t.ID, 10)), Points: make([]series.Point, 0, len(steps))}
	}
	counts, err := s.store.LogCounts(ctx, s.cfg.Name, q.Start, q.End)
	if err != nil {
		return nil, err
	}
	byStep := make(map[int64]map[uint64]int64, len(steps))
	for _, c := range counts {
		if _, ok := idx[c.ID]; !ok {
			continue
		}
		ms := c.Time.UnixMilli()
		if byStep[ms] == nil {
			byStep[ms] = map[uint64]int64{}
		}
		byStep[ms][c.ID] += c.Count
	}
	for _, st := range steps {
		at := byStep[st.Time.UnixMilli()]
		for i, t := range tmpls {
			out[i].Points = append(out[i].Points, series.Point{T: st.Time, V: float64(at[t.ID])})
		}
	}
	return out, nil
}

func (logSeries) Close() error { return nil }

// streamOffsets keeps a stream's file offsets in the store.
type streamOffsets struct {
	st     store.Store
	stream string
}

func (o streamOffsets) LoadOffsets(ctx context.Context) ([]source.FileOffset, error) {
	offs, err := o.st.LogOffsets(ctx, o.stream)
	if err != nil {
		return nil, err
	}
	out := make([]source.FileOffset, len(offs))
	for i, x := range offs {
		out[i] = source.FileOffset{Path: x.Path, Device: x.Device, Inode: x.Inode, Offset: x.Offset}
	}
	return out, nil
}

func (o streamOffsets) SaveOffsets(ctx context.Context, offs []source.FileOffset) error {
	out := make([]store.LogOffset, len(offs))
	for i, x := range offs {
		out[i] = store.LogOffset{Path: x.Path, Device: x.Device, Inode: x.Inode, Offset: x.Offset}
	}
	return o.st.SaveLogOffsets(ctx, o.stream, out)
}

// ingest runs the stream's input until ctx is done. An input that fails
// is restarted after a pause that doubles up to a minute; one that ends
// (stdin at EOF) stays ended.
func (e *Engine) ingest(ctx context.Context, s *logStream) {
	pause := time.Second
	for {
		err := e.runInput(ctx, s)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			s.log.Info("log input ended")
			return
		}
		s.log.Error("log input failed; restarting", "err", err, "in", pause)
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		pause = min(2*pause, time.Minute)
	}
}

// runInput runs the input once, turning a panic into an error.
func (e *Engine) runInput(ctx context.Context, s *logStream) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
			s.log.Error("log input panicked", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	return s.input.Run(ctx, s.sink)
}

// scheduledStream evaluates a stream the way the scheduler does: never
// twice at once, under a timeout, surviving panics.
func (e *Engine) scheduledStream(ctx context.Context, s *logStream) {
	name := s.cfg.Name
	st := e.jobStatus(name)
	if !st.running.CompareAndSwap(false, true) {
		e.metrics.runs.WithLabelValues(name, "log_stream", "skipped_running").Inc()
		return
	}
	defer st.running.Store(false)
	defer func() {
		if r := recover(); r != nil {
			e.metrics.runs.WithLabelValues(name, "log_stream", "failure").Inc()
			e.recordStatus(name, "", fmt.Errorf("panic: %v", r))
			e.log.Error("job panicked", "job", name, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	e.metrics.running.WithLabelValues(name).Set(1)
	defer e.metrics.running.WithLabelValues(name).Set(0)
	run, err := e.evaluate(ctx, s, e.now())
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		e.metrics.runs.WithLabelValues(name, "log_stream", "failure").Inc()
		e.recordStatus(name, "", err)
		e.log.Error("job failed", "job", name, "err", err)
		return
	}
	e.metrics.runs.WithLabelValues(name, "log_stream", "success").Inc()
	e.metrics.duration.WithLabelValues(name, "log_stream").Observe(run.Duration.Seconds())
	e.metrics.lastSuccess.WithLabelValues(name).Set(float64(e.now().Unix()))
	e.recordStatus(name, run.summary(name), nil)
}

// finalFlush stores what the streams counted since their last run, at
// shutdown, after their inputs have stopped.
func (e *Engine) finalFlush() {
	for _, s := range e.streams {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if _, err := s.flush(ctx, e.now()); err != nil {
			e.log.Error("final flush of log stream", "stream", s.cfg.Name, "err", err)
		}
		cancel()
	}
}

// LogTemplate is a template of a log stream as the API shows it.
type LogTemplate struct {
	store.LogTemplate
	New bool `json:"new"` // still within its absorption period
}

// LogTemplates lists the templates of a stream with their counts over
// [from, to] (zero bounds are open), the most frequent in the range first.
func (e *Engine) LogTemplates(ctx context.Context, stream string, from, to time.Time) ([]LogTemplate, error) {
	var s *logStream
	for _, x := range e.streams {
		if x.cfg.Name == stream {
			s = x
		}
	}
	if s == nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownStream, stream)
	}
	ts, err := e.store.LogTemplates(ctx, stream, from, to)
	if err != nil {
		return nil, err
	}
	newSince := e.now().Add(-s.cfg.Absorption.Std())
	out := make([]LogTemplate, len(ts))
	for i, t := range ts {
		out[i] = LogTemplate{LogTemplate: t, New: t.FirstSeen.After(newSince)}
	}
	slices.SortStableFunc(out, func(a, b LogTemplate) int { return cmp.Compare(b.RangeCount, a.RangeCount) })
	return out, nil
}
