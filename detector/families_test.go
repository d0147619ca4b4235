package detector

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/series"
)

var t0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// minutes turns values into points one minute apart from t0.
func minutes(vs []float64) []series.Point {
	out := make([]series.Point, len(vs))
	for i, v := range vs {
		out[i] = series.Point{T: t0.Add(time.Duration(i) * time.Minute), V: v}
	}
	return out
}

// gauss returns n values of mean + sd·N(0,1) from a seeded PCG.
func gauss(n int, mean, sd float64, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 0x5e15))
	out := make([]float64, n)
	for i := range out {
		out[i] = mean + sd*r.NormFloat64()
	}
	return out
}

func f64(v float64) *float64 { return &v }

// families is one configuration of every family this file tests.
var families = []Config{
	{Type: TypeStatic, Static: StaticConfig{Upper: f64(150), Lower: f64(50)}},
	{Type: TypeZScore},
	{Type: TypeRobustZ},
	{Type: TypeIQR},
	{Type: TypeEWMA},
	{Type: TypeCUSUM},
	{Type: TypeLevelShift},
	{Type: TypeFlatline},
	{Type: TypeNoData},
	{Type: TypeRateOfChange},
	{Type: TypeDistributionShift},
}

// flagged returns the indexes (into pts) of the anomalies in rs.
func flagged(pts []series.Point, rs []Result) []int {
	idx := map[time.Time]int{}
	for i, p := range pts {
		idx[p.T] = i
	}
	var out []int
	for _, r := range rs {
		if r.Anomaly {
			out = append(out, idx[r.T])
		}
	}
	return out
}

// TestFamilies checks each family on deterministic synthetic series: quiet
// on the clean part, and flagging the injected anomaly within its delay.
func TestFamilies(t *testing.T) {
	const n, at = 3000, 2000 // the anomaly starts at index at
	noise := func(seed uint64) []float64 { return gauss(n, 100, 5, seed) }
	spike := func(v []float64) []float64 { v[at] += 60; return v } // 12σ
	dip := func(v []float64) []float64 { v[at] -= 60; return v }
	shift := func(size float64) func([]float64) []float64 {
		return func(v []float64) []float64 {
			for i := at; i < len(v); i++ {
				v[i] += size
			}
			return v
		}
	}
	stuck := func(v []float64) []float64 {
		for i := at; i < at+100; i++ {
			v[i] = v[at]
		}
		return v
	}
	widen := func(v []float64) []float64 {
		for i := at; i < len(v); i++ {
			v[i] = 100 + 4*(v[i]-100)
		}
		return v
	}
	ramp := func(v []float64) []float64 { // a slow daily-like swing, then one jump of 10σ
		for i := range v {
			v[i] = 100 + 50*math.Sin(2*math.Pi*float64(i)/1440) + (v[i]-100)/5
		}
		v[at] += 10
		return v
	}
	tests := []struct {
		name     string
		cfg      Config
		inject   func([]float64) []float64
		maxClean int // anomalies allowed before at
		delay    int // the first anomaly at or after at must come within delay points
	}{
		{"static spike", Config{Type: TypeStatic, Static: StaticConfig{Upper: f64(150)}}, spike, 0, 0},
		{"static dip", Config{Type: TypeStatic, Static: StaticConfig{Lower: f64(50)}}, dip, 0, 0},
		{"zscore spike", Config{Type: TypeZScore}, spike, 1, 0},
		{"zscore dip", Config{Type: TypeZScore, Direction: DirectionDown}, dip, 0, 0},
		{"robust_z spike", Config{Type: TypeRobustZ}, spike, 1, 0},
		{"iqr spike", Config{Type: TypeIQR}, spike, 1, 0},
		{"ewma shift 1.5σ", Config{Type: TypeEWMA}, shift(7.5), 2, 15},
		{"cusum shift 1σ", Config{Type: TypeCUSUM}, shift(5), 2, 30},
		{"cusum shift down", Config{Type: TypeCUSUM}, shift(-5), 2, 30},
		{"level_shift 4σ", Config{Type: TypeLevelShift}, shift(20), 0, 20},
		{"flatline", Config{Type: TypeFlatline}, stuck, 0, 10},
		{"rate_of_change jump", Config{Type: TypeRateOfChange}, ramp, 1, 0},
		{"distribution_shift variance", Config{Type: TypeDistributionShift}, widen, 2, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for seed := uint64(1); seed <= 5; seed++ {
				pts := minutes(tt.inject(noise(seed)))
				rs := Run(newDetector(t, tt.cfg), Input{History: pts[:500], Points: pts[500:]})
				if len(rs) < n-600 {
					t.Fatalf("seed %d: %d results for %d points", seed, len(rs), n-500)
				}
				clean, first := 0, -1
				for _, i := range flagged(pts, rs) {
					if i < at {
						clean++
					} else if first < 0 {
						first = i
					}
				}
				if clean > tt.maxClean {
					t.Errorf("seed %d: %d anomalies on clean data, want ≤ %d", seed, clean, tt.maxClean)
				}
				if first < 0 || first-at > tt.delay {
					t.Errorf("seed %d: first anomaly at %d, want within %d of %d", seed, first, tt.delay, at)
				}
			}
		})
	}
	// The spike families miss what they should not see: a dip with
	// direction up, a slow swing for rate_of_change without the jump.
	t.Run("direction up ignores a dip", func(t *testing.T) {
		pts := minutes(dip(noise(9)))
		if got := flagged(pts, Run(newDetector(t, Config{Type: TypeRobustZ, Direction: DirectionUp}), Input{Points: pts})); len(got) > 0 {
			t.Errorf("flagged %v", got)
		}
	})
}

