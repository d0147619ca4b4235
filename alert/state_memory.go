package alert

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"
)

// Limits of a notification history query, as the SQLite store has them.
const (
	defaultNotificationLimit = 100
	maxNotificationLimit     = 10000
)

// memState is the in-memory StateStore.
type memState struct {
	mu       sync.Mutex
	alerts   map[Fingerprint]*Alert
	groups   map[string]GroupState
	silences map[string]Silence
	log      map[string]map[string]NotifyEntry // group → receiver → entry
	history  []NotificationRecord
	nextID   int64
}

// NewMemoryState returns a StateStore that keeps everything in memory:
// a Manager's state survives nothing, but two Managers sharing it behave
// like one that restarted (the tests do this). It copies what it is given
// and what it returns.
func NewMemoryState() StateStore {
	return &memState{
		alerts:   map[Fingerprint]*Alert{},
		groups:   map[string]GroupState{},
		silences: map[string]Silence{},
		log:      map[string]map[string]NotifyEntry{},
	}
}

func (s *memState) LoadAlerts(context.Context) ([]*Alert, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Alert, 0, len(s.alerts))
	for _, a := range s.alerts {
		out = append(out, a.clone())
	}
	sortAlerts(out)
	return out, nil
}

func (s *memState) SaveAlerts(_ context.Context, as []*Alert) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range as {
		s.alerts[a.Fingerprint] = a.clone()
	}
	return nil
}

func (s *memState) DeleteAlerts(_ context.Context, fps []Fingerprint) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, fp := range fps {
		delete(s.alerts, fp)
	}
	return nil
}

func (s *memState) LoadGroups(context.Context) ([]GroupState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Collect(maps.Values(s.groups))
	slices.SortFunc(out, func(a, b GroupState) int { return cmp.Compare(a.Key, b.Key) })
	return out, nil
}

func (s *memState) SaveGroup(_ context.Context, g GroupState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups[g.Key] = g
	return nil
}

func (s *memState) DeleteGroup(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.groups, key)
	delete(s.log, key)
	return nil
}

func (s *memState) LoadSilences(context.Context) ([]Silence, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Silence, 0, len(s.silences))
	for _, sil := range s.silences {
		out = append(out, cloneSilence(&sil))
	}
	slices.SortFunc(out, func(a, b Silence) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

func (s *memState) SaveSilence(_ context.Context, sil Silence) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.silences[sil.ID] = cloneSilence(&sil)
	return nil
}

func (s *memState) DeleteSilence(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.silences, id)
	return nil
}

func (s *memState) LoadNotificationLog(context.Context) ([]NotifyEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []NotifyEntry
	for _, g := range s.log {
		for _, e := range g {
			out = append(out, cloneEntry(e))
		}
	}
	slices.SortFunc(out, func(a, b NotifyEntry) int {
		return cmp.Or(cmp.Compare(a.GroupKey, b.GroupKey), cmp.Compare(a.Receiver, b.Receiver))
	})
	return out, nil
}

func (s *memState) SaveNotifyEntry(_ context.Context, e NotifyEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.log[e.GroupKey]
	if g == nil {
		g = map[string]NotifyEntry{}
		s.log[e.GroupKey] = g
	}
	g[e.Receiver] = cloneEntry(e)
	return nil
}

func cloneEntry(e NotifyEntry) NotifyEntry {
	e.Firing = slices.Clone(e.Firing)
	e.Resolved = slices.Clone(e.Resolved)
	return e
}

func (s *memState) AppendNotification(_ context.Context, r *NotificationRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	r.ID = s.nextID
	c := *r
	c.Firing, c.Resolved = slices.Clone(r.Firing), slices.Clone(r.Resolved)
	// Keep the history ordered by time, then by append order, as the
	// SQLite store lists it: a retry that finishes after a later flush
	// or a clock stepped back must not reorder what the API shows.
	i := sort.Search(len(s.history), func(i int) bool { return s.history[i].Time.After(c.Time) })
	s.history = slices.Insert(s.history, i, c)
	return nil
}

func (s *memState) PruneNotifications(_ context.Context, before time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// The history is sorted by time: the records to delete are a prefix.
	n := sort.Search(len(s.history), func(i int) bool { return !s.history[i].Time.Before(before) })
	s.history = slices.Delete(s.history, 0, n)
	return n, nil
}

func (s *memState) Notifications(_ context.Context, f NotificationFilter) ([]NotificationRecord, error) {
	switch {
	case f.Limit < 0:
		return nil, fmt.Errorf("negative limit %d", f.Limit)
	case !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From):
		return nil, fmt.Errorf("time range ends (%s) before it starts (%s)", f.To.Format(time.RFC3339), f.From.Format(time.RFC3339))
	}
	limit := f.Limit
	if limit == 0 {
		limit = defaultNotificationLimit
	}
	limit = min(limit, maxNotificationLimit)
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []NotificationRecord
	for i := len(s.history) - 1; i >= 0 && len(out) < limit; i-- {
		r := s.history[i]
		switch {
		case !f.From.IsZero() && r.Time.Before(f.From),
			!f.To.IsZero() && r.Time.After(f.To),
			f.Receiver != "" && r.Receiver != f.Receiver,
			f.GroupKey != "" && r.GroupKey != f.GroupKey,
			f.Status != "" && r.Status != f.Status:
			continue
		}
		r.Firing, r.Resolved = slices.Clone(r.Firing), slices.Clone(r.Resolved)
		out = append(out, r)
	}
	return out, nil
}
