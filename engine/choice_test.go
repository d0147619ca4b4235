package engine

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/detector"
)

// TestAutoChoosesPerSeriesAndRemembers runs a type auto monitor: each
// series gets a detector chosen on its own history, stored with reasons; a
// new engine on the same store reuses the stored choice instead of
// backtesting again.
func TestAutoChoosesPerSeriesAndRemembers(t *testing.T) {
	dir := t.TempDir()
	writePayments(t, filepath.Join(dir, "data.db"))
	hook, _ := webhookSink(t)
	cfg := testConfig(t, dir, hook.URL, "")
	cfg.Monitors[0].Detector = detector.Config{Type: detector.TypeAuto}
	cfg.Monitors[0].Detector.ApplyDefaults()

	eng := newTestEngine(t, cfg)
	res, err := eng.RunOnce(context.Background(), "payments")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Choices) != 2 {
		t.Fatalf("choices = %v, want one per series", res.Choices)
	}
	stored, err := eng.Store().Choices(context.Background(), "payments")
	if err != nil || len(stored) != 2 {
		t.Fatalf("stored choices = %v, %v", stored, err)
	}
	for _, c := range stored {
		var detail detector.Choice
		if err := json.Unmarshal(c.Detail, &detail); err != nil {
			t.Fatalf("stored detail is not a detector.Choice: %v", err)
		}
		if detail.Detector != c.Detector || len(detail.Reasons) == 0 {
			t.Errorf("choice for %s = %+v, want its detector and reasons", c.Labels, detail)
		}
	}
	found := false
	for _, ev := range res.Events {
		if ev.Labels.Get("channel") == "app" && ev.Time.Equal(pastSpike) {
			found = true
			if ev.Detector == detector.TypeAuto || ev.Detector == "" {
				t.Errorf("event names detector %q, want the chosen one", ev.Detector)
			}
		}
	}
	if !found {
		t.Errorf("the chosen detectors missed the injected spike at %v", pastSpike)
	}
	eng.Close()

	// A new engine an hour later reloads the choices: same detectors,
	// chosen at the original time, not re-chosen (that would store the
	// later clock's time).
	later, err := New(context.Background(), cfg, Options{Now: func() time.Time { return dataEnd.Add(time.Hour) }, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer later.Close()
	again, err := later.RunOnce(context.Background(), "payments")
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range res.Choices {
		if again.Choices[k] != v {
			t.Errorf("series %s: choice %q after restart, was %q", k, again.Choices[k], v)
		}
	}
	after, _ := later.Store().Choices(context.Background(), "payments")
	for i := range after {
		if !after[i].ChosenAt.Equal(stored[i].ChosenAt) {
			t.Errorf("choice for %s was made again after restart", after[i].Labels)
		}
	}
}
