package source

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seismo-dev/seismo/config/field"
)

func TestReaderInputToEOF(t *testing.T) {
	r, w := io.Pipe()
	in, err := OpenLog("in", Config{Type: TypeStdin}, LogOptions{
		Stdin:     r,
		Multiline: MultilineConfig{Start: `^\S`, Timeout: field.Duration(time.Hour)},
	})
	if err != nil {
		t.Fatal(err)
	}
	col := &collector{}
	errc := make(chan error, 1)
	go func() { errc <- in.Run(context.Background(), col.sink) }()
	for _, s := range []string{"first\n", "  cont", "inued\nsecond\n", "last without newline"} {
		if _, err := io.WriteString(w, s); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	if err := <-errc; err != nil {
		t.Fatalf("Run = %v, want nil at EOF", err)
	}
	want := []string{"first\n  continued", "second", "last without newline"}
	if diff := cmp.Diff(want, col.take()); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	if col.records != nil {
		t.Fatal("take left records")
	}
}

func TestReaderInputTimeoutFlush(t *testing.T) {
	r, w := io.Pipe()
	defer w.Close()
	in, err := OpenLog("in", Config{Type: TypeStdin}, LogOptions{
		Stdin:     r,
		Multiline: MultilineConfig{Start: `^\S`, Timeout: field.Duration(time.Millisecond)},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 4)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		errc <- in.Run(ctx, func(_ context.Context, b LogBatch) error {
			for _, r := range b.Records {
				got <- r.Message
			}
			return nil
		})
	}()
	if _, err := io.WriteString(w, "alone\n"); err != nil {
		t.Fatal(err)
	}
	// No next line comes: the record is handed out on its timeout.
	if m := <-got; m != "alone" {
		t.Errorf("message = %q, want alone", m)
	}
	// Run stops while a read is blocked: the pipe is closed to unblock it.
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("Run = %v, want nil after cancel", err)
	}
}
