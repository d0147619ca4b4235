package alert

import (
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

func TestNeedsUpdate(t *testing.T) {
	now := time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC)
	const repeat = time.Hour
	entry := func(firing, resolved []Fingerprint, ago time.Duration) NotifyEntry {
		return NotifyEntry{Firing: firing, Resolved: resolved, Timestamp: now.Add(-ago)}
	}
	fps := func(f ...Fingerprint) []Fingerprint { return f }
	tests := []struct {
		name               string
		prev               NotifyEntry
		seen               bool
		firing, resolved   []Fingerprint
		sendResolved, want bool
	}{
		{"first, firing", NotifyEntry{}, false, fps(1), nil, true, true},
		{"first, only resolved", NotifyEntry{}, false, nil, fps(1), true, false},
		{"unchanged", entry(fps(1, 2), nil, time.Minute), true, fps(1, 2), nil, true, false},
		{"new firing", entry(fps(1), nil, time.Minute), true, fps(1, 2), nil, true, true},
		{"one resolved, send_resolved", entry(fps(1, 2), nil, time.Minute), true, fps(2), fps(1), true, true},
		{"one resolved, no send_resolved", entry(fps(1, 2), nil, time.Minute), true, fps(2), fps(1), false, false},
		{"resolved already sent", entry(fps(2), fps(1), time.Minute), true, fps(2), fps(1), true, false},
		{"all resolved, no send_resolved", entry(fps(1), nil, time.Minute), true, nil, fps(1), false, true},
		{"all resolved, nothing was firing", entry(nil, fps(1), time.Minute), true, nil, fps(1), true, false},
		{"repeat not yet", entry(fps(1), nil, repeat-time.Second), true, fps(1), nil, true, false},
		{"repeat due", entry(fps(1), nil, repeat), true, fps(1), nil, true, true},
	}
	for _, tt := range tests {
		if got := needsUpdate(tt.prev, tt.seen, tt.firing, tt.resolved, tt.sendResolved, repeat, now); got != tt.want {
			t.Errorf("%s: needsUpdate = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNewMessageCommon(t *testing.T) {
	a := &Alert{Labels: labels.FromStrings("alertname", "x", "team", "a", "ch", "1"), Annotations: map[string]string{"s": "same", "d": "1"}}
	b := &Alert{Labels: labels.FromStrings("alertname", "x", "team", "a", "ch", "2"), Annotations: map[string]string{"s": "same", "d": "2"}, EndsAt: time.Unix(1, 0)}
	m := newMessage("r", "k", labels.FromStrings("team", "a"), "", []*Alert{a, b})
	if got := m.CommonLabels.String(); got != `{alertname="x", team="a"}` {
		t.Errorf("CommonLabels = %s", got)
	}
	if len(m.CommonAnnotations) != 1 || m.CommonAnnotations["s"] != "same" {
		t.Errorf("CommonAnnotations = %v", m.CommonAnnotations)
	}
	if m.Status != StatusFiring || len(m.Firing()) != 1 {
		t.Errorf("status %s, %d firing", m.Status, len(m.Firing()))
	}
	if m := newMessage("r", "k", labels.EmptyLabels(), "", []*Alert{b}); m.Status != StatusResolved {
		t.Errorf("all resolved: status %s", m.Status)
	}
}
