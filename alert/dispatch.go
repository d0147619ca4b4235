package alert

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

// aggrGroup is an aggregation group: the alerts of one route that share
// the values of the route's group_by labels and are notified together.
type aggrGroup struct {
	key     string        // route ID and group labels: `{}/{team="a"}:{alertname="x"}`
	id      groupID       // its route and the hash of its labels
	route   *route        // whose timers, receiver and intervals it uses
	labels  labels.Labels // the group_by labels of its alerts
	alerts  map[Fingerprint]*alertState
	created time.Time // for group_wait; time.Now, not Options.Now, as timers use it
	started bool      // its goroutine runs
	removed bool      // deleted; alerts must go into a new group
	// wake tells the goroutine that an escalation deadline may have come
	// closer (an alert joined).
	wake chan struct{}
	// flushed: the first flush (after group_wait) is done; escalations
	// wait for it. escChecked is the Options.Now time of the last
	// escalation pass. Both belong to the group's goroutine.
	flushed    bool
	escChecked time.Time
}

// route puts st into the aggregation group of every route it matches,
// creating groups as needed. Routing is done once per alert: its labels
// never change. m.mu must be held.
func (m *Manager) route(st *alertState) {
	if st.routes == nil {
		var buf [4]*route
		rs := m.rt.root.match(st.Labels, buf[:0])
		st.routes = make([]routeGroup, len(rs))
		for i, r := range rs {
			st.routes[i].r = r
		}
	}
	for i := range st.routes {
		if g := st.routes[i].g; g == nil || g.removed {
			st.routes[i].g = m.insert(st, st.routes[i].r)
		}
	}
}

// groupID finds a route's group by the hash of its group labels.
type groupID struct {
	r *route
	h uint64
}

// groupHash hashes the values of the labels of ls that r groups by.
func (r *route) groupHash(ls labels.Labels) uint64 {
	if r.groupByAll {
		return ls.Hash()
	}
	var buf [256]byte
	h, _ := ls.HashForLabels(buf[:0], r.groupBy...)
	return h
}

// holds reports whether g is the group of ls on its route (the hash may
// collide).
func (g *aggrGroup) holds(ls labels.Labels) bool {
	if g.route.groupByAll {
		return labels.Equal(g.labels, ls)
	}
	for _, name := range g.route.groupBy {
		if g.labels.Get(name) != ls.Get(name) {
			return false
		}
	}
	return true
}

// insert puts st into its group of route r, creating the group if needed
// (with the creation time it had before a restart, if it had one). m.mu
// must be held.
func (m *Manager) insert(st *alertState, r *route) *aggrGroup {
	id := groupID{r, r.groupHash(st.Labels)}
	var g *aggrGroup
	for _, c := range m.groupsByHash[id] {
		if c.holds(st.Labels) {
			g = c
			break
		}
	}
	if g == nil {
		gl := r.groupLabels(st.Labels)
		key := r.id + ":" + gl.String()
		g = &aggrGroup{
			id:      id,
			key:     key,
			route:   r,
			labels:  gl,
			alerts:  make(map[Fingerprint]*alertState),
			created: time.Now(),
			wake:    make(chan struct{}, 1),
		}
		if saved, ok := m.savedGroups[key]; ok {
			g.created = saved.CreatedAt
			delete(m.savedGroups, key)
		} else {
			gs := GroupState{Key: key, RouteID: r.id, Receiver: r.receiver, Labels: gl, CreatedAt: g.created}
			m.persist("save group", func(ctx context.Context) error { return m.state.SaveGroup(ctx, gs) })
		}
		m.groups[key] = g
		m.groupsByHash[id] = append(m.groupsByHash[id], g)
		m.startGroup(g)
	}
	g.alerts[st.Fingerprint] = st
	if r.escalateTo != "" {
		select {
		case g.wake <- struct{}{}:
		default:
		}
	}
	return g
}

// startGroup starts g's goroutine if Run is running. m.mu must be held.
func (m *Manager) startGroup(g *aggrGroup) {
	if m.runCtx == nil || m.stopped || g.started {
		return
	}
	g.started = true
	ctx := m.runCtx
	m.wg.Go(func() { m.runGroup(ctx, g) })
}

