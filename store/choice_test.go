package store

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

func TestChoices(t *testing.T) {
	s, _ := openTemp(t)
	ctx := t.Context()
	app := labels.FromStrings("channel", "app")
	web := labels.FromStrings("channel", "web")
	at := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)

	if got, err := s.Choices(ctx, ""); err != nil || len(got) != 0 {
		t.Fatalf("empty store: %v, %v", got, err)
	}
	for _, c := range []Choice{
		{Job: "openings", Labels: app, Detector: "seasonal", Detail: json.RawMessage(`{"detector":"seasonal","reasons":["daily period"]}`), ChosenAt: at},
		{Job: "openings", Labels: web, Detector: "rolling", Detail: json.RawMessage(`{"detector":"rolling"}`), ChosenAt: at},
		{Job: "trades", Labels: app, Detector: "spectral", Detail: json.RawMessage(`{}`), ChosenAt: at},
		// A new choice for the same series replaces the old one.
		{Job: "openings", Labels: app, Detector: "holtwinters", Detail: json.RawMessage(`{"detector":"holtwinters"}`), ChosenAt: at.Add(time.Hour)},
	} {
		if err := s.SaveChoice(ctx, c); err != nil {
			t.Fatalf("SaveChoice(%s %s): %v", c.Job, c.Labels, err)
		}
	}
	got, err := s.Choices(ctx, "openings")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("openings has %d choices, want 2: %+v", len(got), got)
	}
	if got[0].Detector != "holtwinters" || !labels.Equal(got[0].Labels, app) || !got[0].ChosenAt.Equal(at.Add(time.Hour)) ||
		string(got[0].Detail) != `{"detector":"holtwinters"}` {
		t.Errorf("replaced choice = %+v", got[0])
	}
	if all, _ := s.Choices(ctx, ""); len(all) != 3 {
		t.Errorf("all jobs: %d choices, want 3", len(all))
	}
	for _, bad := range []Choice{
		{Labels: app, Detector: "x", Detail: json.RawMessage(`{}`)},
		{Job: "j", Labels: app, Detail: json.RawMessage(`{}`)},
		{Job: "j", Labels: app, Detector: "x", Detail: json.RawMessage(`{not json`)},
	} {
		if err := s.SaveChoice(ctx, bad); err == nil {
			t.Errorf("SaveChoice(%+v) accepted", bad)
		}
	}
}
