package engine

import "github.com/prometheus/client_golang/prometheus"

// logCollector exposes the counters of the log streams' inputs and
// miners, read when /metrics is scraped, so that bad lines (cut, invalid
// UTF-8, binary, unparsed) are reported without a hook on the hot path.
type logCollector struct{ e *Engine }

var (
	logRecordsDesc = prometheus.NewDesc("seismo_log_records_total",
		"Log records read by each log stream's input.", []string{"stream"}, nil)
	logBadDesc = prometheus.NewDesc("seismo_log_bad_lines_total",
		"Log lines that needed repair or could not be read as configured, by stream and reason (too_long, invalid_utf8, binary, unparsed, dropped_multiline, read_error).",
		[]string{"stream", "reason"}, nil)
	logFileEventsDesc = prometheus.NewDesc("seismo_log_file_events_total",
		"Rotations and truncations the file inputs followed, by stream and event.", []string{"stream", "event"}, nil)
	logTemplatesDesc = prometheus.NewDesc("seismo_log_templates",
		"Templates each log stream's miner holds.", []string{"stream"}, nil)
)

func (c logCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- logRecordsDesc
	ch <- logBadDesc
	ch <- logFileEventsDesc
	ch <- logTemplatesDesc
}

func (c logCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.e.streams {
		name := s.cfg.Name
		st := s.input.Stats()
		ch <- prometheus.MustNewConstMetric(logRecordsDesc, prometheus.CounterValue, float64(st.Records), name)
		for reason, n := range map[string]uint64{
			"too_long": st.TooLong, "invalid_utf8": st.InvalidUTF8, "binary": st.Binary,
			"unparsed": st.Unparsed, "dropped_multiline": st.DroppedLines, "read_error": st.ReadErrors,
		} {
			ch <- prometheus.MustNewConstMetric(logBadDesc, prometheus.CounterValue, float64(n), name, reason)
		}
		ch <- prometheus.MustNewConstMetric(logFileEventsDesc, prometheus.CounterValue, float64(st.Rotations), name, "rotation")
		ch <- prometheus.MustNewConstMetric(logFileEventsDesc, prometheus.CounterValue, float64(st.Truncations), name, "truncation")
		s.mu.Lock()
		m := s.miner
		s.mu.Unlock()
		ch <- prometheus.MustNewConstMetric(logTemplatesDesc, prometheus.GaugeValue, float64(m.Stats().Clusters), name)
	}
}
