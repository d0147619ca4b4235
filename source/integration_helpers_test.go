//go:build integration

package source

import (
	"crypto/rand"
	"encoding/hex"
)

// uniqueName returns a table name no concurrent test run will share.
func uniqueName(prefix string) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return prefix + "_" + hex.EncodeToString(b[:])
}
