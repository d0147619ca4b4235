package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/config"
	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/detector"
	"github.com/seismo-dev/seismo/series"
	"github.com/seismo-dev/seismo/store"
)

// staticPanel is a panel whose votes a test controls: a static detector
// flags values at or above its bound.
func staticPanel(t *testing.T, uppers ...float64) noisePanel {
	t.Helper()
	var p noisePanel
	for _, u := range uppers {
		d, err := detector.New(detector.Config{Type: detector.TypeStatic, Static: detector.StaticConfig{Upper: &u}})
		if err != nil {
			t.Fatal(err)
		}
		p = append(p, d)
	}
	return p
}

// flat returns n points at one-minute steps with value 10, and the
// monitor's verdicts on them with a band of 8..12, anomalies at the given
// indexes (whose values are set to v).
func flat(n int, v float64, anomalies ...int) ([]series.Point, []detector.Result) {
	start := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	pts := make([]series.Point, n)
	rs := make([]detector.Result, n)
	for i := range pts {
		pts[i] = series.Point{T: start.Add(time.Duration(i) * time.Minute), V: 10}
	}
	for _, i := range anomalies {
		pts[i].V = v
	}
	for i, p := range pts {
		rs[i] = detector.Result{T: p.T, Value: p.V, Expected: 10, Lower: 8, Upper: 12}
	}
	for _, i := range anomalies {
		rs[i].Anomaly = true
	}
	return pts, rs
}

func TestJudgeSpikes(t *testing.T) {
	tests := []struct {
		name      string
		panel     []float64 // static upper bounds: a bound ≤ the spike flags it
		spike     float64
		anomalies []int
		noise     []int // indexes proposed as noise
		pending   bool
	}{
		{"one family of four flags it: noise", []float64{15, 100, 100, 100}, 20, []int{10}, []int{10}, false},
		{"half the panel flags it: not noise", []float64{15, 15, 100, 100}, 20, []int{10}, nil, false},
		{"every family flags it: an anomaly", []float64{15, 15, 15, 15}, 20, []int{10}, nil, false},
		{"two flagged in a row: not isolated", []float64{100, 100, 100, 100}, 20, []int{10, 11}, nil, false},
		{"the newest point waits for the next", []float64{100, 100, 100, 100}, 20, []int{19}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pts, rs := flat(20, tc.spike, tc.anomalies...)
			p := staticPanel(t, tc.panel...)
			vs, pending := p.judgeSpikes(pts, rs, nil)
			var noise []int
			for _, v := range vs {
				if v.Noise() {
					noise = append(noise, int(v.T.Sub(pts[0].T)/time.Minute))
				}
			}
			if len(noise) != len(tc.noise) || (len(noise) > 0 && noise[0] != tc.noise[0]) {
				t.Errorf("noise at %v, want %v (verdicts %+v)", noise, tc.noise, vs)
			}
			if (pending != nil) != tc.pending {
				t.Errorf("pending = %v, want %v", pending, tc.pending)
			}
		})
	}
}

func TestSpikeMustRevert(t *testing.T) {
	pts, rs := flat(20, 20, 10)
	rs[11].Value = 13 // not flagged, but outside the band: the level has not come back
	vs, _ := staticPanel(t, 100, 100, 100, 100).judgeSpikes(pts, rs, nil)
	if len(vs) != 1 || vs[0].Reverted || vs[0].Noise() {
		t.Errorf("verdicts %+v: a spike whose next point stays outside the band did not revert", vs)
	}
}

// TestNoiseStateAcrossRuns: a spike at a run's newest point is judged at
// the next run, once its successor is known.
func TestNoiseStateAcrossRuns(t *testing.T) {
	st, err := newNoiseState(0.7)
	if err != nil {
		t.Fatal(err)
	}
	st.panel = staticPanel(t, 15, 100, 100, 100)
	ls := labels.FromStrings("channel", "app")
	pts, rs := flat(20, 20, 19)
	if got := st.candidates(ls, pts[:20], rs[:20], nil); len(got) != 0 {
		t.Fatalf("proposed %v before the spike's successor was known", got)
	}
	more, next := flat(21, 20, 19)
	if got := st.candidates(ls, more, next[20:], nil); len(got) != 1 || !got[0].From.Equal(pts[19].T) || got[0].Source != store.SourceAuto || got[0].Kind != store.LabelNoise {
		t.Fatalf("second run proposed %+v, want one auto noise label at %v", got, pts[19].T)
	}
	if got := st.candidates(ls, more, next[20:], nil); len(got) != 0 {
		t.Errorf("the pending spike was proposed twice: %+v", got)
	}
}

