package alert

import (
	"context"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

// This file holds the router's durable state: the types a StateStore keeps
// so that a restart neither resends what was sent nor loses a resolve.

// SilenceState is where a silence is in its life.
type SilenceState string

// Silence states, as Alertmanager names them.
const (
	SilencePending SilenceState = "pending" // starts in the future
	SilenceActive  SilenceState = "active"  // mutes matching alerts now
	SilenceExpired SilenceState = "expired" // ended, or was expired early
)

// Silence mutes the alerts whose label sets match all its matchers between
// StartsAt and EndsAt. Expiring a silence sets EndsAt to the current time.
type Silence struct {
	ID        string            // assigned when created (a UUID-like string)
	Matchers  []*labels.Matcher // all must match; at least one must not match the empty string
	StartsAt  time.Time
	EndsAt    time.Time
	CreatedBy string
	Comment   string
	UpdatedAt time.Time
}

// State returns the silence's state at now.
func (s *Silence) State(now time.Time) SilenceState {
	switch {
	case !now.Before(s.EndsAt):
		return SilenceExpired
	case now.Before(s.StartsAt):
		return SilencePending
	}
	return SilenceActive
}

// GroupState is the durable part of an aggregation group: enough to rebuild
// it after a restart without restarting its group_wait.
type GroupState struct {
	Key       string        // the group key, route path and group labels
	RouteID   string        // the route's stable identifier in the tree
	Receiver  string        // the receiver the route sends to
	Labels    labels.Labels // the group_by labels
	CreatedAt time.Time
}

// Notification statuses in the notification history.
const (
	NotificationSent    = "sent"    // delivered
	NotificationFailed  = "failed"  // an attempt failed; the group keeps it and retries
	NotificationDropped = "dropped" // given up (e.g. rejected as malformed by the receiver); logged, counted
)

// NotificationRecord is one entry of the notification history: an attempt
// to deliver a group's notification through one integration of a receiver.
type NotificationRecord struct {
	ID          int64 // assigned by the store
	Time        time.Time
	Receiver    string // the receiver's name
	Integration string // e.g. "email[0]"
	GroupKey    string
	Status      string // NotificationSent, NotificationFailed or NotificationDropped
	Firing      []Fingerprint
	Resolved    []Fingerprint
	Attempts    int    // attempts made within this flush
	Error       string // the last error, if any
	Escalation  bool   // sent because the alert was not acknowledged in time
}

// NotificationFilter selects notification records. Zero fields do not filter.
type NotificationFilter struct {
	From, To time.Time // both inclusive; To before From is an error
	Receiver string
	GroupKey string
	Status   string
	Limit    int // 0: a default (100); capped by the store; negative is an error
}

// StateStore persists the router's state. The Manager loads everything in
// NewManager and writes through on every change, under its own lock so
// that writes arrive in the order of the changes: implementations must be
// quick (no network round trips per call) and safe for concurrent use.
// Arguments belong to the Manager: copy what is kept. The store package
// implements it on SQLite; NewMemoryState keeps it in memory (tests, and
// engines without a store).
//
// What is written when: SaveAlerts on every Fire and Resolve call (the
// alerts it changed) and on Acknowledge; DeleteAlerts when an alert is
// resolved and every route has notified it; SaveGroup when a group is
// created, DeleteGroup when it empties; SaveSilence on every create,
// update and expiry, DeleteSilence after silence_retention;
// SaveNotifyEntry after every notification (and dedup update);
// AppendNotification for every delivery, sent, failed or dropped, and
// PruneNotifications on Run's retention sweeps (notification_retention). An
// alert timed out by resolve_timeout is not written: its stored
// UpdatedAt brings the same result after a restart.
type StateStore interface {
	// LoadAlerts returns the alerts that were active (or resolved but not
	// yet notified) when the Manager last ran.
	LoadAlerts(ctx context.Context) ([]*Alert, error)
	// SaveAlerts inserts or replaces alerts, keyed by fingerprint, with
	// every field (acknowledgements included).
	SaveAlerts(ctx context.Context, alerts []*Alert) error
	// DeleteAlerts forgets alerts that are resolved and notified.
	DeleteAlerts(ctx context.Context, fps []Fingerprint) error

	// LoadGroups returns the aggregation groups.
	LoadGroups(ctx context.Context) ([]GroupState, error)
	// SaveGroup inserts or replaces a group, keyed by Key.
	SaveGroup(ctx context.Context, g GroupState) error
	// DeleteGroup forgets a group and its notification log entries.
	DeleteGroup(ctx context.Context, key string) error

	// LoadSilences returns every silence, expired ones included (they are
	// kept for the retention the Manager decides, then deleted).
	LoadSilences(ctx context.Context) ([]Silence, error)
	// SaveSilence inserts or replaces a silence, keyed by ID.
	SaveSilence(ctx context.Context, s Silence) error
	// DeleteSilence removes a silence for good (retention, not expiry).
	DeleteSilence(ctx context.Context, id string) error

	// LoadNotificationLog returns the last entry per group and integration.
	LoadNotificationLog(ctx context.Context) ([]NotifyEntry, error)
	// SaveNotifyEntry replaces the entry of its group and integration.
	SaveNotifyEntry(ctx context.Context, e NotifyEntry) error

	// AppendNotification adds a record to the notification history and
	// sets its ID.
	AppendNotification(ctx context.Context, r *NotificationRecord) error
	// Notifications returns history records matching f, newest first.
	Notifications(ctx context.Context, f NotificationFilter) ([]NotificationRecord, error)
	// PruneNotifications deletes the history records whose Time is
	// before the given instant (strictly: a record at it is kept) and
	// returns how many it deleted; with an error, how many it deleted
	// before the error (an implementation may delete in batches). The
	// Manager calls it for notification_retention; a zero instant
	// deletes nothing.
	PruneNotifications(ctx context.Context, before time.Time) (int, error)
}

// ChartFunc renders a picture of the series behind an alert (its values,
// band and the anomaly) as a PNG, for receivers that can show one. The
// engine provides it; the alert package does not know about series. It
// returns nil, nil when it has nothing to draw.
type ChartFunc func(ctx context.Context, a *Alert) ([]byte, error)
