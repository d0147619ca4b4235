package source

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seismo-dev/seismo/config/field"
)

// collector is a LogSink that keeps what it is given.
type collector struct {
	mu      sync.Mutex
	records []Record
	last    Checkpoint
	batches int
}

func (c *collector) sink(_ context.Context, b LogBatch) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.records = append(c.records, b.Records...)
	c.batches++
	if !b.Checkpoint.IsZero() {
		c.last = b.Checkpoint
	}
	return nil
}

// take returns the messages collected since the last take.
func (c *collector) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, r := range c.records {
		out = append(out, r.Message)
	}
	c.records = nil
	return out
}

// memOffsets is an in-memory OffsetStore.
type memOffsets struct {
	mu   sync.Mutex
	offs []FileOffset
}

func (m *memOffsets) LoadOffsets(context.Context) ([]FileOffset, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]FileOffset(nil), m.offs...), nil
}

func (m *memOffsets) SaveOffsets(_ context.Context, offs []FileOffset) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.offs = append([]FileOffset(nil), offs...)
	return nil
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, path, content string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(content); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

type fileTest struct {
	t   *testing.T
	in  *fileInput
	col *collector
	clk *clock
}

func newFileTest(t *testing.T, cfg Config, opts LogOptions) *fileTest {
	t.Helper()
	cfg.Type = TypeFile
	clk := &clock{t: time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)}
	if opts.Now == nil {
		opts.Now = clk.now
	}
	in, err := OpenLog("app", cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	ft := &fileTest{t: t, in: in.(*fileInput), col: &collector{}, clk: clk}
	t.Cleanup(ft.in.closeAll)
	return ft
}

// poll runs one pass and returns the messages it produced.
func (ft *fileTest) poll() []string {
	ft.t.Helper()
	if err := ft.in.poll(context.Background(), ft.col.sink); err != nil {
		ft.t.Fatal(err)
	}
	return ft.col.take()
}

func (ft *fileTest) expect(want ...string) {
	ft.t.Helper()
	if diff := cmp.Diff(want, ft.poll()); diff != "" {
		ft.t.Errorf("messages (-want +got):\n%s", diff)
	}
}

func TestFileInputFollows(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.log")
	writeFile(t, a, "old 1\nold 2\n")
	ft := newFileTest(t, Config{Path: filepath.Join(dir, "*.log")}, LogOptions{})

	ft.expect() // start_at end: what was there before is skipped
	appendFile(t, a, "new 1\nnew 2\npartial")
	ft.expect("new 1", "new 2")
	appendFile(t, a, " line\n")
	ft.expect("partial line")

	// A file that appears later is read from its start.
	b := filepath.Join(dir, "b.log")
	writeFile(t, b, "b 1\n")
	ft.expect("b 1")
	// A file outside the glob is ignored.
	writeFile(t, filepath.Join(dir, "c.txt"), "c 1\n")
	ft.expect()
	if got := ft.in.Stats().Lines; got != 4 {
		t.Errorf("Lines = %d, want 4", got)
	}
}

func TestFileInputStartAtBeginning(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.log")
	writeFile(t, a, "one\r\ntwo\n\nthree\n")
	ft := newFileTest(t, Config{Path: a, StartAt: StartAtBeginning}, LogOptions{})
	ft.expect("one", "two", "", "three")
}

func TestFileInputRenameRotation(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "app.log")
	writeFile(t, a, "")
	ft := newFileTest(t, Config{Path: a}, LogOptions{})
	ft.expect()
	appendFile(t, a, "before 1\n")
	ft.expect("before 1")

	// The writer adds a line, then the file is renamed away and a new one
	// created under the name, all between two polls.
	appendFile(t, a, "before 2\nunterminated")
	if err := os.Rename(a, a+".1"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, a, "after 1\n")
	got := ft.poll()
	want := []string{"after 1", "before 2", "unterminated"}
	if diff := cmp.Diff(want, got, cmpSortStrings); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	if got := ft.in.Stats().Rotations; got != 1 {
		t.Errorf("Rotations = %d, want 1", got)
	}
	appendFile(t, a+".1", "late write to the old file\n") // no longer followed
	appendFile(t, a, "after 2\n")
	ft.expect("after 2")
}

// cmpSortStrings compares string slices as multisets: files are read one
// after the other, in an order that is not part of the contract.
var cmpSortStrings = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

