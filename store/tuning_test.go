package store

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestTunings(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 10, 0, 0, 123456789, time.UTC)
	first := Tuning{Monitor: "payments", Detector: json.RawMessage(`{"sensitivity":0.8}`), Author: "ana", Note: "quieter", SavedAt: at}
	if err := s.SaveTuning(ctx, "ana-token", first); err != nil {
		t.Fatal(err)
	}
	second := Tuning{Monitor: "payments", Detector: json.RawMessage(`{"sensitivity":0.9,"direction":"down"}`), Author: "bo", SavedAt: at.Add(time.Hour)}
	if err := s.SaveTuning(ctx, "bo-token", second); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveTuning(ctx, "bo-token", Tuning{Monitor: "orders", Detector: json.RawMessage(`{}`), SavedAt: at}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Tunings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Monitor != "orders" || got[1].Monitor != "payments" {
		t.Fatalf("tunings %+v, want orders and payments, by monitor", got)
	}
	p := got[1]
	if string(p.Detector) != string(second.Detector) || p.Author != "bo" || p.Note != "" || !p.SavedAt.Equal(second.SavedAt.Truncate(time.Millisecond)) {
		t.Errorf("payments = %+v, want the second save (%+v), to the millisecond", p, second)
	}

	audit, err := s.Audit(ctx, AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 3 {
		t.Fatalf("%d audit entries, want 3", len(audit))
	}
	replace := audit[1] // newest first: orders, payments' second save, its first
	if replace.Action != AuditTuningSave || replace.Actor != "bo-token" || replace.Target != "payments" ||
		!strings.Contains(string(replace.Before), `"author":"ana"`) || !strings.Contains(string(replace.After), `"author":"bo"`) {
		t.Errorf("audit of the replacing save = %+v", replace)
	}
	if audit[2].Before != nil {
		t.Errorf("the first save has a before: %s", audit[2].Before)
	}

	if err := s.DeleteTuning(ctx, "ana-token", "payments"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteTuning(ctx, "ana-token", "payments"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleting again: %v, want ErrNotFound", err)
	}
	audit, err = s.Audit(ctx, AuditFilter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 1 || audit[0].Action != AuditTuningDelete || audit[0].After != nil || !strings.Contains(string(audit[0].Before), `"author":"bo"`) {
		t.Errorf("audit of the delete = %+v", audit)
	}
	if got, _ := s.Tunings(ctx); len(got) != 1 {
		t.Errorf("after the delete: %+v", got)
	}
}

func TestTuningValidation(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		t    Tuning
	}{
		{"no monitor", Tuning{Detector: json.RawMessage(`{}`)}},
		{"detector not JSON", Tuning{Monitor: "m", Detector: json.RawMessage(`{`)}},
		{"note too long", Tuning{Monitor: "m", Detector: json.RawMessage(`{}`), Note: strings.Repeat("x", MaxLabelNoteLen+1)}},
		{"author not UTF-8", Tuning{Monitor: "m", Detector: json.RawMessage(`{}`), Author: "\xff"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.SaveTuning(ctx, "x", tc.t); !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v, want ErrInvalid", err)
			}
		})
	}
	if got, err := s.Tunings(ctx); err != nil || len(got) != 0 {
		t.Errorf("after rejected saves: %v, %v", got, err)
	}
	if audit, err := s.Audit(ctx, AuditFilter{}); err != nil || len(audit) != 0 {
		t.Errorf("rejected saves were audited: %v, %v", audit, err)
	}
}
