package alert

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestLogNotifier(t *testing.T) {
	tests := []struct {
		level     string
		wantLevel string
	}{
		{"", "INFO"},
		{"info", "INFO"},
		{"warn", "WARN"},
		{"error", "ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.wantLevel, func(t *testing.T) {
			var buf bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{
				Level: slog.LevelDebug,
				ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
					if len(groups) == 0 && a.Key == slog.TimeKey { // the record's own time
						return slog.Attr{}
					}
					return a
				},
			}))
			n, err := NewLogNotifier(LogConfig{Level: tt.level}, logger)
			if err != nil {
				t.Fatal(err)
			}
			retry, err := n.Notify(t.Context(), fixedMessage())
			if err != nil || retry {
				t.Fatalf("Notify = %v, %v", retry, err)
			}
			lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
			want := []string{
				`level=` + tt.wantLevel + ` msg=alert status=firing labels="{alertname=\"account_openings\", channel=\"app\", team=\"accounts\"}" summary="openings are off" value=3 expected=40 starts_at=2025-03-03T09:30:00.000Z fingerprint=`,
				`level=` + tt.wantLevel + ` msg=alert status=resolved labels="{alertname=\"account_openings\", channel=\"branch\", team=\"accounts\"}" summary="openings are off" value=39 expected=40 starts_at=2025-03-03T09:30:00.000Z ends_at=2025-03-03T09:35:00.000Z fingerprint=`,
				`level=` + tt.wantLevel + ` msg=alert status=firing labels="{alertname=\"account_openings\", channel=\"web\", team=\"accounts\"}"`,
				`level=` + tt.wantLevel + ` msg=notification receiver=ops group="{team=\"accounts\"}" status=firing firing=2 resolved=1`,
			}
			if len(lines) != len(want) {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), buf.String())
			}
			for i := range want {
				if !strings.HasPrefix(lines[i], want[i]) {
					t.Errorf("line %d:\n got %s\nwant %s...", i, lines[i], want[i])
				}
			}
		})
	}
	if _, err := NewLogNotifier(LogConfig{Level: "loud"}, nil); err == nil {
		t.Error("NewLogNotifier accepted level loud")
	}
}
