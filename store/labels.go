package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/prometheus/model/labels"
)

// A label is a person's (or Seismo's own, proposed) judgement on a point or
// a time range of one series of a monitor: an anomaly, noise, or normal.
// Labels drive evaluation, the auto detector choice, and keep noise out of
// baseline fitting. Code calls series identity a *label set* and these
// judgements *labels*, as the design sketch asks.

// LabelKind is what a label says about its range.
type LabelKind string

// The kinds of label.
const (
	// LabelAnomaly marks a range a detector should flag.
	LabelAnomaly LabelKind = "anomaly"
	// LabelNoise marks a range that is neither normal nor worth an alert
	// (a maintenance window, a data glitch): it is kept out of baseline
	// fitting and out of evaluation.
	LabelNoise LabelKind = "noise"
	// LabelNormal marks a range a detector should not flag.
	LabelNormal LabelKind = "normal"
)

// Valid reports whether k is one of the kinds above.
func (k LabelKind) Valid() bool {
	return k == LabelAnomaly || k == LabelNoise || k == LabelNormal
}

// LabelSource says who made a label.
type LabelSource string

// The sources of a label.
const (
	// SourceHuman is a label a person made (API, Grafana, the UI, an import).
	SourceHuman LabelSource = "human"
	// SourceAuto is a label Seismo proposed (engine/noise.go): it counts
	// only once a person confirms it.
	SourceAuto LabelSource = "auto"
)

// Valid reports whether s is one of the sources above.
func (s LabelSource) Valid() bool { return s == SourceHuman || s == SourceAuto }

// LabelStatus is where a label stands in review. A human label is always
// confirmed; an automatic one starts proposed and a person confirms or
// rejects it. Only confirmed labels count (Label.Effective), so a consumer
// that wants "the labels" filters on StatusConfirmed.
type LabelStatus string

// The statuses of a label.
const (
	StatusProposed  LabelStatus = "proposed"
	StatusConfirmed LabelStatus = "confirmed"
	StatusRejected  LabelStatus = "rejected"
)

// Valid reports whether s is one of the statuses above.
func (s LabelStatus) Valid() bool {
	return s == StatusProposed || s == StatusConfirmed || s == StatusRejected
}

