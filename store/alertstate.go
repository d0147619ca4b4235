package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/alert"
)

// This file implements alert.StateStore on SQLite: the router's alerts,
// aggregation groups, silences, notification log and notification history
// (tables of migration 0004). The Manager writes through on every change,
// so each call is one statement or one transaction on the single writer
// connection, and a batch prepares its statement once.

// Limits on one Notifications call, as for events.
const (
	DefaultNotificationLimit = 100
	MaxNotificationLimit     = 10000
)

var _ alert.StateStore = (*sqliteStore)(nil)

// LoadAlerts returns every stored alert, by fingerprint.
func (s *sqliteStore) LoadAlerts(ctx context.Context) ([]*alert.Alert, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT fingerprint, labels, annotations, starts_at, ends_at, updated_at,
		generator_url, acked_by, acked_at, ack_comment FROM alert_alerts ORDER BY fingerprint`)
	if err != nil {
		return nil, fmt.Errorf("load alerts: %w", err)
	}
	defer rows.Close()
	var out []*alert.Alert
	for rows.Next() {
		var (
			fp, ls, ann, url, ackBy, ackComment string
			starts, ends, updated, ackedAt      sql.NullInt64
		)
		if err := rows.Scan(&fp, &ls, &ann, &starts, &ends, &updated, &url, &ackBy, &ackedAt, &ackComment); err != nil {
			return nil, fmt.Errorf("load alerts: %w", err)
		}
		a := &alert.Alert{
			StartsAt: decodeNanos(starts), EndsAt: decodeNanos(ends), UpdatedAt: decodeNanos(updated),
			GeneratorURL: url,
		}
		if a.Fingerprint, err = parseFingerprint(fp); err != nil {
			return nil, fmt.Errorf("load alerts: %w", err)
		}
		if err := json.Unmarshal([]byte(ls), &a.Labels); err != nil {
			return nil, fmt.Errorf("load alerts: alert %s: decode labels: %w", fp, err)
		}
		if a.Annotations, err = decodeAnnotations(ann); err != nil {
			return nil, fmt.Errorf("load alerts: alert %s: %w", fp, err)
		}
		setAck(a, ackBy, decodeNanos(ackedAt), ackComment)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load alerts: %w", err)
	}
	return out, nil
}

const saveAlertSQL = `INSERT INTO alert_alerts
	(fingerprint, labels, annotations, starts_at, ends_at, updated_at, generator_url, acked_by, acked_at, ack_comment)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (fingerprint) DO UPDATE SET labels = excluded.labels, annotations = excluded.annotations,
		starts_at = excluded.starts_at, ends_at = excluded.ends_at, updated_at = excluded.updated_at,
		generator_url = excluded.generator_url, acked_by = excluded.acked_by, acked_at = excluded.acked_at,
		ack_comment = excluded.ack_comment`

// SaveAlerts inserts or replaces alerts in one transaction: all of them
// are stored, or none.
func (s *sqliteStore) SaveAlerts(ctx context.Context, alerts []*alert.Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	rows := make([][]any, len(alerts))
	for i, a := range alerts {
		if a == nil {
			return fmt.Errorf("save alerts: alert %d is nil", i)
		}
		ls, err := json.Marshal(a.Labels)
		if err != nil {
			return fmt.Errorf("save alerts: alert %s: encode labels: %w", a.Fingerprint, err)
		}
		ann, err := encodeAnnotations(a.Annotations)
		if err != nil {
			return fmt.Errorf("save alerts: alert %s: %w", a.Fingerprint, err)
		}
		by, at, comment := ackOf(a)
		if err := checkNanos(fmt.Sprintf("save alerts: alert %s", a.Fingerprint), a.StartsAt, a.EndsAt, a.UpdatedAt, at); err != nil {
			return err
		}
		rows[i] = []any{a.Fingerprint.String(), string(ls), ann, encodeNanos(a.StartsAt), encodeNanos(a.EndsAt),
			encodeNanos(a.UpdatedAt), a.GeneratorURL, by, encodeNanos(at), comment}
	}
	if len(rows) == 1 {
		// One statement is one transaction already: no BEGIN and COMMIT
		// round trips for the Manager's most frequent write.
		if _, err := s.w.ExecContext(ctx, saveAlertSQL, rows[0]...); err != nil {
			return fmt.Errorf("save alerts: alert %s: %w", alerts[0].Fingerprint, err)
		}
		return nil
	}
	return s.inTx(ctx, "save alerts", func(tx *sql.Tx) error {
		return execEach(ctx, tx, saveAlertSQL, rows)
	})
}

// DeleteAlerts forgets the alerts with these fingerprints, in one
// transaction. Unknown fingerprints are ignored.
func (s *sqliteStore) DeleteAlerts(ctx context.Context, fps []alert.Fingerprint) error {
	if len(fps) == 0 {
		return nil
	}
	rows := make([][]any, len(fps))
	for i, fp := range fps {
		rows[i] = []any{fp.String()}
	}
	if len(rows) == 1 {
		if _, err := s.w.ExecContext(ctx, `DELETE FROM alert_alerts WHERE fingerprint = ?`, rows[0]...); err != nil {
			return fmt.Errorf("delete alerts: %w", err)
		}
		return nil
	}
	return s.inTx(ctx, "delete alerts", func(tx *sql.Tx) error {
		return execEach(ctx, tx, `DELETE FROM alert_alerts WHERE fingerprint = ?`, rows)
	})
}

// LoadGroups returns every stored aggregation group, by key.
func (s *sqliteStore) LoadGroups(ctx context.Context) ([]alert.GroupState, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT group_key, route_id, receiver, labels, created_at FROM alert_groups ORDER BY group_key`)
	if err != nil {
		return nil, fmt.Errorf("load groups: %w", err)
	}
	defer rows.Close()
	var out []alert.GroupState
	for rows.Next() {
		var (
			g       alert.GroupState
			ls      string
			created sql.NullInt64
		)
		if err := rows.Scan(&g.Key, &g.RouteID, &g.Receiver, &ls, &created); err != nil {
			return nil, fmt.Errorf("load groups: %w", err)
		}
		if err := json.Unmarshal([]byte(ls), &g.Labels); err != nil {
			return nil, fmt.Errorf("load groups: group %q: decode labels: %w", g.Key, err)
		}
		g.CreatedAt = decodeNanos(created)
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load groups: %w", err)
	}
	return out, nil
}

