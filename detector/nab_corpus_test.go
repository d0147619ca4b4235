package detector_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/datasets"
	"github.com/seismo-dev/seismo/detector"
	"github.com/seismo-dev/seismo/detector/eval"
)

// nabDir is the shared NAB corpus, relative to this package.
var nabDir = filepath.Join("..", "..", "shared", "datasets", "nab")

// loadNAB loads the shared NAB corpus, skipping the test when it is absent
// outside CI.
func loadNAB(t testing.TB) []datasets.NABFile {
	t.Helper()
	if _, err := os.Stat(filepath.Join(nabDir, filepath.FromSlash(datasets.NABWindowsFile))); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("NAB corpus: %v", err)
		}
		t.Skipf("NAB corpus absent (%v); set CI=true to make this a failure", err)
	}
	files, err := datasets.LoadNAB(nabDir)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// nabScores runs d causally over every file, as NAB does: one fresh stream
// per file, every row pushed in order, rows the stream does not judge
// (warm-up) scored 0.
func nabScores(d detector.Detector, files []datasets.NABFile) []eval.Series {
	out := make([]eval.Series, len(files))
	for i, f := range files {
		s := d.NewStream(nil)
		es := eval.Series{Name: f.Key(), Times: make([]time.Time, len(f.Points)), Scores: make([]float64, len(f.Points))}
		for j, p := range f.Points {
			es.Times[j] = p.T
			if r, ok := s.Push(p); ok {
				es.Scores[j] = r.Score
			}
		}
		for _, w := range f.Windows {
			es.Windows = append(es.Windows, eval.Window{Start: w.Start, End: w.End})
		}
		out[i] = es
	}
	return out
}

// TestAdaptiveNAB scores the adaptive detector, with its defaults, on the
// shared NAB corpus and requires it to beat the Numenta HTM detector's
// published scores on the same files (72.8 standard, 66.0 reward_low_FP).
func TestAdaptiveNAB(t *testing.T) {
	files := loadNAB(t)
	d, err := detector.NewAdaptive(detector.AdaptiveParams{}, detector.DefaultSensitivity)
	if err != nil {
		t.Fatal(err)
	}
	scores, err := eval.ScoreNAB(nabScores(d, files))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"standard": 72.8, "reward_low_FP": 66.0}
	for _, s := range scores {
		t.Logf("%-14s %6.2f threshold=%.4f TP=%d FP=%d FN=%d", s.Profile.Name, s.Score, s.Threshold, s.TP, s.FP, s.FN)
		if w, ok := want[s.Profile.Name]; ok && !(s.Score > w) {
			t.Errorf("%s = %.2f, want > %.1f (Numenta HTM)", s.Profile.Name, s.Score, w)
		}
	}
}
