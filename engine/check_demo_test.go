package engine

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/config"
	"github.com/seismo-dev/seismo/datasets"
)

// TestDemoCheck runs the demo's check on the demo configuration, with its
// databases in a temporary folder and without the grace (the lag it
// absorbs is tested in package datasets).
func TestDemoCheck(t *testing.T) {
	dir := t.TempDir()
	yaml := datasets.DemoConfig(time.Now())
	for _, r := range []struct{ old, new string }{
		{`dsn: "seismo-demo.db"`, `dsn: "` + filepath.Join(dir, "seismo.db") + `"`},
		{`dsn: "seismo-demo-accounts.db"`, `dsn: "` + filepath.Join(dir, datasets.DemoAccountsDB) + `"`},
		{`dsn: "seismo-demo-trading.db"`, `dsn: "` + filepath.Join(dir, datasets.DemoTradingDB) + `"`},
		{`grace: 20s`, `grace: 0s`},
	} {
		if !bytes.Contains(yaml, []byte(r.old)) {
			t.Fatalf("the demo configuration has no %s", r.old)
		}
		yaml = bytes.Replace(yaml, []byte(r.old), []byte(r.new), 1)
	}
	cfg, err := config.Parse(yaml, "")
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(context.Background(), cfg, Options{Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	res, err := e.RunOnce(context.Background(), "shareholder_cards")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{datasets.DemoAccountsDB, datasets.DemoTradingDB} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("demo database not written: %v", err)
		}
	}
	runs, err := e.Store().CheckRuns(context.Background(), "shareholder_cards", 1)
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs %v, %v", runs, err)
	}
	r := runs[0]
	// Every type difference between the systems is normalised away: only
	// the planted differences remain, plus the lagging cards when the run
	// falls in the first seconds of a minute.
	persistent := int64(datasets.DemoCardsFrozen + datasets.DemoCardsClosed + datasets.DemoCardsRenamed)
	if r.Left != datasets.DemoCards-datasets.DemoCardsNotInAccounts || r.Right != datasets.DemoCards-datasets.DemoCardsNotInTrading ||
		r.MissingLeft != datasets.DemoCardsNotInAccounts || r.MissingRight != datasets.DemoCardsNotInTrading ||
		(r.Mismatched != persistent && r.Mismatched != persistent+datasets.DemoCardsLagging/10) {
		t.Errorf("run %+v; %s", r, res.Summary())
	}
	var critical int
	for _, ev := range res.Events {
		if ev.Labels.Get("rule") == "frozen_only_in_accounts" {
			critical = int(ev.Value)
		}
	}
	if critical != datasets.DemoCardsFrozen {
		t.Errorf("critical differences %d, want %d: events %+v", critical, datasets.DemoCardsFrozen, res.Events)
	}
}
