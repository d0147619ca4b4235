package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"syscall"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// retrier runs an operation with a per-attempt timeout and retries the
// errors a classifier calls transient, with exponential backoff.
type retrier struct {
	source    string
	timeout   time.Duration // per attempt; 0 means none
	retries   int           // attempts after the first; -1 or 0 means none
	initial   time.Duration // first backoff interval
	retryable func(error) bool
	logger    *slog.Logger
}

// errAttemptTimeout marks an attempt cut off by the per-attempt timeout
// (as opposed to the caller's own deadline).
var errAttemptTimeout = errors.New("request timed out")

func newRetrier(source string, cfg Config, logger *slog.Logger, retryable func(error) bool) retrier {
	return retrier{
		source:    source,
		timeout:   cfg.Timeout.Std(),
		retries:   max(cfg.Retries, 0),
		initial:   500 * time.Millisecond,
		retryable: retryable,
		logger:    logger,
	}
}

// do runs op until it succeeds, fails permanently, runs out of retries or
// ctx is done. what describes the operation in logs.
func do[T any](ctx context.Context, r retrier, what string, op func(ctx context.Context) (T, error)) (T, error) {
	attempts := 0
	attempt := func() (T, error) {
		attempts++
		actx, cancel := ctx, context.CancelFunc(func() {})
		if r.timeout > 0 {
			actx, cancel = context.WithTimeoutCause(ctx, r.timeout, errAttemptTimeout)
		}
		defer cancel()
		v, err := op(actx)
		if err == nil {
			return v, nil
		}
		if cause := context.Cause(ctx); cause != nil {
			// The caller gave up: no retry, and say why.
			if !errors.Is(err, cause) {
				err = fmt.Errorf("%w (%w)", err, cause)
			}
			return v, backoff.Permanent(err)
		}
		if errors.Is(context.Cause(actx), errAttemptTimeout) {
			err = fmt.Errorf("timed out after %v: %w", r.timeout, err)
			if !errors.Is(err, context.DeadlineExceeded) {
				err = fmt.Errorf("%w (%w)", err, context.DeadlineExceeded)
			}
			return v, err // a timeout is worth another try
		}
		if !r.retryable(err) {
			return v, backoff.Permanent(err)
		}
		return v, err
	}
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = r.initial
	b.MaxInterval = 30 * time.Second
	v, err := backoff.Retry(ctx, attempt,
		backoff.WithBackOff(b),
		backoff.WithMaxTries(uint(r.retries+1)),
		backoff.WithMaxElapsedTime(0),
		backoff.WithNotify(func(err error, next time.Duration) {
			r.logger.Warn("retrying after error", "source", r.source, "op", what, "attempt", attempts, "retry_in", next, "err", err)
		}),
	)
	if err != nil && attempts > 1 {
		err = fmt.Errorf("after %d attempts: %w", attempts, err)
	}
	return v, err
}

// isTransientNetErr reports errors of the network itself: refused or reset
// connections, timeouts, a peer that hung up mid-response.
func isTransientNetErr(err error) bool {
	var (
		ne  net.Error
		oe  *net.OpError
		dns *net.DNSError
	)
	switch {
	case errors.Is(err, context.Canceled):
		return false
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, context.DeadlineExceeded):
		return true
	case errors.As(err, &dns):
		return dns.IsTimeout || dns.IsTemporary
	case errors.As(err, &oe):
		return true // dial, read or write failed
	case errors.As(err, &ne):
		return ne.Timeout()
	}
	return false
}