func TestFileInputCopyTruncate(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "app.log")
	writeFile(t, a, "")
	ft := newFileTest(t, Config{Path: a}, LogOptions{})
	ft.poll()
	appendFile(t, a, "a fairly long line number one\na fairly long line number two\n")
	ft.expect("a fairly long line number one", "a fairly long line number two")

	// copytruncate: the content is copied elsewhere and the file emptied
	// in place; the writer goes on appending to it.
	if err := os.Truncate(a, 0); err != nil {
		t.Fatal(err)
	}
	appendFile(t, a, "short\n")
	ft.expect("short")
	if got := ft.in.Stats().Truncations; got != 1 {
		t.Errorf("Truncations = %d, want 1", got)
	}
	appendFile(t, a, "next\n")
	ft.expect("next")
}

func TestFileInputResume(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "app.log")
	b := filepath.Join(dir, "b.log")
	writeFile(t, a, "")
	writeFile(t, b, "")
	store := &memOffsets{}
	cfg := Config{Path: filepath.Join(dir, "*.log")}

	first := newFileTest(t, cfg, LogOptions{Offsets: store})
	first.poll()
	appendFile(t, a, "1\n2\n")
	appendFile(t, b, "b1\n")
	first.expect("1", "2", "b1")
	if err := first.in.Commit(context.Background(), first.col.last); err != nil {
		t.Fatal(err)
	}
	appendFile(t, a, "3\n") // read, but never committed: read again after the restart
	first.expect("3")
	first.in.closeAll()

	// Down for a while: lines written meanwhile are not lost, and b.log
	// was truncated and rewritten shorter than its stored offset.
	appendFile(t, a, "4\n")
	writeFile(t, b, "")
	second := newFileTest(t, cfg, LogOptions{Offsets: store})
	second.expect("3", "4")
	appendFile(t, b, "b2\n")
	second.expect("b2")

	offs, _ := store.LoadOffsets(context.Background())
	if len(offs) != 2 || offs[0].Path != a || offs[0].Offset != 4 || offs[1].Offset != 3 {
		t.Errorf("stored offsets = %+v, want app.log at 4 and b.log at 3", offs)
	}
}

func TestFileInputMultiline(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "app.log")
	writeFile(t, a, "")
	store := &memOffsets{}
	opts := LogOptions{
		Offsets:   store,
		Format:    LogFormatConfig{Type: LogFormatPattern, Pattern: "<Date> <Time> <Level> <Content>"},
		Multiline: MultilineConfig{Start: `^\d{4}-`, Timeout: field.Duration(5 * time.Second)},
	}
	ft := newFileTest(t, Config{Path: a}, opts)
	ft.poll()
	appendFile(t, a, "2025-03-04 10:00:00 INFO started\n"+
		"2025-03-04 10:00:01 ERROR failed: boom\n"+
		"java.lang.RuntimeException: boom\n"+
		"\tat A.b(A.java:1)\n")
	ft.expect("started") // the error may go on: it waits
	if err := ft.in.Commit(context.Background(), ft.col.last); err != nil {
		t.Fatal(err)
	}
	offs, _ := store.LoadOffsets(context.Background())
	if want := int64(len("2025-03-04 10:00:00 INFO started\n")); len(offs) != 1 || offs[0].Offset != want {
		t.Errorf("checkpoint = %+v, want the pending record's first line at %d", offs, want)
	}

	ft.clk.add(4 * time.Second)
	ft.expect()
	ft.clk.add(time.Second) // its timeout: handed out without a next line
	got := ft.poll()
	want := []string{"failed: boom\njava.lang.RuntimeException: boom\n\tat A.b(A.java:1)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	st := ft.in.Stats()
	if st.Joined != 2 || st.TimedFlushes != 1 || st.Records != 2 {
		t.Errorf("stats = %+v, want 2 joined, 1 timed flush, 2 records", st)
	}

	// A line that does not start a record and has nothing to join starts one.
	appendFile(t, a, "orphan line\n2025-03-04 10:00:02 WARN next\n")
	ft.expect("orphan line")
	if got := ft.in.Stats().Unparsed; got != 1 {
		t.Errorf("Unparsed = %d, want 1", got)
	}
}

