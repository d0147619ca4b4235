package engine

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/baseline/calendar"
	"github.com/seismo-dev/seismo/config"
	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/detector"
)

var replayT0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// minute is replayT0 plus k minutes.
func minute(k int) time.Time { return replayT0.Add(time.Duration(k) * time.Minute) }

// scoredMinutes is a series with one point per minute 0…n−1, anomalous at
// the given minutes; each point's score is 0.5 + minute/1000 when
// anomalous (so the latest is the peak), 0.1 otherwise. Minutes in gaps
// have no point.
func scoredMinutes(n int, anomalous []int, gaps ...[2]int) *scoredSeries {
	an := map[int]bool{}
	for _, k := range anomalous {
		an[k] = true
	}
	var sc scoredSeries
outer:
	for k := range n {
		for _, g := range gaps {
			if k >= g[0] && k <= g[1] {
				continue outer
			}
		}
		score := 0.1
		if an[k] {
			score = 0.5 + float64(k)/1000
		}
		sc.add(resultAt(minute(k), float64(k), score, an[k]))
	}
	return &sc
}

// ticksEvery returns ticks at every period from minute first to last,
// each judging the minutes since the previous one.
func ticksEvery(first, last, period int) []runTick {
	var out []runTick
	prev := first - period
	for k := first; k <= last; k += period {
		out = append(out, runTick{now: minute(k), from: minute(prev + 1), to: minute(k)})
		prev = k
	}
	return out
}

