package detector

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustAuto(t testing.TB, p AutoParams) *Auto {
	t.Helper()
	d, err := newAuto(Config{Type: TypeAuto, Sensitivity: DefaultSensitivity, Direction: DirectionBoth}, p)
	if err != nil {
		t.Fatalf("newAuto: %v", err)
	}
	return d.(*Auto)
}

func TestAutoChooses(t *testing.T) {
	seasonal := []string{TypeSeasonal, TypeHoltWinters}
	plain := []string{"rolling", "holt"}
	for _, tc := range []struct {
		name   string
		in     Input
		want   []string
		reason string
	}{
		{"seasonal", Input{History: ssSeries(14, 20, 1, 81)}, seasonal, "period of 144 points"},
		{"seasonal weak", Input{History: ssSeries(14, 6, 1, 82)}, seasonal, "period of 144 points"},
		{"noise", Input{History: ssNoise(3000, 83)}, plain, "no period"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustAuto(t, AutoParams{}).Choose(tc.in, nil)
			t.Log(c)
			if !slices.Contains(tc.want, c.Detector) {
				t.Errorf("chose %s, want one of %v", c.Detector, tc.want)
			}
			all := strings.Join(c.Reasons, "\n")
			if !strings.Contains(all, tc.reason) || !strings.Contains(all, "chose "+c.Detector) {
				t.Errorf("reasons do not explain the choice:\n%s", all)
			}
			if _, ok := c.Scores[c.Detector]; !ok {
				t.Errorf("no score for the choice: %v", c.Scores)
			}
			if !strings.Contains(all, "robust: ") || !strings.Contains(all, "needs a baseline model") {
				t.Errorf("robust without a model should be disqualified, with the reason:\n%s", all)
			}
			// The choice survives JSON and turns back into the detector.
			b, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			var back Choice
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c, back); diff != "" {
				t.Errorf("JSON round trip (-want +got):\n%s", diff)
			}
			a := mustAuto(t, AutoParams{})
			d, err := a.Chosen(back)
			wantType := map[string]string{"rolling": TypeSeasonal, "holt": TypeHoltWinters}[c.Detector]
			if wantType == "" {
				wantType = c.Detector
			}
			if err != nil || d.Name() != wantType {
				t.Errorf("Chosen(%v) = %v, %v", back.Detector, d, err)
			}
		})
	}
}

// TestAutoLabels: labelled anomalies in the history add F1 and NAB scores.
func TestAutoLabels(t *testing.T) {
	hist := ssSeries(14, 20, 1, 91)
	at := 10*ssPerDay + 77
	hist = ssInject(hist, map[int]float64{at: 30, at + 1: 30, at + 2: 30})
	labels := []LabelRange{
		{Start: hist[at-2].T, End: hist[at+5].T, Kind: LabelAnomaly},
		{Start: hist[12*ssPerDay].T, End: hist[12*ssPerDay+10].T, Kind: LabelNoise},
	}
	c := mustAuto(t, AutoParams{}).Choose(Input{History: hist}, labels)
	t.Log(c)
	if f1 := c.Scores[c.Detector+".f1"]; !(f1 > 0) {
		t.Errorf("%s.f1 = %v, want > 0 (scores %v)", c.Detector, f1, c.Scores)
	}
	if !strings.Contains(strings.Join(c.Reasons, "\n"), "labelled anomalies") {
		t.Errorf("reasons do not mention the labels: %v", c.Reasons)
	}
	if !slices.Contains([]string{TypeSeasonal, TypeHoltWinters}, c.Detector) {
		t.Errorf("chose %s on seasonal data", c.Detector)
	}
}

// TestAutoStream chooses after Learn points and then flags a spike
// causally; the batch form flags it too.
func TestAutoStream(t *testing.T) {
	pts := ssInject(ssSeries(12, 20, 1, 93), map[int]float64{11*ssPerDay + 20: 15})
	a := mustAuto(t, AutoParams{Learn: 10 * ssPerDay})
	s := a.NewStream(nil)
	var flagged []int
	for i, p := range pts {
		if r, ok := s.Push(p); ok && r.Anomaly {
			flagged = append(flagged, i)
		}
	}
	c, ok := s.(*autoStream).Choice()
	if !ok || !slices.Contains([]string{TypeSeasonal, TypeHoltWinters}, c.Detector) {
		t.Errorf("stream chose %v (%v)", c.Detector, ok)
	}
	if !slices.Equal(flagged, []int{11*ssPerDay + 20}) {
		t.Errorf("stream flagged %v, want [%d]", flagged, 11*ssPerDay+20)
	}
	rs := a.DetectBatch(ssSplit(pts, 10))
	ssCheckContract(t, rs)
	if got := ssFlagged(pts, rs); !slices.Equal(got, []int{11*ssPerDay + 20}) {
		t.Errorf("batch flagged %v", got)
	}
}

func TestAutoShortHistory(t *testing.T) {
	c := mustAuto(t, AutoParams{}).Choose(Input{History: ssNoise(10, 1)}, nil)
	if c.Detector != "rolling" || !strings.Contains(strings.Join(c.Reasons, " "), "too little history") {
		t.Errorf("short history: %v", c)
	}
}