// runGroup notifies g's alerts: first group_wait after the group was
// created, then every group_interval (when something changed or the
// repeat interval has passed), until the group is empty or ctx ends. In
// between, it wakes at escalation deadlines to notify the escalation
// receiver.
func (m *Manager) runGroup(ctx context.Context, g *aggrGroup) {
	r := g.route
	timer := time.NewTimer(max(0, time.Until(g.created.Add(r.groupWait))))
	defer timer.Stop()
	esc := time.NewTimer(time.Hour)
	esc.Stop()
	defer esc.Stop()
	armEscalation := func() {
		esc.Stop()
		if at, ok := m.nextEscalation(g); ok {
			esc.Reset(max(0, at.Sub(m.now())))
		}
	}
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownFlushTimeout)
			m.flush(fctx, g, false)
			cancel()
			return
		case <-timer.C:
			// The next tick counts from now, not from the end of a
			// flush that may have spent time retrying.
			timer.Reset(r.groupInterval)
			fctx, cancel := flushContext(ctx, r.groupInterval)
			done := m.flush(fctx, g, false)
			cancel()
			if done {
				return
			}
			armEscalation()
		case <-esc.C:
			fctx, cancel := flushContext(ctx, r.groupInterval)
			m.flush(fctx, g, true)
			cancel()
			armEscalation()
		case <-g.wake:
			armEscalation()
		}
	}
}

// flushContext bounds a scheduled flush by d. A flush under way when ctx
// ends is not cut off at once: cancelling a request the receiver may
// already have accepted would record a delivered notification as failed,
// and the shutdown flush would send it again. It gets shutdownFlushTimeout
// more to finish instead.
func flushContext(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d)
	var (
		mu    sync.Mutex
		grace *time.Timer
	)
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		grace = time.AfterFunc(shutdownFlushTimeout, cancel)
	})
	return fctx, func() {
		stop()
		mu.Lock()
		if grace != nil {
			grace.Stop()
		}
		mu.Unlock()
		cancel()
	}
}

// snapAlert is an alert as a flush saw it.
type snapAlert struct {
	st    *alertState
	a     *Alert // a copy, as of the snapshot
	muted bool   // silenced or inhibited
}

