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

// stateTimeout bounds one write to the StateStore made from a method that
// has no context of its own (Fire, Resolve, the notification log).
const stateTimeout = 10 * time.Second

// Options are the Manager's dependencies. All are optional.
type Options struct {
	Logger      *slog.Logger          // nil: slog.Default()
	Registerer  prometheus.Registerer // nil: metrics are not registered
	ExternalURL string                // Seismo's own URL, for links in notifications
	Client      *http.Client          // for webhooks; nil: a default client
	// Now is the clock of alert timestamps, silences, time intervals and
	// escalation deadlines; nil: time.Now. Timers run on the real clock.
	Now func() time.Time
	// NotificationLog remembers what was sent; nil: in memory, loaded from
	// and written through to State.
	NotificationLog NotificationLog
	// State keeps alerts, groups, silences and the notification log and
	// history across restarts; nil: NewMemoryState(), nothing survives.
	State StateStore
	// Charts draws an alert's series for receivers that show pictures;
	// nil: no charts.
	Charts ChartFunc
	// Calendars are time intervals defined outside the alerting section
	// (the engine's trading calendars), usable by name in routes'
	// mute_time_intervals and active_time_intervals.
	Calendars map[string]TimeInterval
}

// Manager turns events into alerts and notifies receivers the way
// Alertmanager's dispatcher does: Fire routes each alert through the
// routing tree into the aggregation groups of the routes it matches;
// each group, on its own timers (group_wait, group_interval), leaves out
// the alerts that are inhibited or silenced, waits while its route is
// muted by a time interval, deduplicates against the notification log
// and notifies the route's receiver — and, for an alert left
// unacknowledged past the route's escalate_after, the escalation
// receiver too.
//
// Everything that must survive a restart is written through to
// Options.State as it changes, and read back by NewManager.
type Manager struct {
	cfg         Config
	rt          *routing
	logger      *slog.Logger
	now         func() time.Time
	externalURL string
	receivers   map[string][]integration
	nlog        NotificationLog
	state       StateStore
	charts      ChartFunc // for receivers that draw; nil: none
	metrics     *metrics
	rmetrics    *routerMetrics

	mu           sync.Mutex
	alerts       map[Fingerprint]*alertState
	groups       map[string]*aggrGroup    // by key
	groupsByHash map[groupID][]*aggrGroup // by route and hash of the group labels
	savedGroups  map[string]GroupState    // groups loaded from State, until their alerts come back
	silences     map[string]*Silence
	liveSilences []*Silence      // pending and active, sorted by ID
	silenceIndex *matcherIndex   // over liveSilences; nil when they are few
	runCtx       context.Context // set by Run; groups start only while it runs
	stopped      bool            // Run has ended: no more group goroutines
	wg           sync.WaitGroup  // the group goroutines
}

// alertState is an alert with what the Manager needs to maintain it.
type alertState struct {
	Alert
	lastEvent time.Time // time of the event the annotations come from
	// routes are the routes the alert's labels match (they never change),
	// each with the alert's aggregation group there: nil while it is in
	// none (resolved and notified there, but still held by another route).
	routes []routeGroup
}

// routeGroup is a route an alert matches and its group there.
type routeGroup struct {
	r *route
	g *aggrGroup
}

