package engine

import (
	"context"
	"time"

	"github.com/seismo-dev/seismo/rules/metric"
	"github.com/seismo-dev/seismo/store"
)

// ruleState saves a rule group's alert state as it changes and hands it
// back to the group after a restart (docs/rules.md, "State across
// restarts"). It is used only by scheduled runs, which never overlap, so
// it needs no lock.
type ruleState struct {
	store    store.RuleStateStore
	restored bool                         // the first scheduled run has tried to restore
	synced   bool                         // saved mirrors the store; false writes the whole state next time
	saved    map[string]metric.SavedAlert // what the store holds, by savedKey
}

// savedKey identifies a saved alert within its group.
func savedKey(a metric.SavedAlert) string { return a.Rule + "\xff" + a.Labels.String() }

// restore reads the group's saved state and hands it to the group, once,
// before its first scheduled evaluation. Reading it here rather than when
// the engine is built keeps the read under the run's context and timeout,
// and leaves `seismo once`, which replays from no state, out of it. A
// failed read is logged and the group starts from no state: an extra for
// delay is better than no evaluation.
func (j *ruleJob) restore(ctx context.Context) {
	if j.state.restored {
		return
	}
	j.state.restored = true
	name := j.g.Name()
	saved, err := j.state.store.RuleState(ctx, name)
	if err != nil {
		j.log.Error("restoring rule state failed; the group starts from no state", "err", err)
		return
	}
	if saved.EvaluatedAt.IsZero() {
		return // never saved
	}
	alerts := make([]metric.SavedAlert, 0, len(saved.Alerts))
	for _, a := range saved.Alerts {
		alerts = append(alerts, metric.SavedAlert{Rule: a.Rule, Labels: a.Labels, State: parseRuleState(a.State),
			ActiveAt: a.ActiveAt, FiredAt: a.FiredAt, KeepFiringSince: a.KeepFiringSince})
	}
	unmatched := j.g.Restore(saved.EvaluatedAt, alerts, j.loc)
	if unmatched > 0 {
		j.log.Info("saved state of removed or changed rules dropped", "alerts", unmatched, "evaluated_at", saved.EvaluatedAt)
		j.metrics.restored.WithLabelValues(name, "unmatched").Add(float64(unmatched))
	}
	// The store still holds what the group no longer has: the first save
	// writes the whole state.
	j.state.synced = false
}

// restoreReport logs and counts what the first evaluation after restore
// installed and dropped.
func (j *ruleJob) restoreReport(res metric.Result) {
	for _, rr := range res.Rules {
		if rr.Restored == 0 && rr.Discarded == 0 {
			continue
		}
		j.log.Info("rule state restored", "rule", rr.Alert, "restored", rr.Restored, "discarded", rr.Discarded, "time", res.Time)
		if rr.Restored > 0 {
			j.metrics.restored.WithLabelValues(j.g.Name(), "restored").Add(float64(rr.Restored))
		}
		if rr.Discarded > 0 {
			j.metrics.restored.WithLabelValues(j.g.Name(), "discarded").Add(float64(rr.Discarded))
		}
	}
}

// persist writes what changed in the group's state since the last save,
// with the evaluation instant at, which tells a later restore how old the
// state is. Every scheduled run that evaluated a rule writes at least that
// instant (one row). A failed write is logged and counted, and the next
// run writes the whole state; the run itself goes on: its alerts are sent
// either way.
func (j *ruleJob) persist(ctx context.Context, at time.Time) {
	snap := j.g.Snapshot()
	cur := make(map[string]metric.SavedAlert, len(snap))
	u := store.RuleStateUpdate{Group: j.g.Name(), EvaluatedAt: at, Replace: !j.state.synced}
	for _, a := range snap {
		k := savedKey(a)
		cur[k] = a
		if old, ok := j.state.saved[k]; ok && !u.Replace && old.Equal(a) {
			continue
		}
		u.Put = append(u.Put, storedRuleAlert(a))
	}
	if !u.Replace {
		for k, a := range j.state.saved {
			if _, ok := cur[k]; !ok {
				u.Delete = append(u.Delete, storedRuleAlert(a))
			}
		}
	}
	if err := j.state.store.SaveRuleState(ctx, u); err != nil {
		j.log.Error("saving rule state failed; a restart may not restore it", "time", at, "err", err)
		j.metrics.stateSaveFailures.WithLabelValues(j.g.Name()).Inc()
		j.state.synced = false
		return
	}
	j.state.saved, j.state.synced = cur, true
}

func storedRuleAlert(a metric.SavedAlert) store.RuleAlertState {
	return store.RuleAlertState{Rule: a.Rule, Labels: a.Labels, State: a.State.String(),
		ActiveAt: a.ActiveAt, FiredAt: a.FiredAt, KeepFiringSince: a.KeepFiringSince}
}

// parseRuleState reads a stored state; anything unknown is inactive, which
// the group refuses to restore.
func parseRuleState(s string) metric.State {
	switch s {
	case store.RuleAlertPending:
		return metric.StatePending
	case store.RuleAlertFiring:
		return metric.StateFiring
	}
	return metric.StateInactive
}
