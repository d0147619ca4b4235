package alert

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/model/labels"
)

// Annotations the Manager adds to an alert from its latest event's
// numbers, formatted for people. An event's own annotations of the same
// name take precedence.
const (
	AnnotationValue    = "value"    // the observed value
	AnnotationExpected = "expected" // the baseline's expected value
	AnnotationBand     = "band"     // the normal band, "[lower, upper]"
	AnnotationScore    = "score"    // the anomaly score, two decimals
)

// shutdownFlushTimeout bounds the last flush Run makes when its context
// ends, so that stopping is never held up by an unreachable receiver.
const shutdownFlushTimeout = 10 * time.Second

// Options are the Manager's dependencies. All are optional.
type Options struct {
	Logger      *slog.Logger          // nil: slog.Default()
	Registerer  prometheus.Registerer // nil: metrics are not registered
	ExternalURL string                // Seismo's own URL, for links in notifications
	Client      *http.Client          // for webhooks; nil: a default client
	Now         func() time.Time      // the clock of alert timestamps; nil: time.Now
	// NotificationLog remembers what was sent; nil: in memory.
	NotificationLog NotificationLog
}

// Manager turns events into alerts, groups them like Alertmanager's
// dispatcher and notifies the receivers.
//
// Only the root route exists for now: every alert goes to its receiver,
// grouped by its group_by. Routing, inhibition and silences will sit
// between Fire and the groups, as they do in Alertmanager.
type Manager struct {
	cfg         Config
	logger      *slog.Logger
	now         func() time.Time
	externalURL string
	receivers   map[string][]integration
	nlog        NotificationLog
	metrics     *metrics

	mu      sync.Mutex
	alerts  map[Fingerprint]*alertState
	groups  map[string]*aggrGroup
	runCtx  context.Context // set by Run; groups start only while it runs
	stopped bool            // Run has ended: no more group goroutines
	wg      sync.WaitGroup  // the group goroutines
}

// alertState is an alert with what the Manager needs to maintain it.
type alertState struct {
	*Alert
	lastEvent time.Time // time of the event the annotations come from
}

// NewManager returns a Manager for cfg (defaults are applied to a copy).
func NewManager(cfg Config, opts Options) (*Manager, error) {
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("alerting config: %w", err)
	}
	m := &Manager{
		cfg:         cfg,
		logger:      opts.Logger,
		now:         opts.Now,
		externalURL: opts.ExternalURL,
		receivers:   make(map[string][]integration, len(cfg.Receivers)),
		nlog:        opts.NotificationLog,
		alerts:      make(map[Fingerprint]*alertState),
		groups:      make(map[string]*aggrGroup),
	}
	if m.logger == nil {
		m.logger = slog.Default()
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.nlog == nil {
		m.nlog = NewMemoryLog()
	}
	for _, rc := range cfg.Receivers {
		ints, err := buildIntegrations(rc, opts, m.logger)
		if err != nil {
			return nil, err
		}
		m.receivers[rc.Name] = ints
	}
	var err error
	if m.metrics, err = newMetrics(opts.Registerer, m.countAlerts); err != nil {
		return nil, err
	}
	m.logger = m.logger.With("component", "alert")
	return m, nil
}

// Run dispatches notifications until ctx is done, then gives every group
// a last flush (bounded by a short timeout) so that alerts fired just
// before shutdown are not lost, and returns.
func (m *Manager) Run(ctx context.Context) error {
	m.mu.Lock()
	if m.runCtx != nil {
		m.mu.Unlock()
		return errors.New("alert manager: Run called more than once")
	}
	m.runCtx = ctx
	for _, g := range m.groups {
		m.startGroup(g)
	}
	m.mu.Unlock()

	<-ctx.Done()
	m.mu.Lock()
	m.stopped = true
	m.mu.Unlock()
	m.wg.Wait()
	return nil
}

