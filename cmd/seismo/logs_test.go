package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestLogsMine(t *testing.T) {
	dir := t.TempDir()
	plain := writeFile(t, dir, "app.log", strings.Join([]string{
		"2025-03-04 10:00:00 INFO user 17 logged in",
		"2025-03-04 10:00:01 INFO user 42 logged in",
		"2025-03-04 10:00:02 ERROR payment 991 failed",
		"java.lang.IllegalStateException: closed",
		"\tat Pay.run(Pay.java:10)",
		"2025-03-04 10:00:03 INFO user 7 logged in",
		"",
	}, "\n"))

	code, out, errOut := runCLI(t, "logs", "mine", plain, "--format", "<Date> <Time> <Level> <Content>", "--multiline", `^\d{4}-`)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("output:\n%s\nwant 2 templates and a summary", out)
	}
	if f := strings.Fields(lines[0]); f[0] != "3" || !strings.Contains(lines[0], "user <*> logged in") {
		t.Errorf("first line = %q, want the login template 3 times", lines[0])
	}
	if !strings.Contains(lines[1], "payment <*> failed") || !strings.Contains(lines[1], "IllegalStateException") {
		t.Errorf("second line = %q, want the error with its stack trace", lines[1])
	}
	if !strings.Contains(lines[2], "4 records (6 lines) mined into 2 templates") {
		t.Errorf("summary = %q", lines[2])
	}

	code, out, errOut = runCLI(t, "logs", "mine", "--json", plain)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	jl := strings.Split(strings.TrimSpace(out), "\n")
	var sum struct {
		Records   int `json:"records"`
		Templates int `json:"templates"`
	}
	if err := json.Unmarshal([]byte(jl[len(jl)-1]), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Records != 6 || sum.Templates != len(jl)-1 {
		t.Errorf("json summary = %+v with %d template lines; raw format: one record per line", sum, len(jl)-1)
	}

	jsonLog := writeFile(t, dir, "app.json", `{"level":"info","msg":"cache hit for key 12"}`+"\n"+`{"level":"info","msg":"cache hit for key 13"}`+"\nnot json\n")
	code, out, _ = runCLI(t, "logs", "mine", jsonLog, "--format", "json")
	if code != exitOK || !strings.Contains(out, "       2  cache hit for key <*>") || !strings.Contains(out, "1 unparsed by the format") {
		t.Errorf("json format: exit %d\n%s", code, out)
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"logs"}, "a command is required"},
		{[]string{"logs", "frob"}, `unknown command "frob"`},
		{[]string{"logs", "mine"}, "a FILE is required"},
		{[]string{"logs", "mine", plain, "--format", "<Time>"}, "--format"},
		{[]string{"logs", "mine", plain, "--multiline", "("}, "--multiline"},
		{[]string{"logs", "mine", plain, "extra"}, "unexpected arguments"},
	} {
		code, out, errOut := runCLI(t, tt.args...)
		if code != exitUsage || !strings.Contains(out+errOut, tt.want) {
			t.Errorf("%v: exit %d, output %q; want exit 2 and %q", tt.args, code, out+errOut, tt.want)
		}
	}
	if code, _, errOut := runCLI(t, "logs", "mine", dir+"/missing.log"); code != exitRuntime || !strings.Contains(errOut, "no such file") {
		t.Errorf("missing file: exit %d, %q", code, errOut)
	}
}
