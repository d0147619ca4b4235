package engine

import (
	"fmt"
	"time"

	"github.com/seismo-dev/seismo/config"
)

// runTick is one replayed run of the monitor's schedule that judges new
// points: it runs at now and judges the points in [from, to].
type runTick struct {
	now, from, to time.Time
}

// schedule replays the monitor's schedule over the backtest's range as the
// scheduler would run it: its cron spec in its time zone, its calendar
// gate, the query delay, and the window rule of monitor.window (each run
// judges from the point after the previous run's last one, catch-up capped
// at max(backfill, 1h)). Runs that would judge nothing new are left out.
// Start jitter (seconds) is ignored.
func (b *backtest) schedule() ([]runTick, error) {
	m := b.m
	sched, err := config.ScheduleParser.Parse(fmt.Sprintf("CRON_TZ=%s %s", m.location, m.cfg.Schedule))
	if err != nil {
		return nil, fmt.Errorf("monitor %q: schedule: %w", m.name(), err)
	}
	step := m.cfg.Query.Step.Std()
	delay := m.cfg.Query.Delay.Std()
	catchUp := max(m.cfg.Query.Backfill.Std(), time.Hour)
	// The last run to replay is the first one that judges To; give a
	// calendar-gated schedule a week to get there.
	horizon := b.to.Add(delay + 7*24*time.Hour)
	var (
		ticks []runTick
		last  = b.from.Add(-step) // the previous run's last judged instant
	)
	// A run at now judges up to (now − delay) truncated to the step: the
	// first run that judges anything new is at last + step + delay.
	now := sched.Next(last.Add(step + delay - time.Nanosecond))
	for !now.IsZero() && !now.After(horizon) {
		if len(ticks) >= maxRunTicks {
			return nil, fmt.Errorf("%w: the schedule runs more than %d times in the range", ErrInvalidRequest, maxRunTicks)
		}
		if reason := m.inactive(now); reason == "" {
			to := now.Add(-delay).Truncate(step)
			if to.After(last) {
				from := last.Add(step)
				if lim := to.Add(-catchUp); from.Before(lim) {
					from = lim
				}
				ticks = append(ticks, runTick{now: now, from: from, to: to})
				last = to
				if !to.Before(b.to) {
					break
				}
			}
		}
		next := sched.Next(now)
		if skip := last.Add(step + delay - time.Nanosecond); next.Before(skip) {
			next = sched.Next(skip)
		}
		now = next
	}
	return ticks, nil
}

// alertState is the replayed state of one series' alert.
type alertState struct {
	firing    bool
	updatedAt time.Time // the last run that fired or refreshed it
	cur       BacktestAlert
}

// replay runs the alert state machine of engine.notify and
// alert.Manager over a scored series, tick by tick, and returns its firing
// episodes: a run fires the anomalies among its points within the alert
// window (refreshing a firing alert, or starting a new episode), then
// resolves the alert when its newest point is normal; an alert no run
// refreshes for resolve_timeout resolves then. An episode still firing at
// the end of the range has no End.
func (b *backtest) replay(bs *btSeries, sc *scoredSeries) []BacktestAlert {
	var (
		out []BacktestAlert
		st  alertState
		i   int // the next scored point
	)
	expire := func(now time.Time) {
		if st.firing && b.timeout > 0 {
			if end := st.updatedAt.Add(b.timeout); !now.Before(end) {
				st.cur.End = end
				st.firing = false
				out = append(out, st.cur)
			}
		}
	}
	for _, tk := range b.ticks {
		for i < len(sc.t) && sc.t[i].Before(tk.from) {
			i++ // never judged by a run: before the first, or lost to the catch-up cap
		}
		j := i
		for j < len(sc.t) && !sc.t[j].After(tk.to) {
			j++
		}
		if j == i {
			continue
		}
		recent := tk.to.Add(-b.window)
		fired := false
		for k := i; k < j; k++ {
			if !sc.anomaly[k] || sc.t[k].Before(recent) {
				continue
			}
			if !fired {
				expire(tk.now)
				if !st.firing {
					st.firing = true
					st.cur = BacktestAlert{Series: bs.ls, Start: sc.t[k], FiredAt: tk.now, PeakScore: -1}
				}
				st.updatedAt = tk.now
				fired = true
			}
			a := &st.cur
			a.LastEvent = sc.t[k]
			a.Events++
			if sc.score[k] > a.PeakScore {
				a.PeakTime, a.PeakScore, a.PeakValue, a.PeakExpected = sc.t[k], sc.score[k], sc.v[k], sc.e[k]
			}
		}
		if !sc.anomaly[j-1] {
			expire(tk.now)
			if st.firing {
				st.cur.End = tk.now
				st.cur.Silent = st.cur.FiredAt.Equal(tk.now)
				st.firing = false
				out = append(out, st.cur)
			}
		}
		i = j
	}
	if st.firing {
		expire(b.to)
		if st.firing {
			out = append(out, st.cur)
		}
	}
	return out
}
