package source

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// kafkaRun consumes with a fresh input of group until it has want
// records, commits their checkpoint if commit is set, and stops.
func kafkaRun(t *testing.T, brokers []string, group string, want int, commit bool) []string {
	t.Helper()
	in, err := OpenLog("k", Config{Type: TypeKafka, Brokers: brokers, Topics: []string{"logs"}, Group: group, StartAt: StartAtBeginning, MaxLineBytes: 64},
		LogOptions{Format: LogFormatConfig{Type: LogFormatLogfmt}})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	batches := make(chan LogBatch)
	errc := make(chan error, 1)
	go func() {
		errc <- in.Run(ctx, func(ctx context.Context, b LogBatch) error {
			select {
			case batches <- b:
			case <-ctx.Done():
			}
			return nil
		})
	}()
	var got []string
	var last Checkpoint
	for len(got) < want {
		b := <-batches
		for _, r := range b.Records {
			got = append(got, fmt.Sprintf("%s %s@%d %s", r.Level, r.Input, r.Offset, r.Message))
		}
		last = b.Checkpoint
	}
	if commit {
		if err := in.Commit(ctx, last); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("Run = %v", err)
	}
	return got
}

func TestKafkaInput(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "logs"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	brokers := c.ListenAddrs()
	prod, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	produce := func(values ...string) {
		t.Helper()
		var rs []*kgo.Record
		for _, v := range values {
			rs = append(rs, &kgo.Record{Topic: "logs", Value: []byte(v)})
		}
		if err := prod.ProduceSync(t.Context(), rs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}

	produce(`level=info msg="user 1 logged in"`, `level=error msg="boom"`+"\n"+"\tat X.y", `msg="bad `+"\xff\x00"+` bytes"`)
	got := kafkaRun(t, brokers, "g", 3, true)
	want := []string{
		"INFO logs/0@0 user 1 logged in",
		"ERROR logs/0@1 boom", // logfmt reads the first line; the trace line is not a pair
		" logs/0@2 bad \uFFFD\uFFFD bytes",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}

	// The group resumes after the committed offsets; records read but
	// not committed are read again by the next member.
	produce(`msg=four`, `msg=five`)
	if diff := cmp.Diff([]string{" logs/0@3 four", " logs/0@4 five"}, kafkaRun(t, brokers, "g", 2, false)); diff != "" {
		t.Errorf("after commit (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{" logs/0@3 four", " logs/0@4 five"}, kafkaRun(t, brokers, "g", 2, true)); diff != "" {
		t.Errorf("uncommitted records (-want +got):\n%s", diff)
	}
	// A huge value is cut to max_line_bytes (64 here); its NUL bytes
	// become U+FFFD.
	produce("msg=" + string(make([]byte, 200)))
	got = kafkaRun(t, brokers, "g", 1, true)
	if want := " logs/0@5 " + strings.Repeat("\uFFFD", 60); len(got) != 1 || got[0] != want {
		t.Errorf("huge record: %q, want %q", got, want)
	}
}
