// Package alert turns analysis events into alerts and delivers them to
// receivers. It knows nothing about analysis: it receives Events.
package alert

import (
	"fmt"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

// Kind says what produced an event.
type Kind string

// Event kinds.
const (
	KindAnomaly       Kind = "anomaly"        // a monitor's detector flagged a point
	KindNewTemplate   Kind = "new_template"   // a log stream met a template it had not seen
	KindTemplateRate  Kind = "template_rate"  // a log template's rate left its baseline
	KindErrorRatio    Kind = "error_ratio"    // the share of error-level lines in a log stream left its baseline
	KindCheckMismatch Kind = "check_mismatch" // a consistency check found rows that disagree
	KindCheckError    Kind = "check_error"    // a consistency check could not run (query failed, duplicate keys, ...)
	KindMetricRule    Kind = "metric_rule"    // a metric rule fires: one event per firing episode
	KindRuleError     Kind = "rule_error"     // a metric rule fails to evaluate while others of its group succeed
)

// Event is one finding of an analysis job, persisted by the store and
// turned into an alert by the Manager.
type Event struct {
	ID          int64             // assigned by the store; 0 before it is stored
	Kind        Kind              // what produced it
	Job         string            // the monitor, log stream or check that produced it
	Labels      labels.Labels     // identity: series label set, job labels, alertname
	Annotations map[string]string // human text: summary, description, links
	Time        time.Time         // the timestamp of the sample judged
	Value       float64           // the observed value
	Expected    float64           // the baseline's expected value
	Lower       float64           // lower edge of the normal band
	Upper       float64           // upper edge of the normal band
	Score       float64           // anomaly score in [0,1]; see the detector package
	Detector    string            // the detector that judged it
	CreatedAt   time.Time         // when the event was produced
}

// Fingerprint identifies an alert by its label set.
type Fingerprint uint64

// String formats the fingerprint as 16 hex digits, as Alertmanager does.
func (f Fingerprint) String() string { return fmt.Sprintf("%016x", uint64(f)) }

// FingerprintOf returns the fingerprint of a label set.
func FingerprintOf(ls labels.Labels) Fingerprint { return Fingerprint(ls.Hash()) }

// Fingerprint returns the fingerprint of the event's label set.
func (e Event) Fingerprint() Fingerprint { return FingerprintOf(e.Labels) }
