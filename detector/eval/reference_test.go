package eval_test

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/seismo-dev/seismo/datasets"
	"github.com/seismo-dev/seismo/detector/eval"
)

// nabDir is the shared NAB corpus, relative to this package.
var nabDir = filepath.Join("..", "..", "..", "shared", "datasets", "nab")

// loadCorpus loads the shared NAB corpus, skipping the test when it is
// absent outside CI.
func loadCorpus(t *testing.T) []datasets.NABFile {
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

// referenceCorpus pairs the corpus' windows with a reference detector's
// published anomaly scores.
func referenceCorpus(t *testing.T, files []datasets.NABFile, detector string) []eval.Series {
	t.Helper()
	results, err := datasets.LoadNABResults(filepath.Join(nabDir, "reference-results", detector), detector)
	if err != nil {
		t.Fatal(err)
	}
	byKey := make(map[string]datasets.NABResult, len(results))
	for _, r := range results {
		byKey[r.Key()] = r
	}
	corpus := make([]eval.Series, 0, len(files))
	for _, f := range files {
		r, ok := byKey[f.Key()]
		if !ok {
			t.Fatalf("%s: no %s result", f.Key(), detector)
		}
		if len(r.Points) != len(f.Points) {
			t.Fatalf("%s: %s has %d rows, data %d", f.Key(), detector, len(r.Points), len(f.Points))
		}
		s := eval.Series{Name: f.Key(), Scores: r.Scores}
		for i, p := range r.Points {
			if !p.T.Equal(f.Points[i].T) {
				t.Fatalf("%s row %d: %s result at %s, data at %s", f.Key(), i, detector, p.T, f.Points[i].T)
			}
			s.Times = append(s.Times, p.T)
		}
		for _, w := range f.Windows {
			s.Windows = append(s.Windows, eval.Window{Start: w.Start, End: w.End})
		}
		corpus = append(corpus, s)
	}
	return corpus
}

// TestNABReference checks the scorer against the table in the shared
// corpus' README, computed by NAB itself from the same reference results.
func TestNABReference(t *testing.T) {
	files := loadCorpus(t)
	if len(files) != 34 {
		t.Fatalf("corpus has %d files, the reference table is for 34", len(files))
	}
	for _, tc := range []struct {
		detector string
		want     [3]float64 // standard, reward_low_FP, reward_low_FN
	}{
		{"numenta", [3]float64{72.8, 66.0, 76.9}},
		{"windowedGaussian", [3]float64{50.9, 31.1, 59.0}},
	} {
		t.Run(tc.detector, func(t *testing.T) {
			scores, err := eval.ScoreNAB(referenceCorpus(t, files, tc.detector))
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range scores {
				t.Logf("%-14s score=%.4f raw=%.4f null=%.1f perfect=%.4f threshold=%.6g tp=%d fp=%d fn=%d",
					s.Profile.Name, s.Score, s.Raw, s.Null, s.Perfect, s.Threshold, s.TP, s.FP, s.FN)
				if got := math.Round(s.Score*10) / 10; got != tc.want[i] {
					t.Errorf("%s %s = %.4f, rounds to %.1f, want %.1f", tc.detector, s.Profile.Name, s.Score, got, tc.want[i])
				}
			}
		})
	}
}
