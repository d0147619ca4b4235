package alert

import (
	"maps"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

// Alert states, as Alertmanager names them.
const (
	StatusFiring   = "firing"
	StatusResolved = "resolved"
)

// Alert is an event as the router sees it: a label set that is firing or
// resolved. Events with the same label set refresh the same alert.
type Alert struct {
	Labels       labels.Labels
	Annotations  map[string]string
	StartsAt     time.Time // the earliest event of the current firing episode
	EndsAt       time.Time // zero while firing; when it resolved otherwise
	UpdatedAt    time.Time // when an event or a resolution last changed it
	GeneratorURL string    // where to look at it
	Fingerprint  Fingerprint
	// AckedBy, AckedAt and AckComment record who acknowledged the alert
	// (Manager.Acknowledge); an acknowledged alert is not escalated. A new
	// firing episode clears them.
	AckedBy    string
	AckedAt    time.Time
	AckComment string
}

// Acknowledged reports whether the alert's current episode is
// acknowledged.
func (a *Alert) Acknowledged() bool { return !a.AckedAt.IsZero() }

// Resolved reports whether the alert has resolved.
func (a *Alert) Resolved() bool { return !a.EndsAt.IsZero() }

// Status returns "firing" or "resolved".
func (a *Alert) Status() string {
	if a.Resolved() {
		return StatusResolved
	}
	return StatusFiring
}

// clone returns a copy that shares nothing mutable with a.
func (a *Alert) clone() *Alert {
	c := *a
	c.Annotations = maps.Clone(a.Annotations)
	return &c
}
