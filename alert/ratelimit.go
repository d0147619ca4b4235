package alert

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
	"golang.org/x/time/rate"

	"github.com/seismo-dev/seismo/config/field"
)

// RateLimit caps how many messages an integration sends: at most N in
// any window of length Per. It is written "20/1m" (twenty a minute),
// "1/3s", or "none" to lift the default limit of the chat robots.
type RateLimit struct {
	N   int
	Per time.Duration
	// Off is set by "none": no limit, even where there is a default.
	Off bool
}

// DefaultRobotRateLimit is the limit of the WeCom, DingTalk and Feishu
// robots unless configured: all three vendors allow about 20 messages a
// minute per robot (DingTalk blocks a robot for ten minutes past that).
var DefaultRobotRateLimit = RateLimit{N: 20, Per: time.Minute}

// IsZero reports whether the limit was left unset.
func (r RateLimit) IsZero() bool { return r.N == 0 && r.Per == 0 && !r.Off }

// String formats the limit the way it is configured.
func (r RateLimit) String() string {
	switch {
	case r.Off:
		return "none"
	case r.IsZero():
		return ""
	}
	return strconv.Itoa(r.N) + "/" + field.Duration(r.Per).String()
}

// ParseRateLimit parses "N/duration" ("20/1m", "5/s"), or "none".
func ParseRateLimit(s string) (RateLimit, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "none") {
		return RateLimit{Off: true}, nil
	}
	ns, per, ok := strings.Cut(s, "/")
	if !ok {
		return RateLimit{}, fmt.Errorf("invalid rate limit %q (use messages/period, e.g. 20/1m, or none)", s)
	}
	n, err := strconv.Atoi(strings.TrimSpace(ns))
	if err != nil || n <= 0 {
		return RateLimit{}, fmt.Errorf("invalid rate limit %q: the number of messages must be a positive integer", s)
	}
	per = strings.TrimSpace(per)
	if per != "" && (per[0] < '0' || per[0] > '9') {
		per = "1" + per // "20/m" reads as "20/1m"
	}
	d, err := field.ParseDuration(per)
	if err != nil || d <= 0 {
		return RateLimit{}, fmt.Errorf("invalid rate limit %q: the period must be a positive duration such as 1m", s)
	}
	return RateLimit{N: n, Per: d.Std()}, nil
}

// UnmarshalYAML reads "20/1m" or "none".
func (r *RateLimit) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: expected a rate limit such as 20/1m", n.Line)}}
	}
	v, err := ParseRateLimit(n.Value)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
	}
	*r = v
	return nil
}

// MarshalYAML writes the limit in its config form.
func (r RateLimit) MarshalYAML() (any, error) { return r.String(), nil }

// MarshalText writes the limit in its config form (used by JSON).
func (r RateLimit) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// errRateLimitedHere is returned when the integration's own rate limit,
// or a pause a receiver asked for, would delay a message past the flush's
// deadline. The message is kept and tried again at the next flush.
var errRateLimitedHere = errors.New("held back by the rate limit past the flush deadline")

// limiter paces one integration's messages: a token bucket for the
// configured rate, and a pause until a time a receiver asked for (a 429's
// Retry-After, a robot's rate-limit error code). It is shared by every
// group that notifies through the integration. The nil limiter lets
// everything through at once.
type limiter struct {
	bucket *rate.Limiter // nil: no configured limit

	mu          sync.Mutex
	pausedUntil time.Time
}

// newLimiter returns the limiter of r; an unset or "none" limit only
// keeps the pauses.
//
// A plain token bucket with a burst of N refilled at N/Per would let
// nearly 2N messages through within one window (a full bucket, then a
// refill). To keep every window of length Per at N or fewer, the bucket
// holds a quarter of N and refills at the remaining three quarters per
// Per: burst + rate·Per = N.
func newLimiter(r RateLimit) *limiter {
	l := &limiter{}
	if r.Off || r.N <= 0 || r.Per <= 0 {
		return l
	}
	burst := max(1, r.N/4)
	refill := max(r.N-burst, 1)
	l.bucket = rate.NewLimiter(rate.Limit(float64(refill)/r.Per.Seconds()), burst)
	return l
}

// pause holds messages back until t (if later than a pause already set).
func (l *limiter) pause(t time.Time) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.After(l.pausedUntil) {
		l.pausedUntil = t
	}
}

// wait blocks until the integration may send one message and reports how
// long it waited. It fails at once with errRateLimitedHere when the wait
// would outlast ctx's deadline, so that a flush does not sleep for a turn
// it cannot use.
func (l *limiter) wait(ctx context.Context) (time.Duration, error) {
	if l == nil {
		return 0, ctx.Err()
	}
	now := time.Now()
	l.mu.Lock()
	until := l.pausedUntil
	l.mu.Unlock()
	delay := max(until.Sub(now), 0)
	var res *rate.Reservation
	if l.bucket != nil {
		res = l.bucket.ReserveN(now.Add(delay), 1)
		delay += res.DelayFrom(now.Add(delay))
	}
	if delay <= 0 {
		return 0, ctx.Err()
	}
	if d, ok := ctx.Deadline(); ok && now.Add(delay).After(d) {
		if res != nil {
			res.CancelAt(now)
		}
		return 0, fmt.Errorf("%w (next turn in %s)", errRateLimitedHere, delay.Round(time.Millisecond))
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return delay, nil
	case <-ctx.Done():
		if res != nil {
			res.CancelAt(time.Now())
		}
		return 0, ctx.Err()
	}
}
