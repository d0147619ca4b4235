package logformat

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Parser splits one log record into its time, level and message. Format,
// and the JSON and logfmt field extractors, are Parsers.
type Parser interface {
	// Parse splits line; false means the line does not have the shape
	// the parser expects (the caller decides what that means).
	Parse(line string) (Record, bool)
}

// Default keys tried, in order, by the field extractors when none is
// configured: the names common logging libraries write.
var (
	DefaultTimeKeys    = []string{"time", "ts", "timestamp", "@timestamp", "t"}
	DefaultLevelKeys   = []string{"level", "lvl", "severity", "log.level"}
	DefaultMessageKeys = []string{"msg", "message", "log", "@message"}
)

// Fields extracts time, level and message by key from structured lines:
// JSON objects (one per line) or logfmt (key=value pairs, values quoted
// with " when they hold spaces). A Fields is immutable and safe for
// concurrent use.
type Fields struct {
	logfmt                   bool
	timeKeys, levelKeys, msg []string
}

// NewJSON returns a parser of JSON-object lines. An empty key means the
// defaults (DefaultTimeKeys, ...).
func NewJSON(timeKey, levelKey, messageKey string) *Fields {
	return newFields(false, timeKey, levelKey, messageKey)
}

// NewLogfmt returns a parser of logfmt lines. An empty key means the
// defaults (DefaultTimeKeys, ...).
func NewLogfmt(timeKey, levelKey, messageKey string) *Fields {
	return newFields(true, timeKey, levelKey, messageKey)
}

func newFields(logfmt bool, timeKey, levelKey, messageKey string) *Fields {
	keys := func(k string, def []string) []string {
		if k == "" {
			return def
		}
		return []string{k}
	}
	return &Fields{
		logfmt:    logfmt,
		timeKeys:  keys(timeKey, DefaultTimeKeys),
		levelKeys: keys(levelKey, DefaultLevelKeys),
		msg:       keys(messageKey, DefaultMessageKeys),
	}
}

// Parse extracts the fields of line. It reports false when line is not a
// JSON object (or has no key=value pair, for logfmt) or has no message
// key. Values that are not strings are returned as their JSON text.
func (f *Fields) Parse(line string) (Record, bool) {
	line = strings.TrimSpace(line)
	var get func(key string) (string, bool)
	if f.logfmt {
		kv := parseLogfmt(line)
		if len(kv) == 0 {
			return Record{}, false
		}
		get = func(key string) (string, bool) {
			for _, p := range kv {
				if p[0] == key {
					return p[1], true
				}
			}
			return "", false
		}
	} else {
		if !strings.HasPrefix(line, "{") {
			return Record{}, false
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			return Record{}, false
		}
		get = func(key string) (string, bool) {
			raw, ok := obj[key]
			if !ok {
				return "", false
			}
			var s string
			if err := json.Unmarshal(raw, &s); err == nil {
				return s, true
			}
			return string(raw), true
		}
	}
	first := func(keys []string) (string, bool) {
		for _, k := range keys {
			if v, ok := get(k); ok {
				return v, true
			}
		}
		return "", false
	}
	msg, ok := first(f.msg)
	if !ok {
		return Record{}, false
	}
	r := Record{Content: msg}
	r.Time, _ = first(f.timeKeys)
	r.Level, _ = first(f.levelKeys)
	return r, true
}

// parseLogfmt splits a logfmt line into its key=value pairs, in order. A
// bare key has the value "". Quoted values may hold \" and the escapes of
// Go string literals; a malformed quoted value is taken literally.
func parseLogfmt(s string) [][2]string {
	var out [][2]string
	i := 0
	for i < len(s) {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		start := i
		for i < len(s) && s[i] != '=' && s[i] != ' ' {
			i++
		}
		key := s[start:i]
		if key == "" {
			i++ // a stray '='
			continue
		}
		if i >= len(s) || s[i] == ' ' {
			out = append(out, [2]string{key, ""})
			continue
		}
		i++ // '='
		if i < len(s) && s[i] == '"' {
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			end := min(j+1, len(s))
			v, err := strconv.Unquote(s[i:end])
			if err != nil {
				v = strings.Trim(s[i:end], `"`)
			}
			out = append(out, [2]string{key, v})
			i = end
			continue
		}
		start = i
		for i < len(s) && s[i] != ' ' {
			i++
		}
		out = append(out, [2]string{key, s[start:i]})
	}
	return out
}