// NewManager returns a Manager for cfg (defaults are applied to a copy)
// and loads the state of a previous run from Options.State: alerts,
// aggregation groups (keeping their creation times, so that group_wait is
// not restarted), silences and the notification log.
func NewManager(cfg Config, opts Options) (*Manager, error) {
	cfg.ApplyDefaults()
	for name := range opts.Calendars {
		if !slices.Contains(cfg.Calendars, name) {
			cfg.Calendars = append(cfg.Calendars, name)
		}
	}
	calendars := make(map[string]TimeInterval, len(cfg.Calendars))
	for _, name := range cfg.Calendars {
		calendars[name] = opts.Calendars[name]
	}
	rt, errs := compileConfig(&cfg, calendars)
	if err := errs.Err(); err != nil {
		return nil, fmt.Errorf("alerting config: %w", err)
	}
	for _, r := range rt.routes {
		for i, ti := range r.mute {
			if ti == nil {
				return nil, fmt.Errorf("alerting config: %s.mute_time_intervals: calendar %q is not provided (Options.Calendars)", r.path, r.muteNames[i])
			}
		}
		for i, ti := range r.active {
			if ti == nil {
				return nil, fmt.Errorf("alerting config: %s.active_time_intervals: calendar %q is not provided (Options.Calendars)", r.path, r.activeNames[i])
			}
		}
	}
	m := &Manager{
		cfg:          cfg,
		rt:           rt,
		logger:       opts.Logger,
		now:          opts.Now,
		externalURL:  opts.ExternalURL,
		receivers:    make(map[string][]integration, len(cfg.Receivers)),
		nlog:         opts.NotificationLog,
		state:        opts.State,
		charts:       opts.Charts,
		alerts:       make(map[Fingerprint]*alertState),
		groups:       make(map[string]*aggrGroup),
		groupsByHash: make(map[groupID][]*aggrGroup),
		savedGroups:  make(map[string]GroupState),
		silences:     make(map[string]*Silence),
	}
	if m.logger == nil {
		m.logger = slog.Default()
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.state == nil {
		m.state = NewMemoryState()
	}
	if m.nlog == nil {
		m.nlog = NewMemoryLog()
	}
	m.nlog = &stateLog{NotificationLog: m.nlog, m: m}
	for _, k := range cfg.IgnoredSettings() {
		m.logger.Warn("alerting: Alertmanager setting ignored (Seismo has no use for it)", "field", "alerting."+k)
	}
	for _, w := range rt.templateWarnings {
		m.logger.Warn("alerting: template pattern matches no file", "field", "alerting."+w)
	}
	for _, rc := range cfg.Receivers {
		ints, err := buildIntegrations(rc, &m.cfg.Global, rt.templates, opts, m.logger)
		if err != nil {
			return nil, err
		}
		m.receivers[rc.Name] = ints
	}
	var err error
	if m.metrics, err = newMetrics(opts.Registerer, m.countAlerts); err != nil {
		return nil, err
	}
	if m.rmetrics, err = newRouterMetrics(opts.Registerer, m); err != nil {
		return nil, err
	}
	m.logger = m.logger.With("component", "alert")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := m.load(ctx); err != nil {
		return nil, fmt.Errorf("load alert state: %w", err)
	}
	return m, nil
}

// load reads the previous run's state.
func (m *Manager) load(ctx context.Context) error {
	silences, err := m.state.LoadSilences(ctx)
	if err != nil {
		return fmt.Errorf("silences: %w", err)
	}
	groups, err := m.state.LoadGroups(ctx)
	if err != nil {
		return fmt.Errorf("groups: %w", err)
	}
	alerts, err := m.state.LoadAlerts(ctx)
	if err != nil {
		return fmt.Errorf("alerts: %w", err)
	}
	entries, err := m.state.LoadNotificationLog(ctx)
	if err != nil {
		return fmt.Errorf("notification log: %w", err)
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range silences {
		ms, err := rebuildMatchers(s.Matchers)
		if err != nil {
			m.logger.Error("stored silence has an invalid matcher; ignored", "id", s.ID, "err", err)
			continue
		}
		s.Matchers = ms
		m.silences[s.ID] = &s
	}
	m.silencesChanged()
	for _, g := range groups {
		m.savedGroups[g.Key] = g
	}
	for _, a := range alerts {
		a = a.clone()
		a.Fingerprint = FingerprintOf(a.Labels)
		st := &alertState{Alert: *a, lastEvent: a.UpdatedAt}
		m.alerts[a.Fingerprint] = st
		m.fileSource(st)
		m.route(st)
	}
	// Groups whose alerts did not come back (they were all notified, or
	// the routes changed) are forgotten.
	for key := range m.savedGroups {
		if err := m.state.DeleteGroup(ctx, key); err != nil {
			return fmt.Errorf("delete stale group: %w", err)
		}
	}
	clear(m.savedGroups)
	for _, e := range entries {
		if m.groups[e.GroupKey] == nil {
			continue
		}
		// The base log only: the entry is already stored.
		if err := m.nlog.(*stateLog).NotificationLog.Log(e); err != nil {
			return fmt.Errorf("notification log: %w", err)
		}
	}
	if len(alerts)+len(silences) > 0 {
		m.logger.Info("alert state loaded", "alerts", len(alerts), "groups", len(m.groups), "silences", len(silences), "log_entries", len(entries))
	}
	return nil
}

func rebuildMatchers(ms []*labels.Matcher) ([]*labels.Matcher, error) {
	out := make([]*labels.Matcher, 0, len(ms))
	for _, m := range ms {
		if m == nil {
			return nil, errors.New("nil matcher")
		}
		nm, err := labels.NewMatcher(m.Type, m.Name, m.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, nm)
	}
	return out, nil
}

// Run dispatches notifications until ctx is done, then gives every group
// a last flush (bounded by a short timeout) so that alerts fired just
// before shutdown are not lost, and returns. It also sweeps, when it
// starts and every 15 minutes: silences expired for longer than
// silence_retention and notification history records older than
// notification_retention are deleted.
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

	m.sweep(ctx)
	gc := time.NewTicker(silenceGCInterval)
	defer gc.Stop()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-gc.C:
			m.sweep(ctx)
		}
	}
	m.mu.Lock()
	m.stopped = true
	m.mu.Unlock()
	m.wg.Wait()
	return nil
}

