package store

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLogFlushes(t *testing.T) {
	s, _ := openTemp(t)
	ctx := t.Context()
	t0 := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	step := time.Minute
	big := uint64(1<<62 + 5) // large ids survive the BIGINT column

	if got, err := s.LogTemplates(ctx, "app", time.Time{}, time.Time{}); err != nil || len(got) != 0 {
		t.Fatalf("empty store: %v, %v", got, err)
	}
	if snap, err := s.LogSnapshot(ctx, "app"); err != nil || snap != nil {
		t.Fatalf("empty snapshot: %v, %v", snap, err)
	}
	flushes := []LogFlush{
		{
			Stream: "app",
			Templates: []LogTemplate{
				{ID: 1, Template: "login <*>", Examples: []string{"login alice"}, FirstSeen: t0, LastSeen: t0.Add(30 * time.Second), Count: 3},
				{ID: big, Template: "odd <*>", FirstSeen: t0, LastSeen: t0, Count: 1},
			},
			Counts:   []LogCount{{ID: 1, Time: t0, Count: 3}, {ID: big, Time: t0, Count: 1}},
			Steps:    []LogStep{{Time: t0, Records: 4, Errors: 1}},
			Snapshot: []byte("snap-1"),
		},
		{ // the same step again (a flush within the step), then the next step
			Stream: "app",
			Templates: []LogTemplate{
				{ID: 1, Template: "login <*> ok", Examples: []string{"login bob ok"}, FirstSeen: t0.Add(time.Minute), LastSeen: t0.Add(90 * time.Second), Count: 2},
			},
			Counts: []LogCount{{ID: 1, Time: t0, Count: 1}, {ID: 1, Time: t0.Add(step), Count: 1}},
			Steps:  []LogStep{{Time: t0, Records: 1}, {Time: t0.Add(step), Records: 1, Errors: 1}, {Time: t0.Add(2 * step)}},
		},
		{Stream: "other", Counts: []LogCount{{ID: 1, Time: t0, Count: 100}}, Snapshot: []byte("other")},
	}
	for _, f := range flushes {
		if err := s.SaveLogFlush(ctx, f); err != nil {
			t.Fatal(err)
		}
	}

	got, err := s.LogTemplates(ctx, "app", t0.Add(step), t0.Add(10*step))
	if err != nil {
		t.Fatal(err)
	}
	want := []LogTemplate{
		{ID: 1, Template: "login <*> ok", Examples: []string{"login bob ok"}, FirstSeen: t0, LastSeen: t0.Add(90 * time.Second), Count: 5, RangeCount: 1},
		{ID: big, Template: "odd <*>", Examples: []string{}, FirstSeen: t0, LastSeen: t0, Count: 1, RangeCount: 0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("templates (-want +got):\n%s", diff)
	}
	all, _ := s.LogTemplates(ctx, "app", time.Time{}, time.Time{})
	if all[0].RangeCount != 5 {
		t.Errorf("open range count = %d, want 5", all[0].RangeCount)
	}
	if _, err := s.LogTemplates(ctx, "app", t0, t0.Add(-time.Second)); err == nil {
		t.Error("reversed range: want an error")
	}

	counts, err := s.LogCounts(ctx, "app", t0, t0.Add(step))
	if err != nil {
		t.Fatal(err)
	}
	wantCounts := []LogCount{{ID: 1, Time: t0, Count: 4}, {ID: big, Time: t0, Count: 1}, {ID: 1, Time: t0.Add(step), Count: 1}}
	if diff := cmp.Diff(wantCounts, counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	steps, err := s.LogSteps(ctx, "app", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	wantSteps := []LogStep{{Time: t0, Records: 5, Errors: 1}, {Time: t0.Add(step), Records: 1, Errors: 1}, {Time: t0.Add(2 * step)}}
	if diff := cmp.Diff(wantSteps, steps); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if snap, _ := s.LogSnapshot(ctx, "app"); string(snap) != "snap-1" {
		t.Errorf("snapshot = %q, want the last one saved (a flush without one keeps it)", snap)
	}
	if err := s.SaveLogFlush(ctx, LogFlush{}); err == nil {
		t.Error("flush without a stream: want an error")
	}
}

func TestLogOffsets(t *testing.T) {
	s, _ := openTemp(t)
	ctx := t.Context()
	offs := []LogOffset{{Path: "/var/log/a.log", Device: 2049, Inode: math.MaxUint64, Offset: 10}, {Path: "/var/log/b.log", Inode: 7, Offset: 0}}
	if err := s.SaveLogOffsets(ctx, "app", offs); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveLogOffsets(ctx, "app", offs[1:]); err != nil { // a.log rotated away
		t.Fatal(err)
	}
	got, err := s.LogOffsets(ctx, "app")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(offs[1:], got); diff != "" {
		t.Errorf("offsets (-want +got):\n%s", diff)
	}
	if err := s.SaveLogOffsets(ctx, "app", offs); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.LogOffsets(ctx, "app"); len(got) != 2 || got[0].Inode != math.MaxUint64 {
		t.Errorf("offsets = %+v", got)
	}
	if got, _ := s.LogOffsets(ctx, "other"); len(got) != 0 {
		t.Errorf("other stream has offsets %+v", got)
	}
}
