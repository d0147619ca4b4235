package source

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/series"
)

func TestReadCSVFiles(t *testing.T) {
	nan := math.NaN()
	// 2024-01-02T09:30:00+08:00 = 1704159000.
	const w = 1704159000
	tests := []struct {
		file    string
		opts    CSVOptions
		want    []series.Series
		wantRep CSVReport
	}{
		{
			file: "nab.csv",
			opts: CSVOptions{File: "nab"},
			want: []series.Series{{
				Labels: labels.FromStrings("__name__", "value", "file", "nab"),
				Points: pts(1396310400, 20, 1396310700, 21.5, 1396311000, 19.25, 1396311300, 1000),
			}},
			wantRep: CSVReport{Rows: 4},
		},
		{
			file: "wide.csv",
			want: []series.Series{
				{Labels: labels.FromStrings("__name__", "orders"), Points: pts(w, 10, w+60, 12, w+120, nan)},
				{Labels: labels.FromStrings("__name__", "trades"), Points: pts(w, 7, w+60, nan, w+120, 9)},
				{Labels: labels.FromStrings("__name__", "fill, ratio"), Points: pts(w, 0.5, w+60, 0.6, w+120, 0.7)},
			},
			wantRep: CSVReport{Rows: 3, NaN: 2},
		},
		{
			file: "wide.csv",
			opts: CSVOptions{Columns: []string{"trades"}, Start: time.Unix(w+60, 0), End: time.Unix(w+120, 0)},
			want: []series.Series{
				{Labels: labels.FromStrings("__name__", "trades"), Points: pts(w+60, nan, w+120, 9)},
			},
			wantRep: CSVReport{Rows: 3, NaN: 1},
		},
		{
			file: "bad.csv",
			want: []series.Series{{
				Labels: labels.FromStrings("__name__", "value"),
				Points: pts(1704067200, 1, 1704067380, nan, 1704067500, 6),
			}},
			wantRep: CSVReport{Rows: 7, BadRows: 4, NaN: 1, BadLines: []BadLine{
				{3, "3 fields, header has 2"},
				{4, `unrecognised timestamp "not a time" (want RFC 3339, 2006-01-02 15:04:05, a date or unix seconds/milliseconds)`},
				{6, `column "value": invalid value "abc"`},
				{8, "unterminated quoted field"},
			}},
		},
		{
			file:    "bom_crlf.csv",
			want:    []series.Series{{Labels: labels.FromStrings("__name__", "value"), Points: pts(1704067200, 1, 1704067260, 2)}},
			wantRep: CSVReport{Rows: 2},
		},
		{
			// No "timestamp" column: the first column is the time; unix
			// milliseconds are told from seconds by magnitude; duplicates
			// and disorder are kept for series.Clean.
			file:    "dupes.csv",
			want:    []series.Series{{Labels: labels.FromStrings("__name__", "value"), Points: pts(1704067320, 3, 1704067200, 1, 1704067260, 2, 1704067260, 2.5)}},
			wantRep: CSVReport{Rows: 4},
		},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, rep, err := ReadCSV(f, tc.opts)
			if err != nil {
				t.Fatalf("ReadCSV: %v", err)
			}
			diffSeries(t, tc.want, got)
			if d := cmp.Diff(tc.wantRep, rep); d != "" {
				t.Errorf("report (-want +got):\n%s", d)
			}
		})
	}
}

