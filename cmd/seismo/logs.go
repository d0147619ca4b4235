package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"github.com/seismo-dev/seismo/logpattern"
	"github.com/seismo-dev/seismo/source"
)

const logsUsage = `Usage: seismo logs <command> [flags]

Commands:
  mine   mine a log file into templates and print them with their counts
`

func cmdLogs(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, logsUsage)
		return usageError{errors.New("logs: a command is required")}
	}
	switch args[0] {
	case "mine":
		return cmdLogsMine(args[1:], stdout, stderr)
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, logsUsage)
		return nil
	}
	return usageError{fmt.Errorf("logs: unknown command %q\n\n%s", args[0], logsUsage)}
}

// mineSummary is the last line of `seismo logs mine`.
type mineSummary struct {
	File      string           `json:"file"`
	Records   uint64           `json:"records"`
	Templates int              `json:"templates"`
	Input     source.LogStats  `json:"input"`
	Miner     logpattern.Stats `json:"miner"`
	Summary   string           `json:"summary"`
}

func cmdLogsMine(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("logs mine FILE [--format F] [--multiline RE] [--json]",
		`Mines a log file (- for standard input) into templates and prints them with
their counts, the most frequent first; the last line is a summary. The miner
uses Seismo's default settings, as a log stream without miner: settings does.

--format says where the message is: raw (the whole line, default), json,
logfmt, regexp:EXPR (named groups, one named Content), or a <Name> format
such as "<Date> <Time> <Level> <Content>".`, stderr)
	format := fs.String("format", "raw", "line format: raw, json, logfmt, regexp:EXPR or a <Name> format")
	multiline := fs.String("multiline", "", "regular expression that starts a record; other lines join the record before them")
	asJSON := fs.Bool("json", false, "print templates and the summary as JSON lines")
	// The file comes first (seismo logs mine app.log --json) or last.
	var file string
	if len(args) > 0 && (args[0] == "-" || !isFlag(args[0])) {
		file, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	rest := fs.Args()
	if file == "" && len(rest) > 0 {
		file, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 {
		return usageError{fmt.Errorf("logs mine: unexpected arguments %v", rest)}
	}
	if file == "" {
		return usageError{errors.New("logs mine: a FILE is required (- for standard input)")}
	}
	opts := source.LogOptions{Format: source.ParseLogFormatFlag(*format), Multiline: source.MultilineConfig{Start: *multiline}}
	opts.Format.ApplyDefaults()
	opts.Multiline.ApplyDefaults()
	if err := opts.Format.Validate(); err != nil {
		return usageError{fmt.Errorf("--format: %w", err)}
	}
	if err := opts.Multiline.Validate(); err != nil {
		return usageError{fmt.Errorf("--multiline: %w", err)}
	}
	var r io.Reader = os.Stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return fmt.Errorf("logs mine: %w", err)
		}
		defer f.Close()
		r = f
	}
	in, err := source.NewReaderLogInput("mine", file, r, opts)
	if err != nil {
		return usageError{fmt.Errorf("logs mine: %w", err)}
	}
	miner, err := logpattern.New(logpattern.Config{NoParams: true})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := in.Run(ctx, func(_ context.Context, b source.LogBatch) error {
		for _, rec := range b.Records {
			miner.Add(rec.Message)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("logs mine: read %s: %w", file, err)
	}

	ts := miner.Templates()
	slices.SortStableFunc(ts, func(a, b logpattern.Template) int {
		switch {
		case a.Count > b.Count:
			return -1
		case a.Count < b.Count:
			return 1
		}
		return 0
	})
	ist, mst := in.Stats(), miner.Stats()
	sum := mineSummary{File: file, Records: ist.Records, Templates: len(ts), Input: ist, Miner: mst}
	sum.Summary = fmt.Sprintf("%s: %d records (%d lines) mined into %d templates; %d unparsed by the format, %d lines cut at 1 MiB, %d with invalid UTF-8, %d with control bytes, %d empty, %d binary not mined",
		file, ist.Records, ist.Lines, len(ts), ist.Unparsed, ist.TooLong, ist.InvalidUTF8, ist.Binary, mst.Empty, mst.Binary)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		for _, t := range ts {
			if err := enc.Encode(t); err != nil {
				return fmt.Errorf("write template: %w", err)
			}
		}
		return enc.Encode(sum)
	}
	for _, t := range ts {
		fmt.Fprintf(stdout, "%8d  %s\n", t.Count, t.Template)
	}
	fmt.Fprintln(stdout, sum.Summary)
	return nil
}

func isFlag(s string) bool { return len(s) > 1 && s[0] == '-' }
