package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// Role is what a bearer token may do. Roles are ordered: each one may do
// what the ones below it may.
type Role string

// The roles, lowest first.
const (
	// RoleViewer reads: series, windows, events, labels, evaluations.
	RoleViewer Role = "viewer"
	// RoleLabeler also creates, edits and deletes labels and confirms or
	// rejects proposed ones.
	RoleLabeler Role = "labeler"
	// RoleAdmin also reads the audit log and manages tokens.
	RoleAdmin Role = "admin"
)

// rank orders the roles; 0 is no role at all.
func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleLabeler:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Valid reports whether r is one of the roles above.
func (r Role) Valid() bool { return r.rank() > 0 }

// Allows reports whether a holder of r may do what needs role need.
func (r Role) Allows(need Role) bool { return r.Valid() && r.rank() >= need.rank() }

// Token is an API bearer token as the store keeps it: its name, role and
// the SHA-256 of the secret, never the secret itself. A plain hash is
// enough because Seismo's tokens are 256-bit random values: there is no
// dictionary to attack, so a slow password hash would only slow every
// request down.
type Token struct {
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	Hash      string    `json:"-"` // hex SHA-256 of the secret
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

// HashToken returns the hex SHA-256 of a token's secret, as Token.Hash
// holds it.
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// TokenStore keeps API tokens created through the admin endpoint (tokens
// in the configuration file are never stored).
type TokenStore interface {
	// CreateToken stores t (Hash set, name unique: ErrConflict otherwise)
	// and records it in the audit log.
	CreateToken(ctx context.Context, actor string, t Token) (Token, error)
	// DeleteToken removes the token name (ErrNotFound when there is none)
	// and records it in the audit log.
	DeleteToken(ctx context.Context, actor, name string) error
	// Tokens returns every stored token, by name, hashes included (the
	// server compares them in constant time).
	Tokens(ctx context.Context) ([]Token, error)
}

func (t Token) validate() error {
	switch {
	case t.Name == "" || len(t.Name) > 128:
		return fmt.Errorf("%w token: name must be 1 to 128 bytes", ErrInvalid)
	case !t.Role.Valid():
		return fmt.Errorf("%w token: unknown role %q (want viewer, labeler or admin)", ErrInvalid, t.Role)
	case len(t.Hash) != 2*sha256.Size:
		return fmt.Errorf("%w token: hash must be a hex SHA-256", ErrInvalid)
	}
	return nil
}
