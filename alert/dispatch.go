package alert

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

// aggrGroup is an aggregation group: the alerts that share the values of
// the route's group_by labels and are notified together.
type aggrGroup struct {
	key      string        // "{}:{alertname=\"x\"}"; "{}" names the root route
	labels   labels.Labels // the group_by labels of its alerts
	alerts   map[Fingerprint]*Alert
	created  time.Time // for group_wait; time.Now, not Options.Now, as timers use it
	started  bool      // its goroutine runs
	receiver string
}

// groupLabels returns the labels of ls that the root route groups by.
func (m *Manager) groupLabels(ls labels.Labels) labels.Labels {
	by := m.cfg.Route.GroupBy
	if len(by) == 1 && by[0] == GroupByAll {
		return ls
	}
	b := labels.NewScratchBuilder(len(by))
	for _, name := range by {
		if v := ls.Get(name); v != "" {
			b.Add(name, v)
		}
	}
	b.Sort()
	return b.Labels()
}

// insert puts a into its group, creating the group if needed. m.mu must
// be held.
func (m *Manager) insert(a *Alert) {
	gl := m.groupLabels(a.Labels)
	key := "{}:" + gl.String()
	g := m.groups[key]
	if g == nil {
		g = &aggrGroup{
			key:      key,
			labels:   gl,
			alerts:   make(map[Fingerprint]*Alert),
			created:  time.Now(),
			receiver: m.cfg.Route.Receiver,
		}
		m.groups[key] = g
		m.startGroup(g)
	}
	g.alerts[a.Fingerprint] = a
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
// repeat interval has passed), until the group is empty or ctx ends.
func (m *Manager) runGroup(ctx context.Context, g *aggrGroup) {
	interval := m.cfg.Route.GroupInterval.Std()
	timer := time.NewTimer(max(0, time.Until(g.created.Add(m.cfg.Route.GroupWait.Std()))))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownFlushTimeout)
			m.flush(fctx, g)
			cancel()
			return
		case <-timer.C:
			// The next tick counts from now, not from the end of a
			// flush that may have spent time retrying.
			timer.Reset(interval)
			fctx, cancel := context.WithTimeout(ctx, interval)
			done := m.flush(fctx, g)
			cancel()
			if done {
				return
			}
		}
	}
}

// flush notifies the receiver of g's current alerts where needed, then
// drops the resolved alerts that were delivered. It reports whether the
// group is now empty and removed.
func (m *Manager) flush(ctx context.Context, g *aggrGroup) (removed bool) {
	now := m.now()
	m.mu.Lock()
	snapshot := make([]*Alert, 0, len(g.alerts))
	for fp, a := range g.alerts {
		if st := m.alerts[fp]; st != nil && st.Alert == a {
			m.expire(st)
		}
		snapshot = append(snapshot, a.clone())
	}
	m.mu.Unlock()
	sortAlerts(snapshot)

	var firing, resolved []Fingerprint
	for _, a := range snapshot {
		if a.Resolved() {
			resolved = append(resolved, a.Fingerprint)
		} else {
			firing = append(firing, a.Fingerprint)
		}
	}
	slices.Sort(firing)
	slices.Sort(resolved)

	ok := len(snapshot) == 0 || m.notifyAll(ctx, g, snapshot, firing, resolved, now)

	m.mu.Lock()
	defer m.mu.Unlock()
	if ok {
		// Resolved alerts have been told (or are not to be told): drop
		// them, unless they fired again meanwhile.
		for _, a := range snapshot {
			cur := g.alerts[a.Fingerprint]
			if !a.Resolved() || cur == nil || !cur.Resolved() || !cur.EndsAt.Equal(a.EndsAt) {
				continue
			}
			delete(g.alerts, a.Fingerprint)
			if st := m.alerts[a.Fingerprint]; st != nil && st.Alert == cur {
				delete(m.alerts, a.Fingerprint)
			}
		}
	}
	if len(g.alerts) > 0 {
		return false
	}
	delete(m.groups, g.key)
	m.nlog.Forget(g.key)
	return true
}

// notifyAll sends the group's notification to every integration of its
// receiver that needs it, concurrently, and logs what was sent. It
// reports whether all of them succeeded.
func (m *Manager) notifyAll(ctx context.Context, g *aggrGroup, alerts []*Alert, firing, resolved []Fingerprint, now time.Time) bool {
	ints := m.receivers[g.receiver]
	repeat := m.cfg.Route.RepeatInterval.Std()
	results := make([]bool, len(ints))
	var wg sync.WaitGroup
	for i, in := range ints {
		wg.Go(func() {
			rkey := in.key(g.receiver)
			prev, seen := m.nlog.Last(g.key, rkey)
			entry := NotifyEntry{GroupKey: g.key, Receiver: rkey, Firing: firing, Resolved: resolved, Timestamp: now}
			if !in.needsUpdate(prev, seen, firing, resolved, repeat, now) {
				results[i] = true
				if seen && !subset(prev.Firing, firing) {
					// Alerts resolved without a notification (send_resolved
					// is off): forget them, so that they are announced again
					// if they fire again, but keep the repeat schedule.
					entry.Timestamp = prev.Timestamp
					m.logNotification(entry)
				}
				return
			}
			send := alerts
			if !in.sendResolved {
				send = slices.DeleteFunc(slices.Clone(alerts), (*Alert).Resolved)
			}
			if len(send) > 0 {
				msg := newMessage(g.receiver, g.key, g.labels, m.externalURL, send)
				if res := m.send(ctx, in, msg); res.Err != nil {
					m.logger.Error("notification failed", "receiver", g.receiver, "integration", in.name, "group", g.key, "status", res.Status, "attempts", res.Attempts, "err", res.Err)
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

func (m *Manager) logNotification(e NotifyEntry) {
	if err := m.nlog.Log(e); err != nil {
		m.logger.Error("record notification", "receiver", e.Receiver, "group", e.GroupKey, "err", err)
	}
}
