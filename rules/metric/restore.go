package metric

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

// restoreIntervals is how many of the group's intervals, beyond a rule's
// for + keep_firing_for, saved state may be old and still be restored
// when the group sets no restore_max_age: a restart normally misses one
// or two evaluations, a long outage many.
const restoreIntervals = 3

// SavedAlert is the part of an active alert's state that outlives the
// process: enough for a restart to carry on where it stopped. The value
// and annotations are not kept: the first evaluation after the restart
// sets them again.
type SavedAlert struct {
	// Rule is the key of the alert's rule (RuleResult.Key): its alert
	// name and a hash of what decides its label sets, so that the state
	// of a rule whose expression or labels changed is not restored.
	Rule            string
	Labels          labels.Labels
	State           State     // StatePending or StateFiring
	ActiveAt        time.Time // start of pending
	FiredAt         time.Time // start of firing; zero while pending
	KeepFiringSince time.Time // see Alert.KeepFiringSince
}

// Equal reports whether a and b are the same saved state, so that only
// changes need to be written.
func (a SavedAlert) Equal(b SavedAlert) bool {
	return a.Rule == b.Rule && labels.Equal(a.Labels, b.Labels) && a.State == b.State &&
		a.ActiveAt.Equal(b.ActiveAt) && a.FiredAt.Equal(b.FiredAt) && a.KeepFiringSince.Equal(b.KeepFiringSince)
}

// valid reports whether a could have been saved by a group evaluated at
// evaluatedAt; anything else (a damaged row, a clock that went back) is
// not restored.
func (a SavedAlert) valid(evaluatedAt time.Time) bool {
	switch {
	case a.ActiveAt.IsZero() || a.ActiveAt.After(evaluatedAt):
		return false
	case a.State == StatePending:
		return a.FiredAt.IsZero() && a.KeepFiringSince.IsZero()
	case a.State == StateFiring:
		return !a.FiredAt.IsZero() && !a.FiredAt.Before(a.ActiveAt) && !a.FiredAt.After(evaluatedAt) &&
			(a.KeepFiringSince.IsZero() || !a.KeepFiringSince.After(evaluatedAt))
	}
	return false
}

// savedRestore is state handed to Restore, waiting for the first Eval.
type savedRestore struct {
	evaluatedAt time.Time
	loc         *time.Location
	byRule      map[string][]SavedAlert
}

// ruleKeys returns the state key of every rule of cfg: its alert name and
// the first 16 hex digits of a SHA-256 over its expression, its labels,
// the group's labels and the source — what decides which series become
// alerts and their label sets. for, keep_firing_for and annotations are
// left out: a changed for applies to the restored alerts (a pending alert
// fires once it has been active for the new for), and annotations are
// expanded at every evaluation. Rules with the same key (the same rule
// twice) are told apart by their rank: "#2", "#3".
func ruleKeys(cfg GroupConfig) []string {
	keys := make([]string, len(cfg.Rules))
	seen := map[string]int{}
	for i, r := range cfg.Rules {
		h := sha256.New()
		field := func(s string) {
			fmt.Fprintf(h, "%d:%s", len(s), s) // length-prefixed: fields cannot run into each other
		}
		field(r.Expr)
		field(cfg.Source)
		for _, m := range []map[string]string{r.Labels, cfg.Labels} {
			field(strconv.Itoa(len(m)))
			for _, k := range slices.Sorted(maps.Keys(m)) {
				field(k)
				field(m[k])
			}
		}
		key := r.Alert + "@" + hex.EncodeToString(h.Sum(nil)[:8])
		seen[key]++
		if n := seen[key]; n > 1 {
			key += "#" + strconv.Itoa(n)
		}
		keys[i] = key
	}
	return keys
}

// RuleKeys returns the state key of each rule, in the configuration's
// order.
func (g *Group) RuleKeys() []string { return slices.Clone(g.keys) }