func TestReadCSVDupesClean(t *testing.T) {
	f, err := os.Open("testdata/dupes.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, _, err := ReadCSV(f, CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	clean, rep := series.Clean(got[0].Points, time.Minute)
	if d := cmp.Diff(pts(1704067200, 1, 1704067260, 2.5, 1704067320, 3), clean); d != "" {
		t.Errorf("cleaned points (-want +got):\n%s", d)
	}
	if rep.Duplicates != 1 || rep.OutOfOrder != 1 {
		t.Errorf("clean report = %+v, want 1 duplicate and 1 out of order", rep)
	}
}

func TestReadCSVTimeFormats(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		format string
		loc    *time.Location
		in     string
		want   time.Time
	}{
		{"rfc3339", "", nil, "2024-01-02T03:04:05Z", time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"rfc3339 offset", "", nil, "2024-01-02T11:04:05+08:00", time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"rfc3339 fraction", "", nil, "2024-01-02T03:04:05.25Z", time.Date(2024, 1, 2, 3, 4, 5, 250e6, time.UTC)},
		{"nab", "", nil, "2014-04-01 00:05:00", time.Date(2014, 4, 1, 0, 5, 0, 0, time.UTC)},
		{"nab in zone", "", shanghai, "2024-01-02 11:04:05", time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"date", "", nil, "2024-01-02", time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)},
		{"compact date", "", nil, "20240102", time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)},
		{"slashes", "", nil, "2024/01/02 03:04", time.Date(2024, 1, 2, 3, 4, 0, 0, time.UTC)},
		{"unix seconds", "", nil, "1704164645", time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"unix fractional", "", nil, "1704164645.5", time.Date(2024, 1, 2, 3, 4, 5, 500e6, time.UTC)},
		{"unix ms", "", nil, "1704164645123", time.Date(2024, 1, 2, 3, 4, 5, 123e6, time.UTC)},
		{"explicit unix", "unix", nil, "86400", time.Date(1970, 1, 2, 0, 0, 0, 0, time.UTC)},
		{"explicit unix_ms", "unix_ms", nil, "86400000", time.Date(1970, 1, 2, 0, 0, 0, 0, time.UTC)},
		{"layout", "02/01/2006 15h04", nil, "02/01/2024 03h04", time.Date(2024, 1, 2, 3, 4, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := "t,v\n" + tc.in + ",1\n"
			got, rep, err := ReadCSV(strings.NewReader(in), CSVOptions{TimeFormat: tc.format, Location: tc.loc})
			if err != nil {
				t.Fatal(err)
			}
			if rep.BadRows != 0 || len(got) != 1 || len(got[0].Points) != 1 {
				t.Fatalf("got %v, report %+v", got, rep)
			}
			if p := got[0].Points[0]; !p.T.Equal(tc.want) {
				t.Errorf("time = %v, want %v", p.T, tc.want)
			}
		})
	}
}

func TestReadCSVErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opts CSVOptions
		want string
	}{
		{"empty", "", CSVOptions{}, "no header row"},
		{"blank", "\n\r\n  \n", CSVOptions{}, "no header row"},
		{"one column", "timestamp\n1,2\n", CSVOptions{}, "header has 1 column"},
		{"duplicate column", "t,a,a\n", CSVOptions{}, `names column "a" twice`},
		{"missing time column", "t,v\n", CSVOptions{TimeColumn: "when"}, `time column "when" not in header`},
		{"missing column", "t,v\n", CSVOptions{Columns: []string{"x"}}, `column "x" not in header`},
		{"time as value", "t,v\n", CSVOptions{Columns: []string{"t"}}, `column "t" is the time column`},
		{"long header", "t,v" + strings.Repeat("x", 100) + "\n", CSVOptions{MaxLineBytes: 50}, "longer than 50 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ReadCSV(strings.NewReader(tc.in), tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestReadCSVLongLine(t *testing.T) {
	// A 3 MiB line between two good rows is skipped without holding it
	// in memory, and the rows around it survive.
	var b strings.Builder
	b.WriteString("timestamp,value\n1704067200,1\n1704067260,")
	b.WriteString(strings.Repeat("9", 3<<20))
	b.WriteString("\n1704067320,3\n")
	got, rep, err := ReadCSV(strings.NewReader(b.String()), CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	diffSeries(t, []series.Series{{Labels: labels.FromStrings("__name__", "value"), Points: pts(1704067200, 1, 1704067320, 3)}}, got)
	want := CSVReport{Rows: 3, BadRows: 1, BadLines: []BadLine{{3, "longer than 1048576 bytes"}}}
	if d := cmp.Diff(want, rep); d != "" {
		t.Errorf("report (-want +got):\n%s", d)
	}
}

func TestReadCSVBadLinesCapped(t *testing.T) {
	in := "t,v\n" + strings.Repeat("x,1\n", 20)
	_, rep, err := ReadCSV(strings.NewReader(in), CSVOptions{MaxBadLines: 3})
	if err != nil {
		t.Fatal(err)
	}
	if rep.BadRows != 20 || len(rep.BadLines) != 3 || rep.BadLines[2].Line != 4 {
		t.Errorf("report = %+v, want 20 bad rows with the first 3 (lines 2-4) listed", rep)
	}
}

func TestCSVSource(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "orders.csv")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("timestamp,buy,sell\n2024-01-01 00:00:00,1,10\n2024-01-01 00:01:00,2,20\nbroken\n")
	logger, logs := testLogger()
	src, err := Open("files", Config{Type: TypeCSV, Path: path}, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ctx := context.Background()

	got, err := src.Query(ctx, Query{Expr: "sell"})
	if err != nil {
		t.Fatal(err)
	}
	diffSeries(t, []series.Series{{Labels: labels.FromStrings("__name__", "sell", "file", "orders"), Points: pts(1704067200, 10, 1704067260, 20)}}, got)
	if !strings.Contains(logs.String(), "skipped bad CSV rows") || !strings.Contains(logs.String(), "line 4") {
		t.Errorf("bad row not logged; logs:\n%s", logs)
	}

	// The file is read again on every query.
	write("timestamp,buy,sell\n2024-01-01 00:00:00,1,10\n2024-01-01 00:01:00,2,20\n2024-01-01 00:02:00,3,30\n")
	got, err = src.Query(ctx, Query{Expr: "*", Start: time.Unix(1704067260, 0), End: time.Unix(1704067320, 0)})
	if err != nil {
		t.Fatal(err)
	}
	diffSeries(t, []series.Series{
		{Labels: labels.FromStrings("__name__", "buy", "file", "orders"), Points: pts(1704067260, 2, 1704067320, 3)},
		{Labels: labels.FromStrings("__name__", "sell", "file", "orders"), Points: pts(1704067260, 20, 1704067320, 30)},
	}, got)

	if _, err := src.Query(ctx, Query{Expr: "nope"}); err == nil || !strings.Contains(err.Error(), `column "nope" not in header`) {
		t.Errorf("unknown column: err = %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := src.Query(cancelled, Query{}); err == nil {
		t.Error("query with a cancelled context succeeded")
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Query(ctx, Query{}); err == nil || !strings.Contains(err.Error(), "orders.csv") {
		t.Errorf("missing file: err = %v", err)
	}
}

func FuzzReadCSV(f *testing.F) {
	for _, name := range []string{"nab.csv", "wide.csv", "bad.csv", "bom_crlf.csv", "dupes.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "")
	}
	f.Add([]byte("t,v\n\"a\"\"b\",1\n"), "2006-01-02")
	f.Add([]byte("t,v\n1e400,1\n-1e30,2\nNaN,3\n"), "unix")
	f.Add([]byte(`"t","v"`+"\n\"1\",\"2\"x\n"), "unix_ms")
	f.Fuzz(func(t *testing.T, data []byte, format string) {
		got, rep, err := ReadCSV(strings.NewReader(string(data)), CSVOptions{TimeFormat: format, MaxLineBytes: 256})
		if err != nil {
			return
		}
		if rep.BadRows > rep.Rows || len(rep.BadLines) > DefaultMaxBadLines {
			t.Fatalf("inconsistent report %+v", rep)
		}
		points := 0
		for _, s := range got {
			if len(s.Points) == 0 {
				t.Fatalf("empty series %v returned", s.Labels)
			}
			points += len(s.Points)
		}
		if points > rep.Rows*len(got) {
			t.Fatalf("%d points from %d rows", points, rep.Rows)
		}
	})
}
