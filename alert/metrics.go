package alert

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the Manager's metrics, named like Alertmanager's with the
// seismo namespace.
type metrics struct {
	notifications       *prometheus.CounterVec
	notificationsFailed *prometheus.CounterVec
	latency             *prometheus.HistogramVec
	deliveryMetrics     // outcomes of deliveries and rate-limit waits (delivery.go)
}

func newMetrics(reg prometheus.Registerer, countAlerts func(status string) float64) (*metrics, error) {
	m := &metrics{
		deliveryMetrics: newDeliveryMetrics(),
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "seismo",
			Name:      "notifications_total",
			Help:      "The total number of attempted notifications.",
		}, []string{"integration"}),
		notificationsFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "seismo",
			Name:      "notifications_failed_total",
			Help:      "The total number of failed notification attempts.",
		}, []string{"integration"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "seismo",
			Name:      "notification_latency_seconds",
			Help:      "The latency of notification attempts.",
			Buckets:   []float64{0.001, 0.01, 0.1, 0.5, 1, 5, 10, 15, 20},
		}, []string{"integration"}),
	}
	// The series of every kind of integration (receiverKinds) are created
	// up front, so that a dashboard sees zeros, not gaps.
	for _, name := range receiverKinds {
		m.notifications.WithLabelValues(name)
		m.notificationsFailed.WithLabelValues(name)
		m.latency.WithLabelValues(name)
	}
	if reg == nil {
		return m, nil
	}
	cs := []prometheus.Collector{m.notifications, m.notificationsFailed, m.latency}
	cs = append(cs, m.deliveryMetrics.collectors()...)
	// seismo_alerts{state} is computed from the Manager's alerts on scrape.
	for _, state := range []string{StatusFiring, StatusResolved} {
		cs = append(cs, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace:   "seismo",
			Name:        "alerts",
			Help:        "How many alerts are in each state.",
			ConstLabels: prometheus.Labels{"state": state},
		}, func() float64 { return countAlerts(state) }))
	}
	var errs []error
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("register alert metrics: %w", err)
	}
	return m, nil
}
