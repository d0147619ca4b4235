package datasets

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seismo-dev/seismo/series"
)

func nabTime(s string) time.Time {
	t, err := time.Parse(NABTimeLayout, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestLoadNAB(t *testing.T) {
	files, err := LoadNAB(filepath.Join("testdata", "nab"))
	if err != nil {
		t.Fatal(err)
	}
	want := []NABFile{
		{
			Category: "catA", Name: "one",
			Points: []series.Point{
				{T: nabTime("2015-03-03 04:37:53"), V: 53},
				{T: nabTime("2015-03-03 04:42:53"), V: 21.5},
				{T: nabTime("2015-03-03 04:47:53"), V: 1000},
				{T: nabTime("2015-03-03 04:47:53"), V: 17}, // a repeated timestamp is its own row
				{T: nabTime("2015-03-03 04:52:53"), V: -4},
			},
			Windows: []NABWindow{ // sorted by start
				{Start: nabTime("2015-03-03 04:37:53"), End: nabTime("2015-03-03 04:37:53")},
				{Start: nabTime("2015-03-03 04:47:53"), End: nabTime("2015-03-03 04:52:53")},
			},
		},
		{
			Category: "catB", Name: "two",
			Points: []series.Point{ // no trailing newline in the file
				{T: nabTime("2011-07-01 00:00:01"), V: 0.5},
				{T: nabTime("2011-07-01 01:00:01"), V: 0.25},
				{T: nabTime("2011-07-01 03:00:01"), V: 0.125},
			},
			Windows: []NABWindow{},
		},
	}
	if diff := cmp.Diff(want, files); diff != "" {
		t.Errorf("LoadNAB (-want +got):\n%s", diff)
	}
	if got := files[0].Key(); got != "catA/one.csv" {
		t.Errorf("Key = %q", got)
	}
	if loc := files[0].Points[0].T.Location(); loc != time.UTC {
		t.Errorf("timestamps in %v, want UTC", loc)
	}
}

func TestLoadNABResults(t *testing.T) {
	results, err := LoadNABResults(filepath.Join("testdata", "nab", "results", "det"), "det")
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 {
		t.Fatalf("%d results, want 2", len(results))
	}
	for _, tc := range []struct {
		key    string
		scores []float64
	}{
		{"catA/one.csv", []float64{0.5, 0.0301029996659, 1, 0, 0.25}},
		{"catB/two.csv", []float64{0, 0.75, 0.125}}, // columns in another order
	} {
		var r *NABResult
		for i := range results {
			if results[i].Key() == tc.key {
				r = &results[i]
			}
		}
		if r == nil {
			t.Errorf("no result for %s", tc.key)
			continue
		}
		if diff := cmp.Diff(tc.scores, r.Scores); diff != "" {
			t.Errorf("%s scores (-want +got):\n%s", tc.key, diff)
		}
		if len(r.Points) != len(r.Scores) {
			t.Errorf("%s: %d points, %d scores", tc.key, len(r.Points), len(r.Scores))
		}
	}
	if _, err := LoadNABResults(filepath.Join("testdata", "nab", "results", "det"), "other"); err == nil {
		t.Error("results of an absent detector: no error")
	}
}

func TestReadNABCSVErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in, wantErr string
	}{
		{"empty", "", "header"},
		{"header only", "timestamp,value\n", "no data rows"},
		{"missing column", "time,value\n2015-01-01 00:00:00,1\n", `lacks column "timestamp"`},
		{"bad timestamp", "timestamp,value\n2015-01-01T00:00:00Z,1\n", "line 2"},
		{"bad value", "timestamp,value\n2015-01-01 00:00:00,1\n2015-01-01 00:05:00,abc\n", "line 3"},
		{"NaN", "timestamp,value\n2015-01-01 00:00:00,NaN\n", "not finite"},
		{"Inf", "timestamp,value\n2015-01-01 00:00:00,+Inf\n", "not finite"},
		{"out of order", "timestamp,value\n2015-01-01 00:05:00,1\n2015-01-01 00:00:00,2\n", "line 3: timestamp 2015-01-01 00:00:00 is before"},
		{"short row", "timestamp,value\n2015-01-01 00:00:00\n", "line 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadNABCSV(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestReadNABWindowsErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in, wantErr string
	}{
		{"not JSON", "[", "decode"},
		{"one bound", `{"a/b.csv": [["2015-01-01 00:00:00.000000"]]}`, "want [start, end]"},
		{"bad time", `{"a/b.csv": [["yesterday", "2015-01-01 00:00:00"]]}`, "window 0 start"},
		{"inverted", `{"a/b.csv": [["2015-01-02 00:00:00", "2015-01-01 00:00:00"]]}`, "before it starts"},
		{"overlap", `{"a/b.csv": [["2015-01-01 00:00:00", "2015-01-03 00:00:00"], ["2015-01-02 00:00:00", "2015-01-04 00:00:00"]]}`, "overlap"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadNABWindows(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// TestLoadNABMismatch: data and labels must describe the same files.
func TestLoadNABMismatch(t *testing.T) {
	for _, tc := range []struct {
		name, windows, wantErr string
	}{
		{"data file without labels", `{}`, "has no entry"},
		{"labels without data file", `{"catA/one.csv": [], "catA/gone.csv": []}`, "catA/gone.csv"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			mustWrite(t, filepath.Join(dir, "labels", "combined_windows.json"), tc.windows)
			mustWrite(t, filepath.Join(dir, "data", "catA", "one.csv"), "timestamp,value\n2015-01-01 00:00:00,1\n")
			_, err := LoadNAB(dir)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWriteNABResultsRoundTrip(t *testing.T) {
	pts := []series.Point{
		{T: nabTime("2015-03-03 04:37:53"), V: 53},
		{T: nabTime("2015-03-03 04:42:53"), V: 0.119452887538},
		{T: nabTime("2015-03-03 04:42:53"), V: -1e-7},
	}
	scores := []float64{0, 0.5, 1}
	var buf bytes.Buffer
	if err := WriteNABResults(&buf, pts, scores); err != nil {
		t.Fatal(err)
	}
	want := "timestamp,value,anomaly_score\n" +
		"2015-03-03 04:37:53,53,0\n" +
		"2015-03-03 04:42:53,0.119452887538,0.5\n" +
		"2015-03-03 04:42:53,-1e-07,1\n"
	if got := buf.String(); got != want {
		t.Errorf("WriteNABResults:\n%s\nwant:\n%s", got, want)
	}
	gotPts, gotScores, err := ReadNABResults(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(pts, gotPts); diff != "" {
		t.Errorf("round trip points (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(scores, gotScores); diff != "" {
		t.Errorf("round trip scores (-want +got):\n%s", diff)
	}
	if err := WriteNABResults(&buf, pts, scores[:1]); err == nil {
		t.Error("length mismatch: no error")
	}
}
