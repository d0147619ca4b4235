package alert

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

// Errors of the silence and acknowledgement operations, for the API to
// map to status codes.
var (
	ErrSilenceNotFound = errors.New("silence not found")
	ErrSilenceExpired  = errors.New("silence already expired")
	ErrAlertNotFound   = errors.New("alert not found")
	// ErrInvalidSilence wraps every validation failure of AddSilence.
	ErrInvalidSilence = errors.New("invalid silence")
)

// silenceGCInterval is how often Run deletes silences past retention.
const silenceGCInterval = 15 * time.Minute

// AddSilence creates a silence, or updates the one with s.ID, and returns
// it as stored. Like Alertmanager: a new silence gets an ID, and starts
// now if it would start in the past; updating an existing silence changes
// it in place when only its end, author or comment change (and, while it
// is pending, its start), and otherwise expires it and creates a new one
// with a new ID, so that the history of what was muted stays true.
//
// The silence must have matchers, not all of which match the empty label
// value (such a silence would mute everything), and end in the future,
// after it starts. Errors wrap ErrInvalidSilence, ErrSilenceNotFound or
// ErrSilenceExpired.
func (m *Manager) AddSilence(ctx context.Context, s Silence) (Silence, error) {
	now := m.now()
	ms, err := validateSilence(&s, now)
	if err != nil {
		return Silence{}, err
	}
	s.Matchers = ms

	m.mu.Lock()
	defer m.mu.Unlock()
	var expireOld *Silence
	if s.ID != "" {
		prev := m.silences[s.ID]
		if prev == nil {
			return Silence{}, fmt.Errorf("%w: %s", ErrSilenceNotFound, s.ID)
		}
		if canUpdateInPlace(prev, &s, now) {
			s.UpdatedAt = now
			if err := m.state.SaveSilence(ctx, cloneSilence(&s)); err != nil {
				return Silence{}, fmt.Errorf("save silence: %w", err)
			}
			*prev = cloneSilence(&s)
			m.silencesChanged()
			return cloneSilence(prev), nil
		}
		if prev.State(now) != SilenceExpired {
			expireOld = prev
		}
	}
	if s.StartsAt.Before(now) {
		s.StartsAt = now
	}
	s.ID = newSilenceID()
	s.UpdatedAt = now
	if expireOld != nil {
		old := expiredSilence(expireOld, now)
		if err := m.state.SaveSilence(ctx, old); err != nil {
			return Silence{}, fmt.Errorf("expire the silence being replaced: %w", err)
		}
		*expireOld = old
	}
	if err := m.state.SaveSilence(ctx, cloneSilence(&s)); err != nil {
		return Silence{}, fmt.Errorf("save silence: %w", err)
	}
	stored := cloneSilence(&s)
	m.silences[s.ID] = &stored
	m.silencesChanged()
	m.logger.Info("silence saved", "id", s.ID, "matchers", matchersString(s.Matchers), "starts", s.StartsAt, "ends", s.EndsAt, "by", s.CreatedBy)
	return cloneSilence(&s), nil
}

// validateSilence checks s and returns its matchers rebuilt (a Matcher
// made as a struct literal has no compiled regex).
func validateSilence(s *Silence, now time.Time) ([]*labels.Matcher, error) {
	if len(s.Matchers) == 0 {
		return nil, fmt.Errorf("%w: a silence needs at least one matcher", ErrInvalidSilence)
	}
	ms := make([]*labels.Matcher, 0, len(s.Matchers))
	allEmpty := true
	for i, m := range s.Matchers {
		if m == nil || m.Name == "" {
			return nil, fmt.Errorf("%w: matcher %d has no label name", ErrInvalidSilence, i)
		}
		nm, err := labels.NewMatcher(m.Type, m.Name, m.Value)
		if err != nil {
			return nil, fmt.Errorf("%w: matcher %d: invalid regex %q: %v", ErrInvalidSilence, i, m.Value, err)
		}
		if !nm.Matches("") {
			allEmpty = false
		}
		ms = append(ms, nm)
	}
	switch {
	case allEmpty:
		return nil, fmt.Errorf("%w: every matcher matches the empty value, so the silence would mute every alert", ErrInvalidSilence)
	case s.EndsAt.IsZero():
		return nil, fmt.Errorf("%w: the silence needs an end", ErrInvalidSilence)
	case !s.EndsAt.After(s.StartsAt):
		return nil, fmt.Errorf("%w: the end %s is not after the start %s", ErrInvalidSilence, s.EndsAt.Format(time.RFC3339), s.StartsAt.Format(time.RFC3339))
	case !s.EndsAt.After(now):
		return nil, fmt.Errorf("%w: the end %s is in the past", ErrInvalidSilence, s.EndsAt.Format(time.RFC3339))
	}
	return ms, nil
}

// canUpdateInPlace reports whether prev may become s without a new ID:
// the same matchers, and no rewriting of the past.
func canUpdateInPlace(prev, s *Silence, now time.Time) bool {
	if !sameMatchers(prev.Matchers, s.Matchers) {
		return false
	}
	switch prev.State(now) {
	case SilencePending:
		return !s.StartsAt.Before(now)
	case SilenceActive:
		return s.StartsAt.Equal(prev.StartsAt)
	}
	return false
}

