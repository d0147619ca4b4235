package metric

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// maxExpansionBytes caps one expanded label or annotation: a template that
// ranges over something large must not fill the store and the
// notifications with megabytes of text.
const maxExpansionBytes = 16 << 10

// templateHeader binds the variables Prometheus' and vmalert's templates
// use, so that rules written for them read the same here. It holds no
// newline, so that a template's line numbers in errors are its own.
const templateHeader = `{{$labels := .Labels}}{{$value := .Value}}{{$expr := .Expr}}{{$activeAt := .ActiveAt}}{{$alertName := .AlertName}}{{$group := .Group}}`

// TemplateData is what a label or annotation template of an alerting rule
// sees, as .X or through the variables $labels, $value, $expr, $activeAt,
// $alertName and $group.
type TemplateData struct {
	Labels    map[string]string // the series' labels (the query result's, metric name included)
	Value     float64           // the series' value at the evaluation
	Expr      string            // the rule's expression
	ActiveAt  time.Time         // when the alert became pending (zero while it is not active yet)
	AlertName string            // the rule's alert name
	Group     string            // the rule group's name
}

// templateFuncs are the functions templates may call: formatting helpers
// in the style of Prometheus' and vmalert's (written for Seismo), none of
// which reads or writes anything outside the template.
var templateFuncs = template.FuncMap{
	"humanize":           humanize,
	"humanize1024":       humanize1024,
	"humanizeDuration":   humanizeDuration,
	"humanizePercentage": humanizePercentage,
	"humanizeTimestamp":  humanizeTimestamp,
	"toUpper":            strings.ToUpper,
	"toLower":            strings.ToLower,
	"trimSpace":          strings.TrimSpace,
	"match":              regexp.MatchString,
	"reReplaceAll": func(pattern, repl, text string) (string, error) {
		re, err := regexp.Compile(pattern)
		if err != nil {
			return "", err
		}
		return re.ReplaceAllString(text, repl), nil
	},
}

// tmpl is a parsed label or annotation template. A text without "{{" is
// kept as it is and never executed.
type tmpl struct {
	text string
	t    *template.Template // nil for plain text
}

// parseTemplate parses text as a Go text/template with the rule
// variables and functions.
func parseTemplate(name, text string) (*tmpl, error) {
	if !strings.Contains(text, "{{") {
		return &tmpl{text: text}, nil
	}
	t, err := template.New(name).Funcs(templateFuncs).Option("missingkey=zero").Parse(templateHeader + text)
	if err != nil {
		// The header's length would shift column numbers; text/template
		// reports lines only, which the header (one line, no newline)
		// leaves alone.
		return nil, fmt.Errorf("invalid template: %s", strings.TrimPrefix(err.Error(), "template: "))
	}
	return &tmpl{text: text, t: t}, nil
}

// expand executes the template on d. A failing template expands to a
// message saying so (as Prometheus does), so the alert still goes out, and
// the error is returned for the log.
func (t *tmpl) expand(d *TemplateData) (string, error) {
	if t.t == nil {
		return t.text, nil
	}
	var b limitedBuffer
	b.limit = maxExpansionBytes
	if err := t.t.Execute(&b, d); err != nil {
		msg := strings.TrimPrefix(err.Error(), "template: ")
		if errors.Is(err, errTooLong) {
			msg = errTooLong.Error()
		}
		msg = unshiftColumn(msg)
		if len(msg) > 300 { // text/template quotes the failing node, which may be long
			msg = msg[:300] + "…"
		}
		return "<error expanding template: " + msg + ">", fmt.Errorf("expand template %q: %s", t.t.Name(), msg)
	}
	return b.String(), nil
}

// execPosRE finds the position text/template gives an execution error.
var execPosRE = regexp.MustCompile(`^([^:\s]+):1:(\d+):`)

// unshiftColumn takes the header's length off a column on the first line
// of an execution error, so that it points into the template as written,
// and makes it 1-based (text/template counts from 0).
func unshiftColumn(msg string) string {
	m := execPosRE.FindStringSubmatchIndex(msg)
	if m == nil {
		return msg
	}
	col, err := strconv.Atoi(msg[m[4]:m[5]])
	if err != nil || col <= len(templateHeader) {
		return msg
	}
	return msg[:m[4]] + strconv.Itoa(col-len(templateHeader)+1) + msg[m[5]:]
}

