package store

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/prometheus/model/labels"
)

var labelT0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func rangeLabel(monitor string, ls labels.Labels, fromMin, toMin int, kind LabelKind) Label {
	return Label{
		Monitor: monitor, Series: ls, Kind: kind, Author: "ana",
		From: labelT0.Add(time.Duration(fromMin) * time.Minute), To: labelT0.Add(time.Duration(toMin) * time.Minute),
	}
}

// labelSetCmp compares label sets (whose representation is private).
var labelSetCmp = cmp.Comparer(func(a, b labels.Labels) bool { return labels.Equal(a, b) })

func TestLabelsCRUD(t *testing.T) {
	s, _ := openTemp(t)
	ctx := t.Context()
	app := labels.FromStrings("__name__", "account_openings", "channel", "app")

	created, err := s.CreateLabels(ctx, "ana", []Label{
		rangeLabel("openings", app, 0, 30, LabelAnomaly),
		rangeLabel("openings", app, 60, 60, LabelNoise), // a point
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(created) != 2 || created[0].ID == 0 || created[1].ID <= created[0].ID {
		t.Fatalf("created %+v, want two labels with increasing ids", created)
	}
	for _, l := range created {
		if l.Source != SourceHuman || l.Status != StatusConfirmed || l.CreatedAt.IsZero() || !l.CreatedAt.Equal(l.UpdatedAt) {
			t.Errorf("defaults of a new label: %+v", l)
		}
	}
	got, err := s.Label(ctx, created[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(created[1], got, labelSetCmp); diff != "" {
		t.Errorf("Label read back differs (-created +read):\n%s", diff)
	}

	upd := got
	upd.Kind, upd.Note, upd.To = LabelNormal, "false alarm", got.To.Add(5*time.Minute)
	after, err := s.UpdateLabel(ctx, "bob", upd)
	if err != nil {
		t.Fatal(err)
	}
	if !after.CreatedAt.Equal(got.CreatedAt) || after.Kind != LabelNormal || after.Note != "false alarm" {
		t.Errorf("updated label %+v", after)
	}
	if reread, _ := s.Label(ctx, upd.ID); !cmp.Equal(reread, after, labelSetCmp) {
		t.Errorf("update not stored: %s", cmp.Diff(after, reread, labelSetCmp))
	}

	if err := s.DeleteLabel(ctx, "bob", created[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Label(ctx, created[0].ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted label read: %v, want ErrNotFound", err)
	}
	if err := s.DeleteLabel(ctx, "bob", created[0].ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
	if _, err := s.UpdateLabel(ctx, "bob", created[0]); !errors.Is(err, ErrNotFound) {
		t.Errorf("update of a deleted label: %v, want ErrNotFound", err)
	}

	// Every change, newest first, with who did it and the label around it.
	audit, err := s.Audit(ctx, AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range audit {
		actions = append(actions, e.Actor+" "+e.Action)
	}
	want := []string{"bob label.delete", "bob label.update", "ana label.create", "ana label.create"}
	if diff := cmp.Diff(want, actions); diff != "" {
		t.Errorf("audit log (-want +got):\n%s", diff)
	}
	var before, afterAudit Label
	if err := json.Unmarshal(audit[1].Before, &before); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(audit[1].After, &afterAudit); err != nil {
		t.Fatal(err)
	}
	if before.Kind != LabelNoise || afterAudit.Kind != LabelNormal || audit[1].LabelID != upd.ID {
		t.Errorf("update audit entry: before %+v after %+v", before, afterAudit)
	}
	if audit[0].After != nil || audit[0].Before == nil {
		t.Errorf("delete audit entry keeps the label before and nothing after: %+v", audit[0])
	}
	if byLabel, _ := s.Audit(ctx, AuditFilter{LabelID: upd.ID}); len(byLabel) != 2 {
		t.Errorf("audit of label %d: %d entries, want 2 (create, update)", upd.ID, len(byLabel))
	}
}

func TestCreateLabelsValidates(t *testing.T) {
	s, _ := openTemp(t)
	ctx := t.Context()
	good := rangeLabel("m", labels.FromStrings("a", "1"), 0, 10, LabelAnomaly)
	tests := []struct {
		name   string
		modify func(*Label)
		want   string
	}{
		{"no monitor", func(l *Label) { l.Monitor = " " }, "monitor is required"},
		{"no from", func(l *Label) { l.From = time.Time{} }, "from is required"},
		{"no to", func(l *Label) { l.To = time.Time{} }, "to is required"},
		{"end before start", func(l *Label) { l.To = l.From.Add(-time.Minute) }, "ends (2026-03-02T09:29:00Z) before it starts (2026-03-02T09:30:00Z)"},
		{"unknown kind", func(l *Label) { l.Kind = "weird" }, `unknown kind "weird"`},
		{"unknown source", func(l *Label) { l.Source = "robot" }, `unknown source "robot"`},
		{"unknown status", func(l *Label) { l.Status = "maybe" }, `unknown status "maybe"`},
		{"human proposed", func(l *Label) { l.Status = StatusProposed }, "a human label is always confirmed"},
		{"long note", func(l *Label) { l.Note = strings.Repeat("x", MaxLabelNoteLen+1) }, "note is 4097 bytes long"},
		{"bad utf-8", func(l *Label) { l.Note = "\xff" }, "must be UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := good
			tc.modify(&l)
			// The bad label comes second: the good one before it must not
			// be written either.
			_, err := s.CreateLabels(ctx, "ana", []Label{good, l})
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want ErrInvalid containing %q", err, tc.want)
			}
			if all, _ := s.Labels(ctx, LabelFilter{}); len(all) != 0 {
				t.Errorf("%d labels written by a rejected batch", len(all))
			}
			if audit, _ := s.Audit(ctx, AuditFilter{}); len(audit) != 0 {
				t.Errorf("%d audit entries for a rejected batch", len(audit))
			}
		})
	}
}

func TestLabelsFilter(t *testing.T) {
	s, _ := openTemp(t)
	ctx := t.Context()
	app := labels.FromStrings("channel", "app")
	web := labels.FromStrings("channel", "web")
	auto := rangeLabel("openings", web, 200, 200, LabelNoise)
	auto.Source, auto.Author = SourceAuto, "seismo"
	in := []Label{
		rangeLabel("openings", app, 0, 30, LabelAnomaly),                   // 1
		rangeLabel("openings", web, 10, 20, LabelNormal),                   // 2
		rangeLabel("openings", labels.EmptyLabels(), 100, 160, LabelNoise), // 3: every series
		rangeLabel("trades", app, 0, 30, LabelAnomaly),                     // 4
		auto, // 5
	}
	created, err := s.CreateLabels(ctx, "ana", in)
	if err != nil {
		t.Fatal(err)
	}
	if created[4].Status != StatusProposed {
		t.Fatalf("an automatic label starts proposed, got %q", created[4].Status)
	}
	ids := func(ls []Label) []int64 {
		out := []int64{}
		for _, l := range ls {
			out = append(out, l.ID)
		}
		return out
	}
	at := func(min int) time.Time { return labelT0.Add(time.Duration(min) * time.Minute) }
	tests := []struct {
		name string
		f    LabelFilter
		want []int64
	}{
		{"all", LabelFilter{}, []int64{1, 2, 3, 4, 5}},
		{"monitor", LabelFilter{Monitor: "openings"}, []int64{1, 2, 3, 5}},
		{"series and monitor-wide", LabelFilter{Monitor: "openings", Series: &app}, []int64{1, 3}},
		{"overlap inclusive end", LabelFilter{From: at(30), To: at(30)}, []int64{1, 4}},
		{"overlap range", LabelFilter{From: at(15), To: at(120)}, []int64{1, 2, 3, 4}},
		{"kinds", LabelFilter{Kinds: []LabelKind{LabelNoise, LabelNormal}}, []int64{2, 3, 5}},
		{"effective only", LabelFilter{Statuses: []LabelStatus{StatusConfirmed}, Kinds: []LabelKind{LabelNoise}}, []int64{3}},
		{"source auto", LabelFilter{Source: SourceAuto}, []int64{5}},
		{"author", LabelFilter{Author: "seismo"}, []int64{5}},
		{"matcher", LabelFilter{Matchers: []*labels.Matcher{labels.MustNewMatcher(labels.MatchRegexp, "channel", "w.*")}}, []int64{2, 5}},
		{"paging", LabelFilter{AfterID: 2, Limit: 2}, []int64{3, 4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Labels(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, ids(got)); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := s.Labels(ctx, LabelFilter{From: at(10), To: at(5)}); err == nil {
		t.Error("a filter ending before it starts was accepted")
	}
	if _, err := s.Labels(ctx, LabelFilter{Limit: -1}); err == nil {
		t.Error("a negative limit was accepted")
	}
}

func TestConfirmAndRejectAreAudited(t *testing.T) {
	s, _ := openTemp(t)
	ctx := t.Context()
	auto := rangeLabel("m", labels.FromStrings("a", "1"), 0, 0, LabelNoise)
	auto.Source = SourceAuto
	created, err := s.CreateLabels(ctx, "seismo", []Label{auto, auto})
	if err != nil {
		t.Fatal(err)
	}
	for i, st := range []LabelStatus{StatusConfirmed, StatusRejected} {
		l := created[i]
		l.Status = st
		if _, err := s.UpdateLabel(ctx, "ana", l); err != nil {
			t.Fatal(err)
		}
	}
	audit, err := s.Audit(ctx, AuditFilter{Actor: "ana"})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 2 || audit[0].Action != AuditReject || audit[1].Action != AuditConfirm {
		t.Errorf("audit %+v, want reject then confirm", audit)
	}
}

func TestTokens(t *testing.T) {
	s, _ := openTemp(t)
	ctx := t.Context()
	tok := Token{Name: "grafana", Role: RoleViewer, Hash: HashToken("s3cret")}
	if _, err := s.CreateToken(ctx, "root", tok); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateToken(ctx, "root", tok); !errors.Is(err, ErrConflict) {
		t.Errorf("duplicate name: %v, want ErrConflict", err)
	}
	for _, bad := range []Token{
		{Name: "", Role: RoleAdmin, Hash: HashToken("x")},
		{Name: "x", Role: "root", Hash: HashToken("x")},
		{Name: "x", Role: RoleAdmin, Hash: "s3cret"},
	} {
		if _, err := s.CreateToken(ctx, "root", bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("CreateToken(%+v): %v, want ErrInvalid", bad, err)
		}
	}
	got, err := s.Tokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Hash != HashToken("s3cret") || got[0].Role != RoleViewer || got[0].CreatedBy != "root" {
		t.Fatalf("tokens %+v", got)
	}
	if err := s.DeleteToken(ctx, "root", "grafana"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteToken(ctx, "root", "grafana"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
	audit, _ := s.Audit(ctx, AuditFilter{})
	if len(audit) != 2 || audit[0].Action != AuditTokenDelete || audit[1].Action != AuditTokenCreate || audit[1].Target != "grafana (viewer)" {
		t.Errorf("token audit %+v", audit)
	}
	// The secret itself is nowhere in the audit log.
	for _, e := range audit {
		if b, _ := json.Marshal(e); strings.Contains(string(b), "s3cret") {
			t.Errorf("audit entry holds the secret: %s", b)
		}
	}
}

func TestRoles(t *testing.T) {
	tests := []struct {
		have, need Role
		ok         bool
	}{
		{RoleAdmin, RoleLabeler, true},
		{RoleLabeler, RoleLabeler, true},
		{RoleLabeler, RoleAdmin, false},
		{RoleViewer, RoleLabeler, false},
		{"", RoleViewer, false},
		{"root", RoleViewer, false},
	}
	for _, tc := range tests {
		if got := tc.have.Allows(tc.need); got != tc.ok {
			t.Errorf("%q.Allows(%q) = %v, want %v", tc.have, tc.need, got, tc.ok)
		}
	}
}

func TestConcurrentLabelWrites(t *testing.T) {
	s, _ := openTemp(t)
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			for i := range 10 {
				if _, err := s.CreateLabels(ctx, "w", []Label{rangeLabel("m", labels.FromStrings("w", string(rune('a'+w))), i, i, LabelAnomaly)}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	all, err := s.Labels(ctx, LabelFilter{})
	if err != nil {
		t.Fatal(err)
	}
	audit, _ := s.Audit(ctx, AuditFilter{Limit: MaxLimit})
	if len(all) != 80 || len(audit) != 80 {
		t.Errorf("%d labels and %d audit entries, want 80 of each", len(all), len(audit))
	}
}