// Fire creates or refreshes the alert of each event's label set.
func (m *Manager) Fire(events ...Event) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, ev := range events {
		fp := ev.Fingerprint()
		t := ev.Time
		if t.IsZero() {
			t = now
		}
		st := m.alerts[fp]
		if st != nil {
			m.expire(st)
		}
		switch {
		case st == nil:
			st = &alertState{Alert: &Alert{Labels: ev.Labels, Fingerprint: fp, StartsAt: t}}
			m.alerts[fp] = st
		case st.Resolved(): // a new firing episode
			st.StartsAt, st.EndsAt, st.lastEvent = t, time.Time{}, time.Time{}
		case t.Before(st.StartsAt):
			st.StartsAt = t
		}
		if st.Annotations == nil || !t.Before(st.lastEvent) {
			st.Annotations = eventAnnotations(ev)
			st.lastEvent = t
		}
		st.UpdatedAt = now
		st.GeneratorURL = m.externalURL
		m.insert(st.Alert)
	}
}

// Resolve resolves the firing alerts with these label sets, if any.
func (m *Manager) Resolve(lss ...labels.Labels) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, ls := range lss {
		st := m.alerts[FingerprintOf(ls)]
		if st == nil || !labels.Equal(st.Labels, ls) {
			continue
		}
		m.expire(st)
		if !st.Resolved() {
			st.EndsAt, st.UpdatedAt = now, now
		}
	}
}

// Alerts returns copies of the current alerts, sorted by label set.
// Resolved alerts are listed until they have been notified.
func (m *Manager) Alerts() []*Alert {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*Alert, 0, len(m.alerts))
	for _, st := range m.alerts {
		m.expire(st)
		out = append(out, st.clone())
	}
	sortAlerts(out)
	return out
}

// countAlerts counts the alerts in a state, for the seismo_alerts gauge.
func (m *Manager) countAlerts(status string) float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, st := range m.alerts {
		m.expire(st)
		if st.Status() == status {
			n++
		}
	}
	return float64(n)
}

// expire resolves a firing alert that has not been refreshed for
// resolve_timeout, as of the moment it timed out. m.mu must be held.
func (m *Manager) expire(st *alertState) {
	timeout := m.cfg.ResolveTimeout.Std()
	if st.Resolved() || timeout <= 0 {
		return
	}
	if end := st.UpdatedAt.Add(timeout); !m.now().Before(end) {
		st.EndsAt, st.UpdatedAt = end, end
	}
}

func sortAlerts(as []*Alert) {
	slices.SortFunc(as, func(a, b *Alert) int { return labels.Compare(a.Labels, b.Labels) })
}

// eventAnnotations returns the annotations of an alert whose latest event
// is ev: the event's own, plus its numbers formatted for people.
func eventAnnotations(ev Event) map[string]string {
	a := make(map[string]string, len(ev.Annotations)+4)
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	if finite(ev.Value) {
		a[AnnotationValue] = humanFloat(ev.Value)
	}
	if finite(ev.Expected) && (ev.Expected != 0 || ev.Lower != ev.Upper) {
		a[AnnotationExpected] = humanFloat(ev.Expected)
	}
	if finite(ev.Lower) && finite(ev.Upper) && ev.Lower < ev.Upper {
		a[AnnotationBand] = "[" + humanFloat(ev.Lower) + ", " + humanFloat(ev.Upper) + "]"
	}
	if finite(ev.Score) && ev.Score > 0 {
		a[AnnotationScore] = strconv.FormatFloat(ev.Score, 'f', 2, 64)
	}
	maps.Copy(a, ev.Annotations)
	return a
}

// humanFloat formats v with at most four decimals, switching to
// exponent notation only for very large or very small magnitudes.
func humanFloat(v float64) string {
	if abs := math.Abs(v); abs != 0 && (abs >= 1e15 || abs < 1e-4) {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	return strconv.FormatFloat(math.Round(v*1e4)/1e4, 'f', -1, 64)
}
