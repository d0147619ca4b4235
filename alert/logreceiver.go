package alert

import (
	"context"
	"log/slog"
)

// LogNotifier writes notifications to a logger: one line per alert and a
// summary line for the group. It is the console receiver of a first run.
type LogNotifier struct {
	logger *slog.Logger
	level  slog.Level
}

// NewLogNotifier returns the log integration of cfg. logger nil means
// slog.Default().
func NewLogNotifier(cfg LogConfig, logger *slog.Logger) (*LogNotifier, error) {
	level, err := parseLevel(cfg.Level)
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &LogNotifier{logger: logger, level: level}, nil
}

// annotationAttrs are the annotations the log line shows, in this order.
var annotationAttrs = []string{"summary", AnnotationValue, AnnotationExpected, AnnotationBand, AnnotationScore}

// Notify logs m. It never fails.
func (l *LogNotifier) Notify(ctx context.Context, m *Message) (retry bool, err error) {
	firing := 0
	for _, a := range m.Alerts {
		attrs := []slog.Attr{
			slog.String("status", a.Status()),
			slog.String("labels", a.Labels.String()),
		}
		for _, k := range annotationAttrs {
			if v, ok := a.Annotations[k]; ok {
				attrs = append(attrs, slog.String(k, v))
			}
		}
		attrs = append(attrs, slog.Time("starts_at", a.StartsAt))
		if a.Resolved() {
			attrs = append(attrs, slog.Time("ends_at", a.EndsAt))
		} else {
			firing++
		}
		attrs = append(attrs, slog.String("fingerprint", a.Fingerprint.String()))
		l.logger.LogAttrs(ctx, l.level, "alert", attrs...)
	}
	l.logger.LogAttrs(ctx, l.level, "notification",
		slog.String("receiver", m.Receiver),
		slog.String("group", m.GroupLabels.String()),
		slog.String("status", m.Status),
		slog.Int("firing", firing),
		slog.Int("resolved", len(m.Alerts)-firing),
	)
	return false, nil
}
