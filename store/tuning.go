package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Tuning is the detector setting saved for one monitor: the engine applies
// it over the configuration's setting until it is deleted. Detector is the
// engine's JSON of the setting; the store keeps it opaque.
type Tuning struct {
	Monitor  string          `json:"monitor"`
	Detector json.RawMessage `json:"detector"`
	Author   string          `json:"author,omitempty"`
	Note     string          `json:"note,omitempty"`
	SavedAt  time.Time       `json:"saved_at"`
}

// Audit actions of tunings.
const (
	AuditTuningSave   = "tuning.save"
	AuditTuningDelete = "tuning.delete"
)

// TuningStore persists the per-monitor tunings. Every save and delete is
// written to the audit log in the same transaction.
type TuningStore interface {
	// SaveTuning stores t, replacing the monitor's previous tuning, and
	// audits it as actor.
	SaveTuning(ctx context.Context, actor string, t Tuning) error
	// DeleteTuning removes the monitor's tuning; ErrNotFound when it has
	// none.
	DeleteTuning(ctx context.Context, actor, monitor string) error
	// Tunings returns every saved tuning, by monitor.
	Tunings(ctx context.Context) ([]Tuning, error)
}

// Validate checks a tuning before it is stored.
func (t Tuning) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w tuning: %s", ErrInvalid, fmt.Sprintf(format, args...))
	}
	switch {
	case strings.TrimSpace(t.Monitor) == "":
		return bad("monitor is required")
	case !json.Valid(t.Detector):
		return bad("detector must be JSON")
	case len(t.Note) > MaxLabelNoteLen:
		return bad("note is %d bytes long, at most %d allowed", len(t.Note), MaxLabelNoteLen)
	case len(t.Author) > MaxLabelAuthorLen:
		return bad("author is %d bytes long, at most %d allowed", len(t.Author), MaxLabelAuthorLen)
	case !utf8.ValidString(t.Monitor) || !utf8.ValidString(t.Author) || !utf8.ValidString(t.Note):
		return bad("monitor, author and note must be UTF-8")
	}
	return nil
}

// SaveTuning implements TuningStore.
func (s *sqliteStore) SaveTuning(ctx context.Context, actor string, t Tuning) (err error) {
	if err := t.Validate(); err != nil {
		return err
	}
	if t.SavedAt.IsZero() {
		t.SavedAt = time.Now()
	}
	t.SavedAt = t.SavedAt.UTC().Truncate(time.Millisecond)
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save tuning of %q: begin: %w", t.Monitor, err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, rollback(tx))
		}
	}()
	before, err := tuningIn(ctx, tx, t.Monitor)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("save tuning of %q: %w", t.Monitor, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO monitor_tuning (monitor, detector, author, note, saved_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (monitor) DO UPDATE SET detector = excluded.detector, author = excluded.author,
			note = excluded.note, saved_at = excluded.saved_at`,
		t.Monitor, string(t.Detector), t.Author, t.Note, t.SavedAt.UnixMilli()); err != nil {
		return fmt.Errorf("save tuning of %q: %w", t.Monitor, err)
	}
	entry := AuditEntry{Time: t.SavedAt, Actor: actor, Action: AuditTuningSave, Target: t.Monitor}
	if entry.After, err = json.Marshal(t); err != nil {
		return fmt.Errorf("save tuning of %q: encode: %w", t.Monitor, err)
	}
	if before != nil {
		if entry.Before, err = json.Marshal(before); err != nil {
			return fmt.Errorf("save tuning of %q: encode: %w", t.Monitor, err)
		}
	}
	if err := insertAudit(ctx, tx, entry, nil, nil); err != nil {
		return fmt.Errorf("save tuning of %q: %w", t.Monitor, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save tuning of %q: commit: %w", t.Monitor, err)
	}
	return nil
}

// DeleteTuning implements TuningStore.
func (s *sqliteStore) DeleteTuning(ctx context.Context, actor, monitor string) (err error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete tuning of %q: begin: %w", monitor, err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, rollback(tx))
		}
	}()
	before, err := tuningIn(ctx, tx, monitor)
	if err != nil {
		return fmt.Errorf("delete tuning of %q: %w", monitor, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM monitor_tuning WHERE monitor = ?`, monitor); err != nil {
		return fmt.Errorf("delete tuning of %q: %w", monitor, err)
	}
	entry := AuditEntry{Time: time.Now().UTC(), Actor: actor, Action: AuditTuningDelete, Target: monitor}
	if entry.Before, err = json.Marshal(before); err != nil {
		return fmt.Errorf("delete tuning of %q: encode: %w", monitor, err)
	}
	if err := insertAudit(ctx, tx, entry, nil, nil); err != nil {
		return fmt.Errorf("delete tuning of %q: %w", monitor, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete tuning of %q: commit: %w", monitor, err)
	}
	return nil
}

// Tunings implements TuningStore.
func (s *sqliteStore) Tunings(ctx context.Context) ([]Tuning, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT monitor, detector, author, note, saved_at FROM monitor_tuning ORDER BY monitor`)
	if err != nil {
		return nil, fmt.Errorf("tunings: %w", err)
	}
	defer rows.Close()
	var out []Tuning
	for rows.Next() {
		t, err := scanTuning(rows)
		if err != nil {
			return nil, fmt.Errorf("tunings: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("tunings: %w", err)
	}
	return out, nil
}

// tuningIn reads a monitor's tuning inside tx; ErrNotFound when it has none.
func tuningIn(ctx context.Context, tx *sql.Tx, monitor string) (*Tuning, error) {
	t, err := scanTuning(tx.QueryRowContext(ctx, `SELECT monitor, detector, author, note, saved_at FROM monitor_tuning WHERE monitor = ?`, monitor))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("tuning of %q: %w", monitor, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func scanTuning(r rowScanner) (Tuning, error) {
	var (
		t       Tuning
		det     string
		savedAt int64
	)
	if err := r.Scan(&t.Monitor, &det, &t.Author, &t.Note, &savedAt); err != nil {
		return Tuning{}, err
	}
	t.Detector = json.RawMessage(det)
	t.SavedAt = time.UnixMilli(savedAt).UTC()
	return t, nil
}