// errTooLong stops a template whose output passes maxExpansionBytes.
var errTooLong = fmt.Errorf("output longer than %d bytes", maxExpansionBytes)

// limitedBuffer is a bytes.Buffer that refuses to grow past limit.
type limitedBuffer struct {
	bytes.Buffer
	limit int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.limit {
		return 0, errTooLong
	}
	return b.Buffer.Write(p)
}

// toFloat accepts the numbers templates pass around: float64 from $value,
// ints from literals, strings from label values.
func toFloat(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0, fmt.Errorf("not a number: %q", x)
		}
		return f, nil
	case time.Duration:
		return x.Seconds(), nil
	}
	return 0, fmt.Errorf("not a number: %v (%T)", v, v)
}

// formatG formats v with four significant digits, the precision alert
// text needs.
func formatG(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

// humanize formats v with an SI prefix: 1234 → "1.234k", 0.0012 → "1.2m".
func humanize(v any) (string, error) {
	f, err := toFloat(v)
	if err != nil {
		return "", err
	}
	if f == 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return formatG(f), nil
	}
	big := []string{"", "k", "M", "G", "T", "P", "E", "Z", "Y"}
	small := []string{"", "m", "µ", "n", "p", "f", "a", "z", "y"}
	abs := math.Abs(f)
	i := 0
	switch {
	case abs >= 1:
		for abs >= 1000 && i < len(big)-1 {
			abs, f, i = abs/1000, f/1000, i+1
		}
		return formatG(f) + big[i], nil
	default:
		for abs < 1 && i < len(small)-1 {
			abs, f, i = abs*1000, f*1000, i+1
		}
		return formatG(f) + small[i], nil
	}
}

// humanize1024 formats v with a binary prefix: 2048 → "2Ki".
func humanize1024(v any) (string, error) {
	f, err := toFloat(v)
	if err != nil {
		return "", err
	}
	if math.Abs(f) < 1 || math.IsNaN(f) || math.IsInf(f, 0) {
		return formatG(f), nil
	}
	prefixes := []string{"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"}
	i := 0
	for math.Abs(f) >= 1024 && i < len(prefixes)-1 {
		f, i = f/1024, i+1
	}
	return formatG(f) + prefixes[i], nil
}

// humanizeDuration formats a number of seconds: 93784 → "1d 2h 3m 4s",
// 0.25 → "250ms".
func humanizeDuration(v any) (string, error) {
	f, err := toFloat(v)
	if err != nil {
		return "", err
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return formatG(f), nil
	}
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	if f < 1 {
		switch {
		case f == 0:
			return "0s", nil
		case f >= 1e-3:
			return sign + formatG(f*1e3) + "ms", nil
		case f >= 1e-6:
			return sign + formatG(f*1e6) + "µs", nil
		}
		return sign + formatG(f*1e9) + "ns", nil
	}
	secs := int64(f)
	d, h, m, s := secs/86400, secs/3600%24, secs/60%60, secs%60
	var parts []string
	if d > 0 {
		parts = append(parts, strconv.FormatInt(d, 10)+"d")
	}
	if h > 0 {
		parts = append(parts, strconv.FormatInt(h, 10)+"h")
	}
	if m > 0 {
		parts = append(parts, strconv.FormatInt(m, 10)+"m")
	}
	if s > 0 || len(parts) == 0 {
		parts = append(parts, strconv.FormatInt(s, 10)+"s")
	}
	return sign + strings.Join(parts, " "), nil
}

// humanizePercentage formats a ratio as a percentage: 0.1234 → "12.34%".
func humanizePercentage(v any) (string, error) {
	f, err := toFloat(v)
	if err != nil {
		return "", err
	}
	return formatG(f*100) + "%", nil
}

// humanizeTimestamp formats unix seconds as an RFC 3339 UTC time.
func humanizeTimestamp(v any) (string, error) {
	f, err := toFloat(v)
	if err != nil {
		return "", err
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return formatG(f), nil
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC().Format(time.RFC3339Nano), nil
}
