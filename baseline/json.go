package baseline

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// UnmarshalModel restores any model written by json.Marshal of a Model
// returned by Fit, without refitting. It dispatches on the "model" field
// (phase, stl, holt_winters, ewma, anchored); models written before that
// field existed carry "kind": "phase".
func UnmarshalModel(data []byte) (Model, error) {
	var head struct {
		Model string `json:"model"`
		Kind  string `json:"kind"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("decode baseline model: %w", err)
	}
	name := head.Model
	if name == "" {
		name = head.Kind
	}
	var m interface {
		Model
		json.Unmarshaler
	}
	switch name {
	case ModelPhase:
		m = new(PhaseModel)
	case ModelSTL:
		m = new(STLModel)
	case ModelHoltWinters:
		m = new(HWModel)
	case ModelEWMA:
		m = new(EWMAModel)
	case "anchored":
		m = new(Anchored)
	default:
		return nil, fmt.Errorf("decode baseline model: unknown model %q", name)
	}
	if err := m.UnmarshalJSON(data); err != nil {
		return nil, err
	}
	return m, nil
}

const gridModelVersion = 1

type periodJSON struct {
	Period   string  `json:"period"`
	Strength float64 `json:"strength"`
}

// metaJSON is the persisted part common to the grid-based models.
type metaJSON struct {
	Model     string          `json:"model"`
	Version   int             `json:"version"`
	Requested string          `json:"requested_seasonality"`
	Periods   []periodJSON    `json:"periods,omitempty"`
	T0        time.Time       `json:"t0"`
	Step      time.Duration   `json:"step_ns"`
	From      time.Time       `json:"from"`
	To        time.Time       `json:"to"`
	Points    int             `json:"points"`
	Notes     []string        `json:"notes,omitempty"`
	Floors    floors          `json:"floors"`
	Calendar  json.RawMessage `json:"calendar_model,omitempty"` // the phase model for other days
}

func (m *meta) toJSON(name string) (metaJSON, error) {
	j := metaJSON{Model: name, Version: gridModelVersion, Requested: m.requested, T0: m.t0, Step: m.step,
		From: m.from, To: m.to, Points: m.points, Notes: m.notes, Floors: m.fl}
	for _, p := range m.periods {
		j.Periods = append(j.Periods, periodJSON{Period: p.Period.String(), Strength: p.Strength})
	}
	if m.other != nil {
		data, err := m.other.MarshalJSON()
		if err != nil {
			return j, err
		}
		j.Calendar = data
	}
	return j, nil
}

var errBadModel = errors.New("invalid model")

func (j *metaJSON) toMeta(name string) (meta, error) {
	if j.Model != name || j.Version != gridModelVersion {
		return meta{}, fmt.Errorf("decode baseline model: unsupported model %q version %d", j.Model, j.Version)
	}
	m := meta{requested: j.Requested, t0: j.T0, step: j.Step, from: j.From, to: j.To, points: j.Points, notes: j.Notes, fl: j.Floors}
	if m.step <= 0 || !finite(m.fl.Global, m.fl.Quantum) || m.fl.Global < 0 || m.fl.Quantum < 0 {
		return meta{}, fmt.Errorf("decode baseline model: step %d, floors %+v: %w", j.Step, j.Floors, errBadModel)
	}
	for _, p := range j.Periods {
		d, err := time.ParseDuration(p.Period)
		if err != nil || d <= 0 {
			return meta{}, fmt.Errorf("decode baseline model: period %q: %w", p.Period, errBadModel)
		}
		m.periods = append(m.periods, Period{Period: d, Strength: p.Strength})
	}
	if len(j.Calendar) > 0 {
		m.other = new(PhaseModel)
		if err := m.other.UnmarshalJSON(j.Calendar); err != nil {
			return meta{}, fmt.Errorf("decode baseline model: calendar model: %w", err)
		}
		m.cal = m.other.cal
		if m.cal == nil {
			return meta{}, fmt.Errorf("decode baseline model: calendar model has no calendar: %w", errBadModel)
		}
	}
	return m, nil
}

// checkSeason validates a decoded season: 1 ≤ cells ≤ P, finite values,
// and (for scales and ratios) non-negative ones.
func checkSeason(s season, nonNegative bool) error {
	if s.P < 1 || len(s.V) < 1 || len(s.V) > s.P {
		return fmt.Errorf("season of period %d with %d cells: %w", s.P, len(s.V), errBadModel)
	}
	for _, v := range s.V {
		if !finite(v) || (nonNegative && v < 0) {
			return fmt.Errorf("season value %v: %w", v, errBadModel)
		}
	}
	return nil
}

type stlJSON struct {
	metaJSON
	Seasons  []season  `json:"seasons"`
	Knots    []float64 `json:"knots"`
	KnotStep int       `json:"knot_step"`
	N        int       `json:"n"`
	Level    float64   `json:"level"`
	Scale    season    `json:"scale"`
}

// MarshalJSON persists the fitted model.
func (m *STLModel) MarshalJSON() ([]byte, error) {
	mj, err := m.meta.toJSON(ModelSTL)
	if err != nil {
		return nil, err
	}
	return json.Marshal(stlJSON{metaJSON: mj, Seasons: m.seasons, Knots: m.knots, KnotStep: m.knotStep, N: m.n, Level: m.level, Scale: m.scale})
}

// UnmarshalJSON restores a model written by MarshalJSON.
func (m *STLModel) UnmarshalJSON(data []byte) error {
	var j stlJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return fmt.Errorf("decode baseline model: %w", err)
	}
	mt, err := j.toMeta(ModelSTL)
	if err != nil {
		return err
	}
	n := STLModel{meta: mt, seasons: j.Seasons, knots: j.Knots, knotStep: j.KnotStep, n: j.N, level: j.Level, scale: j.Scale}
	if n.n < 1 || n.knotStep < 1 || len(n.knots) != (n.n-1+n.knotStep-1)/n.knotStep+1 || !finite(n.level) {
		return fmt.Errorf("decode baseline model: stl trend (n %d, knot step %d, %d knots): %w", n.n, n.knotStep, len(n.knots), errBadModel)
	}
	if !finite(n.knots...) {
		return fmt.Errorf("decode baseline model: stl knots: %w", errBadModel)
	}
	for _, s := range n.seasons {
		if err := checkSeason(s, false); err != nil {
			return fmt.Errorf("decode baseline model: stl: %w", err)
		}
	}
	if err := checkSeason(n.scale, true); err != nil {
		return fmt.Errorf("decode baseline model: stl scale: %w", err)
	}
	*m = n
	return nil
}

type hwJSON struct {
	metaJSON
	Form   string     `json:"form"`
	Params [4]float64 `json:"alpha_beta_gamma_phi"`
	Opt    [3]float64 `json:"opt_alpha_beta_gamma"`
	OptBin int        `json:"opt_bin"`
	N      int        `json:"n"`
	Level  float64    `json:"level"`
	Trend  float64    `json:"trend"`
	MSE    float64    `json:"mse"`
	Season season     `json:"season"`
	Scale  season     `json:"scale"`
}

// MarshalJSON persists the fitted model.
func (m *HWModel) MarshalJSON() ([]byte, error) {
	mj, err := m.meta.toJSON(ModelHoltWinters)
	if err != nil {
		return nil, err
	}
	return json.Marshal(hwJSON{metaJSON: mj, Form: m.form, Params: [4]float64{m.alpha, m.beta, m.gamma, m.phi},
		Opt: [3]float64{m.optAlpha, m.optBeta, m.optGa}, OptBin: m.optBin, N: m.n, Level: m.level, Trend: m.trend, MSE: m.mse,
		Season: m.season, Scale: m.scale})
}

// UnmarshalJSON restores a model written by MarshalJSON.
func (m *HWModel) UnmarshalJSON(data []byte) error {
	var j hwJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return fmt.Errorf("decode baseline model: %w", err)
	}
	mt, err := j.toMeta(ModelHoltWinters)
	if err != nil {
		return err
	}
	if j.Form != HWAdditive && j.Form != HWMultiplicative {
		return fmt.Errorf("decode baseline model: Holt-Winters form %q: %w", j.Form, errBadModel)
	}
	n := HWModel{meta: mt, form: j.Form, alpha: j.Params[0], beta: j.Params[1], gamma: j.Params[2], phi: j.Params[3],
		optAlpha: j.Opt[0], optBeta: j.Opt[1], optGa: j.Opt[2], optBin: j.OptBin, n: j.N, level: j.Level, trend: j.Trend, mse: j.MSE,
		season: j.Season, scale: j.Scale}
	if n.n < 1 || !finite(n.level, n.trend, n.mse, n.phi) || n.phi < 0 || n.phi > 1 {
		return fmt.Errorf("decode baseline model: Holt-Winters state: %w", errBadModel)
	}
	if err := checkSeason(n.season, n.form == HWMultiplicative); err != nil || len(n.season.V) != n.season.P {
		return fmt.Errorf("decode baseline model: Holt-Winters season: %w", errBadModel)
	}
	if err := checkSeason(n.scale, true); err != nil {
		return fmt.Errorf("decode baseline model: Holt-Winters scale: %w", err)
	}
	*m = n
	return nil
}

type ewmaJSON struct {
	metaJSON
	Alpha float64 `json:"alpha"`
	Level float64 `json:"level"`
	Scale float64 `json:"scale"`
	MSE   float64 `json:"mse"`
}

// MarshalJSON persists the fitted model.
func (m *EWMAModel) MarshalJSON() ([]byte, error) {
	mj, err := m.meta.toJSON(ModelEWMA)
	if err != nil {
		return nil, err
	}
	return json.Marshal(ewmaJSON{metaJSON: mj, Alpha: m.alpha, Level: m.level, Scale: m.scale, MSE: m.mse})
}

// UnmarshalJSON restores a model written by MarshalJSON.
func (m *EWMAModel) UnmarshalJSON(data []byte) error {
	var j ewmaJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return fmt.Errorf("decode baseline model: %w", err)
	}
	mt, err := j.toMeta(ModelEWMA)
	if err != nil {
		return err
	}
	if !finite(j.Alpha, j.Level, j.Scale, j.MSE) || j.Scale < 0 {
		return fmt.Errorf("decode baseline model: ewma state: %w", errBadModel)
	}
	*m = EWMAModel{meta: mt, alpha: j.Alpha, level: j.Level, scale: j.Scale, mse: j.MSE}
	return nil
}

type anchoredJSON struct {
	Model  string          `json:"model"`
	Offset float64         `json:"offset"`
	Since  time.Time       `json:"since"`
	Base   json.RawMessage `json:"base"`
}

// MarshalJSON persists the offset with the base model.
func (a *Anchored) MarshalJSON() ([]byte, error) {
	base, err := json.Marshal(a.Base)
	if err != nil {
		return nil, fmt.Errorf("encode anchored model: %w", err)
	}
	return json.Marshal(anchoredJSON{Model: "anchored", Offset: a.Offset, Since: a.Since, Base: base})
}

// UnmarshalJSON restores a model written by MarshalJSON.
func (a *Anchored) UnmarshalJSON(data []byte) error {
	var j anchoredJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return fmt.Errorf("decode baseline model: %w", err)
	}
	if j.Model != "anchored" || !finite(j.Offset) || len(j.Base) == 0 {
		return fmt.Errorf("decode baseline model: anchored: %w", errBadModel)
	}
	base, err := UnmarshalModel(j.Base)
	if err != nil {
		return err
	}
	if _, nested := base.(*Anchored); nested {
		return fmt.Errorf("decode baseline model: nested anchoring: %w", errBadModel)
	}
	*a = Anchored{Base: base, Offset: j.Offset, Since: j.Since}
	return nil
}
