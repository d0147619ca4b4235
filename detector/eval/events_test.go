package eval

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestEvents(t *testing.T) {
	times := at(20)
	for _, tc := range []struct {
		name    string
		flagged []bool
		gap     time.Duration
		want    []Window
	}{
		{"nothing flagged", flags(20), 0, nil},
		{"runs of consecutive rows", flags(20, 2, 6, 7, 9, 18), 0, []Window{win(2, 2), win(6, 7), win(9, 9), win(18, 18)}},
		{"a gap of two minutes merges 7→9 only", flags(20, 2, 6, 7, 9, 18), 2 * time.Minute, []Window{win(2, 2), win(6, 9), win(18, 18)}},
		{"a gap just short does not merge", flags(20, 6, 7, 9), 2*time.Minute - time.Nanosecond, []Window{win(6, 7), win(9, 9)}},
		{"merged chains", flags(20, 0, 2, 4, 6), 2 * time.Minute, []Window{win(0, 6)}},
		{"flagged to the end", flags(20, 17, 18, 19), 0, []Window{win(17, 19)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Events(times, tc.flagged, tc.gap)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEventsErrors(t *testing.T) {
	unsorted := at(3)
	unsorted[0], unsorted[2] = unsorted[2], unsorted[0]
	for _, tc := range []struct {
		name    string
		times   []time.Time
		flagged []bool
		gap     time.Duration
	}{
		{"lengths differ", at(3), flags(2), 0},
		{"unsorted", unsorted, flags(3, 1), 0},
		{"negative gap", at(3), flags(3, 1), -time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Events(tc.times, tc.flagged, tc.gap); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestMergeWindows(t *testing.T) {
	got, err := MergeWindows([]Window{win(15, 16), win(5, 9), win(7, 12), win(12, 13), win(20, 20)})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Window{win(5, 13), win(15, 16), win(20, 20)}, got); diff != "" {
		t.Errorf("merged (-want +got):\n%s", diff)
	}
	if _, err := MergeWindows([]Window{win(5, 4)}); err == nil {
		t.Error("an inverted window is accepted")
	}
}

func TestPointAdjust(t *testing.T) {
	times := at(20)
	got := PointAdjust(times, flags(20, 2, 7, 18), []Window{win(5, 9), win(15, 16)})
	want := flags(20, 2, 5, 6, 7, 8, 9, 18) // the hit range is filled, the missed one is not
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("adjusted (-want +got):\n%s", diff)
	}
}

func TestAlertsPerDay(t *testing.T) {
	for _, tc := range []struct {
		n    int
		span time.Duration
		want float64
	}{
		{6, 72 * time.Hour, 2},
		{6, 12 * time.Hour, 12},
		{0, 24 * time.Hour, 0},
		{3, 0, 0},
	} {
		if got := AlertsPerDay(tc.n, tc.span); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("AlertsPerDay(%d, %s) = %v, want %v", tc.n, tc.span, got, tc.want)
		}
	}
}

// TestEvaluate works every metric out by hand on 20 one-minute rows with
// anomaly ranges on rows 5–9 and 15–16 and flags on rows 2, 6, 7, 9, 18.
func TestEvaluate(t *testing.T) {
	base := Input{
		Name:      "hand",
		Times:     at(20),
		Flagged:   flags(20, 2, 6, 7, 9, 18),
		Anomalies: []Window{win(5, 9), win(15, 16)},
	}
	for _, tc := range []struct {
		name   string
		modify func(*Input)
		want   Report
	}{
		{
			name: "plain",
			want: Report{
				Points: 20,
				// TP 6, 7, 9; FP 2, 18; FN 5, 8, 15, 16; TN the other 11.
				Point: Counts{TP: 3, FP: 2, FN: 4, TN: 11},
				// Events [2] [6–7] [9] [18]: two of four overlap a range;
				// one range of two is found.
				Events: EventCounts{Predicted: 4, Matched: 2, Ranges: 2, Detected: 1},
				// Range 5–9 is filled (5 TP), 15–16 stays missed.
				PointAdjusted: Counts{TP: 5, FP: 2, FN: 2, TN: 11},
			},
		},
		{
			name:   "merge gap of two minutes",
			modify: func(in *Input) { in.MergeGap = 2 * time.Minute },
			want: Report{
				Points: 20, Point: Counts{TP: 3, FP: 2, FN: 4, TN: 11},
				// [2] [6–9] [18]
				Events:        EventCounts{Predicted: 3, Matched: 1, Ranges: 2, Detected: 1},
				PointAdjusted: Counts{TP: 5, FP: 2, FN: 2, TN: 11},
			},
		},
		{
			name:   "noise on rows 18–19 is left out",
			modify: func(in *Input) { in.Ignore = []Window{win(18, 19)} },
			want: Report{
				Points: 18, Ignored: 2,
				Point:         Counts{TP: 3, FP: 1, FN: 4, TN: 10},
				Events:        EventCounts{Predicted: 3, Matched: 2, Ranges: 2, Detected: 1},
				PointAdjusted: Counts{TP: 5, FP: 1, FN: 2, TN: 10},
			},
		},
		{
			name: "overlapping labels count once; a range with no row is unjudged",
			modify: func(in *Input) {
				in.Anomalies = []Window{win(5, 9), win(8, 12), win(15, 16), win(30, 31)}
			},
			want: Report{
				Points: 20,
				// Range 5–12 now: TP 6, 7, 9; FN 5, 8, 10, 11, 12, 15, 16.
				Point:         Counts{TP: 3, FP: 2, FN: 7, TN: 8},
				Events:        EventCounts{Predicted: 4, Matched: 2, Ranges: 2, Detected: 1},
				PointAdjusted: Counts{TP: 8, FP: 2, FN: 2, TN: 8},
				Unjudged:      1,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := base
			if tc.modify != nil {
				tc.modify(&in)
			}
			got, err := Evaluate(in)
			if err != nil {
				t.Fatal(err)
			}
			if got.NAB == nil {
				t.Error("no NAB score although ranges hold rows")
			}
			got.NAB = nil // checked in TestEvaluateNAB
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("report (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEvaluateRatios(t *testing.T) {
	r, err := Evaluate(Input{Times: at(20), Flagged: flags(20, 2, 6, 7, 9, 18), Anomalies: []Window{win(5, 9), win(15, 16)}})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct {
		name      string
		got, want float64
	}{
		{"point precision", r.Point.Precision(), 3.0 / 5},
		{"point recall", r.Point.Recall(), 3.0 / 7},
		{"event precision", r.Events.Precision(), 0.5},
		{"event recall", r.Events.Recall(), 0.5},
		{"event F1", r.Events.F1(), 0.5},
		{"point-adjusted precision", r.PointAdjusted.Precision(), 5.0 / 7},
		{"point-adjusted recall", r.PointAdjusted.Recall(), 5.0 / 7},
	} {
		if math.Abs(m.got-m.want) > 1e-12 {
			t.Errorf("%s = %v, want %v", m.name, m.got, m.want)
		}
	}
}

// TestEvaluateNAB: 20 rows have a probation of 3. A flag on the first row
// of the only window earns A_TP = 1 = perfect; a false positive before
// any window costs the full A_FP.
func TestEvaluateNAB(t *testing.T) {
	for _, tc := range []struct {
		name    string
		flagged []bool
		want    [3]float64 // standard, reward_low_FP, reward_low_FN
	}{
		{"window found at its start", flags(20, 5), [3]float64{100, 100, 100}},
		// raw = 1 − A_FP, null = −A_FN, perfect = 1:
		// 100·(1 − 0.11 + 1)/2, 100·(1 − 0.22 + 1)/2, 100·(1 − 0.11 + 2)/3.
		{"and a false positive before it", flags(20, 4, 5), [3]float64{94.5, 89, 100 * 2.89 / 3}},
		{"missed", flags(20), [3]float64{0, 0, 0}},
		{"flags in probation do not count", flags(20, 0, 1, 2), [3]float64{0, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Evaluate(Input{Times: at(20), Flagged: tc.flagged, Anomalies: []Window{win(5, 9)}})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.NAB) != 3 {
				t.Fatalf("%d NAB scores, want 3", len(r.NAB))
			}
			for i, s := range r.NAB {
				if math.Abs(s.Score-tc.want[i]) > 1e-9 {
					t.Errorf("%s: %v, want %v", s.Profile.Name, s.Score, tc.want[i])
				}
			}
		})
	}
	r, err := Evaluate(Input{Times: at(20), Flagged: flags(20, 3)})
	if err != nil {
		t.Fatal(err)
	}
	if r.NAB != nil {
		t.Errorf("NAB without labels: %+v", r.NAB)
	}
}

func TestEvaluateCorpus(t *testing.T) {
	ins := []Input{
		{Name: "a", Times: at(20), Flagged: flags(20, 5), Anomalies: []Window{win(5, 9)}},
		{Name: "b", Times: at(20), Flagged: flags(20, 4, 12), Anomalies: []Window{win(10, 14)}},
		{Name: "c", Times: at(20), Flagged: flags(20, 6)}, // no labels: every flag a false positive
	}
	total, per, err := EvaluateCorpus(ins)
	if err != nil {
		t.Fatal(err)
	}
	if len(per) != 3 {
		t.Fatalf("%d per-series reports", len(per))
	}
	want := EventCounts{Predicted: 4, Matched: 2, Ranges: 2, Detected: 2}
	if total.Events != want {
		t.Errorf("pooled events %+v, want %+v", total.Events, want)
	}
	if total.Point != per[0].Point.Add(per[1].Point).Add(per[2].Point) {
		t.Errorf("pooled points %+v are not the sum of %+v", total.Point, per)
	}
	// The NAB corpus holds a and b only (c has no window): raw = 1 (a) +
	// σ-weighted hit at row 12 of b's 10–14 − 0.11 (b's row 4), null −2,
	// perfect 2.
	hit := ScaledSigmoid(-3.0/5) / ScaledSigmoid(-1)
	wantStd := 100 * (1 + hit - 0.11 + 2) / 4
	if len(total.NAB) != 3 || math.Abs(total.NAB[0].Score-wantStd) > 1e-9 {
		t.Errorf("pooled NAB %+v, want standard %v", total.NAB, wantStd)
	}
}

func TestEvaluateErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   Input
	}{
		{"lengths differ", Input{Times: at(3), Flagged: flags(2)}},
		{"inverted anomaly range", Input{Times: at(3), Flagged: flags(3), Anomalies: []Window{win(2, 1)}}},
		{"inverted noise range", Input{Times: at(3), Flagged: flags(3), Ignore: []Window{win(2, 1)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Evaluate(tc.in); err == nil {
				t.Error("no error")
			}
		})
	}
}
