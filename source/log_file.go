package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Values of Config.StartAt.
const (
	StartAtEnd       = "end"       // skip what a file (or topic) held before Seismo first saw it
	StartAtBeginning = "beginning" // read it whole
)

// fileInput follows the files matching its globs like tail -F: files that
// appear later are read from their start, a file renamed away is read to
// its end and closed, a file that shrinks (copytruncate) is read again
// from its start, and the offsets of a Checkpoint resume each file after a
// restart. It polls: there is no inotify dependency, and tests drive it
// by calling poll.
type fileInput struct {
	name       string
	globs      []string
	interval   time.Duration
	startAtEnd bool
	maxLine    int
	offsets    OffsetStore
	log        *slog.Logger
	p          *pipeline
	stats      logCounters

	// The fields below belong to the goroutine running Run (or poll).
	files    map[fileKey]*tailed
	stored   map[fileKey]int64 // offsets loaded at the first poll, used once
	loaded   bool
	polled   bool
	out      []Record
	buf      []byte
	lastCkpt []FileOffset
}

// fileKey identifies a file across renames: its device and inode, or its
// path where the system has no inodes.
type fileKey struct {
	dev, ino uint64
	path     string
}

func keyOf(path string, fi os.FileInfo) fileKey {
	if dev, ino, ok := fileID(fi); ok {
		return fileKey{dev: dev, ino: ino}
	}
	return fileKey{path: path}
}

// tailed is one file being followed.
type tailed struct {
	path  string
	key   fileKey
	f     *os.File
	split splitter
	asm   assembler
}

func newFileInput(name string, cfg Config, opts LogOptions, p *pipeline) *fileInput {
	in := &fileInput{
		name:       name,
		globs:      cfg.logPaths(),
		interval:   cfg.PollInterval.Std(),
		startAtEnd: cfg.StartAt != StartAtBeginning,
		maxLine:    cfg.MaxLineBytes,
		offsets:    opts.Offsets,
		log:        opts.Logger,
		p:          p,
		files:      map[fileKey]*tailed{},
		buf:        make([]byte, 64<<10),
	}
	p.stats = &in.stats
	return in
}

