package logformat

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseRegexp(t *testing.T) {
	tests := []struct {
		format string
		want   string
	}{
		{
			format: "<Date> <Time> <Pid> <Level> <Component>: <Content>",
			want:   `^(?P<Date>.*?)\s+(?P<Time>.*?)\s+(?P<Pid>.*?)\s+(?P<Level>.*?)\s+(?P<Component>.*?):\s+(?P<Content>.*?)$`,
		},
		{ // a run of spaces is one \s+; escaped literals stay as written
			format: `<Date> <Time> - <Level>  \[<Node>:<Component>@<Id>\] - <Content>`,
			want:   `^(?P<Date>.*?)\s+(?P<Time>.*?)\s+-\s+(?P<Level>.*?)\s+\[(?P<Node>.*?):(?P<Component>.*?)@(?P<Id>.*?)\]\s+-\s+(?P<Content>.*?)$`,
		},
		{ // an optional part is regexp syntax
			format: `<Month> <Date> <Time> <Level> <Component>(\[<PID>\])?: <Content>`,
			want:   `^(?P<Month>.*?)\s+(?P<Date>.*?)\s+(?P<Time>.*?)\s+(?P<Level>.*?)\s+(?P<Component>.*?)(\[(?P<PID>.*?)\])?:\s+(?P<Content>.*?)$`,
		},
		{
			format: `<Time>\|<Component>\|<Pid>\|<Content>`,
			want:   `^(?P<Time>.*?)\|(?P<Component>.*?)\|(?P<Pid>.*?)\|(?P<Content>.*?)$`,
		},
		{format: "<Content>", want: `^(?P<Content>.*?)$`},
		{format: " <Content> ", want: `^\s+(?P<Content>.*?)\s+$`},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			f, err := Parse(tt.format)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Regexp(); got != tt.want {
				t.Errorf("Regexp()\n got %s\nwant %s", got, tt.want)
			}
			if f.String() != tt.format {
				t.Errorf("String() = %q, want %q", f.String(), tt.format)
			}
		})
	}
}

func TestLogFormatParse(t *testing.T) {
	tests := []struct {
		name   string
		format string
		line   string
		want   Record
		ok     bool
	}{
		{
			name:   "hdfs",
			format: "<Date> <Time> <Pid> <Level> <Component>: <Content>",
			line:   "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38 terminating",
			want: Record{
				Content: "PacketResponder 1 for block blk_38 terminating", Time: "203615", Level: "INFO",
				Fields: []string{"081109", "203615", "148", "INFO", "dfs.DataNode$PacketResponder", "PacketResponder 1 for block blk_38 terminating"},
			},
			ok: true,
		},
		{
			name:   "trimmed, CR dropped, lazy fields split at the first separator",
			format: "<Date> <Time> <Level> <Component>: <Content>",
			line:   "  17/06/09 20:10:40 INFO executor.Executor: Finished task: 2.0 in stage 1.0  \r",
			want: Record{
				Content: "Finished task: 2.0 in stage 1.0", Time: "20:10:40", Level: "INFO",
				Fields: []string{"17/06/09", "20:10:40", "INFO", "executor.Executor", "Finished task: 2.0 in stage 1.0"},
			},
			ok: true,
		},
		{
			name:   "optional part present",
			format: `<Month> <Date> <Time> <Component>(\[<PID>\])?: <Content>`,
			line:   "Jun 14 15:16:01 sshd(pam_unix)[19939]: check pass; user unknown",
			want: Record{
				Content: "check pass; user unknown", Time: "15:16:01",
				Fields: []string{"Jun", "14", "15:16:01", "sshd(pam_unix)", "19939", "check pass; user unknown"},
			},
			ok: true,
		},
		{
			name:   "optional part absent gives an empty field",
			format: `<Month> <Date> <Time> <Component>(\[<PID>\])?: <Content>`,
			line:   "Jun 15 02:04:59 kernel: Linux version 2.6.5",
			want: Record{
				Content: "Linux version 2.6.5", Time: "02:04:59",
				Fields: []string{"Jun", "15", "02:04:59", "kernel", "", "Linux version 2.6.5"},
			},
			ok: true,
		},
		{
			name:   "lower-case special names",
			format: `<time> \[<level>\] <content>`,
			line:   "12:00 [warn] disk full",
			want:   Record{Content: "disk full", Time: "12:00", Level: "warn", Fields: []string{"12:00", "warn", "disk full"}},
			ok:     true,
		},
		{
			name:   "empty content",
			format: `\[<Time>\] \[<Level>\] <Content>`,
			line:   "[Sun Dec 04 04:47:44 2005] [notice] ",
			ok:     false, // trimming removes the space the format needs before Content
		},
		{
			name:   "no match",
			format: "<Date> <Time> <Level> <Component>: <Content>",
			line:   "garbage",
			ok:     false,
		},
		{
			name:   "multi-line record: the following lines belong to the message",
			format: "<Date> <Time> <Level> <Component>: <Content>",
			line:   "2024-01-02 09:30:00 ERROR o.a.Server: request failed  \r\njava.lang.IllegalStateException: closed\r\n\tat o.a.Server.run(Server.java:42)\n",
			want: Record{
				Content: "request failed  \r\njava.lang.IllegalStateException: closed\r\n\tat o.a.Server.run(Server.java:42)",
				Time:    "09:30:00", Level: "ERROR",
				Fields: []string{"2024-01-02", "09:30:00", "ERROR", "o.a.Server",
					"request failed  \r\njava.lang.IllegalStateException: closed\r\n\tat o.a.Server.run(Server.java:42)"},
			},
			ok: true,
		},
		{
			name:   "multi-line record whose first line does not match",
			format: "<Date> <Time> <Level> <Component>: <Content>",
			line:   "\tat o.a.Server.run(Server.java:42)\n2024-01-02 09:30:00 ERROR o.a.Server: request failed",
			ok:     false,
		},
		{
			name:   "multi-line record: a field after the message stays on the first line",
			format: `<Content> \(<Pid>\)`,
			line:   "worker stopped (12)\ndetails",
			want:   Record{Content: "worker stopped", Fields: []string{"worker stopped", "12"}},
			ok:     true,
		},
		{
			name:   "empty line",
			format: "<Content>",
			line:   "   ",
			want:   Record{Fields: []string{""}},
			ok:     true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse(tt.format)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := f.Parse(tt.line)
			if ok != tt.ok {
				t.Fatalf("Parse ok = %v, want %v (record %+v)", ok, tt.ok, got)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
			content, ok := f.Content(tt.line)
			if ok != tt.ok || content != tt.want.Content {
				t.Errorf("Content = %q, %v; want %q, %v", content, ok, tt.want.Content, tt.ok)
			}
		})
	}
}

