package alert

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// routerMetrics are the routing side's metrics; delivery's are in
// metrics.go and delivery.go. The gauges are computed on scrape from the
// Manager's state, as Alertmanager's alertmanager_alerts and
// alertmanager_silences are.
type routerMetrics struct {
	records      *prometheus.CounterVec // seismo_notification_records_total{status, kind}
	stateErrors  *prometheus.CounterVec // seismo_alert_state_errors_total{op}
	mutedFlushes prometheus.Counter     // seismo_alert_muted_flushes_total
	pruned       prometheus.Counter     // seismo_notification_records_pruned_total
}

// routerCollector computes the gauges on scrape.
type routerCollector struct {
	m                                 *Manager
	byState, silencedN, inhibitedN    *prometheus.Desc
	silences, groups, mutedByInterval *prometheus.Desc
}

func newRouterMetrics(reg prometheus.Registerer, m *Manager) (*routerMetrics, error) {
	rm := &routerMetrics{
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "seismo",
			Name:      "notification_records_total",
			Help:      "Entries of the notification history, by status (sent, failed, dropped) and kind (notification, escalation).",
		}, []string{"status", "kind"}),
		stateErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "seismo",
			Name:      "alert_state_errors_total",
			Help:      "Failed writes of the alert router's state to the store, by operation.",
		}, []string{"op"}),
		mutedFlushes: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "seismo",
			Name:      "alert_muted_flushes_total",
			Help:      "Group flushes deferred because a time interval muted the route.",
		}),
		pruned: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "seismo",
			Name:      "notification_records_pruned_total",
			Help:      "Entries of the notification history deleted after notification_retention.",
		}),
	}
	for _, st := range []string{NotificationSent, NotificationFailed, NotificationDropped} {
		for _, k := range []string{"notification", "escalation"} {
			rm.records.WithLabelValues(st, k)
		}
	}
	if reg == nil {
		return rm, nil
	}
	desc := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("seismo_"+name, help, labels, nil)
	}
	c := &routerCollector{
		m:               m,
		byState:         desc("alerts_by_suppression", "Firing alerts that are notified (active) or not (suppressed: silenced, inhibited or muted).", "state"),
		silencedN:       desc("alerts_silenced", "Firing alerts matched by an active silence."),
		inhibitedN:      desc("alerts_inhibited", "Firing alerts inhibited by another firing alert."),
		mutedByInterval: desc("alerts_muted_by_time_interval", "Firing alerts whose every route is muted by a time interval now."),
		silences:        desc("silences", "Silences by state.", "state"),
		groups:          desc("alert_groups", "Aggregation groups."),
	}
	var errs []error
	for _, col := range []prometheus.Collector{rm.records, rm.stateErrors, rm.mutedFlushes, rm.pruned, c} {
		if err := reg.Register(col); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("register alert router metrics: %w", err)
	}
	return rm, nil
}

func (c *routerCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.byState, c.silencedN, c.inhibitedN, c.mutedByInterval, c.silences, c.groups} {
		ch <- d
	}
}

func (c *routerCollector) Collect(ch chan<- prometheus.Metric) {
	m := c.m
	now := m.now()
	var active, suppressed, silenced, inhibited, muted int
	sil := map[SilenceState]int{}
	m.mu.Lock()
	for _, st := range m.alerts {
		m.expireAt(st, now)
		if st.Resolved() {
			continue
		}
		s := m.status(st, now)
		if s.State == AlertStateSuppressed {
			suppressed++
		} else {
			active++
		}
		if len(s.SilencedBy) > 0 {
			silenced++
		}
		if len(s.InhibitedBy) > 0 {
			inhibited++
		}
		if len(s.MutedBy) > 0 {
			muted++
		}
	}
	for _, s := range m.silences {
		sil[s.State(now)]++
	}
	groups := len(m.groups)
	m.mu.Unlock()

	gauge := func(d *prometheus.Desc, v int, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
	}
	gauge(c.byState, active, AlertStateActive)
	gauge(c.byState, suppressed, AlertStateSuppressed)
	gauge(c.silencedN, silenced)
	gauge(c.inhibitedN, inhibited)
	gauge(c.mutedByInterval, muted)
	for _, st := range []SilenceState{SilenceActive, SilencePending, SilenceExpired} {
		gauge(c.silences, sil[st], string(st))
	}
	gauge(c.groups, groups)
}