func sameMatchers(a, b []*labels.Matcher) bool {
	key := func(ms []*labels.Matcher) []string {
		out := make([]string, len(ms))
		for i, m := range ms {
			out[i] = m.String()
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(key(a), key(b))
}

// expiredSilence returns s ended at now; a pending one never starts.
func expiredSilence(s *Silence, now time.Time) Silence {
	c := cloneSilence(s)
	if c.StartsAt.After(now) {
		c.StartsAt = now
	}
	c.EndsAt, c.UpdatedAt = now, now
	return c
}

func cloneSilence(s *Silence) Silence {
	c := *s
	c.Matchers = slices.Clone(s.Matchers) // matchers are immutable once built
	return c
}

// newSilenceID returns a random version 4 UUID.
func newSilenceID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// ExpireSilence ends a silence now. Errors wrap ErrSilenceNotFound or
// ErrSilenceExpired.
func (m *Manager) ExpireSilence(ctx context.Context, id string) error {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.silences[id]
	if s == nil {
		return fmt.Errorf("%w: %s", ErrSilenceNotFound, id)
	}
	if s.State(now) == SilenceExpired {
		return fmt.Errorf("%w: %s", ErrSilenceExpired, id)
	}
	e := expiredSilence(s, now)
	if err := m.state.SaveSilence(ctx, e); err != nil {
		return fmt.Errorf("save expired silence: %w", err)
	}
	*s = e
	m.silencesChanged()
	m.logger.Info("silence expired", "id", id)
	return nil
}

// Silence returns the silence with id.
func (m *Manager) Silence(id string) (Silence, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.silences[id]
	if s == nil {
		return Silence{}, false
	}
	return cloneSilence(s), true
}

// Silences returns the silences in state (all for ""): active ones first,
// ending soonest first; then pending ones, starting soonest first; then
// expired ones, most recently ended first.
func (m *Manager) Silences(state SilenceState) []Silence {
	now := m.now()
	m.mu.Lock()
	out := make([]Silence, 0, len(m.silences))
	for _, s := range m.silences {
		if state == "" || s.State(now) == state {
			out = append(out, cloneSilence(s))
		}
	}
	m.mu.Unlock()
	rank := map[SilenceState]int{SilenceActive: 0, SilencePending: 1, SilenceExpired: 2}
	slices.SortFunc(out, func(a, b Silence) int {
		sa, sb := a.State(now), b.State(now)
		if c := cmp.Compare(rank[sa], rank[sb]); c != 0 {
			return c
		}
		var c int
		switch sa {
		case SilenceActive:
			c = a.EndsAt.Compare(b.EndsAt)
		case SilencePending:
			c = a.StartsAt.Compare(b.StartsAt)
		default:
			c = b.EndsAt.Compare(a.EndsAt)
		}
		return cmp.Or(c, cmp.Compare(a.ID, b.ID))
	})
	return out
}

// silencesChanged rebuilds the list of silences that can still mute
// something. m.mu must be held.
func (m *Manager) silencesChanged() {
	now := m.now()
	m.liveSilences = m.liveSilences[:0]
	for _, s := range m.silences {
		if s.State(now) != SilenceExpired {
			m.liveSilences = append(m.liveSilences, s)
		}
	}
	slices.SortFunc(m.liveSilences, func(a, b *Silence) int { return cmp.Compare(a.ID, b.ID) })
	m.silenceIndex = nil
	if len(m.liveSilences) >= minIndexed {
		sets := make([][]*labels.Matcher, len(m.liveSilences))
		for i, s := range m.liveSilences {
			sets[i] = s.Matchers
		}
		m.silenceIndex = newMatcherIndex(sets)
	}
}

// silencedBy returns the IDs of the active silences that match ls — only
// the first unless all is set. m.mu must be held.
func (m *Manager) silencedBy(ls labels.Labels, now time.Time, all bool) []string {
	var out []string
	check := func(s *Silence) bool {
		if s.State(now) != SilenceActive || !matchAll(s.Matchers, ls) {
			return true
		}
		out = append(out, s.ID)
		return all
	}
	if m.silenceIndex == nil {
		for _, s := range m.liveSilences {
			if !check(s) {
				break
			}
		}
		return out
	}
	var scratch [16]int32
	for _, i := range m.silenceIndex.candidates(ls, scratch[:0]) {
		if !check(m.liveSilences[i]) {
			break
		}
	}
	return out
}

// gcSilences deletes the silences that expired more than the retention
// ago, and drops expired ones from the live list. m.mu must not be held.
func (m *Manager) gcSilences(ctx context.Context) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, s := range m.silences {
		if s.State(now) == SilenceExpired && !now.Before(s.EndsAt.Add(m.rt.retention)) {
			if err := m.state.DeleteSilence(ctx, id); err != nil {
				m.stateError("delete silence", err)
				continue
			}
			delete(m.silences, id)
		}
	}
	m.silencesChanged()
}