func TestFileInputFormatFields(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "app.log")
	writeFile(t, a, "2025-03-04 10:00:00 warn disk low\nnot matching\n")
	ft := newFileTest(t, Config{Path: a, StartAt: StartAtBeginning}, LogOptions{
		Format: LogFormatConfig{Type: LogFormatPattern, Pattern: "<Date> <Clock> <Level> <Content>", TimeFormat: ""},
	})
	if err := ft.in.poll(context.Background(), ft.col.sink); err != nil {
		t.Fatal(err)
	}
	// The pattern has no Time field: the record gets its read time.
	ft.col.mu.Lock()
	defer ft.col.mu.Unlock()
	if len(ft.col.records) != 2 {
		t.Fatalf("%d records, want 2", len(ft.col.records))
	}
	r := ft.col.records[0]
	want := Record{Time: ft.clk.now(), Level: "WARN", Message: "disk low", Input: a, Offset: 0}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
	if r := ft.col.records[1]; r.Message != "not matching" || r.Offset != int64(len("2025-03-04 10:00:00 warn disk low\n")) {
		t.Errorf("unparsed record = %+v", r)
	}
}

func TestFileInputTimeField(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "app.log")
	writeFile(t, a, `{"ts":"2025-01-02T03:04:05Z","level":"error","msg":"x"}`+"\n"+`{"ts":"garbage","msg":"y"}`+"\n")
	ft := newFileTest(t, Config{Path: a, StartAt: StartAtBeginning}, LogOptions{Format: LogFormatConfig{Type: LogFormatJSON}})
	if err := ft.in.poll(context.Background(), ft.col.sink); err != nil {
		t.Fatal(err)
	}
	recs := ft.col.records
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2", len(recs))
	}
	if want := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC); !recs[0].Time.Equal(want) || recs[0].Level != "ERROR" {
		t.Errorf("record 0 = %+v, want time %s and level ERROR", recs[0], want)
	}
	if !recs[1].Time.Equal(ft.clk.now()) {
		t.Errorf("record 1 time = %s, want the read time for an unparsable time", recs[1].Time)
	}
}

func TestFileInputBadInput(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "app.log")
	huge := strings.Repeat("x", 3<<20) // 3 MiB without a newline, then one
	content := "ok\n" + huge + "\n" + "bad \xff\xfe utf8\n" + "bin\x00\x01ary\n" + "é fine\n"
	writeFile(t, a, content)
	ft := newFileTest(t, Config{Path: a, StartAt: StartAtBeginning, MaxLineBytes: 1 << 20}, LogOptions{})
	got := ft.poll()
	if len(got) != 5 {
		t.Fatalf("%d records, want 5", len(got))
	}
	if len(got[1]) != 1<<20 {
		t.Errorf("huge line kept %d bytes, want 1 MiB", len(got[1]))
	}
	want := []string{"ok", "bad \uFFFD\uFFFD utf8", "bin\uFFFD\uFFFDary", "é fine"}
	if diff := cmp.Diff(want, []string{got[0], got[2], got[3], got[4]}); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	st := ft.in.Stats()
	if st.TooLong != 1 || st.InvalidUTF8 != 1 || st.Binary != 1 {
		t.Errorf("stats = %+v, want 1 too long, 1 invalid UTF-8, 1 binary", st)
	}
	// The offset after the huge line is exact: the next line resumes there.
	appendFile(t, a, "after\n")
	ft.expect("after")
}

func TestFileInputBatches(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "app.log")
	// Batches are cut between reads of 64 KiB: 4 × 1024 lines of 100
	// bytes need several reads, so several batches.
	var b strings.Builder
	line := strings.Repeat("y", 99) + "\n"
	for range 4 * logBatchSize {
		b.WriteString(line)
	}
	writeFile(t, a, b.String())
	ft := newFileTest(t, Config{Path: a, StartAt: StartAtBeginning}, LogOptions{})
	if got := len(ft.poll()); got != 4*logBatchSize {
		t.Errorf("%d records, want %d", got, 4*logBatchSize)
	}
	if ft.col.batches < 4 {
		t.Errorf("%d batches, want at least 4 (batches are bounded)", ft.col.batches)
	}
}

func TestFileInputSinkError(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "app.log")
	writeFile(t, a, "x\n")
	in, err := OpenLog("app", Config{Type: TypeFile, Path: a, StartAt: StartAtBeginning, PollInterval: field.Duration(time.Hour)}, LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err = in.Run(context.Background(), func(context.Context, LogBatch) error { return boom })
	if !errors.Is(err, boom) {
		t.Errorf("Run = %v, want the sink's error", err)
	}
}

