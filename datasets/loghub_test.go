package datasets

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// loghubSharedDir is the shared Loghub-2k folder relative to this package.
const loghubSharedDir = "../../shared/datasets/loghub-2k"

func TestFindLoghub(t *testing.T) {
	got, err := FindLoghub(filepath.Join("testdata", "loghub"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join("testdata", "loghub", "Mini"), filepath.Join("testdata", "loghub", "Quoted")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FindLoghub (-want +got):\n%s", diff)
	}
	if _, err := FindLoghub(filepath.Join("testdata", "no-such-dir")); err == nil {
		t.Error("FindLoghub on a missing folder: no error")
	}
}

func TestLoadLoghub(t *testing.T) {
	tests := []struct {
		dir   string
		raw   []string
		truth []LoghubLine
		tmpl  []LoghubTemplate
	}{
		{
			dir: "Mini",
			raw: []string{
				"081109 203615 INFO dfs.DataNode: Receiving block blk_123 src: /10.0.0.1:50010",
				"081109 203616 WARN dfs.DataNode: Receiving block blk_-45 src: /10.0.0.2:50010",
				"  081109 203617 INFO dfs.FSNamesystem: BLOCK* ask 10.0.0.3:50010 to delete blk_9   ",
			},
			truth: []LoghubLine{
				{1, "Receiving block blk_123 src: /10.0.0.1:50010", "E1", "Receiving block <*> src: /<*>:<*>"},
				{2, "Receiving block blk_-45 src: /10.0.0.2:50010", "E1", "Receiving block <*> src: /<*>:<*>"},
				{3, "BLOCK* ask 10.0.0.3:50010 to delete blk_9", "E2", "BLOCK* ask <*>:<*> to delete <*>"},
			},
			tmpl: []LoghubTemplate{{"E1", "Receiving block <*> src: /<*>:<*>"}, {"E2", "BLOCK* ask <*>:<*> to delete <*>"}},
		},
		{ // CRLF, no final newline, RFC 4180 quoting, an empty template
			dir: "Quoted",
			raw: []string{
				`Jun 14 15:16:01 sshd(pam_unix)[19939]: check pass; user "unknown", tty=NODEVssh`,
				`Jun 15 02:04:59 kernel: a, b, "c"`,
				`Jul  1 09:00:00 su(pam_unix)[1]: session opened for user cyrus`,
			},
			truth: []LoghubLine{
				{1, `check pass; user "unknown", tty=NODEVssh`, "E1", `check pass; user "<*>", tty=<*>`},
				{2, `a, b, "c"`, "E2", ""},
				{3, "session opened for user cyrus", "E3", "session opened for user <*>"},
			},
			tmpl: []LoghubTemplate{{"E1", `check pass; user "<*>", tty=<*>`}, {"E2", ""}, {"E3", "session opened for user <*>"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			dir := filepath.Join("testdata", "loghub", tt.dir)
			d, err := LoadLoghub(dir)
			if err != nil {
				t.Fatal(err)
			}
			want := &LoghubDataset{Name: tt.dir, Dir: dir, Raw: tt.raw, Truth: tt.truth, Templates: tt.tmpl}
			if diff := cmp.Diff(want, d); diff != "" {
				t.Errorf("LoadLoghub (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadLoghubSettings(t *testing.T) {
	s, err := LoadLoghubSettings(filepath.Join("testdata", "loghub", LoghubSettingsFile))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]LoghubSettings{
		"Mini": {
			Split:       "shared",
			LogFormat:   "<Date> <Time> <Level> <Component>: <Content>",
			HeaderRegex: `^(?P<Date>.*?)\s+(?P<Time>.*?)\s+(?P<Level>.*?)\s+(?P<Component>.*?):\s+(?P<Content>.*?)$`,
			Masks:       []string{`blk_-?\d+`},
			ST:          0.5,
			Depth:       4,
		},
		"Quoted": {
			LogFormat:   `<Month> <Date> <Time> <Component>(\[<PID>\])?: <Content>`,
			HeaderRegex: `^(?P<Month>.*?)\s+(?P<Date>.*?)\s+(?P<Time>.*?)\s+(?P<Component>.*?)(\[(?P<PID>.*?)\])?:\s+(?P<Content>.*?)$`,
			Masks:       []string{},
			ST:          0.39,
			Depth:       6,
		},
	}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("LoadLoghubSettings (-want +got):\n%s", diff)
	}
}

func TestParseLoghubSettingsErrors(t *testing.T) {
	tests := []struct {
		json string
		want string
	}{
		{`[]`, "cannot unmarshal"},
		{`{"A": {"log_format": "<Date> <Time>"}}`, `dataset "A": log format "<Date> <Time>": no Content field`},
		{`{"A": {"log_format": "<Content>", "st": 1.5}}`, "st 1.5 is outside"},
		{`{"A": {"log_format": "<Content>", "depth": -1}}`, "negative depth"},
		{`{"A": {"log_format": "<Content>", "st": "x"}}`, `dataset "A"`},
	}
	for _, tt := range tests {
		_, err := ParseLoghubSettings([]byte(tt.json))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseLoghubSettings(%s) error = %v, want it to contain %q", tt.json, err, tt.want)
		}
	}
}

func TestLoadLoghubErrors(t *testing.T) {
	write := func(t *testing.T, files map[string]string) string {
		t.Helper()
		dir := filepath.Join(t.TempDir(), "X")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, body := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	const header = "LineId,Content,EventId,EventTemplate\n"
	const tmpl = "EventId,EventTemplate\nE1,a <*>\n"
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"no log", map[string]string{}, "X_2k.log"},
		{"no structured", map[string]string{"X_2k.log": "a 1\n"}, "X_2k.log_structured_corrected.csv"},
		{"row count", map[string]string{"X_2k.log": "a 1\na 2\n", "X_2k.log_structured_corrected.csv": header + "1,a 1,E1,a <*>\n", "X_2k.log_templates_corrected.csv": tmpl}, "has 2 lines but"},
		{"line id", map[string]string{"X_2k.log": "a 1\n", "X_2k.log_structured_corrected.csv": header + "2,a 1,E1,a <*>\n", "X_2k.log_templates_corrected.csv": tmpl}, `LineId "2", want 1`},
		{"missing column", map[string]string{"X_2k.log": "a 1\n", "X_2k.log_structured_corrected.csv": "LineId,Content,EventId\n1,a 1,E1\n", "X_2k.log_templates_corrected.csv": tmpl}, `no column "EventTemplate"`},
		{"bad quoting", map[string]string{"X_2k.log": "a 1\n", "X_2k.log_structured_corrected.csv": header + "1,\"a \"1,E1,a <*>\n", "X_2k.log_templates_corrected.csv": tmpl}, "extraneous"},
		{"ragged row", map[string]string{"X_2k.log": "a 1\n", "X_2k.log_structured_corrected.csv": header + "1,a 1,E1\n", "X_2k.log_templates_corrected.csv": tmpl}, "wrong number of fields"},
		{"no templates", map[string]string{"X_2k.log": "a 1\n", "X_2k.log_structured_corrected.csv": header + "1,a 1,E1,a <*>\n"}, "X_2k.log_templates_corrected.csv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadLoghub(write(t, tt.files))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("LoadLoghub error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestLoghubSharedHeaders checks the real Loghub-2k folder: the regex
// ParseLogFormat derives from every published format equals the published
// header_regex, and for every dataset present it extracts exactly the
// ground truth's Content column from all lines.
func TestLoghubSharedHeaders(t *testing.T) {
	settingsPath := filepath.Join(loghubSharedDir, LoghubSettingsFile)
	if _, err := os.Stat(settingsPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Loghub-2k folder needed in CI: %v", err)
		}
		t.Skipf("Loghub-2k folder absent: %v", err)
	}
	settings, err := LoadLoghubSettings(settingsPath)
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range settings {
		f, err := ParseLogFormat(s.LogFormat)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if f.Regexp() != s.HeaderRegex {
			t.Errorf("%s: derived regex\n %s\npublished\n %s", name, f.Regexp(), s.HeaderRegex)
		}
	}
	dirs, err := FindLoghub(loghubSharedDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) != 10 {
		t.Errorf("found %d datasets, want the 10 shared ones", len(dirs))
	}
	for _, dir := range dirs {
		d, err := LoadLoghub(dir)
		if err != nil {
			t.Error(err)
			continue
		}
		s, ok := settings[d.Name]
		if !ok {
			t.Errorf("%s: no settings", d.Name)
			continue
		}
		f, err := ParseLogFormat(s.LogFormat)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Raw) != 2000 {
			t.Errorf("%s: %d lines, want 2000", d.Name, len(d.Raw))
		}
		bad := 0
		for i, line := range d.Raw {
			rec, ok := f.Parse(line)
			if !ok || rec.Content != d.Truth[i].Content {
				if bad++; bad <= 3 {
					t.Errorf("%s line %d: Content %q (match %v), ground truth %q", d.Name, i+1, rec.Content, ok, d.Truth[i].Content)
				}
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d of %d lines do not extract the ground-truth Content", d.Name, bad, len(d.Raw))
		}
	}
}
