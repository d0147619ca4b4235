package datasets

// This file reads the Loghub-2k log-parsing benchmark layout (see the
// README of ../shared/datasets/loghub-2k). Like the NAB loader it does
// file I/O: loading a benchmark corpus from disk is the whole point.
//
// A Loghub root directory holds
//
//	benchmark_settings.json                              per dataset: log format, masks, st, depth
//	<D>/<D>_2k.log                                       raw lines (LF or CRLF)
//	<D>/<D>_2k.log_structured_corrected.csv              LineId, header fields, Content, EventId, EventTemplate
//	<D>/<D>_2k.log_templates_corrected.csv               EventId, EventTemplate
//
// The CSV files use RFC 4180 quoting. Row i of the structured file is
// line i of the .log file.

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// LoghubSettingsFile is the name of the per-dataset settings file in a
// Loghub root directory.
const LoghubSettingsFile = "benchmark_settings.json"

// LoghubSettings are the benchmark's published settings for one dataset.
type LoghubSettings struct {
	Split       string   `json:"split"`        // "shared" or "holdout" in the shared copy; informative only
	LogFormat   string   `json:"log_format"`   // <Name> format, see ParseLogFormat
	HeaderRegex string   `json:"header_regex"` // the regex derived from LogFormat, as published
	Masks       []string `json:"regex"`        // preprocessing regexes; each match becomes <*>
	ST          float64  `json:"st"`           // Drain similarity threshold
	Depth       int      `json:"depth"`        // Drain tree depth
}

// LoghubLine is one row of a dataset's structured ground-truth CSV.
type LoghubLine struct {
	LineID        int
	Content       string // the message as the ground truth extracted it
	EventID       string
	EventTemplate string // the ground-truth template; "" means unlabelled (scorers drop it)
}

// LoghubTemplate is one row of a dataset's template CSV.
type LoghubTemplate struct {
	EventID       string
	EventTemplate string
}

// LoghubDataset is one Loghub-2k dataset: its raw lines and ground truth.
type LoghubDataset struct {
	Name      string // folder name, e.g. "HDFS"
	Dir       string // the dataset folder
	Raw       []string
	Truth     []LoghubLine // Truth[i] is the ground truth of Raw[i]
	Templates []LoghubTemplate
}

// LoghubFiles returns the paths of a dataset's raw log, structured
// ground truth and template files inside its folder dir.
func LoghubFiles(dir string) (log, structured, templates string) {
	name := filepath.Base(dir)
	base := filepath.Join(dir, name+"_2k.log")
	return base, base + "_structured_corrected.csv", base + "_templates_corrected.csv"
}

// FindLoghub returns the dataset folders under root, sorted by name: every
// immediate subdirectory D that holds D/D_2k.log.
func FindLoghub(root string) ([]string, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("find loghub datasets: %w", err)
	}
	var dirs []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(root, e.Name())
		log, _, _ := LoghubFiles(dir)
		if _, err := os.Stat(log); err == nil {
			dirs = append(dirs, dir)
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("find loghub datasets: %w", err)
		}
	}
	sort.Strings(dirs)
	return dirs, nil
}

// LoadLoghubSettings reads a benchmark_settings.json file: an object
// mapping dataset names to settings. Keys starting with "_" (provenance
// notes) are skipped. Every entry must have a log format that
// ParseLogFormat accepts.
func LoadLoghubSettings(path string) (map[string]LoghubSettings, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read loghub settings: %w", err)
	}
	s, err := ParseLoghubSettings(data)
	if err != nil {
		return nil, fmt.Errorf("loghub settings %s: %w", path, err)
	}
	return s, nil
}

// ParseLoghubSettings is LoadLoghubSettings on the file's content.
func ParseLoghubSettings(data []byte) (map[string]LoghubSettings, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	out := make(map[string]LoghubSettings, len(raw))
	for name, msg := range raw {
		if strings.HasPrefix(name, "_") {
			continue
		}
		var s LoghubSettings
		if err := json.Unmarshal(msg, &s); err != nil {
			return nil, fmt.Errorf("dataset %q: %w", name, err)
		}
		if _, err := ParseLogFormat(s.LogFormat); err != nil {
			return nil, fmt.Errorf("dataset %q: %w", name, err)
		}
		if s.ST < 0 || s.ST > 1 {
			return nil, fmt.Errorf("dataset %q: st %v is outside [0, 1]", name, s.ST)
		}
		if s.Depth < 0 {
			return nil, fmt.Errorf("dataset %q: negative depth %d", name, s.Depth)
		}
		out[name] = s
	}
	return out, nil
}

// LoadLoghub reads the dataset in folder dir (named after the dataset).
// The raw log and the structured CSV must have the same number of lines,
// and LineId must count 1, 2, ... : a misaligned ground truth would score
// every line against another line's template.
func LoadLoghub(dir string) (*LoghubDataset, error) {
	d := &LoghubDataset{Name: filepath.Base(dir), Dir: dir}
	logPath, structPath, tmplPath := LoghubFiles(dir)
	data, err := os.ReadFile(logPath)
	if err != nil {
		return nil, fmt.Errorf("load loghub %s: %w", d.Name, err)
	}
	d.Raw = splitLines(string(data))
	if d.Truth, err = readLoghubStructured(structPath); err != nil {
		return nil, fmt.Errorf("load loghub %s: %w", d.Name, err)
	}
	if len(d.Truth) != len(d.Raw) {
		return nil, fmt.Errorf("load loghub %s: %s has %d lines but %s has %d rows",
			d.Name, filepath.Base(logPath), len(d.Raw), filepath.Base(structPath), len(d.Truth))
	}
	if d.Templates, err = readLoghubTemplates(tmplPath); err != nil {
		return nil, fmt.Errorf("load loghub %s: %w", d.Name, err)
	}
	return d, nil
}

// splitLines splits on LF, drops one CR before each LF and the empty
// piece after a final newline.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// readCSV reads an RFC 4180 file and returns its header's column indexes
// for the wanted names and the data rows.
func readCSV(path string, want ...string) ([]int, [][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: header: %w", filepath.Base(path), err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	idx := make([]int, len(want))
	for i, w := range want {
		idx[i] = -1
		for j, h := range header {
			if h == w {
				idx[i] = j
				break
			}
		}
		if idx[i] < 0 {
			return nil, nil, fmt.Errorf("%s: no column %q in header %q", filepath.Base(path), w, header)
		}
	}
	var rows [][]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return idx, rows, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
		}
		rows = append(rows, rec)
	}
}

func readLoghubStructured(path string) ([]LoghubLine, error) {
	idx, rows, err := readCSV(path, "LineId", "Content", "EventId", "EventTemplate")
	if err != nil {
		return nil, err
	}
	out := make([]LoghubLine, len(rows))
	for i, rec := range rows {
		id, err := strconv.Atoi(rec[idx[0]])
		if err != nil || id != i+1 {
			return nil, fmt.Errorf("%s: row %d: LineId %q, want %d", filepath.Base(path), i+2, rec[idx[0]], i+1)
		}
		out[i] = LoghubLine{LineID: id, Content: rec[idx[1]], EventID: rec[idx[2]], EventTemplate: rec[idx[3]]}
	}
	return out, nil
}

func readLoghubTemplates(path string) ([]LoghubTemplate, error) {
	idx, rows, err := readCSV(path, "EventId", "EventTemplate")
	if err != nil {
		return nil, err
	}
	out := make([]LoghubTemplate, len(rows))
	for i, rec := range rows {
		out[i] = LoghubTemplate{EventID: rec[idx[0]], EventTemplate: rec[idx[1]]}
	}
	return out, nil
}