// flush notifies g's receiver of its alerts where needed, and its route's
// escalation receiver of the alerts left unacknowledged too long; then it
// drops the resolved alerts that were delivered. Silenced and inhibited
// alerts are left out of the notifications; while a time interval mutes
// the route nothing is sent and nothing dropped. With escalationOnly,
// only the escalation receiver is considered. It reports whether the
// group is now empty and removed.
func (m *Manager) flush(ctx context.Context, g *aggrGroup, escalationOnly bool) (removed bool) {
	r := g.route
	now := m.now()
	m.mu.Lock()
	snaps := make([]snapAlert, 0, len(g.alerts))
	for _, st := range g.alerts {
		m.expireAt(st, now)
		muted := len(m.silencedBy(st.Labels, now, false)) > 0 || len(m.inhibitedBy(st, now, false)) > 0
		snaps = append(snaps, snapAlert{st: st, a: st.clone(), muted: muted})
	}
	g.escChecked = now
	firstFlush := !g.flushed
	if !escalationOnly {
		g.flushed = true
	}
	m.mu.Unlock()
	slices.SortFunc(snaps, func(a, b snapAlert) int { return labels.Compare(a.a.Labels, b.a.Labels) })

	if why := r.muted(now); why != "" {
		m.logger.Debug("route muted: notification deferred", "group", g.key, "muted_by", why)
		m.rmetrics.mutedFlushes.Inc()
		return false
	}

	ok := true
	if !escalationOnly {
		var notify []*Alert
		for _, s := range snaps {
			if !s.muted {
				notify = append(notify, s.a)
			}
		}
		ok = m.notifyAll(ctx, g, r.receiver, notify, false, now)
	}
	if r.escalateTo != "" && (!escalationOnly || !firstFlush) {
		if !m.notifyAll(ctx, g, r.escalateTo, escalationAlerts(r, snaps, now), true, now) {
			ok = false
		}
	}
	if escalationOnly {
		return false
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	if ok {
		// Resolved alerts have been told (or are not to be told): drop
		// them, unless they fired again meanwhile.
		for _, s := range snaps {
			cur := g.alerts[s.a.Fingerprint]
			if !s.a.Resolved() || cur != s.st || !cur.Resolved() || !cur.EndsAt.Equal(s.a.EndsAt) {
				continue
			}
			delete(g.alerts, s.a.Fingerprint)
			held := false
			for i, rg := range cur.routes {
				if rg.g == g {
					cur.routes[i].g = nil
				} else if rg.g != nil && !rg.g.removed {
					held = true
				}
			}
			if !held {
				m.forget(cur)
			}
		}
	}
	if len(g.alerts) > 0 {
		return false
	}
	delete(m.groups, g.key)
	m.groupsByHash[g.id] = slices.DeleteFunc(m.groupsByHash[g.id], func(c *aggrGroup) bool { return c == g })
	if len(m.groupsByHash[g.id]) == 0 {
		delete(m.groupsByHash, g.id)
	}
	g.removed = true
	m.nlog.Forget(g.key)
	m.persist("delete group", func(ctx context.Context) error { return m.state.DeleteGroup(ctx, g.key) })
	return true
}

// escalationSuffix marks the notification log entries of escalations, so
// that they are deduplicated apart from the route's own notifications.
const escalationSuffix = "#escalation"

// notifyAll sends a group's notification of alerts to every integration
// of receiver that needs it, concurrently, records each delivery in the
// history and logs what was sent. For an escalation, a resolved alert is
// only told to an integration that was told it fired. It reports whether
// every integration succeeded.
func (m *Manager) notifyAll(ctx context.Context, g *aggrGroup, receiver string, alerts []*Alert, escalation bool, now time.Time) bool {
	ints := m.receivers[receiver]
	repeat := g.route.repeatInterval
	results := make([]bool, len(ints))
	var wg sync.WaitGroup
	for i, in := range ints {
		wg.Go(func() {
			rkey := in.key(receiver)
			if escalation {
				rkey += escalationSuffix
			}
			prev, seen := m.nlog.Last(g.key, rkey)
			list := alerts
			if escalation {
				list = slices.DeleteFunc(slices.Clone(alerts), func(a *Alert) bool {
					_, told := slices.BinarySearch(prev.Firing, a.Fingerprint)
					return a.Resolved() && !(seen && told)
				})
			}
			firing, resolved := splitFingerprints(list)
			entry := NotifyEntry{GroupKey: g.key, Receiver: rkey, Firing: firing, Resolved: resolved, Timestamp: now}
			if !in.needsUpdate(prev, seen, firing, resolved, repeat, now) {
				results[i] = true
				if seen && !subset(prev.Firing, firing) {
					// Alerts resolved without a notification (send_resolved
					// is off), or silenced since: forget them, so that they
					// are announced again if they fire again, but keep the
					// repeat schedule.
					entry.Timestamp = prev.Timestamp
					m.logNotification(entry)
				}
				return
			}
			send := list
			if !in.sendResolved {
				send = slices.DeleteFunc(slices.Clone(list), (*Alert).Resolved)
			}
			if len(send) > 0 {
				msg := newMessage(receiver, g.key, g.labels, m.externalURL, send)
				if escalation {
					msg.Escalation, msg.EscalateAfter = true, g.route.escalateAfter
				}
				res := m.send(ctx, in, msg)
				f, rs := splitFingerprints(send)
				m.recordNotification(&NotificationRecord{
					Time:        m.now(),
					Receiver:    receiver,
					Integration: fmt.Sprintf("%s[%d]", in.name, in.index),
					GroupKey:    g.key,
					Status:      res.Status,
					Firing:      f,
					Resolved:    rs,
					Attempts:    res.Attempts,
					Error:       res.Error(),
					Escalation:  escalation,
				})
				if res.Err != nil {
					m.logger.Error("notification failed; the group will try again at its next flush", "receiver", receiver, "integration", in.name,
						"group", g.key, "escalation", escalation, "status", res.Status, "attempts", res.Attempts, "err", res.Err)
					return
				}
			}
			m.logNotification(entry)
			results[i] = true
		})
	}
	wg.Wait()
	return !slices.Contains(results, false)
}

// splitFingerprints returns the sorted fingerprints of the firing and of
// the resolved alerts.
func splitFingerprints(as []*Alert) (firing, resolved []Fingerprint) {
	for _, a := range as {
		if a.Resolved() {
			resolved = append(resolved, a.Fingerprint)
		} else {
			firing = append(firing, a.Fingerprint)
		}
	}
	slices.Sort(firing)
	slices.Sort(resolved)
	return firing, resolved
}

func (m *Manager) logNotification(e NotifyEntry) {
	if err := m.nlog.Log(e); err != nil {
		m.logger.Error("record notification", "receiver", e.Receiver, "group", e.GroupKey, "err", err)
	}
}

// recordNotification appends r to the notification history and counts it.
func (m *Manager) recordNotification(r *NotificationRecord) {
	m.rmetrics.records.WithLabelValues(r.Status, kindLabel(r.Escalation)).Inc()
	m.persist("append notification", func(ctx context.Context) error { return m.state.AppendNotification(ctx, r) })
}

func kindLabel(escalation bool) string {
	if escalation {
		return "escalation"
	}
	return "notification"
}

// stateLog is the notification log the Manager uses: lookups from the
// in-memory log, writes also through to the StateStore. A group's entries
// leave the store with the group (StateStore.DeleteGroup).
type stateLog struct {
	NotificationLog
	m *Manager
}

func (l *stateLog) Log(e NotifyEntry) error {
	if err := l.NotificationLog.Log(e); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), stateTimeout)
	defer cancel()
	if err := l.m.state.SaveNotifyEntry(ctx, e); err != nil {
		return fmt.Errorf("save notification log entry: %w", err)
	}
	return nil
}
