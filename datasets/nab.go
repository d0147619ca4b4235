package datasets

// This file reads the Numenta Anomaly Benchmark (NAB) corpus format. Unlike
// the synthetic generators it does file I/O: loading a benchmark corpus
// from disk is the whole point of it.
//
// A NAB corpus directory holds
//
//	data/<category>/<name>.csv        header "timestamp,value"
//	labels/combined_windows.json      {"<category>/<name>.csv": [[start, end], ...], ...}
//
// and NAB's per-detector results look like
//
//	<results>/<category>/<detector>_<name>.csv
//	header "timestamp,value,anomaly_score[,more columns]"
//
// Timestamps are "YYYY-MM-DD HH:MM:SS" (window bounds add ".ffffff") with
// no zone; they are read as UTC.

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/seismo-dev/seismo/series"
)

// NABTimeLayout is the layout of NAB timestamps. Parsing also accepts a
// fractional second (".000000" in the label files).
const NABTimeLayout = "2006-01-02 15:04:05"

// NABWindowsFile is where a NAB corpus keeps its anomaly windows, relative
// to the corpus directory.
const NABWindowsFile = "labels/combined_windows.json"

// NABWindow is a labelled anomaly window; both ends are inclusive.
type NABWindow struct {
	Start, End time.Time
}

// NABFile is one series of a NAB corpus with its anomaly windows.
type NABFile struct {
	Category string // directory under data/, e.g. "realTweets"
	Name     string // file name without ".csv", e.g. "Twitter_volume_AAPL"
	Points   []series.Point
	Windows  []NABWindow // sorted by start, possibly empty
}

// Key is the file's key in NAB's label files: "<category>/<name>.csv".
func (f NABFile) Key() string { return f.Category + "/" + f.Name + ".csv" }

// NABResult is one file of a NAB detector's results: the detector's
// anomaly score for every row of the data file.
type NABResult struct {
	Category string
	Name     string // the data file's name without ".csv" (no detector prefix)
	Points   []series.Point
	Scores   []float64 // anomaly_score, one per point
}

// Key is the data file's key in NAB's label files: "<category>/<name>.csv".
func (r NABResult) Key() string { return r.Category + "/" + r.Name + ".csv" }

// LoadNAB reads the corpus in dir: every data/<category>/*.csv and its
// windows from labels/combined_windows.json. Files are sorted by Key. A data
// file without an entry in the windows file, or an entry without a data
// file, is an error: scoring a file as if it had no anomalies because its
// labels were lost would silently distort the benchmark.
func LoadNAB(dir string) ([]NABFile, error) {
	windows, err := readNABWindowsFile(filepath.Join(dir, filepath.FromSlash(NABWindowsFile)))
	if err != nil {
		return nil, err
	}
	paths, err := filepath.Glob(filepath.Join(dir, "data", "*", "*.csv"))
	if err != nil {
		return nil, fmt.Errorf("list NAB data in %q: %w", dir, err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no NAB data files under %q", filepath.Join(dir, "data"))
	}
	files := make([]NABFile, 0, len(paths))
	seen := make(map[string]bool, len(paths))
	for _, p := range paths {
		f := NABFile{
			Category: filepath.Base(filepath.Dir(p)),
			Name:     strings.TrimSuffix(filepath.Base(p), ".csv"),
		}
		w, ok := windows[f.Key()]
		if !ok {
			return nil, fmt.Errorf("NAB data file %q has no entry in %s", f.Key(), NABWindowsFile)
		}
		seen[f.Key()] = true
		f.Windows = w
		if f.Points, err = readNABCSVFile(p); err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	var missing []string
	for k := range windows {
		if !seen[k] {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("%s lists files missing under %q: %s", NABWindowsFile, filepath.Join(dir, "data"), strings.Join(missing, ", "))
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Key() < files[j].Key() })
	return files, nil
}

// LoadNABResults reads the results of one detector laid out as NAB writes
// them: dir/<category>/<detector>_<name>.csv. Results are sorted by Key.
func LoadNABResults(dir, detector string) ([]NABResult, error) {
	prefix := detector + "_"
	paths, err := filepath.Glob(filepath.Join(dir, "*", prefix+"*.csv"))
	if err != nil {
		return nil, fmt.Errorf("list %s results in %q: %w", detector, dir, err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no %s results under %q", detector, dir)
	}
	out := make([]NABResult, 0, len(paths))
	for _, p := range paths {
		r := NABResult{
			Category: filepath.Base(filepath.Dir(p)),
			Name:     strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), prefix), ".csv"),
		}
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("open NAB results: %w", err)
		}
		r.Points, r.Scores, err = ReadNABResults(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("read NAB results %q: %w", p, err)
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out, nil
}

func readNABWindowsFile(path string) (map[string][]NABWindow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open NAB windows: %w", err)
	}
	defer f.Close()
	w, err := ReadNABWindows(f)
	if err != nil {
		return nil, fmt.Errorf("read NAB windows %q: %w", path, err)
	}
	return w, nil
}

func readNABCSVFile(path string) ([]series.Point, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open NAB data: %w", err)
	}
	defer f.Close()
	pts, err := ReadNABCSV(f)
	if err != nil {
		return nil, fmt.Errorf("read NAB data %q: %w", path, err)
	}
	return pts, nil
}