// Run polls every interval until ctx is done.
func (in *fileInput) Run(ctx context.Context, sink LogSink) error {
	defer in.closeAll()
	tick := time.NewTicker(in.interval)
	defer tick.Stop()
	for {
		if err := in.poll(ctx, sink); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// Commit saves the checkpoint's offsets.
func (in *fileInput) Commit(ctx context.Context, cp Checkpoint) error {
	if in.offsets == nil || cp.files == nil {
		return nil
	}
	if err := in.offsets.SaveOffsets(ctx, cp.files); err != nil {
		return fmt.Errorf("log input %q: save offsets: %w", in.name, err)
	}
	return nil
}

// Stats returns the counters.
func (in *fileInput) Stats() LogStats { return in.stats.snapshot() }

// Close does nothing: Run closes the files when it returns.
func (in *fileInput) Close() error { return nil }

// poll does one pass: it finds the files, reads what they gained, hands
// the records to sink and flushes multi-line records that waited too long.
func (in *fileInput) poll(ctx context.Context, sink LogSink) error {
	if !in.loaded {
		if err := in.loadOffsets(ctx); err != nil {
			return err
		}
		in.loaded = true
	}
	paths := in.match()
	byPath := make(map[string]*tailed, len(in.files))
	for _, t := range in.files {
		byPath[t.path] = t
	}
	seen := make(map[fileKey]bool, len(paths))
	for _, path := range paths {
		fi, err := os.Stat(path)
		if err != nil || !fi.Mode().IsRegular() {
			continue // gone since the glob, or a folder or device
		}
		key := keyOf(path, fi)
		if seen[key] {
			continue // the same file under two matching names
		}
		seen[key] = true
		t := in.files[key]
		if t == nil {
			if old := byPath[path]; old != nil && old.key != key {
				in.stats.rotations.Add(1)
			}
			if t, err = in.open(path, key, fi.Size()); err != nil {
				in.stats.readErrors.Add(1)
				in.log.Warn("open log file", "input", in.name, "path", path, "err", err)
				continue
			}
			in.files[key] = t
		}
		t.path = path
		if fi.Size() < t.split.pos {
			// Truncated under us (copytruncate): what was pending is all
			// there will be of it; read the new content from the start.
			in.stats.truncations.Add(1)
			t.split.flush(t.asm.line)
			t.asm.flush()
			t.split.reset(0)
		}
		if err := in.read(ctx, t, sink); err != nil {
			return err
		}
	}
	// Files that no longer match (renamed away by rotation, or deleted)
	// are read to their end through the open handle, then closed.
	for key, t := range in.files {
		if seen[key] {
			continue
		}
		if err := in.read(ctx, t, sink); err != nil {
			return err
		}
		t.split.flush(t.asm.line)
		t.asm.flush()
		if err := t.f.Close(); err != nil {
			in.log.Warn("close log file", "input", in.name, "path", t.path, "err", err)
		}
		delete(in.files, key)
	}
	now := in.p.now()
	for _, t := range in.files {
		t.asm.flushDue(now)
	}
	in.polled = true
	return in.deliver(ctx, sink, true)
}

// match expands the globs, sorted and without duplicates.
func (in *fileInput) match() []string {
	var out []string
	for _, g := range in.globs {
		m, err := filepath.Glob(g)
		if err != nil {
			continue // validated at open; cannot happen
		}
		out = append(out, m...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// open starts following a file: at its stored offset, else at its end if
// it existed before the first poll and start_at is end, else at its start.
func (in *fileInput) open(path string, key fileKey, size int64) (*tailed, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	var pos int64
	if off, ok := in.stored[key]; ok {
		delete(in.stored, key)
		if off <= size {
			pos = off
		} else {
			in.stats.truncations.Add(1) // shrank while we were away
		}
	} else if in.startAtEnd && !in.polled {
		pos = size
	}
	t := &tailed{path: path, key: key, f: f, split: splitter{max: in.maxLine}}
	t.split.reset(pos)
	t.asm = assembler{p: in.p, input: path, out: &in.out}
	return t, nil
}

// read reads t from where it stopped to its current end.
func (in *fileInput) read(ctx context.Context, t *tailed, sink LogSink) error {
	for {
		n, err := t.f.ReadAt(in.buf, t.split.pos)
		if n > 0 {
			t.split.feed(in.buf[:n], t.asm.line, &in.stats)
			if len(in.out) >= logBatchSize {
				if err := in.deliver(ctx, sink, false); err != nil {
					return err
				}
			}
		}
		switch {
		case errors.Is(err, io.EOF), n == 0 && err == nil:
			return nil
		case err != nil:
			in.stats.readErrors.Add(1)
			in.log.Warn("read log file", "input", in.name, "path", t.path, "err", err)
			return nil // retried at the next poll
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// deliver hands the finished records to sink with the checkpoint after
// them. With always, a batch without records is handed out too when the
// checkpoint moved (a file opened at its end), so that it gets saved.
func (in *fileInput) deliver(ctx context.Context, sink LogSink, always bool) error {
	cp := in.checkpoint()
	if len(in.out) == 0 && (!always || slices.Equal(cp, in.lastCkpt)) {
		return nil
	}
	b := LogBatch{Records: in.out, Checkpoint: Checkpoint{files: cp}}
	in.out = nil
	in.lastCkpt = cp
	return sink(ctx, b)
}

// checkpoint lists where each followed file resumes, by path.
func (in *fileInput) checkpoint() []FileOffset {
	cp := make([]FileOffset, 0, len(in.files))
	for _, t := range in.files {
		cp = append(cp, FileOffset{Path: t.path, Device: t.key.dev, Inode: t.key.ino, Offset: t.asm.resume(t.split.start)})
	}
	slices.SortFunc(cp, func(a, b FileOffset) int {
		switch {
		case a.Path < b.Path:
			return -1
		case a.Path > b.Path:
			return 1
		}
		return 0
	})
	return cp
}

func (in *fileInput) loadOffsets(ctx context.Context) error {
	in.stored = map[fileKey]int64{}
	if in.offsets == nil {
		return nil
	}
	offs, err := in.offsets.LoadOffsets(ctx)
	if err != nil {
		return fmt.Errorf("log input %q: load offsets: %w", in.name, err)
	}
	for _, o := range offs {
		k := fileKey{dev: o.Device, ino: o.Inode}
		if o.Inode == 0 {
			k = fileKey{path: o.Path}
		}
		in.stored[k] = o.Offset
	}
	return nil
}

func (in *fileInput) closeAll() {
	for key, t := range in.files {
		_ = t.f.Close() // read-only: nothing to lose
		delete(in.files, key)
	}
}