// SaveGroup inserts or replaces g, keyed by its Key.
func (s *sqliteStore) SaveGroup(ctx context.Context, g alert.GroupState) error {
	if g.Key == "" {
		return errors.New("save group: empty group key")
	}
	if err := checkNanos(fmt.Sprintf("save group %q", g.Key), g.CreatedAt); err != nil {
		return err
	}
	ls, err := json.Marshal(g.Labels)
	if err != nil {
		return fmt.Errorf("save group %q: encode labels: %w", g.Key, err)
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO alert_groups (group_key, route_id, receiver, labels, created_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (group_key) DO UPDATE SET route_id = excluded.route_id, receiver = excluded.receiver,
			labels = excluded.labels, created_at = excluded.created_at`,
		g.Key, g.RouteID, g.Receiver, string(ls), encodeNanos(g.CreatedAt))
	if err != nil {
		return fmt.Errorf("save group %q: %w", g.Key, err)
	}
	return nil
}

// DeleteGroup forgets the group and its notification log entries in one
// transaction, so that a restart never sees a log without its group.
func (s *sqliteStore) DeleteGroup(ctx context.Context, key string) error {
	return s.inTx(ctx, fmt.Sprintf("delete group %q", key), func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM alert_groups WHERE group_key = ?`, key); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM alert_notify_log WHERE group_key = ?`, key)
		return err
	})
}

// LoadSilences returns every stored silence, expired ones included, by ID.
func (s *sqliteStore) LoadSilences(ctx context.Context) ([]alert.Silence, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, matchers, starts_at, ends_at, created_by, comment, updated_at
		FROM alert_silences ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("load silences: %w", err)
	}
	defer rows.Close()
	var out []alert.Silence
	for rows.Next() {
		var (
			sil          alert.Silence
			ms           string
			starts, ends int64
			updated      sql.NullInt64
		)
		if err := rows.Scan(&sil.ID, &ms, &starts, &ends, &sil.CreatedBy, &sil.Comment, &updated); err != nil {
			return nil, fmt.Errorf("load silences: %w", err)
		}
		if sil.Matchers, err = decodeMatchers(ms); err != nil {
			return nil, fmt.Errorf("load silences: silence %q: %w", sil.ID, err)
		}
		sil.StartsAt = time.Unix(0, starts).UTC()
		sil.EndsAt = time.Unix(0, ends).UTC()
		sil.UpdatedAt = decodeNanos(updated)
		out = append(out, sil)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load silences: %w", err)
	}
	return out, nil
}

// SaveSilence inserts or replaces sil, keyed by its ID. The Manager
// validates silences; the store only refuses what it could not read back.
func (s *sqliteStore) SaveSilence(ctx context.Context, sil alert.Silence) error {
	if sil.ID == "" {
		return errors.New("save silence: empty id")
	}
	if sil.StartsAt.IsZero() || sil.EndsAt.IsZero() {
		return fmt.Errorf("save silence %q: start and end times are required", sil.ID)
	}
	if err := checkNanos(fmt.Sprintf("save silence %q", sil.ID), sil.StartsAt, sil.EndsAt, sil.UpdatedAt); err != nil {
		return err
	}
	ms, err := encodeMatchers(sil.Matchers)
	if err != nil {
		return fmt.Errorf("save silence %q: %w", sil.ID, err)
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO alert_silences (id, matchers, starts_at, ends_at, created_by, comment, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET matchers = excluded.matchers, starts_at = excluded.starts_at,
			ends_at = excluded.ends_at, created_by = excluded.created_by, comment = excluded.comment,
			updated_at = excluded.updated_at`,
		sil.ID, ms, sil.StartsAt.UnixNano(), sil.EndsAt.UnixNano(), sil.CreatedBy, sil.Comment, encodeNanos(sil.UpdatedAt))
	if err != nil {
		return fmt.Errorf("save silence %q: %w", sil.ID, err)
	}
	return nil
}

