package alert

import (
	"context"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Retry schedule of a failing notification: exponential from
// retryInitial, capped at retryMax, until the flush's deadline.
const (
	retryInitial = 500 * time.Millisecond
	retryMax     = 30 * time.Second
)

// send delivers msg through in, retrying what is worth retrying until ctx
// ends. It returns the last error.
func (m *Manager) send(ctx context.Context, in integration, msg *Message) error {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = retryInitial
	b.MaxInterval = retryMax
	var maxElapsed time.Duration // 0: until ctx ends
	if d, ok := ctx.Deadline(); ok {
		maxElapsed = max(time.Until(d), time.Nanosecond)
	}
	attempts := 0
	var lastErr error
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		attempts++
		start := time.Now()
		retry, err := in.notifier.Notify(ctx, msg)
		m.metrics.latency.WithLabelValues(in.name).Observe(time.Since(start).Seconds())
		m.metrics.notifications.WithLabelValues(in.name).Inc()
		if err == nil {
			return struct{}{}, nil
		}
		lastErr = err
		m.metrics.notificationsFailed.WithLabelValues(in.name).Inc()
		if !retry {
			return struct{}{}, backoff.Permanent(err)
		}
		m.logger.Debug("notification attempt failed, will retry", "receiver", msg.Receiver, "integration", in.name, "attempt", attempts, "err", err)
		return struct{}{}, err
	}, backoff.WithBackOff(b), backoff.WithMaxElapsedTime(maxElapsed))
	if err == nil {
		return nil
	}
	if lastErr != nil && lastErr != err {
		err = fmt.Errorf("%w (last attempt: %w)", err, lastErr)
	}
	return fmt.Errorf("%d attempts: %w", attempts, err)
}
