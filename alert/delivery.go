package alert

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/slack-go/slack"
)

// Retry schedule of a failing notification: exponential from
// retryInitial, capped at retryMax, until the flush's deadline.
const (
	retryInitial = 500 * time.Millisecond
	retryMax     = 30 * time.Second
	// maxRetryAfter caps the wait a receiver may ask for, so that a
	// malformed or hostile Retry-After cannot silence an integration.
	maxRetryAfter = time.Hour
)

// Errors a Notifier wraps so that delivery, logs and metrics can tell
// failures apart.
var (
	// ErrRateLimited: the receiver refused the message for its rate limit
	// (HTTP 429, Slack's ratelimited, a robot's rate-limit error code).
	ErrRateLimited = errors.New("rate limited by the receiver")
	// ErrBadResponse: the receiver answered something that is not its
	// protocol (garbage instead of the JSON it documents). It is retried:
	// a proxy's error page is the usual cause, and it passes.
	ErrBadResponse = errors.New("malformed response")
)

// retryAfterError carries how long a receiver asked to be left alone.
type retryAfterError struct {
	err   error
	after time.Duration
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

// withRetryAfter attaches a requested wait to err; d <= 0 leaves err as
// it is.
func withRetryAfter(err error, d time.Duration) error {
	if d <= 0 {
		return err
	}
	return &retryAfterError{err: err, after: min(d, maxRetryAfter)}
}

// retryAfter returns the wait a receiver asked for in err, or 0.
func retryAfter(err error) time.Duration {
	var ra *retryAfterError
	if errors.As(err, &ra) {
		return ra.after
	}
	var sl *slack.RateLimitedError
	if errors.As(err, &sl) {
		return min(max(sl.RetryAfter, 0), maxRetryAfter)
	}
	return 0
}

// parseRetryAfter reads an HTTP Retry-After header: delay-seconds or an
// HTTP-date (RFC 9110, section 10.2.3). It returns 0 when the header is
// absent, malformed or in the past.
func parseRetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(h, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return min(time.Duration(min(secs, int64(maxRetryAfter/time.Second)))*time.Second, maxRetryAfter)
	}
	if t, err := http.ParseTime(h); err == nil {
		return min(max(t.Sub(now), 0), maxRetryAfter)
	}
	return 0
}

// sendResult is what one delivery through an integration came to, for
// the notification history.
type sendResult struct {
	// Status is NotificationSent, NotificationFailed (retryable failures
	// until the flush's deadline: the group keeps the notification and
	// tries again at its next flush) or NotificationDropped (the receiver
	// rejected it for good, e.g. a 400 or a bad token: retrying cannot
	// help; it is logged and counted, never silent).
	Status string
	// Attempts is how many times the integration was tried in this
	// delivery; 0 when a rate limit held it back past the deadline.
	Attempts int
	// Err is the last error; nil when sent.
	Err error
}

// Error returns the last error's text, or "".
func (r sendResult) Error() string {
	if r.Err == nil {
		return ""
	}
	return r.Err.Error()
}

// deliveryKey is the context key of the deliveryState.
type deliveryKey struct{}

// deliveryState is what one delivery shares with its Notifier through
// the context: the integration's limiter, and which parts of a split
// message were already delivered, so that a retry sends only the rest.
type deliveryState struct {
	limiter *limiter
	done    map[int]bool
	waits   int
	waited  time.Duration
}

// sendParts delivers the n parts of a message in order through send,
// waiting for the integration's rate limit before each one and skipping
// the parts an earlier attempt of the same delivery already delivered.
// Called outside a delivery (a Notifier used on its own) it just sends.
func sendParts(ctx context.Context, n int, send func(ctx context.Context, i int) (retry bool, err error)) (retry bool, err error) {
	st, _ := ctx.Value(deliveryKey{}).(*deliveryState)
	for i := range n {
		if st != nil {
			if st.done[i] {
				continue
			}
			waited, err := st.limiter.wait(ctx)
			if err != nil {
				return true, err
			}
			if waited > 0 {
				st.waits++
				st.waited += waited
			}
		}
		if retry, err := send(ctx, i); err != nil {
			if n > 1 {
				err = fmt.Errorf("part %d of %d: %w", i+1, n, err)
			}
			return retry, err
		}
		if st != nil {
			st.done[i] = true
		}
	}
	return false, nil
}

// send delivers msg through in, retrying what is worth retrying with
// exponential backoff, or after the wait the receiver asked for, until
// ctx's deadline (the end of the flush). A receiver's requested pause is
// remembered by the integration, so that other groups and later flushes
// do not hammer it meanwhile.
func (m *Manager) send(ctx context.Context, in integration, msg *Message) sendResult {
	if msg.charts == nil && m.charts != nil {
		withCharts := *msg // the caller's message stays as it was
		withCharts.charts = m.charts
		msg = &withCharts
	}
	st := &deliveryState{limiter: in.limiter, done: make(map[int]bool)}
	ctx = context.WithValue(ctx, deliveryKey{}, st)
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = retryInitial
	b.MaxInterval = retryMax
	b.Reset()

	var res sendResult
	defer func() { m.recordDelivery(in, st, res) }()
	for {
		res.Attempts++
		start := time.Now()
		retry, err := in.notifier.Notify(ctx, msg)
		if errors.Is(err, errRateLimitedHere) && len(st.done) == 0 && st.waits == 0 {
			// Held back before anything was sent: not an attempt.
			res.Attempts--
		} else {
			m.metrics.latency.WithLabelValues(in.name).Observe(time.Since(start).Seconds())
			m.metrics.notifications.WithLabelValues(in.name).Inc()
			if res.Attempts > 1 {
				m.metrics.retried.WithLabelValues(in.name).Inc()
			}
		}
		if err == nil {
			res.Status, res.Err = NotificationSent, nil
			return res
		}
		res.Err = err
		if !errors.Is(err, errRateLimitedHere) {
			m.metrics.notificationsFailed.WithLabelValues(in.name).Inc()
			m.metrics.errors.WithLabelValues(in.name, errorReason(ctx, err, retry)).Inc()
		}
		if !retry {
			res.Status = NotificationDropped
			return res
		}
		res.Status = NotificationFailed
		if ctx.Err() != nil || errors.Is(err, errRateLimitedHere) {
			return res
		}
		wait := b.NextBackOff()
		if ra := retryAfter(err); ra > 0 {
			wait = ra
			in.limiter.pause(time.Now().Add(ra))
		}
		if d, ok := ctx.Deadline(); ok && time.Now().Add(wait).After(d) {
			res.Err = fmt.Errorf("%w; next try after this flush", err)
			return res
		}
		m.logger.Debug("notification attempt failed, will retry",
			"receiver", msg.Receiver, "integration", in.name, "attempt", res.Attempts, "wait", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return res
		case <-t.C:
		}
	}
}