// Label is a judgement on the range [From, To] (both inclusive; From ==
// To for a point) of the series with label set Series of monitor Monitor.
//
// Series is the series' label set as the monitor's query returns it
// (__name__ included when the source gives one), the same identity as
// GET /api/v1/series reports. An empty Series applies the label to every
// series of the monitor — a maintenance window, say.
type Label struct {
	ID        int64         `json:"id"`
	Monitor   string        `json:"monitor"`
	Series    labels.Labels `json:"series"`
	From      time.Time     `json:"from"`
	To        time.Time     `json:"to"`
	Kind      LabelKind     `json:"kind"`
	Author    string        `json:"author"`
	Note      string        `json:"note,omitempty"`
	Source    LabelSource   `json:"source"`
	Status    LabelStatus   `json:"status"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
}

// Effective reports whether l counts: human labels and confirmed
// automatic ones do; proposed and rejected ones do not.
func (l Label) Effective() bool { return l.Status == StatusConfirmed }

// Applies reports whether l is about the series with label set ls (its
// own series, or every series when l.Series is empty).
func (l Label) Applies(ls labels.Labels) bool {
	return l.Series.IsEmpty() || labels.Equal(l.Series, ls)
}

// Overlaps reports whether l's range meets [from, to] (inclusive).
func (l Label) Overlaps(from, to time.Time) bool {
	return !l.To.Before(from) && !l.From.After(to)
}

// Limits on a label's text fields, so that one request cannot fill the
// store with a novel.
const (
	MaxLabelNoteLen   = 4096
	MaxLabelAuthorLen = 256
	MaxLabelSeriesLen = 64 // label pairs in Series
)

// The range of a label's times: the Unix epoch to the last instant JSON
// and RFC 3339 can write.
var (
	minLabelTime = time.Unix(0, 0).UTC()
	maxLabelTime = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
)

func inTimeRange(t time.Time) bool { return !t.Before(minLabelTime) && !t.After(maxLabelTime) }

// ErrInvalid wraps every error of Label.Validate (and of a token's
// validation), so that callers can tell the client's fault (4xx) from the
// store's (5xx) with errors.Is.
var ErrInvalid = errors.New("invalid")

// ErrNotFound is returned when the label (or token) asked for does not
// exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a write would duplicate a unique entry
// (a token name already taken).
var ErrConflict = errors.New("conflict")

// Validate checks what the store can check alone: a monitor, a known
// kind, source and status, a range that does not end before it starts,
// and bounded text. Whether the monitor exists is the caller's check.
func (l Label) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w label: %s", ErrInvalid, fmt.Sprintf(format, args...))
	}
	switch {
	case strings.TrimSpace(l.Monitor) == "":
		return bad("monitor is required")
	case l.From.IsZero():
		return bad("from is required")
	case l.To.IsZero():
		return bad("to is required (equal to from for a point)")
	case !inTimeRange(l.From) || !inTimeRange(l.To):
		return bad("times must lie between %s and %s", minLabelTime.Format(time.RFC3339), maxLabelTime.Format(time.RFC3339))
	case l.To.Before(l.From):
		return bad("range ends (%s) before it starts (%s)", l.To.UTC().Format(time.RFC3339Nano), l.From.UTC().Format(time.RFC3339Nano))
	case !l.Kind.Valid():
		return bad("unknown kind %q (want anomaly, noise or normal)", l.Kind)
	case !l.Source.Valid():
		return bad("unknown source %q (want human or auto)", l.Source)
	case !l.Status.Valid():
		return bad("unknown status %q (want proposed, confirmed or rejected)", l.Status)
	case l.Source == SourceHuman && l.Status != StatusConfirmed:
		return bad("a human label is always confirmed, not %q", l.Status)
	case len(l.Note) > MaxLabelNoteLen:
		return bad("note is %d bytes long, at most %d allowed", len(l.Note), MaxLabelNoteLen)
	case len(l.Author) > MaxLabelAuthorLen:
		return bad("author is %d bytes long, at most %d allowed", len(l.Author), MaxLabelAuthorLen)
	case l.Series.Len() > MaxLabelSeriesLen:
		return bad("series has %d labels, at most %d allowed", l.Series.Len(), MaxLabelSeriesLen)
	case !utf8.ValidString(l.Note) || !utf8.ValidString(l.Author) || !utf8.ValidString(l.Monitor):
		return bad("monitor, author and note must be UTF-8")
	}
	var err error
	l.Series.Range(func(lb labels.Label) {
		if err == nil && (lb.Name == "" || !utf8.ValidString(lb.Name) || !utf8.ValidString(lb.Value)) {
			err = bad("series label names must be non-empty UTF-8")
		}
	})
	return err
}

// LabelFilter selects labels. Zero fields do not filter.
type LabelFilter struct {
	// Monitor selects one monitor's labels.
	Monitor string
	// Series, when not nil, selects the labels of exactly this label set
	// and the monitor-wide ones (empty Series) — what applies to it.
	Series *labels.Labels
	// Matchers must all match a label's Series (monitor-wide labels match
	// only matchers that accept an empty value).
	Matchers []*labels.Matcher
	// From, To select labels whose range overlaps [From, To]; zero = open.
	From, To time.Time
	// Kinds, Statuses: any of these (empty = all).
	Kinds    []LabelKind
	Statuses []LabelStatus
	// Source selects human or auto labels.
	Source LabelSource
	// Author selects one author's labels.
	Author string
	// AfterID pages: only labels with a greater ID.
	AfterID int64
	// Limit is at most this many labels; 0 = DefaultLabelLimit, capped at
	// MaxLabelLimit.
	Limit int
}

// Limits on the number of labels one Labels call returns. Evaluation reads
// every label of a monitor at once, so the cap is higher than events'.
const (
	DefaultLabelLimit = 1000
	MaxLabelLimit     = 100000
)

func (f LabelFilter) limit() (int, error) {
	return effectiveLimit(f.Limit, DefaultLabelLimit, MaxLabelLimit)
}

func (f LabelFilter) validate() error { return validateFilter(f.From, f.To, f.Matchers, f.Limit) }

// AuditEntry records one change: who did what to which label (or token),
// with the label before and after as JSON (null when absent).
type AuditEntry struct {
	ID      int64           `json:"id"`
	Time    time.Time       `json:"time"`
	Actor   string          `json:"actor"`  // token name, or "anonymous" on an open server
	Action  string          `json:"action"` // see the Audit* constants
	LabelID int64           `json:"label_id,omitempty"`
	Target  string          `json:"target,omitempty"` // what a non-label action was about (a token name)
	Before  json.RawMessage `json:"before,omitempty"`
	After   json.RawMessage `json:"after,omitempty"`
}

// The actions the audit log records.
const (
	AuditCreate      = "label.create"
	AuditUpdate      = "label.update"
	AuditDelete      = "label.delete"
	AuditConfirm     = "label.confirm"
	AuditReject      = "label.reject"
	AuditTokenCreate = "token.create"
	AuditTokenDelete = "token.delete"
)

// AuditFilter selects audit entries. Zero fields do not filter.
type AuditFilter struct {
	From, To time.Time // inclusive; zero = open
	Actor    string
	LabelID  int64
	BeforeID int64 // pages backwards: only entries with a smaller ID
	Limit    int   // 0 = DefaultLimit, capped at MaxLimit
}

// LabelStore persists labels, their audit log and the API's tokens.
// Every label change writes its audit entry in the same transaction, so
// the log cannot miss a change nor record one that did not happen.
type LabelStore interface {
	// CreateLabels validates and stores ls in one transaction (all or
	// nothing) and returns them with ID, CreatedAt and UpdatedAt set.
	// A human label's empty Status becomes confirmed and an automatic
	// one's proposed; an empty Source is human.
	CreateLabels(ctx context.Context, actor string, ls []Label) ([]Label, error)
	// UpdateLabel replaces the label with l.ID by l (CreatedAt is kept,
	// UpdatedAt set) and returns it; ErrNotFound when there is none.
	UpdateLabel(ctx context.Context, actor string, l Label) (Label, error)
	// DeleteLabel removes the label id; ErrNotFound when there is none.
	DeleteLabel(ctx context.Context, actor string, id int64) error
	// Label returns the label id; ErrNotFound when there is none.
	Label(ctx context.Context, id int64) (Label, error)
	// Labels returns the labels matching f, by ID (oldest first).
	Labels(ctx context.Context, f LabelFilter) ([]Label, error)
	// AppendAudit records an action that is not a label change (token
	// created or deleted).
	AppendAudit(ctx context.Context, e AuditEntry) error
	// Audit returns the audit entries matching f, newest first.
	Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
	// TokenStore keeps the API's bearer tokens (store/auth.go).
	TokenStore
}

// normalize fills a new label's defaults.
func (l *Label) normalize() {
	if l.Source == "" {
		l.Source = SourceHuman
	}
	if l.Status == "" {
		if l.Source == SourceAuto {
			l.Status = StatusProposed
		} else {
			l.Status = StatusConfirmed
		}
	}
	l.From, l.To = l.From.UTC(), l.To.UTC()
}