// DeleteSilence removes the silence with this ID; an unknown ID is not an
// error.
func (s *sqliteStore) DeleteSilence(ctx context.Context, id string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM alert_silences WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete silence %q: %w", id, err)
	}
	return nil
}

// LoadNotificationLog returns every notification log entry, by group and
// integration.
func (s *sqliteStore) LoadNotificationLog(ctx context.Context) ([]alert.NotifyEntry, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT group_key, integration, firing, resolved, sent_at
		FROM alert_notify_log ORDER BY group_key, integration`)
	if err != nil {
		return nil, fmt.Errorf("load notification log: %w", err)
	}
	defer rows.Close()
	var out []alert.NotifyEntry
	for rows.Next() {
		var (
			e                alert.NotifyEntry
			firing, resolved string
			sent             sql.NullInt64
		)
		if err := rows.Scan(&e.GroupKey, &e.Receiver, &firing, &resolved, &sent); err != nil {
			return nil, fmt.Errorf("load notification log: %w", err)
		}
		if e.Firing, err = decodeFingerprints(firing); err != nil {
			return nil, fmt.Errorf("load notification log: group %q, %s: firing: %w", e.GroupKey, e.Receiver, err)
		}
		if e.Resolved, err = decodeFingerprints(resolved); err != nil {
			return nil, fmt.Errorf("load notification log: group %q, %s: resolved: %w", e.GroupKey, e.Receiver, err)
		}
		e.Timestamp = decodeNanos(sent)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load notification log: %w", err)
	}
	return out, nil
}

// SaveNotifyEntry replaces the entry of e's group and integration.
func (s *sqliteStore) SaveNotifyEntry(ctx context.Context, e alert.NotifyEntry) error {
	if e.GroupKey == "" || e.Receiver == "" {
		return errors.New("save notification log entry: group key and receiver are required")
	}
	if err := checkNanos(fmt.Sprintf("save notification log entry (group %q, %s)", e.GroupKey, e.Receiver), e.Timestamp); err != nil {
		return err
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO alert_notify_log (group_key, integration, firing, resolved, sent_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (group_key, integration) DO UPDATE SET firing = excluded.firing, resolved = excluded.resolved,
			sent_at = excluded.sent_at`,
		e.GroupKey, e.Receiver, encodeFingerprints(e.Firing), encodeFingerprints(e.Resolved), encodeNanos(e.Timestamp))
	if err != nil {
		return fmt.Errorf("save notification log entry (group %q, %s): %w", e.GroupKey, e.Receiver, err)
	}
	return nil
}