// sweep applies the retentions: expired silences, then the notification
// history.
func (m *Manager) sweep(ctx context.Context) {
	m.gcSilences(ctx)
	m.pruneNotifications(ctx)
}

// pruneTimeout bounds one prune of the notification history. The first
// one after an upgrade may delete months of records; later ones, a
// sweep interval's worth.
const pruneTimeout = time.Minute

// pruneNotifications deletes the notification history records older than
// notification_retention. It does not hold m.mu: the store serialises
// the delete with the Manager's writes, and the router goes on meanwhile.
// A failure is logged and counted; the next sweep deletes what this one
// left.
func (m *Manager) pruneNotifications(ctx context.Context) {
	before := m.now().Add(-m.rt.notifRetention)
	ctx, cancel := context.WithTimeout(ctx, pruneTimeout)
	defer cancel()
	n, err := m.state.PruneNotifications(ctx, before)
	if n > 0 {
		m.rmetrics.pruned.Add(float64(n))
		m.logger.Info("notification history pruned", "records", n, "before", before.Format(time.RFC3339))
	}
	if err != nil {
		if errors.Is(ctx.Err(), context.Canceled) {
			// Run is stopping: not a store fault.
			m.logger.Debug("notification history prune interrupted by shutdown", "err", err)
			return
		}
		// What was deleted stays deleted; the next sweep goes on.
		m.stateError("prune notifications", err)
	}
}

// Fire creates or refreshes the alert of each event's label set.
func (m *Manager) Fire(events ...Event) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	changed := make([]*Alert, 0, len(events))
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
			st = &alertState{Alert: Alert{Labels: ev.Labels, Fingerprint: fp, StartsAt: t}}
			m.alerts[fp] = st
			m.fileSource(st)
		case st.Resolved(): // a new firing episode
			st.StartsAt, st.EndsAt, st.lastEvent = t, time.Time{}, time.Time{}
			st.AckedBy, st.AckedAt, st.AckComment = "", time.Time{}, ""
		case t.Before(st.StartsAt):
			st.StartsAt = t
		}
		if st.Annotations == nil || !t.Before(st.lastEvent) {
			st.Annotations = eventAnnotations(ev)
			st.lastEvent = t
		}
		st.UpdatedAt = now
		st.GeneratorURL = m.externalURL
		m.route(st)
		changed = append(changed, &st.Alert)
	}
	m.saveAlerts(changed)
}

// Resolve resolves the firing alerts with these label sets, if any.
func (m *Manager) Resolve(lss ...labels.Labels) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	var changed []*Alert
	for _, ls := range lss {
		st := m.alerts[FingerprintOf(ls)]
		if st == nil || !labels.Equal(st.Labels, ls) {
			continue
		}
		m.expire(st)
		if !st.Resolved() {
			st.EndsAt, st.UpdatedAt = now, now
			changed = append(changed, &st.Alert)
		}
	}
	m.saveAlerts(changed)
}

// Acknowledge records that someone is handling the alert with fingerprint
// fp: an acknowledged alert is not escalated. A new firing episode of the
// alert clears the acknowledgement. The error wraps ErrAlertNotFound when
// there is no such alert.
func (m *Manager) Acknowledge(ctx context.Context, fp Fingerprint, by, comment string) error {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.alerts[fp]
	if st == nil {
		return fmt.Errorf("%w: %s", ErrAlertNotFound, fp)
	}
	st.AckedBy, st.AckedAt, st.AckComment = by, now, comment
	if err := m.state.SaveAlerts(ctx, []*Alert{&st.Alert}); err != nil {
		return fmt.Errorf("save acknowledgement: %w", err)
	}
	m.logger.Info("alert acknowledged", "fingerprint", fp, "alertname", st.Labels.Get(labels.AlertName), "by", by)
	return nil
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

// Alert states of AlertStatus, as Alertmanager's API names them.
const (
	AlertStateActive     = "active"     // notified (or to be)
	AlertStateSuppressed = "suppressed" // silenced, inhibited or muted by a time interval
)

// AlertStatus says whether an alert is notified now, and if not, why.
type AlertStatus struct {
	State       string   // AlertStateActive or AlertStateSuppressed
	SilencedBy  []string // IDs of the active silences that match it
	InhibitedBy []string // fingerprints of the firing alerts that inhibit it
	// MutedBy names the time intervals that mute all of its routes now
	// ("outside x" for an active_time_intervals route outside them).
	MutedBy   []string
	Receivers []string // the receivers of the routes it matches
}

// AlertWithStatus is an alert with its status, as Alertmanager's API v2
// lists alerts.
type AlertWithStatus struct {
	Alert  *Alert
	Status AlertStatus
}

// AlertsWithStatus returns copies of the current alerts with their
// status, sorted by label set.
func (m *Manager) AlertsWithStatus() []AlertWithStatus {
	now := m.now()
	m.mu.Lock()
	out := make([]AlertWithStatus, 0, len(m.alerts))
	for _, st := range m.alerts {
		m.expireAt(st, now)
		out = append(out, AlertWithStatus{Alert: st.clone(), Status: m.status(st, now)})
	}
	m.mu.Unlock()
	slices.SortFunc(out, func(a, b AlertWithStatus) int { return labels.Compare(a.Alert.Labels, b.Alert.Labels) })
	return out
}

// Alert returns a copy of the alert with fingerprint fp and its status.
func (m *Manager) Alert(fp Fingerprint) (AlertWithStatus, bool) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.alerts[fp]
	if st == nil {
		return AlertWithStatus{}, false
	}
	m.expireAt(st, now)
	return AlertWithStatus{Alert: st.clone(), Status: m.status(st, now)}, true
}