func TestMaintenanceWindows(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	mws := []config.Maintenance{
		{Schedule: "0 0 2 * * sun", Duration: field.Duration(2 * time.Hour), Note: "patching"},
		{Schedule: "0 30 23 * * *", Duration: field.Duration(time.Hour)},
	}
	// Sunday 2026-03-08 in Shanghai: 02:00-04:00 is Saturday 18:00-20:00 UTC.
	from := time.Date(2026, 3, 7, 19, 0, 0, 0, time.UTC) // inside the Sunday window
	to := time.Date(2026, 3, 8, 16, 0, 0, 0, time.UTC)
	got, err := maintenanceWindows(mws, shanghai, from, to)
	if err != nil {
		t.Fatal(err)
	}
	var spans []string
	for _, l := range got {
		spans = append(spans, l.From.In(shanghai).Format("Mon 15:04")+"-"+l.To.In(shanghai).Format("15:04"))
		if l.Kind != store.LabelNoise || l.Source != store.SourceAuto || !l.Series.IsEmpty() {
			t.Errorf("window label %+v: want monitor-wide auto noise", l)
		}
	}
	// Saturday's 23:30 window ended at Sunday 00:30 local, before from
	// (Sunday 03:00 local); the Sunday window started before from and
	// overlaps it; Sunday's 23:30 starts before to (Monday 00:00 local).
	want := []string{"Sun 02:00-04:00", "Sun 23:30-00:30"}
	if strings.Join(spans, ",") != strings.Join(want, ",") {
		t.Errorf("windows %v, want %v", spans, want)
	}
	if !strings.Contains(got[0].Note, "patching") {
		t.Errorf("note %q lacks the configured note", got[0].Note)
	}
	if _, err := maintenanceWindows([]config.Maintenance{{Schedule: "@every 1s", Duration: field.Duration(time.Second)}}, time.UTC, from, to); err == nil {
		t.Error("a window every second over a day was accepted")
	}
}

// TestMaintenanceProposals runs a monitor with a nightly maintenance
// window: the run proposes one monitor-wide noise label per window in its
// range, a second run proposes nothing new, and a rejected proposal is
// not made again.
func TestMaintenanceProposals(t *testing.T) {
	ctx := context.Background()
	eng := noiseEngine(t, "{type: robust}", `    maintenance:
      - {schedule: "0 0 3 * * *", duration: 30m, note: nightly backup}`)
	res, err := eng.RunOnce(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	auto, err := eng.Store().Labels(ctx, store.LabelFilter{Monitor: "shop", Source: store.SourceAuto, Kinds: []store.LabelKind{store.LabelNoise}})
	if err != nil {
		t.Fatal(err)
	}
	var windows []store.Label
	for _, l := range auto {
		if strings.Contains(l.Note, "nightly backup") {
			windows = append(windows, l)
		}
	}
	if len(windows) != 1 || !windows[0].From.Equal(judgedFrom.Add(3*time.Hour)) || windows[0].Status != store.StatusProposed || res.Proposed < 1 {
		t.Fatalf("proposed %+v (result says %d), want the judged day's 03:00 window, proposed", windows, res.Proposed)
	}
	l := windows[0]
	l.Status = store.StatusRejected
	if _, err := eng.Store().UpdateLabel(ctx, "ana", l); err != nil {
		t.Fatal(err)
	}
	again, err := eng.RunOnce(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	if again.Proposed != 0 {
		t.Errorf("the second run proposed %d labels again", again.Proposed)
	}
	if all, _ := eng.Store().Labels(ctx, store.LabelFilter{Source: store.SourceAuto}); len(all) != len(auto) {
		t.Errorf("%d auto labels after the second run, was %d", len(all), len(auto))
	}
}

func TestLabelHelpers(t *testing.T) {
	app := labels.FromStrings("channel", "app")
	web := labels.FromStrings("channel", "web")
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	rl := runLabels{
		{Series: app, From: at, To: at, Kind: store.LabelNoise},                                                    // a point on app
		{Series: labels.EmptyLabels(), From: at.Add(time.Hour), To: at.Add(2 * time.Hour), Kind: store.LabelNoise}, // every series
		{Series: web, From: at, To: at.Add(time.Hour), Kind: store.LabelAnomaly},
	}
	ex := rl.exclude(app)
	if len(ex) != 2 || !ex[0].Contains(at) || ex[0].Contains(at.Add(time.Millisecond)) || !ex[1].Contains(at.Add(2*time.Hour)) {
		t.Errorf("exclude(app) = %+v: want the point and the monitor-wide range, inclusive ends", ex)
	}
	if got := rl.ranges(web); len(got) != 2 || got[1].Kind != detector.LabelAnomaly {
		t.Errorf("ranges(web) = %+v", got)
	}
	pts := []series.Point{{T: at.Add(-time.Minute)}, {T: at}, {T: at.Add(time.Minute)}}
	if got := withoutRanges(pts, ex); len(got) != 2 || got[1].T != at.Add(time.Minute) {
		t.Errorf("withoutRanges dropped the wrong points: %+v", got)
	}
	if withoutRanges(pts, nil)[0] != pts[0] || rangesSignature(nil) != 0 {
		t.Error("no ranges must change nothing")
	}
	a, b := rl.ranges(app), rl.ranges(web)
	if rangesSignature(a) == rangesSignature(b) || rangesSignature(a) != rangesSignature(rl.ranges(app)) {
		t.Error("rangesSignature does not tell label sets apart, or is not deterministic")
	}
}
