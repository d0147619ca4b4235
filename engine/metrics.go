package engine

import "github.com/prometheus/client_golang/prometheus"

// metrics are the engine's own instruments, registered on a private registry
// so that tests and embedders never collide with the default one.
type metrics struct {
	runs          *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	events        *prometheus.CounterVec
	pointsDropped *prometheus.CounterVec
	lastSuccess   *prometheus.GaugeVec
	running       *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "seismo", Name: "job_runs_total",
			Help: "Job runs by job, kind and result (success, failure, skipped_running, skipped_calendar).",
		}, []string{"job", "kind", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "seismo", Name: "job_duration_seconds",
			Help:    "Duration of completed job runs.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 10),
		}, []string{"job", "kind"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "seismo", Name: "events_total",
			Help: "Events produced and newly stored, by job and event kind.",
		}, []string{"job", "kind"}),
		pointsDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "seismo", Name: "points_dropped_total",
			Help: "Samples dropped while cleaning source data, by job and reason (nan, duplicate).",
		}, []string{"job", "reason"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "seismo", Name: "job_last_success_timestamp_seconds",
			Help: "Unix time of the last successful run of each job.",
		}, []string{"job"}),
		running: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "seismo", Name: "job_running",
			Help: "1 while a job is running.",
		}, []string{"job"}),
	}
	if reg != nil {
		reg.MustRegister(m.runs, m.duration, m.events, m.pointsDropped, m.lastSuccess, m.running)
	}
	return m
}
