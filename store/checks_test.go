package store

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCheckRunsAndDifferences(t *testing.T) {
	s, _ := openTemp(t)
	ctx := t.Context()
	t0 := time.Date(2026, 3, 2, 16, 30, 0, 0, time.UTC)
	key := func(card string) json.RawMessage { return json.RawMessage(`{"card_no":"` + card + `"}`) }

	if runs, err := s.CheckRuns(ctx, "cards", 0); err != nil || len(runs) != 0 {
		t.Fatalf("empty store: %v, %v", runs, err)
	}
	// Run 1: A1 mismatched, A2 missing on the right, A3 transient.
	run1 := CheckRun{Check: "cards", Started: t0, Duration: 1500 * time.Millisecond, Status: CheckStatusOK, Mode: "merge",
		Left: 3, Right: 2, MissingRight: 1, Mismatched: 1, Transient: 1, Notes: []string{"a note"}}
	id1, err := s.SaveCheckRun(ctx, run1, []CheckDifference{
		{Key: key("A1"), Kind: "mismatched", Columns: []string{"status"}, Left: json.RawMessage(`{"status":"FROZEN"}`), Right: json.RawMessage(`{"status":"NORMAL"}`), Rule: "frozen", Severity: "critical"},
		{Key: key("A2"), Kind: "missing_right", Left: json.RawMessage(`{"status":"NORMAL"}`)},
		{Key: key("A3"), Kind: "mismatched", Columns: []string{"status"}, Transient: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Run 2 failed: it must not break the "since when" chain.
	if _, err := s.SaveCheckRun(ctx, CheckRun{Check: "cards", Started: t0.Add(time.Minute), Status: CheckStatusError, Mode: "merge", Error: "left: connection refused"}, nil); err != nil {
		t.Fatal(err)
	}
	// Run 3: A1 still differs (since run 1), A3 differs again (it was
	// transient: a new streak), A4 is new.
	t2 := t0.Add(2 * time.Minute)
	id3, err := s.SaveCheckRun(ctx, CheckRun{Check: "cards", Started: t2, Status: CheckStatusOK, Mode: "merge", Left: 3, Right: 3, Mismatched: 2, MissingLeft: 1}, []CheckDifference{
		{Key: key("A1"), Kind: "mismatched", Columns: []string{"status"}},
		{Key: key("A3"), Kind: "mismatched", Columns: []string{"status"}},
		{Key: key("A4"), Kind: "missing_left", Right: json.RawMessage(`{"status":"NORMAL"}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Another check's runs stay apart.
	if _, err := s.SaveCheckRun(ctx, CheckRun{Check: "other", Started: t2, Status: CheckStatusOK, Mode: "checksum"}, []CheckDifference{{Key: key("A1"), Kind: "missing_left"}}); err != nil {
		t.Fatal(err)
	}

	runs, err := s.CheckRuns(ctx, "cards", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 3 || runs[0].ID != id3 || runs[2].ID != id1 || runs[1].Status != CheckStatusError || runs[1].Error != "left: connection refused" {
		t.Fatalf("runs = %+v", runs)
	}
	want1 := run1
	want1.ID = id1
	if d := cmp.Diff(want1, runs[2]); d != "" {
		t.Errorf("run 1 round trip (-want +got):\n%s", d)
	}
	if got, err := s.CheckRun(ctx, "cards", id1); err != nil || got.ID != id1 {
		t.Errorf("CheckRun = %+v, %v", got, err)
	}
	if _, err := s.CheckRun(ctx, "other", id1); !errors.Is(err, ErrNotFound) {
		t.Errorf("run of another check: %v, want ErrNotFound", err)
	}
	if runs, _ := s.CheckRuns(ctx, "cards", 1); len(runs) != 1 || runs[0].ID != id3 {
		t.Errorf("limit 1: %+v", runs)
	}

	diffs, err := s.CheckDifferences(ctx, CheckDifferenceFilter{RunID: id3})
	if err != nil {
		t.Fatal(err)
	}
	firstSeen := map[string]time.Time{}
	for _, d := range diffs {
		firstSeen[string(d.Key)] = d.FirstSeen
	}
	wantFirst := map[string]time.Time{string(key("A1")): t0, string(key("A3")): t2, string(key("A4")): t2}
	if d := cmp.Diff(wantFirst, firstSeen); d != "" {
		t.Errorf("first seen (-want +got):\n%s", d)
	}
	d1, err := s.CheckDifferences(ctx, CheckDifferenceFilter{RunID: id1})
	if err != nil {
		t.Fatal(err)
	}
	wantD1 := CheckDifference{RunID: id1, Seq: 0, Key: key("A1"), Kind: "mismatched", Columns: []string{"status"},
		Left: json.RawMessage(`{"status":"FROZEN"}`), Right: json.RawMessage(`{"status":"NORMAL"}`), Rule: "frozen", Severity: "critical", FirstSeen: t0}
	if d := cmp.Diff(wantD1, d1[0]); d != "" {
		t.Errorf("difference round trip (-want +got):\n%s", d)
	}
	if d1[1].Right != nil || d1[1].Left == nil {
		t.Errorf("missing_right difference: left %s, right %s", d1[1].Left, d1[1].Right)
	}
	lasting := false
	if got, _ := s.CheckDifferences(ctx, CheckDifferenceFilter{RunID: id1, Transient: &lasting}); len(got) != 2 {
		t.Errorf("lasting differences of run 1: %d, want 2", len(got))
	}
	if got, _ := s.CheckDifferences(ctx, CheckDifferenceFilter{RunID: id3, Kind: "missing_left"}); len(got) != 1 || string(got[0].Key) != string(key("A4")) {
		t.Errorf("kind filter: %+v", got)
	}
	if _, err := s.CheckDifferences(ctx, CheckDifferenceFilter{RunID: id3, Limit: -1}); err == nil {
		t.Error("negative limit accepted")
	}
}

func TestSaveCheckRunRejectsBadInput(t *testing.T) {
	s, _ := openTemp(t)
	ctx := t.Context()
	t0 := time.Date(2026, 3, 2, 16, 30, 0, 0, time.UTC)
	tests := []struct {
		name  string
		run   CheckRun
		diffs []CheckDifference
	}{
		{"no name", CheckRun{Started: t0, Status: CheckStatusOK}, nil},
		{"no start", CheckRun{Check: "c", Status: CheckStatusOK}, nil},
		{"key not JSON", CheckRun{Check: "c", Started: t0, Status: CheckStatusOK}, []CheckDifference{{Key: json.RawMessage(`{`), Kind: "missing_left"}}},
	}
	for _, tt := range tests {
		if _, err := s.SaveCheckRun(ctx, tt.run, tt.diffs); err == nil {
			t.Errorf("%s: saved", tt.name)
		}
	}
	// The failed save left nothing behind.
	if runs, err := s.CheckRuns(ctx, "c", 0); err != nil || len(runs) != 0 {
		t.Errorf("runs after failed saves: %v, %v", runs, err)
	}
}

func TestCheckRunsPruned(t *testing.T) {
	s, _ := openTemp(t)
	ctx := t.Context()
	t0 := time.Date(2026, 3, 2, 16, 30, 0, 0, time.UTC)
	var ids []int64
	for i := range CheckDifferenceRunsKept + 2 {
		id, err := s.SaveCheckRun(ctx, CheckRun{Check: "c", Started: t0.Add(time.Duration(i) * time.Minute), Status: CheckStatusOK, Mode: "merge"},
			[]CheckDifference{{Key: json.RawMessage(`{"k":1}`), Kind: "missing_left"}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for i, id := range ids {
		got, err := s.CheckDifferences(ctx, CheckDifferenceFilter{RunID: id})
		if err != nil {
			t.Fatal(err)
		}
		if want := i >= 2; (len(got) == 1) != want {
			t.Errorf("run %d (of %d) has %d differences; kept: want %v", i, len(ids), len(got), want)
		}
		if i == len(ids)-1 && !got[0].FirstSeen.Equal(t0) {
			// Each run carries the date over from the one before, so the
			// streak keeps its start after its first runs are pruned.
			t.Errorf("first seen of the newest run: %s, want %s", got[0].FirstSeen, t0)
		}
	}
	if runs, _ := s.CheckRuns(ctx, "c", MaxLimit); len(runs) != len(ids) {
		t.Errorf("runs kept: %d, want all %d (their counts are kept longer)", len(runs), len(ids))
	}
}
