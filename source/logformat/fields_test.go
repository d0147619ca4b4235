package logformat

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFieldsParse(t *testing.T) {
	tests := []struct {
		name string
		p    Parser
		line string
		want Record
		ok   bool
	}{
		{
			name: "json defaults",
			p:    NewJSON("", "", ""),
			line: `{"ts":"2025-01-02T03:04:05Z","level":"error","msg":"disk full on /dev/sda1","n":3}`,
			want: Record{Time: "2025-01-02T03:04:05Z", Level: "error", Content: "disk full on /dev/sda1"},
			ok:   true,
		},
		{
			name: "json custom keys, numeric time",
			p:    NewJSON("when", "sev", "text"),
			line: `  {"when":1735787045,"sev":"W","text":"slow","msg":"ignored"}  `,
			want: Record{Time: "1735787045", Level: "W", Content: "slow"},
			ok:   true,
		},
		{name: "json without message", p: NewJSON("", "", ""), line: `{"level":"info"}`},
		{name: "not json", p: NewJSON("", "", ""), line: `level=info msg=hi`},
		{name: "broken json", p: NewJSON("", "", ""), line: `{"msg": "unterminated}`},
		{
			name: "logfmt quoted",
			p:    NewLogfmt("", "", ""),
			line: `time=2025-01-02T03:04:05Z level=warn msg="order 12 rejected: \"limit\"" user=7`,
			want: Record{Time: "2025-01-02T03:04:05Z", Level: "warn", Content: `order 12 rejected: "limit"`},
			ok:   true,
		},
		{
			name: "logfmt bare key and stray equals",
			p:    NewLogfmt("", "", "message"),
			line: `= debug message=ok`,
			want: Record{Content: "ok"},
			ok:   true,
		},
		{
			name: "logfmt unterminated quote is taken literally",
			p:    NewLogfmt("", "", ""),
			line: `msg="half open`,
			want: Record{Content: "half open"},
			ok:   true,
		},
		{name: "logfmt without message", p: NewLogfmt("", "", ""), line: `level=info`},
		{name: "empty", p: NewLogfmt("", "", ""), line: ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.p.Parse(tt.line)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v (record %+v)", ok, tt.ok, got)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("record (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzLogfmt(f *testing.F) {
	for _, s := range []string{`a=1 b="x y" c`, `msg="\"`, `==`, `k="\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_ = parseLogfmt(s) // must not panic or loop
		_, _ = NewJSON("", "", "").Parse(s)
	})
}
