package alert

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

// Message is one notification: the alerts of an aggregation group, sent
// to one receiver. Its fields follow Alertmanager's template data, so the
// webhook payload and future templates read the same as Alertmanager's.
type Message struct {
	Receiver          string
	Status            string // "firing" if any alert fires, else "resolved"
	GroupKey          string // identifies the aggregation group
	GroupLabels       labels.Labels
	CommonLabels      labels.Labels     // labels equal in every alert
	CommonAnnotations map[string]string // annotations equal in every alert
	ExternalURL       string
	Alerts            []*Alert // sorted by label set; do not modify

	// Escalation marks a notification to a route's escalate_to
	// receiver: its firing alerts were neither acknowledged nor resolved
	// EscalateAfter after they started. Templates show it ("ESCALATED:
	// not acknowledged within 30m").
	Escalation    bool
	EscalateAfter time.Duration

	// charts draws an alert's chart for the receivers that show one; nil
	// when the engine draws none.
	charts ChartFunc
}

// chart returns the PNG chart of a, or nil when there is none to draw.
func (m *Message) chart(ctx context.Context, a *Alert) ([]byte, error) {
	if m.charts == nil {
		return nil, nil
	}
	png, err := m.charts(ctx, a)
	if err != nil {
		return nil, fmt.Errorf("chart of %s: %w", a.Labels.String(), err)
	}
	return png, nil
}

// alertByFingerprint returns the alert of m with the fingerprint fp (as
// formatted by Fingerprint.String), or nil.
func (m *Message) alertByFingerprint(fp string) *Alert {
	for _, a := range m.Alerts {
		if a.Fingerprint.String() == fp {
			return a
		}
	}
	return nil
}

// newMessage builds the message for alerts of a group.
func newMessage(receiver, groupKey string, groupLabels labels.Labels, externalURL string, alerts []*Alert) *Message {
	m := &Message{
		Receiver:    receiver,
		Status:      StatusResolved,
		GroupKey:    groupKey,
		GroupLabels: groupLabels,
		ExternalURL: externalURL,
		Alerts:      alerts,
	}
	for _, a := range alerts {
		if !a.Resolved() {
			m.Status = StatusFiring
			break
		}
	}
	if len(alerts) == 0 {
		m.CommonLabels = labels.EmptyLabels()
		return m
	}
	common := alerts[0].Labels.Map()
	ann := maps.Clone(alerts[0].Annotations)
	for _, a := range alerts[1:] {
		for k, v := range common {
			if a.Labels.Get(k) != v {
				delete(common, k)
			}
		}
		for k, v := range ann {
			if w, ok := a.Annotations[k]; !ok || w != v {
				delete(ann, k)
			}
		}
	}
	m.CommonLabels = labels.FromMap(common)
	m.CommonAnnotations = ann
	return m
}

// Firing returns the firing alerts of m.
func (m *Message) Firing() []*Alert {
	return slices.DeleteFunc(slices.Clone(m.Alerts), (*Alert).Resolved)
}

// Notifier delivers a message through one integration (a log line, a
// webhook, ...). It reports whether a failure is worth retrying: a timeout
// or a 5xx is, a rejected request is not.
type Notifier interface {
	Notify(ctx context.Context, m *Message) (retry bool, err error)
}

// integration is a configured Notifier of a receiver.
type integration struct {
	name         string // "log", "webhook", "email", ...: the metrics label
	index        int    // position among the receiver's integrations of that name
	sendResolved bool
	// resendFiring: notify at every flush while alerts fire, not only on
	// changes and repeats. Forwarding to an Alertmanager needs it: that
	// Alertmanager resolves an alert it has not heard of for its
	// resolve_timeout.
	resendFiring bool
	notifier     Notifier
	limiter      *limiter // paces its messages; nil: no limit
}

// needsUpdate is needsUpdate for this integration: with resendFiring, a
// group with firing alerts is notified at every flush.
func (i integration) needsUpdate(prev NotifyEntry, ok bool, firing, resolved []Fingerprint, repeat time.Duration, now time.Time) bool {
	if i.resendFiring && len(firing) > 0 {
		return true
	}
	return needsUpdate(prev, ok, firing, resolved, i.sendResolved, repeat, now)
}

// key identifies the integration in the notification log.
func (i integration) key(receiver string) string {
	return fmt.Sprintf("%s/%s[%d]", receiver, i.name, i.index)
}

// NotifyEntry records what was last sent for an aggregation group to one
// integration of a receiver.
type NotifyEntry struct {
	GroupKey  string
	Receiver  string        // the receiver's name and integration, e.g. "ops/webhook[0]"
	Firing    []Fingerprint // sorted
	Resolved  []Fingerprint // sorted
	Timestamp time.Time     // when the notification was sent
}

// NotificationLog remembers what was sent, so that an unchanged group is
// not notified again before its repeat interval. It is in memory for now;
// the store can back it later to survive restarts and to share it between
// replicas.
type NotificationLog interface {
	// Last returns the last entry for the group and receiver, if any.
	Last(groupKey, receiver string) (NotifyEntry, bool)
	// Log records e, replacing the previous entry of its group and receiver.
	Log(e NotifyEntry) error
	// Forget drops the entries of a group that no longer exists.
	Forget(groupKey string)
}

// memLog is the in-memory NotificationLog.
type memLog struct {
	mu      sync.Mutex
	entries map[string]map[string]NotifyEntry // group key → receiver → entry
}

// NewMemoryLog returns a NotificationLog that lives in memory.
func NewMemoryLog() NotificationLog {
	return &memLog{entries: make(map[string]map[string]NotifyEntry)}
}

func (l *memLog) Last(groupKey, receiver string) (NotifyEntry, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.entries[groupKey][receiver]
	return e, ok
}

func (l *memLog) Log(e NotifyEntry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	g := l.entries[e.GroupKey]
	if g == nil {
		g = make(map[string]NotifyEntry)
		l.entries[e.GroupKey] = g
	}
	g[e.Receiver] = e
	return nil
}

func (l *memLog) Forget(groupKey string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.entries, groupKey)
}

// needsUpdate decides, like Alertmanager's dedup stage, whether a group
// with the given firing and resolved alerts must be notified again to a
// receiver that was last sent prev (ok=false: never).
func needsUpdate(prev NotifyEntry, ok bool, firing, resolved []Fingerprint, sendResolved bool, repeat time.Duration, now time.Time) bool {
	if !ok {
		// Alerts that fired and resolved before the first notification
		// are not worth telling anyone about.
		return len(firing) > 0
	}
	if !subset(firing, prev.Firing) {
		return true // something new fires
	}
	if len(firing) == 0 {
		// Everything resolved. Notify if the receiver knew of firing
		// alerts — even without send_resolved, so that the log forgets
		// them and a new episode is sent again (it is not delivered then).
		return len(prev.Firing) > 0
	}
	if sendResolved && !subset(resolved, prev.Resolved) {
		return true
	}
	return !prev.Timestamp.After(now.Add(-repeat))
}

// subset reports whether every element of a is in b; both are sorted.
func subset(a, b []Fingerprint) bool {
	for _, f := range a {
		if _, ok := slices.BinarySearch(b, f); !ok {
			return false
		}
	}
	return true
}
