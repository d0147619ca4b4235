package engine

// Saved tunings. An analyst who found a better setting with a backtest or
// a sweep saves it for the monitor (PUT /api/v1/monitors/{name}/tuning).
// The setting is stored (table monitor_tuning, migration 0007, every
// change audited) and applied over the configuration's detector: the
// monitor's next run judges with it, and so does every later run, after a
// restart too, until the tuning is deleted. The configuration file is not
// rewritten: the saved tuning wins over it, and GET …/tuning shows both.
// A saved tuning that no longer builds with the configuration (a type's
// parameters became invalid) is logged and ignored at start.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/seismo-dev/seismo/detector"
	"github.com/seismo-dev/seismo/source"
	"github.com/seismo-dev/seismo/store"
)

// maxConcurrentTuning bounds the backtests, sweeps and recommendations
// running at once: each keeps a core busy for up to seconds, and the
// monitors must keep their schedule.
const maxConcurrentTuning = 2

// Tuning is a detector setting saved for a monitor.
type Tuning struct {
	Monitor  string    `json:"monitor"`
	Detector Draft     `json:"detector"`
	Author   string    `json:"author,omitempty"`
	Note     string    `json:"note,omitempty"`
	SavedAt  time.Time `json:"saved_at"`
}

// TuningView is what GET …/tuning shows of a monitor's detector setting.
type TuningView struct {
	Monitor string `json:"monitor"`
	// Configured is the setting of the configuration file.
	Configured Draft `json:"configured"`
	// Effective is the setting runs use: Configured with Saved applied.
	Effective Draft `json:"effective"`
	// Saved is the saved tuning, if any.
	Saved *Tuning `json:"saved,omitempty"`
}

// tuningState is the engine's share of tuning: the bound on concurrent
// backtests, and the remote writer results go to.
type tuningState struct {
	sem    chan struct{}
	writer *source.RemoteWriter // nil without global.remote_write
}

func newTuningState() *tuningState {
	return &tuningState{sem: make(chan struct{}, maxConcurrentTuning)}
}

// acquire waits for a backtest slot; the returned func releases it.
func (t *tuningState) acquire(ctx context.Context) (func(), error) {
	select {
	case t.sem <- struct{}{}:
		return func() { <-t.sem }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for a backtest slot: %w", ctx.Err())
	}
}

// tunedDetector is a monitor's detector with a saved tuning applied.
type tunedDetector struct {
	cfg     detector.Config
	det     detector.Detector
	chooser *chooser
	tuning  Tuning
}

// tunedState holds a monitor's tuned detector; its zero value means "as
// configured".
type tunedState struct {
	mu sync.Mutex
	td *tunedDetector
}

// detectorConfig is the monitor's current detector setting, defaults
// applied.
func (m *monitor) detectorConfig() detector.Config {
	if td := m.tunedDetector(); td != nil {
		return td.cfg
	}
	c := m.cfg.Detector
	c.ApplyDefaults()
	return c
}

// current returns the detector (and auto's chooser) a run judges with.
func (m *monitor) current() (detector.Detector, *chooser) {
	if td := m.tunedDetector(); td != nil {
		return td.det, td.chooser
	}
	return m.det, m.chooser
}

func (m *monitor) tunedDetector() *tunedDetector {
	m.tuned.mu.Lock()
	defer m.tuned.mu.Unlock()
	return m.tuned.td
}

// buildTuned builds the detector of a tuning for m.
func (e *Engine) buildTuned(m *monitor, t Tuning) (*tunedDetector, error) {
	cfg := t.Detector.Apply(m.cfg.Detector)
	cfg.ApplyDefaults()
	det, err := detector.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	td := &tunedDetector{cfg: cfg, det: det, tuning: t}
	if sel, ok := detector.SelectionOf(det); ok {
		td.chooser = newChooser(m.name(), sel, e.store, e.now)
	}
	return td, nil
}