// recordDelivery counts a delivery's outcome and the rate-limit waits it
// went through.
func (m *Manager) recordDelivery(in integration, st *deliveryState, res sendResult) {
	switch res.Status {
	case NotificationSent:
		m.metrics.sent.WithLabelValues(in.name).Inc()
	case NotificationDropped:
		m.metrics.dropped.WithLabelValues(in.name).Inc()
	}
	if st.waits > 0 {
		m.metrics.rateLimited.WithLabelValues(in.name).Add(float64(st.waits))
		m.metrics.rateLimitWait.WithLabelValues(in.name).Add(st.waited.Seconds())
	}
	if errors.Is(res.Err, errRateLimitedHere) {
		m.metrics.rateLimited.WithLabelValues(in.name).Inc()
	}
}

// Reasons of failed attempts, the reason label of
// seismo_notification_errors_total.
const (
	reasonTimeout     = "timeout"      // no answer within the integration's timeout
	reasonRateLimited = "rate_limited" // the receiver refused for its rate limit
	reasonBadResponse = "bad_response" // an answer that is not the receiver's protocol
	reasonServerError = "server_error" // a 5xx, or the vendor's "try later" code
	reasonRejected    = "rejected"     // refused for good (4xx, bad token, SMTP 5xx): dropped
	reasonOther       = "other"        // network errors and the rest
)

// errorReasons are the values of the reason label.
var errorReasons = []string{reasonTimeout, reasonRateLimited, reasonBadResponse, reasonServerError, reasonRejected, reasonOther}

// errServerError marks a receiver's failure on its own side (a 5xx).
var errServerError = errors.New("server error")

// errorReason classifies a failed attempt for the metrics.
func errorReason(ctx context.Context, err error, retry bool) string {
	var sl *slack.RateLimitedError
	switch {
	case errors.Is(err, ErrRateLimited), errors.As(err, &sl):
		return reasonRateLimited
	case errors.Is(err, ErrBadResponse):
		return reasonBadResponse
	case !retry:
		return reasonRejected
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil, isTimeout(err):
		return reasonTimeout
	case errors.Is(err, errServerError):
		return reasonServerError
	}
	return reasonOther
}

// isTimeout reports whether err is a network timeout.
func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// receiverKinds are the integrations a receiver can have; the delivery
// metrics' series are created up front for each, so that a dashboard sees
// zeros, not gaps.
var receiverKinds = []string{"log", "webhook", "email", "slack", "wecom", "dingtalk", "feishu", "alertmanager"}

// deliveryMetrics count what deliveries came to. The attempt counters
// (seismo_notifications_total, seismo_notifications_failed_total) and the
// latency histogram are in metrics.go.
type deliveryMetrics struct {
	sent          *prometheus.CounterVec
	retried       *prometheus.CounterVec
	dropped       *prometheus.CounterVec
	errors        *prometheus.CounterVec
	rateLimited   *prometheus.CounterVec
	rateLimitWait *prometheus.CounterVec
}

func newDeliveryMetrics() deliveryMetrics {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "seismo", Name: name, Help: help}, labels)
	}
	d := deliveryMetrics{
		sent:    counter("notifications_sent_total", "Notifications delivered.", "integration"),
		retried: counter("notifications_retried_total", "Notification attempts that repeated a failed one.", "integration"),
		dropped: counter("notifications_dropped_total", "Notifications given up because the receiver rejected them for good.", "integration"),
		errors: counter("notification_errors_total",
			"Failed notification attempts by reason (timeout, rate_limited, bad_response, server_error, rejected, other).", "integration", "reason"),
		rateLimited: counter("notification_rate_limited_total",
			"Times a notification waited for, or was held back by, an integration's rate limit or a receiver's Retry-After.", "integration"),
		rateLimitWait: counter("notification_rate_limited_seconds_total", "Time notifications spent waiting for rate limits.", "integration"),
	}
	for _, k := range receiverKinds {
		d.sent.WithLabelValues(k)
		d.retried.WithLabelValues(k)
		d.dropped.WithLabelValues(k)
		d.rateLimited.WithLabelValues(k)
		d.rateLimitWait.WithLabelValues(k)
		for _, r := range errorReasons {
			d.errors.WithLabelValues(k, r)
		}
	}
	return d
}

func (d deliveryMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{d.sent, d.retried, d.dropped, d.errors, d.rateLimited, d.rateLimitWait}
}
