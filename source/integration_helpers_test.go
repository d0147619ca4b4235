//go:build integration

package source

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"testing"
	"time"
)

// requireService skips the test when addr does not accept connections,
// unless CI is "true": there a missing service is a failure.
func requireService(t *testing.T, what, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err == nil {
		c.Close()
		return
	}
	absent(t, "%s is not reachable at %s: %v", what, addr, err)
}

// absent skips, or fails in CI, because a peer the test needs is missing.
func absent(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// uniqueName returns a table name no concurrent test run will share.
func uniqueName(prefix string) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return prefix + "_" + hex.EncodeToString(b[:])
}
