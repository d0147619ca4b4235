package source

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"time"
)

// readerInput reads log lines from a reader: the standard input. It ends
// at EOF, handing out the last line and the pending record first.
type readerInput struct {
	name  string
	r     io.Reader
	log   *slog.Logger
	p     *pipeline
	split splitter
	asm   assembler
	out   []Record
	stats logCounters
}

func newReaderInput(name, input string, r io.Reader, maxLine int, opts LogOptions, p *pipeline) *readerInput {
	if r == nil {
		r = os.Stdin
	}
	in := &readerInput{name: name, r: r, log: opts.Logger, p: p, split: splitter{max: maxLine}}
	p.stats = &in.stats
	in.asm = assembler{p: p, input: input, out: &in.out}
	return in
}

// NewReaderLogInput returns a log input reading lines from r until EOF,
// named input in its records ("stdin" for the standard input), with the
// stream's format and multi-line rule. Closing r (when it is an
// io.Closer) is how Run interrupts a blocked read when ctx is done.
func NewReaderLogInput(name, input string, r io.Reader, opts LogOptions) (LogInput, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	var stats logCounters
	p, err := newPipeline(opts.Format, opts.Multiline, opts.Now, &stats)
	if err != nil {
		return nil, err
	}
	return newReaderInput(name, input, r, DefaultMaxLineBytes, opts, p), nil
}

// Commit does nothing: a reader cannot be resumed.
func (in *readerInput) Commit(context.Context, Checkpoint) error { return nil }

// Stats returns the counters.
func (in *readerInput) Stats() LogStats { return in.stats.snapshot() }

// Close does nothing: the reader belongs to the caller.
func (in *readerInput) Close() error { return nil }

type chunk struct {
	b   []byte
	err error
}

// Run reads until EOF or ctx is done. The read loop runs in a goroutine
// of its own so that a multi-line record can be flushed on its timeout
// while no line arrives; when ctx is done Run interrupts the read (a read
// deadline for files and pipes that support one, else Close) and waits for
// the goroutine. A reader that supports neither (a terminal on stdin) keeps
// its goroutine blocked until the process exits.
func (in *readerInput) Run(ctx context.Context, sink LogSink) error {
	chunks := make(chan chunk)
	next := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 64<<10)
		for {
			n, err := in.r.Read(buf)
			select {
			case chunks <- chunk{buf[:n], err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
			select { // the main loop is done with buf
			case <-next:
			case <-ctx.Done():
				return
			}
		}
	}()
	stop := func() {
		if !in.interrupt() {
			return // nothing can unblock the read: do not wait for it
		}
		<-done
	}
	var timer *time.Timer
	var timeout <-chan time.Time
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			stop()
			return nil
		case <-timeout:
			in.asm.flushDue(in.p.now())
			timeout = nil
			if err := in.deliver(ctx, sink); err != nil {
				stop()
				return err
			}
		case c := <-chunks:
			in.split.feed(c.b, in.asm.line, &in.stats)
			if c.err != nil {
				in.split.flush(in.asm.line)
				in.asm.flush()
				err := in.deliver(ctx, sink)
				<-done
				if errors.Is(c.err, io.EOF) || err != nil {
					return err
				}
				in.stats.readErrors.Add(1)
				return c.err
			}
			if err := in.deliver(ctx, sink); err != nil {
				stop()
				return err
			}
			if in.asm.pending && timeout == nil {
				if timer == nil {
					timer = time.NewTimer(in.p.timeout)
				} else {
					timer.Reset(in.p.timeout)
				}
				timeout = timer.C
			}
			select {
			case next <- struct{}{}:
			case <-ctx.Done():
				stop()
				return nil
			}
		}
	}
}

// interrupt unblocks a pending Read, reporting whether it could.
func (in *readerInput) interrupt() bool {
	if d, ok := in.r.(interface{ SetReadDeadline(time.Time) error }); ok {
		if d.SetReadDeadline(time.Now()) == nil {
			return true
		}
	}
	if in.r == os.Stdin {
		return false // closing fd 0 does not unblock a read on it
	}
	if c, ok := in.r.(io.Closer); ok {
		return c.Close() == nil
	}
	return false
}

func (in *readerInput) deliver(ctx context.Context, sink LogSink) error {
	if len(in.out) == 0 {
		return nil
	}
	b := LogBatch{Records: in.out}
	in.out = nil
	return sink(ctx, b)
}