// TestQuietOnCleanData measures each family's false-alarm rate at the
// default sensitivity on independent Gaussian noise.
func TestQuietOnCleanData(t *testing.T) {
	tests := []struct {
		cfg    Config
		perMax int // at most one false alarm per this many points
	}{
		{Config{Type: TypeZScore}, 20_000},
		{Config{Type: TypeRobustZ}, 10_000},
		{Config{Type: TypeIQR}, 10_000},
		{Config{Type: TypeEWMA}, 4_000},
		{Config{Type: TypeCUSUM}, 2_000}, // about 1 in 6,000 in theory
		{Config{Type: TypeLevelShift}, 10_000},
		{Config{Type: TypeFlatline}, 100_000},
		{Config{Type: TypeNoData}, 100_000},
		{Config{Type: TypeRateOfChange}, 10_000},
		{Config{Type: TypeDistributionShift}, 5_000},
	}
	for _, tt := range tests {
		t.Run(tt.cfg.Type, func(t *testing.T) {
			total, fp := 0, 0
			for seed := uint64(100); seed < 120; seed++ {
				pts := minutes(gauss(5000, 100, 5, seed))
				rs := Run(newDetector(t, tt.cfg), Input{History: pts[:500], Points: pts[500:]})
				total += len(rs)
				fp += len(flagged(pts, rs))
			}
			if total < 20*4000 {
				t.Fatalf("only %d points judged", total)
			}
			if fp*tt.perMax > total {
				t.Errorf("%d false alarms in %d points, want at most 1 per %d", fp, total, tt.perMax)
			}
			t.Logf("%d false alarms in %d points", fp, total)
		})
	}
}

