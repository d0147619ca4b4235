package alert

import (
	"encoding/json"
	"math"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

// eventJSON is the wire form of an Event, shared by the HTTP API and the
// CLI. Non-finite numbers become null because JSON has no NaN.
type eventJSON struct {
	ID          int64             `json:"id,omitempty"`
	Kind        Kind              `json:"kind"`
	Job         string            `json:"job"`
	Fingerprint string            `json:"fingerprint"`
	Labels      labels.Labels     `json:"labels"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Time        time.Time         `json:"time"`
	Value       *float64          `json:"value"`
	Expected    *float64          `json:"expected"`
	Lower       *float64          `json:"lower"`
	Upper       *float64          `json:"upper"`
	Score       *float64          `json:"score"`
	Detector    string            `json:"detector,omitempty"`
	CreatedAt   time.Time         `json:"created_at,omitzero"`
}

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func orNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// MarshalJSON writes the event in the API's form.
func (e Event) MarshalJSON() ([]byte, error) {
	return json.Marshal(eventJSON{
		ID: e.ID, Kind: e.Kind, Job: e.Job, Fingerprint: e.Fingerprint().String(),
		Labels: e.Labels, Annotations: e.Annotations, Time: e.Time.UTC(),
		Value: finite(e.Value), Expected: finite(e.Expected), Lower: finite(e.Lower), Upper: finite(e.Upper),
		Score: finite(e.Score), Detector: e.Detector, CreatedAt: e.CreatedAt.UTC(),
	})
}

// UnmarshalJSON reads the API's form; null numbers become NaN.
func (e *Event) UnmarshalJSON(b []byte) error {
	var j eventJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*e = Event{
		ID: j.ID, Kind: j.Kind, Job: j.Job, Labels: j.Labels, Annotations: j.Annotations, Time: j.Time,
		Value: orNaN(j.Value), Expected: orNaN(j.Expected), Lower: orNaN(j.Lower), Upper: orNaN(j.Upper),
		Score: orNaN(j.Score), Detector: j.Detector, CreatedAt: j.CreatedAt,
	}
	return nil
}
