package config

import (
	"strings"
	"testing"
)

// TestCalendarsAsTimeIntervals checks that routes may name calendars (their
// sessions) and "<calendar>:trading_days" as time intervals, and that other
// names are still refused.
func TestCalendarsAsTimeIntervals(t *testing.T) {
	const base = `
calendars:
  cn-stock:
    sessions: ["09:30-11:30", "13:00-15:00"]
    weekdays: [mon, tue, wed, thu, fri]
alerting:
  route:
    receiver: console
    routes:
      - receiver: console
        continue: true
        active_time_intervals: [%s]
  receivers: [{name: console, log_configs: [{}]}]
`
	tests := []struct {
		interval string
		wantErr  string
	}{
		{interval: "cn-stock"},
		{interval: `"cn-stock:trading_days"`},
		{interval: "nyse", wantErr: `unknown time interval "nyse" (known: cn-stock, cn-stock:trading_days)`},
	}
	for _, tt := range tests {
		t.Run(tt.interval, func(t *testing.T) {
			_, err := Parse([]byte(strings.Replace(base, "%s", tt.interval, 1)), "seismo.yaml")
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Parse: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Parse error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}
