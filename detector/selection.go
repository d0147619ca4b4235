package detector

import "fmt"

// Selection is how a caller that keeps state per series — the engine —
// uses type auto: choose once per series by backtest (Choose), store the
// Choice, and judge later runs with the chosen detector (Detector) without
// backtesting again. The chosen detector is wrapped in the auto config's
// own gates (direction, min_deviation, persistence), so choosing never
// changes what the analyst configured around the detector.
type Selection struct {
	auto *Auto
	gate *gated
}

// SelectionOf returns the selection API of d when d is a type auto
// detector built by New.
func SelectionOf(d Detector) (Selection, bool) {
	var g *gated
	switch v := d.(type) {
	case *gated:
		g = v
	case gatedBatch:
		g = v.gated
	default:
		return Selection{}, false
	}
	a, ok := g.d.(*Auto)
	if !ok {
		return Selection{}, false
	}
	return Selection{auto: a, gate: g}, true
}

// Choose backtests the candidates on in.History (with labels when there
// are some) and returns the choice with its reasons.
func (s Selection) Choose(in Input, labels []LabelRange) Choice {
	return s.auto.Choose(in, labels)
}

// Detector returns the gated detector of a choice made by Choose, or an
// error when the choice does not belong to this configuration (for
// example, a stored choice from before the candidates were changed).
func (s Selection) Detector(c Choice) (Detector, error) {
	d, err := s.auto.Chosen(c)
	if err != nil {
		return nil, err
	}
	g := *s.gate
	return g.wrap(d), nil
}

// String describes the selection for logs.
func (s Selection) String() string {
	names := make([]string, len(s.auto.cands))
	for i, c := range s.auto.cands {
		names[i] = c.name
	}
	return fmt.Sprintf("auto over %v", names)
}