// Restore hands the group the state a previous process saved: the instant
// of its last evaluation and the alerts active then. It must be called
// before the first Eval; it returns how many alerts belong to no rule of
// the group any more (their rule was removed, or its expression or labels
// changed), which are dropped. loc is the time zone of the group's
// schedule (ignored for an interval).
//
// The first Eval installs the saved alerts of each rule before evaluating
// it, unless the state is too old: when the time from evaluatedAt to that
// Eval's instant is negative or longer than the group's restore_max_age
// (by default the rule's for + keep_firing_for + 3 intervals — for a
// schedule, 3 times the gap from evaluatedAt to the schedule's next tick),
// the rule starts from no state, as if it had never run: a restart after a
// long outage must not fire on a condition nobody watched meanwhile. The
// counts are in RuleResult.Restored and RuleResult.Discarded.
//
// Restored alerts then move as if the process had not stopped: a pending
// alert fires once it has been active for for (counted from its saved
// ActiveAt), a firing one keeps its FiredAt, so its event is the one
// already stored.
func (g *Group) Restore(evaluatedAt time.Time, saved []SavedAlert, loc *time.Location) (unmatched int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.evaluated {
		return len(saved)
	}
	known := map[string]bool{}
	for _, k := range g.keys {
		known[k] = true
	}
	rs := &savedRestore{evaluatedAt: evaluatedAt, loc: loc, byRule: map[string][]SavedAlert{}}
	for _, a := range saved {
		if !known[a.Rule] {
			unmatched++
			continue
		}
		rs.byRule[a.Rule] = append(rs.byRule[a.Rule], a)
	}
	g.restore = rs
	return unmatched
}

// Snapshot returns the saved form of every active alert of the group,
// by rule and label set. The engine writes what changed after each Eval.
func (g *Group) Snapshot() []SavedAlert {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []SavedAlert
	for i, st := range g.states {
		start := len(out)
		for _, a := range st.active {
			out = append(out, SavedAlert{Rule: g.keys[i], Labels: a.Labels, State: a.State,
				ActiveAt: a.ActiveAt, FiredAt: a.FiredAt, KeepFiringSince: a.KeepFiringSince})
		}
		slices.SortFunc(out[start:], func(a, b SavedAlert) int { return labels.Compare(a.Labels, b.Labels) })
	}
	return out
}

// restoreMaxAge returns how old the saved state of rule i may be, for a
// group whose last saved evaluation was at evaluatedAt.
func (g *Group) restoreMaxAge(i int, evaluatedAt time.Time, loc *time.Location) time.Duration {
	if g.cfg.RestoreMaxAge > 0 {
		return g.cfg.RestoreMaxAge.Std()
	}
	step := g.interval
	if g.sched != nil {
		if loc == nil {
			loc = time.UTC
		}
		tick := evaluatedAt.Add(g.cfg.EvalDelay.Std()).In(loc)
		step = g.sched.Next(tick).Sub(tick)
	}
	rc := g.cfg.Rules[i]
	return rc.For.Std() + rc.KeepFiringFor.Std() + restoreIntervals*step
}

// restoreCounts are the alerts of one rule restored and discarded.
type restoreCounts struct{ restored, discarded int }

// applyRestore installs the saved state of every rule, as of the first
// evaluation at ts, and returns the counts by rule (nil when there was
// nothing to restore). It is called with g.mu held.
func (g *Group) applyRestore(ts time.Time) []restoreCounts {
	g.evaluated = true
	rs := g.restore
	g.restore = nil
	if rs == nil {
		return nil
	}
	res := make([]restoreCounts, len(g.keys))
	age := ts.Sub(rs.evaluatedAt)
	for i, key := range g.keys {
		saved := rs.byRule[key]
		if len(saved) == 0 {
			continue
		}
		if age < 0 || age > g.restoreMaxAge(i, rs.evaluatedAt, rs.loc) {
			res[i].discarded = len(saved)
			continue
		}
		st := g.states[i]
		for _, a := range saved {
			k := a.Labels.String()
			if _, dup := st.active[k]; dup || !a.valid(rs.evaluatedAt) {
				res[i].discarded++
				continue
			}
			st.active[k] = &Alert{Labels: a.Labels, State: a.State, ActiveAt: a.ActiveAt, FiredAt: a.FiredAt,
				KeepFiringSince: a.KeepFiringSince, LastSeen: rs.evaluatedAt}
			res[i].restored++
		}
	}
	return res
}

// String describes a saved alert for logs and test failures.
func (a SavedAlert) String() string {
	s := fmt.Sprintf("%s %s %s active at %s", a.Rule, a.Labels, a.State, a.ActiveAt.UTC().Format(time.RFC3339))
	if !a.FiredAt.IsZero() {
		s += ", firing since " + a.FiredAt.UTC().Format(time.RFC3339)
	}
	if !a.KeepFiringSince.IsZero() {
		s += ", kept firing since " + a.KeepFiringSince.UTC().Format(time.RFC3339)
	}
	return s
}