// TestNoData checks gaps found on arrival and by Stale.
func TestNoData(t *testing.T) {
	var pts []series.Point
	for i := 0; i < 100; i++ {
		pts = append(pts, series.Point{T: t0.Add(time.Duration(i) * time.Minute), V: float64(i % 7)})
	}
	last := pts[len(pts)-1].T
	tests := []struct {
		name    string
		cfg     NoDataConfig
		gap     int // minutes from the last point
		score   float64
		anomaly bool
	}{
		{"next point", NoDataConfig{}, 1, 0, false},
		{"3 missing", NoDataConfig{}, 4, 3 / (3 + 4.4), false},
		{"5 missing", NoDataConfig{}, 6, 5 / (5 + 4.4), true},
		{"configured 2 missing", NoDataConfig{Missing: 2}, 3, 0.5, true},
		{"configured step", NoDataConfig{Step: field.Duration(30 * time.Second)}, 2, 3 / (3 + 4.4), false},
		{"half a step late", NoDataConfig{}, 1, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDetector(t, Config{Type: TypeNoData, NoData: tt.cfg})
			s := d.NewStream(nil)
			for _, p := range pts {
				s.Push(p)
			}
			now := last.Add(time.Duration(tt.gap) * time.Minute)
			st, ok := s.(Staler)
			if !ok {
				t.Fatal("the gated stream is not a Staler")
			}
			r1, ok1 := st.Stale(now)
			r2, ok2 := st.Stale(now) // Stale does not change the stream
			r3, ok3 := s.Push(series.Point{T: now, V: 3})
			for i, c := range []struct {
				r  Result
				ok bool
			}{{r1, ok1}, {r2, ok2}, {r3, ok3}} {
				if !c.ok || math.Abs(c.r.Score-tt.score) > 1e-9 || c.r.Anomaly != tt.anomaly || !c.r.T.Equal(now) {
					t.Errorf("verdict %d: ok %v %+v, want score %v anomaly %v", i, c.ok, c.r, tt.score, tt.anomaly)
				}
			}
			if _, ok := st.Stale(last); ok {
				t.Error("Stale before the last point answered")
			}
		})
	}
	// No step before three intervals: nothing to judge.
	s := newDetector(t, Config{Type: TypeNoData}).NewStream(nil)
	for _, p := range pts[:3] {
		if _, ok := s.Push(p); ok {
			t.Errorf("judged %v without a step", p.T)
		}
	}
}

// TestScoreHalfAtThreshold checks, on every family's inner detector, that
// a point crosses exactly when its score reaches 0.5 and that scores stay
// in [0, 1].
func TestScoreHalfAtThreshold(t *testing.T) {
	vs := gauss(3000, 100, 5, 21)
	r := rand.New(rand.NewPCG(22, 0))
	for i := 300; i < len(vs); i += 97 { // graded spikes, stuck runs and gaps
		vs[i] += (r.Float64()*20 - 10) * 5
		if i%3 == 0 {
			for j := i; j < i+40 && j < len(vs); j++ {
				vs[j] = vs[i]
			}
		}
	}
	pts := minutes(vs)
	for i := 500; i < len(pts); i += 211 {
		for j := i; j < len(pts); j++ {
			pts[j].T = pts[j].T.Add(time.Duration(r.IntN(12)) * time.Minute)
		}
	}
	for _, cfg := range families {
		for _, s := range []float64{0.001, 0.3, 0.7, 1} {
			cfg := cfg
			cfg.Sensitivity = s
			t.Run(fmt.Sprintf("%s/%v", cfg.Type, s), func(t *testing.T) {
				cfg.ApplyDefaults()
				d, err := build(cfg)
				if err != nil {
					t.Fatal(err)
				}
				crossed := 0
				for _, r := range Run(d, Input{Points: pts}) {
					if !(r.Score >= 0 && r.Score <= 1) {
						t.Fatalf("score %v out of [0, 1]: %+v", r.Score, r)
					}
					if r.Anomaly != (r.Score >= 0.5) && math.Abs(r.Score-0.5) > 1e-12 {
						t.Fatalf("anomaly %v with score %v: %+v", r.Anomaly, r.Score, r)
					}
					if r.Anomaly {
						crossed++
					}
				}
				if s == 1 && crossed == 0 {
					t.Errorf("nothing crossed at sensitivity 1")
				}
			})
		}
	}
}