// status computes st's status at now. m.mu must be held.
func (m *Manager) status(st *alertState, now time.Time) AlertStatus {
	s := AlertStatus{State: AlertStateActive}
	s.SilencedBy = m.silencedBy(st.Labels, now, true)
	for _, fp := range m.inhibitedBy(st, now, true) {
		s.InhibitedBy = append(s.InhibitedBy, fp.String())
	}
	mutedRoutes := 0
	for _, rg := range st.routes {
		r := rg.r
		if !slices.Contains(s.Receivers, r.receiver) {
			s.Receivers = append(s.Receivers, r.receiver)
		}
		if why := r.muted(now); why != "" {
			mutedRoutes++
			if !slices.Contains(s.MutedBy, why) {
				s.MutedBy = append(s.MutedBy, why)
			}
		}
	}
	if mutedRoutes < len(st.routes) {
		s.MutedBy = nil // some route still notifies it
	}
	if len(s.SilencedBy)+len(s.InhibitedBy)+len(s.MutedBy) > 0 {
		s.State = AlertStateSuppressed
	}
	return s
}

// Notifications returns records of the notification history, newest
// first.
func (m *Manager) Notifications(ctx context.Context, f NotificationFilter) ([]NotificationRecord, error) {
	recs, err := m.state.Notifications(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("notification history: %w", err)
	}
	return recs, nil
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
// resolve_timeout, as of the moment it timed out. m.mu must be held. It
// is not written to the state: the stored UpdatedAt brings the same
// result after a restart.
func (m *Manager) expire(st *alertState) {
	if !st.Resolved() {
		m.expireAt(st, m.now())
	}
}

// expireAt is expire as of now. m.mu must be held.
func (m *Manager) expireAt(st *alertState, now time.Time) {
	timeout := m.rt.resolveTimeout
	if st.Resolved() || timeout <= 0 {
		return
	}
	if end := st.UpdatedAt.Add(timeout); !now.Before(end) {
		st.EndsAt, st.UpdatedAt = end, end
	}
}

// forget removes an alert that no group holds any more. m.mu must be held.
func (m *Manager) forget(st *alertState) {
	if m.alerts[st.Fingerprint] != st {
		return
	}
	delete(m.alerts, st.Fingerprint)
	m.unfileSource(st)
	m.persist("delete alert", func(ctx context.Context) error {
		return m.state.DeleteAlerts(ctx, []Fingerprint{st.Fingerprint})
	})
}

// saveAlerts writes alerts through to the state. m.mu must be held, so
// that writes reach the store in the order of the changes.
func (m *Manager) saveAlerts(as []*Alert) {
	if len(as) == 0 {
		return
	}
	m.persist("save alerts", func(ctx context.Context) error { return m.state.SaveAlerts(ctx, as) })
}

// persist runs a state write with a timeout, and logs and counts its
// failure: the Manager's memory stays right, and the next write of the
// same thing repairs the store.
func (m *Manager) persist(op string, f func(ctx context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), stateTimeout)
	defer cancel()
	if err := f(ctx); err != nil {
		m.stateError(op, err)
	}
}

func (m *Manager) stateError(op string, err error) {
	m.rmetrics.stateErrors.WithLabelValues(op).Inc()
	m.logger.Error("alert state write failed", "op", op, "err", err)
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