// loadTunings applies the stored tunings at start. One that does not build
// is logged and skipped: the monitor keeps its configured setting.
func (e *Engine) loadTunings(ctx context.Context) error {
	saved, err := e.store.Tunings(ctx)
	if err != nil {
		return fmt.Errorf("load tunings: %w", err)
	}
	for _, st := range saved {
		m, err := e.monitorByName(st.Monitor)
		if err != nil {
			e.log.Warn("saved tuning of a monitor the configuration no longer has: ignored", "monitor", st.Monitor)
			continue
		}
		t, err := tuningFromStore(st)
		if err == nil {
			var td *tunedDetector
			if td, err = e.buildTuned(m, t); err == nil {
				m.tuned.td = td
				e.log.Info("monitor uses a saved tuning", "monitor", m.name(), "saved_at", t.SavedAt, "author", t.Author)
				continue
			}
		}
		e.log.Warn("saved tuning does not apply to the configuration: ignored", "monitor", st.Monitor, "err", err)
	}
	return nil
}

func tuningFromStore(st store.Tuning) (Tuning, error) {
	t := Tuning{Monitor: st.Monitor, Author: st.Author, Note: st.Note, SavedAt: st.SavedAt}
	if err := json.Unmarshal(st.Detector, &t.Detector); err != nil {
		return Tuning{}, fmt.Errorf("decode saved setting: %w", err)
	}
	return t, nil
}

// TuningOf returns the configured, effective and saved settings of a
// monitor.
func (e *Engine) TuningOf(monitor string) (TuningView, error) {
	m, err := e.monitorByName(monitor)
	if err != nil {
		return TuningView{}, err
	}
	v := TuningView{Monitor: monitor, Configured: DraftOf(m.cfg.Detector), Effective: DraftOf(m.detectorConfig())}
	if td := m.tunedDetector(); td != nil {
		t := td.tuning
		v.Saved = &t
	}
	return v, nil
}

// SaveTuning validates a tuning, stores it (audited as actor) and applies
// it: the monitor's next run judges with it. It returns the view after
// the change.
func (e *Engine) SaveTuning(ctx context.Context, actor string, t Tuning) (TuningView, error) {
	m, err := e.monitorByName(t.Monitor)
	if err != nil {
		return TuningView{}, err
	}
	t.SavedAt = e.now().UTC().Truncate(time.Millisecond)
	td, err := e.buildTuned(m, t)
	if err != nil {
		return TuningView{}, err
	}
	raw, err := json.Marshal(t.Detector)
	if err != nil {
		return TuningView{}, fmt.Errorf("encode tuning: %w", err)
	}
	m.tuned.mu.Lock()
	defer m.tuned.mu.Unlock()
	err = e.store.SaveTuning(ctx, actor, store.Tuning{Monitor: t.Monitor, Detector: raw, Author: t.Author, Note: t.Note, SavedAt: t.SavedAt})
	if errors.Is(err, store.ErrInvalid) {
		return TuningView{}, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	if err != nil {
		return TuningView{}, err
	}
	m.tuned.td = td
	e.forgetBands(m.name())
	e.log.Info("tuning saved", "monitor", m.name(), "actor", actor, "detector", fmt.Sprintf("%+v", td.cfg))
	return TuningView{Monitor: m.name(), Configured: DraftOf(m.cfg.Detector), Effective: DraftOf(td.cfg), Saved: &t}, nil
}

// DeleteTuning removes a monitor's saved tuning (audited as actor): its
// next run judges with the configured setting again. store.ErrNotFound
// when it has none.
func (e *Engine) DeleteTuning(ctx context.Context, actor, monitor string) (TuningView, error) {
	m, err := e.monitorByName(monitor)
	if err != nil {
		return TuningView{}, err
	}
	m.tuned.mu.Lock()
	defer m.tuned.mu.Unlock()
	if err := e.store.DeleteTuning(ctx, actor, monitor); err != nil {
		return TuningView{}, err
	}
	m.tuned.td = nil
	e.forgetBands(m.name())
	e.log.Info("tuning deleted", "monitor", m.name(), "actor", actor)
	return TuningView{Monitor: monitor, Configured: DraftOf(m.cfg.Detector), Effective: DraftOf(m.cfg.Detector)}, nil
}

// forgetBands drops the cached series-window bands of a monitor (series.go)
// and moves its generation: they were drawn with the previous setting.
func (e *Engine) forgetBands(monitor string) {
	e.series.mu.Lock()
	for k := range e.series.bands {
		if k.Monitor == monitor {
			delete(e.series.bands, k)
		}
	}
	e.series.mu.Unlock()
	e.touch(monitor)
}