// AppendNotification adds r to the notification history and sets r.ID.
// A zero Time is stored as the current time.
func (s *sqliteStore) AppendNotification(ctx context.Context, r *alert.NotificationRecord) error {
	if r == nil {
		return errors.New("append notification: nil record")
	}
	if r.Receiver == "" || r.GroupKey == "" || r.Status == "" {
		return errors.New("append notification: receiver, group key and status are required")
	}
	if r.Time.IsZero() {
		r.Time = time.Now()
	}
	if err := checkNanos("append notification", r.Time); err != nil {
		return err
	}
	var id int64
	err := s.w.QueryRowContext(ctx, `INSERT INTO alert_notifications
		(ts, receiver, integration, group_key, status, firing, resolved, attempts, error, escalation)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		r.Time.UnixNano(), r.Receiver, r.Integration, r.GroupKey, r.Status,
		encodeFingerprints(r.Firing), encodeFingerprints(r.Resolved), r.Attempts, r.Error, r.Escalation).Scan(&id)
	if err != nil {
		return fmt.Errorf("append notification (receiver %q, group %q): %w", r.Receiver, r.GroupKey, err)
	}
	r.ID = id
	return nil
}

// Notifications returns the history records matching f, newest first
// (ties by ID, descending). From and To are inclusive.
func (s *sqliteStore) Notifications(ctx context.Context, f alert.NotificationFilter) ([]alert.NotificationRecord, error) {
	limit, err := notificationLimit(f)
	if err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	var (
		where []string
		args  []any
	)
	if !f.From.IsZero() {
		where, args = append(where, "ts >= ?"), append(args, clampNanos(f.From))
	}
	if !f.To.IsZero() {
		where, args = append(where, "ts <= ?"), append(args, clampNanos(f.To))
	}
	if f.Receiver != "" {
		where, args = append(where, "receiver = ?"), append(args, f.Receiver)
	}
	if f.GroupKey != "" {
		where, args = append(where, "group_key = ?"), append(args, f.GroupKey)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	q := `SELECT id, ts, receiver, integration, group_key, status, firing, resolved, attempts, error, escalation
		FROM alert_notifications`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY ts DESC, id DESC LIMIT ?"
	rows, err := s.r.QueryContext(ctx, q, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	defer rows.Close()
	var out []alert.NotificationRecord
	for rows.Next() {
		var (
			r                alert.NotificationRecord
			ts               int64
			firing, resolved string
		)
		if err := rows.Scan(&r.ID, &ts, &r.Receiver, &r.Integration, &r.GroupKey, &r.Status,
			&firing, &resolved, &r.Attempts, &r.Error, &r.Escalation); err != nil {
			return nil, fmt.Errorf("notifications: %w", err)
		}
		r.Time = time.Unix(0, ts).UTC()
		if r.Firing, err = decodeFingerprints(firing); err != nil {
			return nil, fmt.Errorf("notifications: record %d: firing: %w", r.ID, err)
		}
		if r.Resolved, err = decodeFingerprints(resolved); err != nil {
			return nil, fmt.Errorf("notifications: record %d: resolved: %w", r.ID, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	return out, nil
}

// pruneNotificationsSQL deletes up to a batch of the history before an
// instant, oldest first, found through the alert_notifications_ts index
// rather than a scan (TestPruneNotificationsUsesIndex checks the plan).
const pruneNotificationsSQL = `DELETE FROM alert_notifications WHERE id IN
	(SELECT id FROM alert_notifications WHERE ts < ? ORDER BY ts LIMIT ?)`

// pruneBatch is how many records one prune statement deletes. The first
// prune after an upgrade may face months of history: in batches, the
// Manager's own writes get the single writer connection between them
// instead of waiting behind one long DELETE (their timeout is 10s), and a
// prune cut short by its context keeps what it deleted.
const pruneBatch = 5000

// PruneNotifications deletes the history records older than before (a
// record at before is kept) and returns how many it deleted — with an
// error, how many it deleted before it. A bound beyond the storable range
// is clamped: the zero time deletes nothing.
func (s *sqliteStore) PruneNotifications(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for {
		res, err := s.w.ExecContext(ctx, pruneNotificationsSQL, clampNanos(before), pruneBatch)
		if err != nil {
			return total, fmt.Errorf("prune notifications before %s: %w", before.Format(time.RFC3339), err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("prune notifications: rows deleted: %w", err)
		}
		total += int(n)
		if n < pruneBatch {
			return total, nil
		}
	}
}

// notificationLimit returns the effective limit of f, or an error for a
// filter that cannot match anything sensible.
func notificationLimit(f alert.NotificationFilter) (int, error) {
	if err := checkTimeRange(f.From, f.To); err != nil {
		return 0, err
	}
	return effectiveLimit(f.Limit, DefaultNotificationLimit, MaxNotificationLimit)
}

// inTx runs fn in a write transaction, committing if it succeeds; what is
// names the operation in errors.
func (s *sqliteStore) inTx(ctx context.Context, what string, fn func(*sql.Tx) error) (err error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin: %w", what, err)
	}
	if err := fn(tx); err != nil {
		return errors.Join(fmt.Errorf("%s: %w", what, err), rollback(tx))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", what, err)
	}
	return nil
}

// execEach prepares query once in tx and runs it with each row of args.
func execEach(ctx context.Context, tx *sql.Tx, query string, rows [][]any) error {
	stmt, err := tx.PrepareContext(ctx, query)
	if err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	defer stmt.Close()
	for i, args := range rows {
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("row %d: %w", i, err)
		}
	}
	return nil
}

// The instants unix nanoseconds in an int64 can hold.
var (
	minNanoTime = time.Unix(0, math.MinInt64)
	maxNanoTime = time.Unix(0, math.MaxInt64)
)

// checkNanos refuses the times encodeNanos cannot hold, instead of
// storing one that wrapped around.
func checkNanos(what string, ts ...time.Time) error {
	for _, t := range ts {
		if !t.IsZero() && (t.Before(minNanoTime) || t.After(maxNanoTime)) {
			return fmt.Errorf("%s: time %s is outside the storable range (years 1678 to 2262)", what, t.Format(time.RFC3339))
		}
	}
	return nil
}

// clampNanos returns t in unix nanoseconds, clamped to the range, for
// query bounds: a bound beyond the range means "no bound".
func clampNanos(t time.Time) int64 {
	switch {
	case t.Before(minNanoTime):
		return math.MinInt64
	case t.After(maxNanoTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// encodeNanos stores a time as unix nanoseconds, the zero time as NULL.
// Callers check the range with checkNanos first.
func encodeNanos(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixNano(), Valid: true}
}

func decodeNanos(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.Unix(0, v.Int64).UTC()
}

func encodeAnnotations(ann map[string]string) (string, error) {
	if len(ann) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(ann) // keys sorted
	if err != nil {
		return "", fmt.Errorf("encode annotations: %w", err)
	}
	return string(b), nil
}

func decodeAnnotations(s string) (map[string]string, error) {
	if s == "" || s == "{}" {
		return nil, nil
	}
	var ann map[string]string
	if err := json.Unmarshal([]byte(s), &ann); err != nil {
		return nil, fmt.Errorf("decode annotations: %w", err)
	}
	return ann, nil
}

func parseFingerprint(s string) (alert.Fingerprint, error) {
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil || len(s) != 16 {
		return 0, fmt.Errorf("invalid fingerprint %q", s)
	}
	return alert.Fingerprint(v), nil
}

// encodeFingerprints writes fingerprints as a JSON array of 16-hex-digit
// strings, the form the API shows and people grep for.
func encodeFingerprints(fps []alert.Fingerprint) string {
	if len(fps) == 0 {
		return "[]"
	}
	var b strings.Builder
	b.Grow(len(fps) * 19)
	b.WriteByte('[')
	for i, fp := range fps {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(fp.String())
		b.WriteByte('"')
	}
	b.WriteByte(']')
	return b.String()
}

func decodeFingerprints(s string) ([]alert.Fingerprint, error) {
	if s == "" || s == "[]" {
		return nil, nil
	}
	var hex []string
	if err := json.Unmarshal([]byte(s), &hex); err != nil {
		return nil, fmt.Errorf("decode fingerprints: %w", err)
	}
	out := make([]alert.Fingerprint, len(hex))
	for i, h := range hex {
		fp, err := parseFingerprint(h)
		if err != nil {
			return nil, err
		}
		out[i] = fp
	}
	return out, nil
}

// encodeMatchers writes matchers as a JSON array of strings in
// Alertmanager's syntax (name, operator, Go-quoted value), which reads the
// same in SQL as in amtool and survives any label name or value.
func encodeMatchers(ms []*labels.Matcher) (string, error) {
	strs := make([]string, len(ms))
	for i, m := range ms {
		if m == nil {
			return "", fmt.Errorf("matcher %d is nil", i)
		}
		strs[i] = m.String()
	}
	b, err := json.Marshal(strs)
	if err != nil {
		return "", fmt.Errorf("encode matchers: %w", err)
	}
	return string(b), nil
}

func decodeMatchers(s string) ([]*labels.Matcher, error) {
	var strs []string
	if err := json.Unmarshal([]byte(s), &strs); err != nil {
		return nil, fmt.Errorf("decode matchers: %w", err)
	}
	out := make([]*labels.Matcher, len(strs))
	for i, str := range strs {
		m, err := parseStoredMatcher(str)
		if err != nil {
			return nil, fmt.Errorf("decode matcher %d: %w", i, err)
		}
		out[i] = m
	}
	return out, nil
}

// parseStoredMatcher is the inverse of labels.Matcher.String: a label name
// (bare, or Go-quoted when it is not a classic name), an operator and a
// Go-quoted value. It reads with alert's parser, which owns the syntax, and
// is strict on purpose: what does not read back to the very string
// encodeMatchers wrote is a corrupt row.
func parseStoredMatcher(s string) (*labels.Matcher, error) {
	m, err := alert.ParseMatcher(s)
	if err != nil {
		return nil, fmt.Errorf("matcher %q: %w", s, err)
	}
	if m.String() != s {
		return nil, fmt.Errorf("matcher %q: not in the stored form (want %s)", s, m)
	}
	return m, nil
}

// ackOf returns the acknowledgement stored with a.
func ackOf(a *alert.Alert) (by string, at time.Time, comment string) {
	return a.AckedBy, a.AckedAt, a.AckComment
}

// setAck sets the acknowledgement read back with a.
func setAck(a *alert.Alert, by string, at time.Time, comment string) {
	a.AckedBy, a.AckedAt, a.AckComment = by, at, comment
}
