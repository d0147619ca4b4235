package alert

import "time"

// Escalation: a route with escalate_after and escalate_to sends an alert
// that is still firing, not acknowledged and not muted escalate_after
// after it started to the escalate_to receiver as well. The escalation is
// a second notification stream of the same aggregation group, with its
// own notification log entries (suffixed "#escalation"): it is sent when
// the first alert of the group passes its deadline (the group's goroutine
// wakes for it, between group_interval ticks), then deduplicated and
// repeated on the route's group_interval and repeat_interval like the
// route's own notifications. Acknowledging an alert takes it out of the
// stream; when an escalated alert resolves, the escalation receiver is
// told (if it takes resolved notifications).

// escalationDue reports whether a should be escalated at now on route r.
func escalationDue(r *route, a *Alert, now time.Time) bool {
	return !a.Resolved() && !a.Acknowledged() && !now.Before(a.StartsAt.Add(r.escalateAfter))
}

// escalationAlerts returns the alerts of a flush that go to the
// escalation receiver: the firing ones past their deadline and not
// acknowledged, and the resolved ones (notifyAll keeps only those the
// receiver was told about). Muted alerts are left out.
func escalationAlerts(r *route, snaps []snapAlert, now time.Time) []*Alert {
	var out []*Alert
	for _, s := range snaps {
		if s.muted {
			continue
		}
		if s.a.Resolved() || escalationDue(r, s.a, now) {
			out = append(out, s.a)
		}
	}
	return out
}

// nextEscalation returns the earliest escalation deadline in g after its
// last escalation pass, if any. Deadlines at or before that pass were
// handled by it, or are retried at the group's next tick.
func (m *Manager) nextEscalation(g *aggrGroup) (time.Time, bool) {
	r := g.route
	if r.escalateTo == "" {
		return time.Time{}, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !g.flushed {
		return time.Time{}, false // the first flush escalates what is due
	}
	var next time.Time
	for _, st := range g.alerts {
		if st.Resolved() || st.Acknowledged() {
			continue
		}
		d := st.StartsAt.Add(r.escalateAfter)
		if d.After(g.escChecked) && (next.IsZero() || d.Before(next)) {
			next = d
		}
	}
	return next, !next.IsZero()
}