// ReadNABWindows parses a combined_windows.json document: file key → list
// of [start, end] pairs. Windows are returned sorted by start; a window
// whose end precedes its start, or windows of one file that overlap, are
// errors.
func ReadNABWindows(r io.Reader) (map[string][]NABWindow, error) {
	var raw map[string][][]string
	dec := json.NewDecoder(r)
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("decode windows JSON: %w", err)
	}
	out := make(map[string][]NABWindow, len(raw))
	for key, pairs := range raw {
		ws := make([]NABWindow, 0, len(pairs))
		for i, p := range pairs {
			if len(p) != 2 {
				return nil, fmt.Errorf("%s: window %d: want [start, end], got %d values", key, i, len(p))
			}
			start, err := ParseNABTime(p[0])
			if err != nil {
				return nil, fmt.Errorf("%s: window %d start: %w", key, i, err)
			}
			end, err := ParseNABTime(p[1])
			if err != nil {
				return nil, fmt.Errorf("%s: window %d end: %w", key, i, err)
			}
			if end.Before(start) {
				return nil, fmt.Errorf("%s: window %d ends (%s) before it starts (%s)", key, i, p[1], p[0])
			}
			ws = append(ws, NABWindow{Start: start, End: end})
		}
		sort.Slice(ws, func(i, j int) bool { return ws[i].Start.Before(ws[j].Start) })
		for i := 1; i < len(ws); i++ {
			if !ws[i].Start.After(ws[i-1].End) {
				return nil, fmt.Errorf("%s: windows starting %s and %s overlap", key,
					ws[i-1].Start.Format(NABTimeLayout), ws[i].Start.Format(NABTimeLayout))
			}
		}
		out[key] = ws
	}
	return out, nil
}

// ParseNABTime parses a NAB timestamp ("2015-03-03 04:37:53", optionally
// with a fractional second) as UTC.
func ParseNABTime(s string) (time.Time, error) {
	t, err := time.ParseInLocation(NABTimeLayout, strings.TrimSpace(s), time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad NAB timestamp %q (want YYYY-MM-DD HH:MM:SS)", s)
	}
	return t, nil
}

// ReadNABCSV parses a NAB data file (header "timestamp,value"). Rows must
// be in time order and values finite. A NAB file is scored row by row, so
// the loader neither reorders, merges nor drops rows: a repeated timestamp
// (four files of the corpus have one) is kept as its own row, as NAB does.
// Errors name the line.
func ReadNABCSV(r io.Reader) ([]series.Point, error) {
	pts, _, err := readNABTable(r, false)
	return pts, err
}

// ReadNABResults parses a NAB results file: a header naming at least the
// columns timestamp, value and anomaly_score, in any order. Scores must be
// finite. Errors name the line.
func ReadNABResults(r io.Reader) ([]series.Point, []float64, error) {
	return readNABTable(r, true)
}

func readNABTable(r io.Reader, withScore bool) ([]series.Point, []float64, error) {
	cr := csv.NewReader(bufio.NewReader(r))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, errors.New("empty file: want a header line")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("header: %w", err)
	}
	col := map[string]int{"timestamp": -1, "value": -1}
	if withScore {
		col["anomaly_score"] = -1
	}
	width := len(header)
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if _, ok := col[h]; ok && col[h] < 0 {
			col[h] = i
		}
	}
	for _, name := range []string{"timestamp", "value", "anomaly_score"} {
		if i, ok := col[name]; ok && i < 0 {
			return nil, nil, fmt.Errorf("line 1: header %q lacks column %q", strings.Join(header, ","), name)
		}
	}
	var (
		pts    []series.Point
		scores []float64
	)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, nil, err // csv.ParseError names the line
		}
		if len(rec) != width {
			return nil, nil, fmt.Errorf("line %d: %d fields, header has %d", line, len(rec), width)
		}
		t, err := ParseNABTime(rec[col["timestamp"]])
		if err != nil {
			return nil, nil, fmt.Errorf("line %d: %w", line, err)
		}
		if n := len(pts); n > 0 && t.Before(pts[n-1].T) {
			return nil, nil, fmt.Errorf("line %d: timestamp %s is before the previous row's %s", line,
				t.Format(NABTimeLayout), pts[n-1].T.Format(NABTimeLayout))
		}
		v, err := parseFinite(rec[col["value"]])
		if err != nil {
			return nil, nil, fmt.Errorf("line %d: value: %w", line, err)
		}
		pts = append(pts, series.Point{T: t, V: v})
		if withScore {
			s, err := parseFinite(rec[col["anomaly_score"]])
			if err != nil {
				return nil, nil, fmt.Errorf("line %d: anomaly_score: %w", line, err)
			}
			scores = append(scores, s)
		}
	}
	if len(pts) == 0 {
		return nil, nil, errors.New("no data rows after the header")
	}
	return pts, scores, nil
}

func parseFinite(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not finite", s)
	}
	return v, nil
}

// WriteNABResults writes pts and their scores in NAB's results format with
// the header "timestamp,value,anomaly_score". Timestamps are written in UTC.
func WriteNABResults(w io.Writer, pts []series.Point, scores []float64) error {
	if len(pts) != len(scores) {
		return fmt.Errorf("write NAB results: %d points but %d scores", len(pts), len(scores))
	}
	bw := bufio.NewWriter(w)
	bw.WriteString("timestamp,value,anomaly_score\n")
	var buf []byte
	for i, p := range pts {
		buf = p.T.UTC().AppendFormat(buf[:0], NABTimeLayout)
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, p.V, 'g', -1, 64)
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, scores[i], 'g', -1, 64)
		buf = append(buf, '\n')
		bw.Write(buf)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write NAB results: %w", err)
	}
	return nil
}