func TestReplay(t *testing.T) {
	ls := labels.FromStrings("channel", "app")
	alertOf := func(start, last, fired, end int, events int, silent bool) BacktestAlert {
		a := BacktestAlert{
			Series: ls, Start: minute(start), LastEvent: minute(last), FiredAt: minute(fired), Events: events,
			PeakTime: minute(last), PeakScore: 0.5 + float64(last)/1000, PeakValue: float64(last), Silent: silent,
		}
		if end >= 0 {
			a.End = minute(end)
		}
		return a
	}
	for _, tc := range []struct {
		name  string
		sc    *scoredSeries
		ticks []runTick
		want  []BacktestAlert
	}{
		{
			name:  "three anomalous minutes: one alert, resolved by the first normal run",
			sc:    scoredMinutes(10, []int{3, 4, 5}),
			ticks: ticksEvery(0, 9, 1),
			want:  []BacktestAlert{alertOf(3, 5, 3, 6, 3, false)},
		},
		{
			name:  "a normal minute between two anomalies: two alerts (flapping)",
			sc:    scoredMinutes(10, []int{3, 5}),
			ticks: ticksEvery(0, 9, 1),
			want:  []BacktestAlert{alertOf(3, 3, 3, 4, 1, false), alertOf(5, 5, 5, 6, 1, false)},
		},
		{
			name:  "fired and resolved by the same five-minute run: silent",
			sc:    scoredMinutes(15, []int{6}),
			ticks: ticksEvery(4, 14, 5),
			want:  []BacktestAlert{alertOf(6, 6, 9, 9, 1, true)},
		},
		{
			name:  "anomalous at the run's newest point: pages, resolved by the next run",
			sc:    scoredMinutes(15, []int{8, 9}),
			ticks: ticksEvery(4, 14, 5),
			want:  []BacktestAlert{alertOf(8, 9, 9, 14, 2, false)},
		},
		{
			name: "no data for longer than resolve_timeout: the alert resolves by timeout, the next anomaly starts another",
			sc:   scoredMinutes(14, []int{3, 11}, [2]int{4, 10}),
			// minute 3 fires at 3; nothing refreshes it: resolved at 3 + 5m.
			ticks: ticksEvery(0, 13, 1),
			want:  []BacktestAlert{alertOf(3, 3, 3, 8, 1, false), alertOf(11, 11, 11, 12, 1, false)},
		},
		{
			name:  "a gap shorter than resolve_timeout keeps the alert",
			sc:    scoredMinutes(10, []int{3, 6}, [2]int{4, 5}),
			ticks: ticksEvery(0, 9, 1),
			want:  []BacktestAlert{alertOf(3, 6, 3, 7, 2, false)},
		},
		{
			name:  "still firing at the end of the range",
			sc:    scoredMinutes(10, []int{9}),
			ticks: ticksEvery(0, 9, 1),
			want:  []BacktestAlert{alertOf(9, 9, 9, -1, 1, false)},
		},
		{
			name: "a catch-up run fires only anomalies within the alert window",
			sc:   scoredMinutes(31, []int{5, 25}),
			// one run at minute 30 judges everything: 5 is too old to page,
			// 25 is within the 10-minute window; 30 is normal: silent.
			ticks: []runTick{{now: minute(30), from: minute(0), to: minute(30)}},
			want:  []BacktestAlert{alertOf(25, 25, 30, 30, 1, true)},
		},
		{
			name:  "points no run judges are ignored",
			sc:    scoredMinutes(10, []int{1}),
			ticks: []runTick{{now: minute(5), from: minute(3), to: minute(5)}},
			want:  nil,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &backtest{ticks: tc.ticks, window: 10 * time.Minute, timeout: 5 * time.Minute, to: minute(9)}
			got := b.replay(&btSeries{ls: ls}, tc.sc)
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(labels.Equal)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSchedule(t *testing.T) {
	cal, err := calendar.New(calendar.Config{Sessions: []string{"09:30-11:30", "13:00-15:00"}}, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	mon := func(schedule string, delay time.Duration, cal *calendar.Calendar, activeIn string) *monitor {
		return &monitor{
			cfg: config.Monitor{Name: "m", Schedule: schedule, ActiveIn: activeIn, Query: config.Query{
				Step: field.Duration(time.Minute), Delay: field.Duration(delay),
			}},
			cal: cal, location: time.UTC,
		}
	}
	tick := func(now, from, to int) runTick { return runTick{now: minute(now), from: minute(from), to: minute(to)} }
	for _, tc := range []struct {
		name     string
		m        *monitor
		from, to time.Time
		want     []runTick
	}{
		{
			name: "every minute",
			m:    mon("0 * * * * *", 0, nil, ""), from: minute(0), to: minute(3),
			want: []runTick{tick(0, 0, 0), tick(1, 1, 1), tick(2, 2, 2), tick(3, 3, 3)},
		},
		{
			name: "every five minutes judges five points a run",
			m:    mon("*/5 * * * *", 0, nil, ""), from: minute(0), to: minute(12),
			want: []runTick{tick(0, 0, 0), tick(5, 1, 5), tick(10, 6, 10), tick(15, 11, 15)},
		},
		{
			name: "a delay shifts the runs",
			m:    mon("0 * * * * *", 2*time.Minute, nil, ""), from: minute(0), to: minute(1),
			want: []runTick{tick(2, 0, 0), tick(3, 1, 1)},
		},
		{
			name: "every ten seconds: only runs that judge a new point",
			m:    mon("*/10 * * * * *", 0, nil, ""), from: minute(0), to: minute(2),
			want: []runTick{tick(0, 0, 0), tick(1, 1, 1), tick(2, 2, 2)},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &backtest{m: tc.m, from: tc.from, to: tc.to}
			got, err := b.schedule()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(runTick{})); diff != "" {
				t.Errorf("ticks (-want +got):\n%s", diff)
			}
		})
	}

	// Sessions only: no run over lunch, and the first afternoon run's
	// catch-up is capped at an hour (backfill 0), as monitor.window does.
	b := &backtest{m: mon("0 * * * * *", 0, cal, config.ActiveSessions), from: minute(85), to: minute(185)} // 11:25 … 13:05
	got, err := b.schedule()
	if err != nil {
		t.Fatal(err)
	}
	var lunch []runTick
	var first *runTick
	for i, tk := range got {
		if tk.now.After(minute(89)) && tk.now.Before(minute(180)) {
			lunch = append(lunch, tk)
		}
		if first == nil && !tk.now.Before(minute(180)) {
			first = &got[i]
		}
	}
	if len(lunch) > 0 {
		t.Errorf("runs outside the sessions: %v", lunch)
	}
	if first == nil || !first.now.Equal(minute(180)) || !first.from.Equal(minute(120)) || !first.to.Equal(minute(180)) {
		t.Errorf("first afternoon run = %+v, want now 13:00 judging 12:00–13:00", first)
	}
	if last := got[len(got)-1]; !last.to.Equal(minute(185)) {
		t.Errorf("last run judges up to %s, want 13:05", last.to)
	}
}

// resultAt is a detector result with the fields replay reads.
func resultAt(t time.Time, v, score float64, anomaly bool) detector.Result {
	return detector.Result{T: t, Value: v, Score: score, Anomaly: anomaly}
}
