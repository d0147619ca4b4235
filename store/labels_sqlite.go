package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/alert"
)

// labelColumns is the column list every label query reads, in scanLabel's
// order.
const labelColumns = `id, monitor, series, from_ts, to_ts, kind, author, note, source, status, created_at, updated_at`

// CreateLabels validates every label first, then inserts them and their
// audit entries in one transaction.
func (s *sqliteStore) CreateLabels(ctx context.Context, actor string, ls []Label) (_ []Label, err error) {
	if len(ls) == 0 {
		return nil, nil
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	out := make([]Label, len(ls))
	for i, l := range ls {
		l.normalize()
		l.ID = 0
		l.CreatedAt, l.UpdatedAt = now, now
		if err := l.Validate(); err != nil {
			if len(ls) > 1 {
				return nil, fmt.Errorf("label %d: %w", i, err)
			}
			return nil, err
		}
		out[i] = l
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("create labels: begin: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, rollback(tx))
		}
	}()
	ins, err := tx.PrepareContext(ctx, `INSERT INTO labels
		(monitor, fingerprint, series, from_ts, to_ts, kind, author, note, source, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`)
	if err != nil {
		return nil, fmt.Errorf("create labels: prepare: %w", err)
	}
	defer ins.Close()
	for i := range out {
		l := &out[i]
		series, err := json.Marshal(l.Series)
		if err != nil {
			return nil, fmt.Errorf("create labels: label %d: series: %w", i, err)
		}
		if err := ins.QueryRowContext(ctx, l.Monitor, alert.FingerprintOf(l.Series).String(), string(series),
			l.From.UnixMilli(), l.To.UnixMilli(), string(l.Kind), l.Author, l.Note, string(l.Source), string(l.Status),
			now.UnixMilli(), now.UnixMilli()).Scan(&l.ID); err != nil {
			return nil, fmt.Errorf("create labels: label %d: %w", i, err)
		}
		*l = roundLabel(*l)
		if err := insertAudit(ctx, tx, AuditEntry{Time: now, Actor: actor, Action: AuditCreate, LabelID: l.ID}, nil, l); err != nil {
			return nil, fmt.Errorf("create labels: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("create labels: commit: %w", err)
	}
	return out, nil
}

// roundLabel truncates l's times to the store's millisecond precision, so
// that what Create returns equals what Label reads back.
func roundLabel(l Label) Label {
	l.From = time.UnixMilli(l.From.UnixMilli()).UTC()
	l.To = time.UnixMilli(l.To.UnixMilli()).UTC()
	return l
}

// UpdateLabel replaces a label, keeping its CreatedAt. The audit action is
// label.confirm or label.reject when only the status of an automatic label
// moved to confirmed or rejected, label.update otherwise.
func (s *sqliteStore) UpdateLabel(ctx context.Context, actor string, l Label) (_ Label, err error) {
	l.normalize()
	if err := l.Validate(); err != nil {
		return Label{}, err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return Label{}, fmt.Errorf("update label %d: begin: %w", l.ID, err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, rollback(tx))
		}
	}()
	before, err := scanLabel(tx.QueryRowContext(ctx, `SELECT `+labelColumns+` FROM labels WHERE id = ?`, l.ID))
	if errors.Is(err, sql.ErrNoRows) {
		return Label{}, fmt.Errorf("label %d: %w", l.ID, ErrNotFound)
	}
	if err != nil {
		return Label{}, fmt.Errorf("update label %d: %w", l.ID, err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	l.CreatedAt, l.UpdatedAt = before.CreatedAt, now
	l = roundLabel(l)
	series, err := json.Marshal(l.Series)
	if err != nil {
		return Label{}, fmt.Errorf("update label %d: series: %w", l.ID, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE labels SET monitor = ?, fingerprint = ?, series = ?, from_ts = ?, to_ts = ?,
		kind = ?, author = ?, note = ?, source = ?, status = ?, updated_at = ? WHERE id = ?`,
		l.Monitor, alert.FingerprintOf(l.Series).String(), string(series), l.From.UnixMilli(), l.To.UnixMilli(),
		string(l.Kind), l.Author, l.Note, string(l.Source), string(l.Status), now.UnixMilli(), l.ID); err != nil {
		return Label{}, fmt.Errorf("update label %d: %w", l.ID, err)
	}
	action := AuditUpdate
	if onlyStatusChanged(before, l) && l.Source == SourceAuto {
		switch l.Status {
		case StatusConfirmed:
			action = AuditConfirm
		case StatusRejected:
			action = AuditReject
		}
	}
	if err := insertAudit(ctx, tx, AuditEntry{Time: now, Actor: actor, Action: action, LabelID: l.ID}, &before, &l); err != nil {
		return Label{}, fmt.Errorf("update label %d: %w", l.ID, err)
	}
	if err := tx.Commit(); err != nil {
		return Label{}, fmt.Errorf("update label %d: commit: %w", l.ID, err)
	}
	return l, nil
}

func onlyStatusChanged(a, b Label) bool {
	return a.Status != b.Status && a.Monitor == b.Monitor && labels.Equal(a.Series, b.Series) &&
		a.From.Equal(b.From) && a.To.Equal(b.To) && a.Kind == b.Kind && a.Note == b.Note && a.Source == b.Source
}

// DeleteLabel removes a label and records it, as it was, in the audit log.
func (s *sqliteStore) DeleteLabel(ctx context.Context, actor string, id int64) (err error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete label %d: begin: %w", id, err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, rollback(tx))
		}
	}()
	before, err := scanLabel(tx.QueryRowContext(ctx, `SELECT `+labelColumns+` FROM labels WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("label %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("delete label %d: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM labels WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete label %d: %w", id, err)
	}
	now := time.Now().UTC()
	if err := insertAudit(ctx, tx, AuditEntry{Time: now, Actor: actor, Action: AuditDelete, LabelID: id}, &before, nil); err != nil {
		return fmt.Errorf("delete label %d: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete label %d: commit: %w", id, err)
	}
	return nil
}

// Label returns one label.
func (s *sqliteStore) Label(ctx context.Context, id int64) (Label, error) {
	l, err := scanLabel(s.r.QueryRowContext(ctx, `SELECT `+labelColumns+` FROM labels WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Label{}, fmt.Errorf("label %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Label{}, fmt.Errorf("label %d: %w", id, err)
	}
	return l, nil
}

// Labels returns the labels matching f by ascending ID. Everything but
// label-set matchers is evaluated by SQLite; matchers are applied in Go on
// pages of rows, as Events does.
func (s *sqliteStore) Labels(ctx context.Context, f LabelFilter) ([]Label, error) {
	if err := f.validate(); err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	limit, _ := f.limit()
	var (
		where []string
		args  []any
	)
	if f.Monitor != "" {
		where, args = append(where, "monitor = ?"), append(args, f.Monitor)
	}
	if f.Series != nil {
		where, args = append(where, "(fingerprint = ? OR series = '{}')"), append(args, alert.FingerprintOf(*f.Series).String())
	}
	if !f.From.IsZero() {
		where, args = append(where, "to_ts >= ?"), append(args, f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		where, args = append(where, "from_ts <= ?"), append(args, f.To.UnixMilli())
	}
	if len(f.Kinds) > 0 {
		where = append(where, "kind IN ("+placeholders(len(f.Kinds))+")")
		for _, k := range f.Kinds {
			args = append(args, string(k))
		}
	}
	if len(f.Statuses) > 0 {
		where = append(where, "status IN ("+placeholders(len(f.Statuses))+")")
		for _, st := range f.Statuses {
			args = append(args, string(st))
		}
	}
	if f.Source != "" {
		where, args = append(where, "source = ?"), append(args, string(f.Source))
	}
	if f.Author != "" {
		where, args = append(where, "author = ?"), append(args, f.Author)
	}
	batch := limit
	if len(f.Matchers) > 0 {
		batch = max(limit, pageSize)
	}
	after := f.AfterID
	var out []Label
	for {
		w := append(where[:len(where):len(where)], "id > ?")
		a := append(args[:len(args):len(args)], after, batch)
		q := `SELECT ` + labelColumns + ` FROM labels WHERE ` + strings.Join(w, " AND ") + ` ORDER BY id LIMIT ?`
		rows, err := s.r.QueryContext(ctx, q, a...)
		if err != nil {
			return nil, fmt.Errorf("labels: %w", err)
		}
		n := 0
		for rows.Next() {
			l, err := scanLabel(rows)
			if err != nil {
				return nil, errors.Join(fmt.Errorf("labels: %w", err), rows.Close())
			}
			n, after = n+1, l.ID
			if matchAll(f.Matchers, l.Series) {
				out = append(out, l)
				if len(out) >= limit {
					break
				}
			}
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, fmt.Errorf("labels: %w", err)
		}
		if len(out) >= limit || n < batch {
			return out, nil
		}
	}
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

func scanLabel(r rowScanner) (Label, error) {
	var (
		l                              Label
		series, kind, source, status   string
		from, to, createdAt, updatedAt int64
	)
	if err := r.Scan(&l.ID, &l.Monitor, &series, &from, &to, &kind, &l.Author, &l.Note, &source, &status, &createdAt, &updatedAt); err != nil {
		return Label{}, err
	}
	if err := json.Unmarshal([]byte(series), &l.Series); err != nil {
		return Label{}, fmt.Errorf("label %d: decode series: %w", l.ID, err)
	}
	l.Kind, l.Source, l.Status = LabelKind(kind), LabelSource(source), LabelStatus(status)
	l.From, l.To = time.UnixMilli(from).UTC(), time.UnixMilli(to).UTC()
	l.CreatedAt, l.UpdatedAt = time.UnixMilli(createdAt).UTC(), time.UnixMilli(updatedAt).UTC()
	return l, nil
}

// insertAudit writes one audit entry inside tx, with the label before and
// after as JSON (NULL when nil).
func insertAudit(ctx context.Context, tx *sql.Tx, e AuditEntry, before, after *Label) error {
	enc := func(l *Label) (sql.NullString, error) {
		if l == nil {
			return sql.NullString{}, nil
		}
		b, err := json.Marshal(l)
		return sql.NullString{String: string(b), Valid: true}, err
	}
	b, err := enc(before)
	if err != nil {
		return fmt.Errorf("audit: encode label: %w", err)
	}
	a, err := enc(after)
	if err != nil {
		return fmt.Errorf("audit: encode label: %w", err)
	}
	if e.Before != nil {
		b = sql.NullString{String: string(e.Before), Valid: true}
	}
	if e.After != nil {
		a = sql.NullString{String: string(e.After), Valid: true}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO label_audit (ts, actor, action, label_id, target, before, after)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, e.Time.UnixMilli(), e.Actor, e.Action, e.LabelID, e.Target, b, a); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// AppendAudit records an action that is not a label change.
func (s *sqliteStore) AppendAudit(ctx context.Context, e AuditEntry) (err error) {
	if e.Action == "" {
		return fmt.Errorf("%w audit entry: no action", ErrInvalid)
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("append audit: begin: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, rollback(tx))
		}
	}()
	if err := insertAudit(ctx, tx, e, nil, nil); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("append audit: commit: %w", err)
	}
	return nil
}

// Audit returns audit entries, newest first.
func (s *sqliteStore) Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	ef := EventFilter{From: f.From, To: f.To, Limit: f.Limit}
	if err := ef.validate(); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	limit, _ := ef.limit()
	where, args := []string{"1 = 1"}, []any{}
	if !f.From.IsZero() {
		where, args = append(where, "ts >= ?"), append(args, f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		where, args = append(where, "ts <= ?"), append(args, f.To.UnixMilli())
	}
	if f.Actor != "" {
		where, args = append(where, "actor = ?"), append(args, f.Actor)
	}
	if f.LabelID != 0 {
		where, args = append(where, "label_id = ?"), append(args, f.LabelID)
	}
	if f.BeforeID > 0 {
		where, args = append(where, "id < ?"), append(args, f.BeforeID)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, ts, actor, action, label_id, target, before, after FROM label_audit WHERE `+
		strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var (
			e             AuditEntry
			ts            int64
			before, after sql.NullString
		)
		if err := rows.Scan(&e.ID, &ts, &e.Actor, &e.Action, &e.LabelID, &e.Target, &before, &after); err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		e.Time = time.UnixMilli(ts).UTC()
		if before.Valid {
			e.Before = json.RawMessage(before.String)
		}
		if after.Valid {
			e.After = json.RawMessage(after.String)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}
