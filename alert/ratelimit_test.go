package alert

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestParseRateLimit(t *testing.T) {
	tests := []struct {
		in      string
		want    RateLimit
		wantErr bool
	}{
		{"20/1m", RateLimit{N: 20, Per: time.Minute}, false},
		{"20/m", RateLimit{N: 20, Per: time.Minute}, false},
		{" 5 / 1s ", RateLimit{N: 5, Per: time.Second}, false},
		{"100/1h", RateLimit{N: 100, Per: time.Hour}, false},
		{"none", RateLimit{Off: true}, false},
		{"NONE", RateLimit{Off: true}, false},
		{"20", RateLimit{}, true},
		{"0/1m", RateLimit{}, true},
		{"-1/1m", RateLimit{}, true},
		{"x/1m", RateLimit{}, true},
		{"20/0s", RateLimit{}, true},
		{"20/fortnight", RateLimit{}, true},
		{"", RateLimit{}, true},
	}
	for _, tt := range tests {
		got, err := ParseRateLimit(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseRateLimit(%q) = %+v, %v; want %+v, err=%v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err == nil {
			back, err := ParseRateLimit(got.String())
			if err != nil || back != got {
				t.Errorf("%q does not round-trip through %q", tt.in, got.String())
			}
		}
	}
}

func FuzzParseRateLimit(f *testing.F) {
	for _, s := range []string{"20/1m", "none", "1/3s", "5/1h30m", "/", "9999999999999999999/1m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRateLimit(s)
		if err != nil {
			return
		}
		if !r.Off && (r.N <= 0 || r.Per <= 0) {
			t.Fatalf("ParseRateLimit(%q) = %+v without an error", s, r)
		}
		if back, err := ParseRateLimit(r.String()); err != nil || back != r {
			t.Fatalf("%q → %+v does not round-trip (%q: %+v, %v)", s, r, r.String(), back, err)
		}
	})
}

func TestRateLimitYAML(t *testing.T) {
	var c struct {
		R RateLimit `yaml:"rate_limit"`
	}
	if err := yaml.Unmarshal([]byte("rate_limit: 20/1m"), &c); err != nil || c.R != (RateLimit{N: 20, Per: time.Minute}) {
		t.Errorf("20/1m → %+v, %v", c.R, err)
	}
	err := yaml.Unmarshal([]byte("rate_limit: lots"), &c)
	if err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("a bad rate limit: %v", err)
	}
}

// TestLimiterKeepsEveryWindow sends as fast as a 20/1m limiter allows for
// five minutes and checks every sliding minute: never more than 20, and
// close to 20 over the long run.
func TestLimiterKeepsEveryWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(RateLimit{N: 20, Per: time.Minute})
		start := time.Now()
		var sent []time.Duration
		for time.Since(start) < 5*time.Minute {
			if _, err := l.wait(t.Context()); err != nil {
				t.Fatal(err)
			}
			sent = append(sent, time.Since(start))
		}
		for i := range sent {
			n := 0
			for j := i; j < len(sent) && sent[j]-sent[i] < time.Minute; j++ {
				n++
			}
			if n > 20 {
				t.Fatalf("%d messages in the minute from %v", n, sent[i])
			}
		}
		if len(sent) < 4*20 {
			t.Errorf("%d messages in five minutes, want close to 100", len(sent))
		}
	})
}

func TestLimiterGivesUpPastTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLimiter(RateLimit{N: 1, Per: time.Hour})
		if _, err := l.wait(t.Context()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		start := time.Now()
		_, err := l.wait(ctx)
		if !errors.Is(err, errRateLimitedHere) || time.Since(start) != 0 {
			t.Errorf("wait = %v after %v; want errRateLimitedHere at once", err, time.Since(start))
		}
		// The refused turn was given back: after the hour, one message
		// goes at once.
		time.Sleep(time.Hour)
		if d, err := l.wait(t.Context()); err != nil || d != 0 {
			t.Errorf("after the hour: waited %v, %v", d, err)
		}
	})
}

func TestLimiterPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var l *limiter // nil: no limit, and a pause is ignored
		l.pause(time.Now().Add(time.Hour))
		if d, err := l.wait(t.Context()); d != 0 || err != nil {
			t.Errorf("nil limiter waited %v, %v", d, err)
		}
		l = newLimiter(RateLimit{})
		l.pause(time.Now().Add(10 * time.Second))
		l.pause(time.Now().Add(5 * time.Second)) // an earlier end does not shorten it
		d, err := l.wait(t.Context())
		if err != nil || d != 10*time.Second {
			t.Errorf("waited %v, %v; want the 10s pause", d, err)
		}
	})
}