func TestLogFormatErrors(t *testing.T) {
	tests := []struct {
		format string
		want   string
	}{
		{"", "empty"},
		{"<Date> <Time> <Level>", "no Content field"},
		{"<Date> <Date> <Content>", `"Date" appears twice`},
		{"<content> <Content>", "Content appears twice"},
		{"<Da te> <Content>", "field <Da te>"},
		{"<1st> <Content>", "field <1st>"},
		{`\[<Time> <Content>(`, "missing closing )"},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			_, err := Parse(tt.format)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse(%q) error = %v, want it to contain %q", tt.format, err, tt.want)
			}
		})
	}
}

func TestNewRegexp(t *testing.T) {
	f, err := NewRegexp(`^(?P<Time>\S+ \S+) (?P<Level>[A-Z]+) (?P<Content>.*)$`)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Time", "Level", "Content"}, f.Fields()); diff != "" {
		t.Errorf("Fields (-want +got):\n%s", diff)
	}
	got, ok := f.Parse("2024-01-02 09:30:00.123 ERROR order 42 rejected\n")
	want := Record{Content: "order 42 rejected", Time: "2024-01-02 09:30:00.123", Level: "ERROR",
		Fields: []string{"2024-01-02 09:30:00.123", "ERROR", "order 42 rejected"}}
	if !ok {
		t.Fatal("no match")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
	for _, bad := range []string{`(?P<Time>\S+) (.*)`, `(?P<Content>.*`} {
		if _, err := NewRegexp(bad); err == nil {
			t.Errorf("NewRegexp(%q) accepted", bad)
		}
	}
}

func BenchmarkLogFormatContent(b *testing.B) {
	f, err := Parse("<Date> <Time> <Level> <Component>: <Content>")
	if err != nil {
		b.Fatal(err)
	}
	line := "17/06/09 20:10:40 INFO executor.Executor: Finished task 2.0 in stage 1.0 (TID 8). 2087 bytes result sent to driver"
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := f.Content(line); !ok {
			b.Fatal("no match")
		}
	}
}
