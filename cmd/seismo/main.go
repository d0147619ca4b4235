// Command seismo is Seismo's command-line interface: the daemon, config
// validation, one-off job runs and the version.
//
// Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // time zones work on machines without a zoneinfo database

	"github.com/seismo-dev/seismo/config"
	"github.com/seismo-dev/seismo/datasets"
	"github.com/seismo-dev/seismo/engine"
	"github.com/seismo-dev/seismo/server"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

// Exit codes.
const (
	exitOK      = 0
	exitRuntime = 1
	exitUsage   = 2
)

// usageError marks errors that deserve exit code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

const topUsage = `Seismo learns the normal shape of business time series and logs and alerts
when they leave it.

Usage:
  seismo <command> [flags]

Commands:
  run          run the engine (scheduler, alerting, HTTP API and UI)
  validate     check a configuration file and print every error
  once         run one job now and print its events
  backtest     replay a monitor over a past range: would-have-fired alerts, alerts/day, recall; --sweep
  detect       score a CSV file, print its anomalies and optionally plot them
  logs mine    mine a log file into templates and print them with their counts
  demo-config  print the built-in demo configuration
  version      print the version

Run 'seismo <command> --help' for the flags of a command.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the CLI and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, topUsage)
		return exitUsage
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "run":
		err = cmdRun(rest, stderr)
	case "validate":
		err = cmdValidate(rest, stdout, stderr)
	case "once":
		err = cmdOnce(rest, stdout, stderr)
	case "backtest":
		err = cmdBacktest(rest, stdout, stderr)
	case "detect":
		err = cmdDetect(rest, stdout, stderr)
	case "logs":
		err = cmdLogs(rest, stdout, stderr)
	case "demo-config":
		err = cmdDemoConfig(rest, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintf(stdout, "seismo %s\n", versionString())
		return exitOK
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, topUsage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "seismo: unknown command %q\n\n%s", cmd, topUsage)
		return exitUsage
	}
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintln(stderr, ue.err)
		return exitUsage
	}
	fmt.Fprintf(stderr, "seismo: %v\n", err)
	return exitRuntime
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// newFlagSet makes a flag set whose errors and help go to stderr.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: seismo %s\n\n%s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and turns flag errors into usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))}
	}
	return nil
}

// loadConfig reads the config file, or the built-in demo configuration when
// path is empty. Configuration errors are usage errors (exit 2).
func loadConfig(path string) (*config.Config, error) {
	var (
		cfg *config.Config
		err error
	)
	if path == "" {
		cfg, err = config.Parse(datasets.DemoConfig(time.Now()), "")
	} else {
		cfg, err = config.Load(path)
	}
	if err != nil {
		return nil, usageError{fmt.Errorf("configuration is invalid:\n%w", err)}
	}
	return cfg, nil
}

// openEngine starts an engine of cfg for a one-shot command, on a context
// that SIGINT and SIGTERM cancel. closeEngine closes the engine and stops
// listening for the signals; call it when done.
func openEngine(cfg *config.Config, logger *slog.Logger) (ctx context.Context, eng *engine.Engine, closeEngine func(), err error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	eng, err = engine.New(ctx, cfg, engine.Options{Logger: logger})
	if err != nil {
		stop()
		return nil, nil, nil, err
	}
	return ctx, eng, func() {
		eng.Close()
		stop()
	}, nil
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Errorf("--log.level: %w", err)}
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageError{fmt.Errorf("--log.format must be text or json, not %q", format)}
}

func cmdRun(args []string, stderr io.Writer) error {
	fs := newFlagSet("run [--config FILE]", "Runs the engine: schedules every monitor, stores events, sends alerts and\nserves the HTTP API and UI until interrupted (SIGINT or SIGTERM).\nWithout --config it runs the built-in demo (see 'seismo demo-config').", stderr)
	cfgPath := fs.String("config", "", "configuration file (default: the built-in demo)")
	listen := fs.String("listen", "", "HTTP listen address, overriding global.listen")
	logLevel := fs.String("log.level", "info", "log level: debug, info, warn, error")
	logFormat := fs.String("log.format", "text", "log format: text or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	logger, err := newLogger(stderr, *logLevel, *logFormat)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	if *listen != "" {
		cfg.Global.Listen = *listen
	}
	if *cfgPath == "" {
		logger.Info("no --config given: running the built-in demo (a simulated brokerage)", "store", cfg.Global.Store.DSN.Value())
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	eng, err := engine.New(ctx, cfg, engine.Options{Logger: logger})
	if err != nil {
		return err
	}
	srv := server.New(server.Options{Addr: cfg.Global.Listen, Engine: eng, Logger: logger.With("component", "http"), Version: versionString()})

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	srvErr := make(chan error, 1)
	go func() {
		err := srv.Run(ctx)
		cancel() // a server that cannot listen stops the engine too
		srvErr <- err
	}()
	engErr := eng.Run(ctx)
	if err := <-srvErr; err != nil {
		return err
	}
	return engErr
}

func cmdValidate(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("validate --config FILE", "Checks a configuration file and prints every problem with its file, line and\nfield. Exits 0 when the file is valid, 2 when it is not.", stderr)
	cfgPath := fs.String("config", "", "configuration file (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *cfgPath == "" {
		return usageError{errors.New("validate: --config is required")}
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: valid: %d monitors, %d sources, %d calendars, %d receivers\n",
		*cfgPath, len(cfg.Monitors), len(cfg.Sources), len(cfg.Calendars), len(cfg.Alerting.Receivers))
	return nil
}

func cmdOnce(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("once [--config FILE] --job NAME [--json]", "Runs one job now, as if it had never run: it judges the monitor's backfill\nwindow (or only its newest point), stores the events and prints them, one\nper line. The last line is a one-line summary. No notification is sent.", stderr)
	cfgPath := fs.String("config", "", "configuration file (default: the built-in demo)")
	job := fs.String("job", "", "name of the job to run (required)")
	asJSON := fs.Bool("json", false, "print events and the summary as JSON lines")
	logLevel := fs.String("log.level", "warn", "log level: debug, info, warn, error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *job == "" {
		return usageError{errors.New("once: --job is required")}
	}
	logger, err := newLogger(stderr, *logLevel, "text")
	if err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	ctx, eng, closeEngine, err := openEngine(cfg, logger)
	if err != nil {
		return err
	}
	defer closeEngine()
	res, err := eng.RunOnce(ctx, *job)
	if err != nil {
		if strings.HasPrefix(err.Error(), "no job named") {
			return usageError{err}
		}
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, ev := range res.Events {
			if err := enc.Encode(ev); err != nil {
				return fmt.Errorf("write event: %w", err)
			}
		}
		return enc.Encode(map[string]any{
			"summary": res.Summary(), "job": res.Job, "series": res.Series, "points": res.Points,
			"evaluated": res.Evaluated, "events": len(res.Events), "stored": res.Stored,
			"dropped": res.Cleaning.Dropped(), "skipped": res.Skipped,
			"models": res.Models, "choices": res.Choices,
		})
	}
	for _, ev := range res.Events {
		fmt.Fprintf(stdout, "%s %s %s value=%.4g expected=%.4g band=[%.4g, %.4g] score=%.2f\n",
			ev.Time.Format(time.RFC3339), ev.Kind, ev.Labels, ev.Value, ev.Expected, ev.Lower, ev.Upper, ev.Score)
	}
	fmt.Fprintln(stdout, res.Summary())
	return nil
}

func cmdDemoConfig(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo-config", "Prints the configuration that 'seismo run' uses without --config: a simulated\nbrokerage with trading sessions, a holiday and injected anomalies.", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	_, err := stdout.Write(datasets.DemoConfig(time.Now()))
	return err
}