// TestBadInput feeds every family NaN, ±Inf, constant, tiny, huge and
// disordered input: defined results, never a panic.
func TestBadInput(t *testing.T) {
	noisy := gauss(600, 100, 5, 31)
	withNaN := func() []series.Point {
		var out []series.Point
		for i, p := range minutes(noisy) {
			out = append(out, p)
			if i%10 == 0 {
				bad := []float64{math.NaN(), math.Inf(1), math.Inf(-1)}[i%3]
				out = append(out, series.Point{T: p.T.Add(time.Second), V: bad})
			}
		}
		return out
	}
	disordered := func() []series.Point {
		var out []series.Point
		for i, p := range minutes(noisy) {
			out = append(out, p)
			if i%7 == 0 && i > 0 {
				out = append(out, series.Point{T: p.T, V: 1e6})                       // duplicate time
				out = append(out, series.Point{T: p.T.Add(-time.Hour), V: -1e6})      // out of order
				out = append(out, series.Point{T: p.T.Add(-time.Nanosecond), V: 1e9}) // still before
			}
		}
		return out
	}
	for _, cfg := range families {
		t.Run(cfg.Type, func(t *testing.T) {
			d := newDetector(t, cfg)
			clean := Run(d, Input{Points: minutes(noisy)})
			inner := d.(interface{ Unwrap() Detector }).Unwrap()
			for name, in := range map[string][]series.Point{"NaN and Inf": withNaN(), "disordered": disordered()} {
				// The gated and the bare stream both ignore the bad points:
				// the same results as without them.
				for _, dd := range []Detector{d, inner} {
					got := Run(dd, Input{Points: in})
					if dd == inner {
						got = gateAll(d, got)
					}
					if fmt.Sprint(got) != fmt.Sprint(clean) {
						t.Errorf("%s (%T): results differ from the clean series' (%d vs %d)", name, dd, len(got), len(clean))
					}
				}
			}
			cases := map[string][]float64{
				"constant":      constant(500, 7),
				"constant zero": constant(500, 0),
				"three points":  {1, 2, 3},
				"one point":     {1},
				"huge":          gauss(500, 1e300, 1e299, 32),
				"huge spike":    append(gauss(300, 100, 5, 33), math.MaxFloat64, -math.MaxFloat64, 100, 1e308),
				"tiny":          gauss(500, 1e-300, 1e-301, 34),
			}
			for name, vs := range cases {
				rs := Run(d, Input{Points: minutes(vs)})
				for _, r := range rs {
					for _, f := range []float64{r.Value, r.Expected, r.Lower, r.Upper, r.Score, r.Z} {
						if math.IsNaN(f) || (math.IsInf(f, 0) && f != r.Z) {
							t.Errorf("%s: non-finite field in %+v", name, r)
							break
						}
					}
					if r.Lower > r.Upper {
						t.Errorf("%s: band upside down %+v", name, r)
					}
				}
				if name == "constant" || name == "constant zero" {
					if n := len(flagged(minutes(vs), rs)); n > 0 && cfg.Type != TypeStatic {
						t.Errorf("constant series: %d anomalies", n)
					}
				}
			}
		})
	}
}

// gateAll applies d's gates to inner results, as a gated stream would.
func gateAll(d Detector, rs []Result) []Result {
	var st gateState
	d.(*gated).initState(&st)
	for i := range rs {
		st.apply(&rs[i], true)
	}
	return rs
}