func TestFileInputRunStops(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "app.log")
	writeFile(t, a, "x\n")
	in, err := OpenLog("app", Config{Type: TypeFile, Path: a, StartAt: StartAtBeginning, PollInterval: field.Duration(time.Hour)}, LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan string, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- in.Run(ctx, func(_ context.Context, b LogBatch) error {
			for _, r := range b.Records {
				got <- r.Message
			}
			return nil
		})
	}()
	if m := <-got; m != "x" {
		t.Errorf("message = %q", m)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("Run = %v, want nil after cancel", err)
	}
}

func TestLogConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string // substring of the error; "" for valid
	}{
		{"file ok", Config{Type: TypeFile, Path: "/var/log/*.log"}, ""},
		{"file paths ok", Config{Type: TypeFile, Paths: []string{"a.log", "b/*.log"}}, ""},
		{"file without path", Config{Type: TypeFile}, "path: required"},
		{"bad glob", Config{Type: TypeFile, Path: "[x"}, "invalid glob"},
		{"bad start_at", Config{Type: TypeFile, Path: "a", StartAt: "middle"}, "start_at"},
		{"url on file", Config{Type: TypeFile, Path: "a", URL: "http://x"}, "url: does not apply to a file source"},
		{"stdin ok", Config{Type: TypeStdin}, ""},
		{"paths on stdin", Config{Type: TypeStdin, Paths: []string{"a"}}, "paths: does not apply"},
		{"kafka ok", Config{Type: TypeKafka, Brokers: []string{"127.0.0.1:9092"}, Topics: []string{"logs"}}, ""},
		{"kafka bad broker", Config{Type: TypeKafka, Brokers: []string{"nohost"}, Topics: []string{"logs"}}, "brokers[0]"},
		{"kafka no topics", Config{Type: TypeKafka, Brokers: []string{"h:1"}}, "topics: required"},
		{"small max line", Config{Type: TypeStdin, MaxLineBytes: 3}, "max_line_bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.cfg
			c.ApplyDefaults()
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if err := (Config{Type: TypeFile, Path: "a"}).ValidateQuery("x"); err == nil {
		t.Error("ValidateQuery on a log input: want an error")
	}
}

func TestLogFormatConfigValidate(t *testing.T) {
	tests := []struct {
		cfg  LogFormatConfig
		want string
	}{
		{LogFormatConfig{}, ""},
		{LogFormatConfig{Pattern: "<Time> <Content>"}, ""},
		{LogFormatConfig{Type: LogFormatRegexp, Pattern: `^(?P<Content>.*)$`}, ""},
		{LogFormatConfig{Type: LogFormatJSON, MessageKey: "m"}, ""},
		{LogFormatConfig{Type: LogFormatPattern}, "pattern: required"},
		{LogFormatConfig{Type: LogFormatPattern, Pattern: "<Time>"}, "no Content field"},
		{LogFormatConfig{Type: LogFormatRegexp, Pattern: `(`}, "pattern"},
		{LogFormatConfig{Type: "xml"}, "type: unknown format type"},
		{LogFormatConfig{Type: LogFormatPattern, Pattern: "<Content>", MessageKey: "m"}, "message_key"},
		{LogFormatConfig{TimeFormat: "nonsense"}, "time_format"},
		{LogFormatConfig{Timezone: "Mars/Base"}, "timezone"},
	}
	for _, tt := range tests {
		c := tt.cfg
		c.ApplyDefaults()
		err := c.Validate()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%+v: Validate = %v, want nil", tt.cfg, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%+v: Validate = %v, want an error containing %q", tt.cfg, err, tt.want)
		}
	}
	for _, tt := range []struct {
		m    MultilineConfig
		want string
	}{
		{MultilineConfig{}, ""},
		{MultilineConfig{Start: `^\d`}, ""},
		{MultilineConfig{Start: `(`}, "start"},
		{MultilineConfig{MaxLines: 3}, "start: required"},
	} {
		m := tt.m
		m.ApplyDefaults()
		err := m.Validate()
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%+v: Validate = %v, want %q", tt.m, err, tt.want)
		}
	}
}
