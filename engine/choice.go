package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/alert"
	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/detector"
	"github.com/seismo-dev/seismo/series"
	"github.com/seismo-dev/seismo/store"
)

// rechooseAfter is how long a series keeps the detector type auto chose
// for it before the backtest runs again on fresher history. A day lets the
// choice follow a series whose shape changes, without paying for the
// backtest on every run.
const rechooseAfter = 24 * time.Hour

// chooser keeps, for a monitor whose detector is type auto, the detector
// chosen for each series: made by backtest on the series' own history,
// stored with its reasons, reloaded after a restart and refreshed daily.
type chooser struct {
	job   string
	sel   detector.Selection
	store store.Store
	now   func() time.Time

	mu      sync.Mutex
	loaded  bool
	byPrint map[alert.Fingerprint]*choice
}

// choice is one series' chosen detector.
type choice struct {
	det      detector.Detector
	detail   detector.Choice
	chosenAt time.Time
	labels   uint64 // rangesSignature of the labels it was chosen with
}

func newChooser(job string, sel detector.Selection, st store.Store, now func() time.Time) *chooser {
	return &chooser{job: job, sel: sel, store: st, now: now, byPrint: map[alert.Fingerprint]*choice{}}
}

// detectorFor returns the detector to judge the series ls with, choosing
// (and storing the choice) when there is none yet, it is stale, or the
// series' labels changed since it was made: labelled anomalies and normal
// ranges are what the backtest scores candidates on.
func (c *chooser) detectorFor(ctx context.Context, ls labels.Labels, history []series.Point, model baseline.Model, lranges []detector.LabelRange) (*choice, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loaded {
		if err := c.load(ctx); err != nil {
			return nil, err
		}
		c.loaded = true
	}
	fp := alert.FingerprintOf(ls)
	sig := rangesSignature(lranges)
	if ch, ok := c.byPrint[fp]; ok && c.now().Sub(ch.chosenAt) < rechooseAfter && ch.labels == sig {
		return ch, nil
	}
	detail := c.sel.Choose(detector.Input{History: history, Model: model}, lranges)
	det, err := c.sel.Detector(detail)
	if err != nil {
		return nil, fmt.Errorf("auto chose %q: %w", detail.Detector, err)
	}
	ch := &choice{det: det, detail: detail, chosenAt: c.now(), labels: sig}
	raw, err := json.Marshal(detail)
	if err != nil {
		return nil, fmt.Errorf("encode choice: %w", err)
	}
	if err := c.store.SaveChoice(ctx, store.Choice{Job: c.job, Labels: ls, Detector: detail.Detector, Detail: raw, ChosenAt: ch.chosenAt}); err != nil {
		return nil, err
	}
	c.byPrint[fp] = ch
	return ch, nil
}

// load reads the stored choices of the job. A stored choice this
// configuration no longer offers (its candidates changed) is dropped, so
// the series is chosen afresh.
func (c *chooser) load(ctx context.Context) error {
	stored, err := c.store.Choices(ctx, c.job)
	if err != nil {
		return err
	}
	for _, s := range stored {
		var detail detector.Choice
		if err := json.Unmarshal(s.Detail, &detail); err != nil {
			continue // written by another version: choose again
		}
		det, err := c.sel.Detector(detail)
		if err != nil {
			continue
		}
		c.byPrint[alert.FingerprintOf(s.Labels)] = &choice{det: det, detail: detail, chosenAt: s.ChosenAt}
	}
	return nil
}