func constant(n int, v float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// TestConstantThenJump: a series that never moved judges a real change as
// far out (the scale floor), and a series that always varied is not
// flatlined by its own noise.
func TestConstantThenJump(t *testing.T) {
	vs := append(constant(400, 7), 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8)
	pts := minutes(vs)
	for _, typ := range []string{TypeZScore, TypeRobustZ, TypeIQR, TypeRateOfChange, TypeCUSUM, TypeEWMA, TypeLevelShift} {
		t.Run(typ, func(t *testing.T) {
			got := flagged(pts, Run(newDetector(t, Config{Type: typ}), Input{Points: pts}))
			if len(got) == 0 || got[0] < 400 || got[0] > 420 {
				t.Errorf("flagged %v, want the jump at 400 found within 20 points", got)
			}
		})
	}
}

func TestFamilyConfig(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		paths []string
	}{
		{"static ok", Config{Type: "static", Static: StaticConfig{Upper: f64(0)}}, nil},
		{"static none", Config{Type: "static"}, []string{"static"}},
		{"static order", Config{Type: "static", Static: StaticConfig{Upper: f64(1), Lower: f64(2)}}, []string{"static.lower"}},
		{"static NaN", Config{Type: "static", Static: StaticConfig{Upper: f64(math.NaN())}}, []string{"static.upper"}},
		{"zscore window", Config{Type: "zscore", ZScore: WindowConfig{Window: 2}}, []string{"zscore.window"}},
		{"robust_z window", Config{Type: "robust_z", RobustZ: WindowConfig{Window: -1}}, []string{"robust_z.window"}},
		{"iqr window", Config{Type: "iqr", IQR: WindowConfig{Window: 1 << 30}}, []string{"iqr.window"}},
		{"ewma", Config{Type: "ewma", EWMA: EWMAConfig{Lambda: 1.5, Window: 1}}, []string{"ewma.lambda", "ewma.window"}},
		{"cusum", Config{Type: "cusum", CUSUM: CUSUMConfig{Drift: -1}}, []string{"cusum.drift"}},
		{"level_shift", Config{Type: "level_shift", LevelShift: WindowConfig{Window: 2}}, []string{"level_shift.window"}},
		{"flatline", Config{Type: "flatline", Flatline: FlatlineConfig{MinRun: 1, Tolerance: math.Inf(1)}}, []string{"flatline.min_run", "flatline.tolerance"}},
		{"no_data", Config{Type: "no_data", NoData: NoDataConfig{Missing: -1, Step: field.Duration(-time.Second)}}, []string{"no_data.missing", "no_data.step"}},
		{"rate_of_change", Config{Type: "rate_of_change", RateOfChange: WindowConfig{Window: 2}}, []string{"rate_of_change.window"}},
		{"distribution_shift", Config{Type: "distribution_shift", DistributionShift: DistributionShiftConfig{Bins: 1, Window: 2}}, []string{"distribution_shift.window", "distribution_shift.bins"}},
		{"other type's key ignored", Config{Type: "zscore", CUSUM: CUSUMConfig{Drift: -1}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkPaths(t, tt.cfg, tt.paths) })
	}
}

// TestWarmupIsEnough checks that Run, which warms a stream on only the
// last Warmup points of History, judges like a stream that saw it all.
func TestWarmupIsEnough(t *testing.T) {
	vs := gauss(4000, 100, 5, 41)
	for i := 700; i < len(vs); i += 173 {
		vs[i] += 40
	}
	pts := minutes(vs)
	hist, judge := pts[:3000], pts[3000:]
	for _, cfg := range families {
		t.Run(cfg.Type, func(t *testing.T) {
			d := newDetector(t, cfg)
			got := Run(d, Input{History: hist, Points: judge})
			s := d.NewStream(nil)
			var want []Result
			for i, p := range pts {
				if r, ok := s.Push(p); ok && i >= len(hist) {
					want = append(want, r)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("%d results, want %d", len(got), len(want))
			}
			tol := 1e-9
			if cfg.Type == TypeEWMA {
				tol = 1e-5 // the statistic's start weighs < 1e-6
			}
			for i := range got {
				if got[i].Anomaly != want[i].Anomaly || math.Abs(got[i].Score-want[i].Score) > tol {
					t.Fatalf("point %d: %+v, want %+v", i, got[i], want[i])
				}
			}
		})
	}
}
