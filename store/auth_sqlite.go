package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// CreateToken stores a token and its audit entry in one transaction.
func (s *sqliteStore) CreateToken(ctx context.Context, actor string, t Token) (_ Token, err error) {
	if err := t.validate(); err != nil {
		return Token{}, err
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = time.Now()
	}
	t.CreatedAt = time.UnixMilli(t.CreatedAt.UnixMilli()).UTC()
	t.CreatedBy = actor
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return Token{}, fmt.Errorf("create token: begin: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, rollback(tx))
		}
	}()
	res, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (name, role, hash, created_at, created_by)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
		t.Name, string(t.Role), strings.ToLower(t.Hash), t.CreatedAt.UnixMilli(), actor)
	if err != nil {
		return Token{}, fmt.Errorf("create token %q: %w", t.Name, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return Token{}, fmt.Errorf("create token %q: %w", t.Name, err)
	} else if n == 0 {
		return Token{}, fmt.Errorf("token %q already exists: %w", t.Name, ErrConflict)
	}
	if err := insertAudit(ctx, tx, AuditEntry{Time: t.CreatedAt, Actor: actor, Action: AuditTokenCreate, Target: t.Name + " (" + string(t.Role) + ")"}, nil, nil); err != nil {
		return Token{}, fmt.Errorf("create token %q: %w", t.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return Token{}, fmt.Errorf("create token %q: commit: %w", t.Name, err)
	}
	return t, nil
}

// DeleteToken removes a token and records it.
func (s *sqliteStore) DeleteToken(ctx context.Context, actor, name string) (err error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete token: begin: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, rollback(tx))
		}
	}()
	res, err := tx.ExecContext(ctx, `DELETE FROM api_tokens WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("delete token %q: %w", name, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete token %q: %w", name, err)
	} else if n == 0 {
		return fmt.Errorf("token %q: %w", name, ErrNotFound)
	}
	if err := insertAudit(ctx, tx, AuditEntry{Time: time.Now(), Actor: actor, Action: AuditTokenDelete, Target: name}, nil, nil); err != nil {
		return fmt.Errorf("delete token %q: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete token %q: commit: %w", name, err)
	}
	return nil
}

// Tokens returns every stored token by name.
func (s *sqliteStore) Tokens(ctx context.Context) ([]Token, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT name, role, hash, created_at, created_by FROM api_tokens ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var (
			t    Token
			role string
			at   int64
		)
		if err := rows.Scan(&t.Name, &role, &t.Hash, &at, &t.CreatedBy); err != nil {
			return nil, fmt.Errorf("tokens: %w", err)
		}
		t.Role, t.CreatedAt = Role(role), time.UnixMilli(at).UTC()
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	return out, nil
}
