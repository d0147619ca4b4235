package alert

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// blockingNotifier holds its first delivery until released, and gives up,
// as an HTTP client would, if its context ends first.
type blockingNotifier struct {
	started chan struct{}
	release chan struct{}
	mu      sync.Mutex
	calls   int
}

func (b *blockingNotifier) Notify(ctx context.Context, _ *Message) (bool, error) {
	b.mu.Lock()
	b.calls++
	first := b.calls == 1
	b.mu.Unlock()
	if !first {
		return false, nil
	}
	close(b.started)
	select {
	case <-b.release:
		return false, nil
	case <-ctx.Done():
		return true, ctx.Err()
	}
}

// TestShutdownDoesNotCutADeliveryInFlight stops the Manager while a
// notification is being delivered: the delivery must complete and count as
// sent, and the shutdown flush must not send it a second time.
func TestShutdownDoesNotCutADeliveryInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, err := NewManager(testConfig(), Options{Logger: quietLogger})
		if err != nil {
			t.Fatal(err)
		}
		n := &blockingNotifier{started: make(chan struct{}), release: make(chan struct{})}
		m.receivers["rec"] = []integration{{name: "webhook", sendResolved: true, notifier: n}}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- m.Run(ctx) }()

		m.Fire(ev("down", "ops", time.Now()))
		<-n.started // group_wait has passed and the delivery is under way
		cancel()
		synctest.Wait()
		close(n.release)
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}

		n.mu.Lock()
		calls := n.calls
		n.mu.Unlock()
		if calls != 1 {
			t.Errorf("the notification was delivered %d times, want once", calls)
		}
		recs, err := m.Notifications(t.Context(), NotificationFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var statuses []string
		for _, r := range recs {
			statuses = append(statuses, r.Status)
		}
		if len(statuses) != 1 || statuses[0] != NotificationSent {
			t.Errorf("notification history %v, want one %q record", statuses, NotificationSent)
		}
	})
}
