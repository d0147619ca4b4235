package alert

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/seismo-dev/seismo/config/field"
)

// The default templates, one file per kind of output: text/template for
// subjects, plain text and chat markdown, html/template for e-mail HTML
// (which escapes label values a log line may have put there).
//
//go:embed templates/*.tmpl
var defaultTemplateFS embed.FS

// TemplateData is what notification templates see. Its fields follow
// Alertmanager's template data, so that Alertmanager templates port with
// few changes.
type TemplateData struct {
	Receiver          string
	Status            string // "firing" if any alert fires, else "resolved"
	Alerts            TemplateAlerts
	GroupLabels       KV
	CommonLabels      KV
	CommonAnnotations KV
	ExternalURL       string // Seismo's own URL
	GroupKey          string
	// TruncatedAlerts counts the group's alerts left out of this message
	// to keep within the channel's size limit (a line saying so is added
	// after the text).
	TruncatedAlerts int
	// Part and Parts number the messages of a group that was too long for
	// one (1 and 1 otherwise).
	Part, Parts int
	// Escalation is true in a notification to a route's escalation
	// receiver (escalate_to): its firing alerts were neither
	// acknowledged nor resolved EscalateAfter ("30m") after they started.
	Escalation    bool
	EscalateAfter field.Duration
}

// TemplateAlert is one alert in TemplateData.
type TemplateAlert struct {
	Status       string
	Labels       KV
	Annotations  KV
	StartsAt     time.Time // in the integration's time zone
	EndsAt       time.Time // zero while firing
	GeneratorURL string
	Fingerprint  string
	// ChartURL is where this message carries the alert's chart (an
	// e-mail's "cid:" reference), or "" when it has none. Its type lets
	// html/template put a cid: URL in an img src.
	ChartURL htmltemplate.URL
}

// TemplateAlerts is a list of alerts, with Alertmanager's helpers.
type TemplateAlerts []TemplateAlert

// Firing returns the firing alerts.
func (as TemplateAlerts) Firing() TemplateAlerts {
	return slices.DeleteFunc(slices.Clone(as), func(a TemplateAlert) bool { return a.Status != StatusFiring })
}

// Resolved returns the resolved alerts.
func (as TemplateAlerts) Resolved() TemplateAlerts {
	return slices.DeleteFunc(slices.Clone(as), func(a TemplateAlert) bool { return a.Status != StatusResolved })
}

// KV is a label set or annotations, with Alertmanager's helpers.
type KV map[string]string

// Pair is one name and value of a KV.
type Pair struct{ Name, Value string }

// Pairs is a sorted list of pairs.
type Pairs []Pair

// Names returns the names of the pairs.
func (ps Pairs) Names() []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}

// Values returns the values of the pairs.
func (ps Pairs) Values() []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Value
	}
	return out
}

// SortedPairs returns the pairs sorted by name, alertname first, as
// Alertmanager orders them.
func (kv KV) SortedPairs() Pairs {
	ps := make(Pairs, 0, len(kv))
	for k, v := range kv {
		ps = append(ps, Pair{k, v})
	}
	slices.SortFunc(ps, func(a, b Pair) int {
		switch {
		case a.Name == b.Name:
			return 0
		case a.Name == "alertname":
			return -1
		case b.Name == "alertname":
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return ps
}

// Names returns the sorted names.
func (kv KV) Names() []string { return kv.SortedPairs().Names() }

// Values returns the values in the order of the sorted names.
func (kv KV) Values() []string { return kv.SortedPairs().Values() }

// Remove returns a copy without the given names.
func (kv KV) Remove(names []string) KV {
	out := make(KV, len(kv))
	for k, v := range kv {
		if !slices.Contains(names, k) {
			out[k] = v
		}
	}
	return out
}

// newTemplateData returns the data of a message carrying alerts (a part
// of m.Alerts when a group is split), its times in loc.
func newTemplateData(m *Message, alerts []*Alert, loc *time.Location) *TemplateData {
	d := &TemplateData{
		Receiver:          m.Receiver,
		Status:            m.Status,
		Alerts:            make(TemplateAlerts, 0, len(alerts)),
		GroupLabels:       KV(m.GroupLabels.Map()),
		CommonLabels:      KV(m.CommonLabels.Map()),
		CommonAnnotations: KV(nonNil(m.CommonAnnotations)),
		ExternalURL:       m.ExternalURL,
		GroupKey:          m.GroupKey,
		Part:              1,
		Parts:             1,
		Escalation:        m.Escalation,
		EscalateAfter:     field.Duration(m.EscalateAfter),
	}
	if loc == nil {
		loc = time.UTC
	}
	for _, a := range alerts {
		ta := TemplateAlert{
			Status:       a.Status(),
			Labels:       KV(a.Labels.Map()),
			Annotations:  KV(nonNil(a.Annotations)),
			StartsAt:     a.StartsAt.In(loc),
			GeneratorURL: a.GeneratorURL,
			Fingerprint:  a.Fingerprint.String(),
		}
		if !a.EndsAt.IsZero() {
			ta.EndsAt = a.EndsAt.In(loc)
		}
		d.Alerts = append(d.Alerts, ta)
	}
	return d
}

// templateFuncs are the functions templates may call. now is the clock of
// since.
func templateFuncs(now func() time.Time) template.FuncMap {
	return template.FuncMap{
		"toUpper":   strings.ToUpper,
		"toLower":   strings.ToLower,
		"title":     titleCase,
		"trimSpace": strings.TrimSpace,
		"join": func(sep string, s []string) string {
			return strings.Join(s, sep)
		},
		"stringSlice": func(s ...string) []string { return s },
		"match":       regexp.MatchString,
		"reReplaceAll": func(pattern, repl, text string) (string, error) {
			re, err := regexp.Compile(pattern)
			if err != nil {
				return "", err
			}
			return re.ReplaceAllString(text, repl), nil
		},
		"truncate": func(n int, s string) string { return truncateRunes(s, n) },
		"include": func(string, any) (string, error) {
			return "", errors.New("include is not available here")
		},
		// safeHtml marks trusted text as HTML for e-mail HTML; in text
		// templates it is the text itself. Template files define
		// templates for both, so both know it, as in Alertmanager.
		"safeHtml":       func(s string) htmltemplate.HTML { return htmltemplate.HTML(s) },
		"escapeMarkdown": escapeMarkdown,
		"escapeSlack":    escapeSlack,
		"urlQueryEscape": url.QueryEscape,
		"date":           func(layout string, t time.Time) string { return t.Format(layout) },
		"tz": func(name string, t time.Time) (time.Time, error) {
			loc, err := time.LoadLocation(name)
			if err != nil {
				return time.Time{}, err
			}
			return t.In(loc), nil
		},
		"since": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return humanizeDuration(now().Sub(t).Seconds())
		},
		"humanize": func(v any) (string, error) {
			f, err := toFloat(v)
			if err != nil {
				return "", err
			}
			return humanize(f, 1000, siPrefixes, siSmallPrefixes), nil
		},
		"humanize1024": func(v any) (string, error) {
			f, err := toFloat(v)
			if err != nil {
				return "", err
			}
			return humanize(f, 1024, iecPrefixes, nil), nil
		},
		"humanizeDuration": func(v any) (string, error) {
			f, err := toFloat(v)
			if err != nil {
				return "", err
			}
			return humanizeDuration(f), nil
		},
		"humanizePercentage": func(v any) (string, error) {
			f, err := toFloat(v)
			if err != nil {
				return "", err
			}
			return strconv.FormatFloat(f*100, 'g', 4, 64) + "%", nil
		},
	}
}

// htmlTemplateFuncs are templateFuncs for e-mail HTML.
func htmlTemplateFuncs(now func() time.Time) htmltemplate.FuncMap {
	return htmltemplate.FuncMap(templateFuncs(now))
}

// Prefixes of humanize.
var (
	siPrefixes      = []string{"", "k", "M", "G", "T", "P", "E", "Z", "Y"}
	siSmallPrefixes = []string{"", "m", "µ", "n", "p", "f", "a", "z", "y"}
	iecPrefixes     = []string{"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"}
)

// humanize writes v with four significant digits and a prefix that
// keeps the mantissa below base (1234567 → "1.235M").
func humanize(v, base float64, big, small []string) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	abs := math.Abs(v)
	i := 0
	switch {
	case abs >= 1:
		for abs >= base && i < len(big)-1 {
			abs /= base
			v /= base
			i++
		}
		return strconv.FormatFloat(v, 'g', 4, 64) + big[i]
	case small != nil:
		for abs < 1 && i < len(small)-1 {
			abs *= base
			v *= base
			i++
		}
		return strconv.FormatFloat(v, 'g', 4, 64) + small[i]
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// humanizeDuration writes seconds as "1d 2h 3m 4s", or "250ms" below a
// second.
func humanizeDuration(secs float64) string {
	if math.IsNaN(secs) || math.IsInf(secs, 0) {
		return strconv.FormatFloat(secs, 'g', 4, 64)
	}
	sign := ""
	if secs < 0 {
		sign, secs = "-", -secs
	}
	if secs < 1 {
		if secs == 0 {
			return "0s"
		}
		return sign + humanize(secs, 1000, nil, siSmallPrefixes) + "s"
	}
	total := int64(secs)
	d, h, m, s := total/86400, total/3600%24, total/60%60, total%60
	var parts []string
	for _, p := range []struct {
		n    int64
		unit string
	}{{d, "d"}, {h, "h"}, {m, "m"}, {s, "s"}} {
		if p.n > 0 || (p.unit == "s" && len(parts) == 0) {
			parts = append(parts, strconv.FormatInt(p.n, 10)+p.unit)
		}
	}
	return sign + strings.Join(parts, " ")
}

// toFloat reads a number from a template argument: numbers, and strings
// such as annotation values.
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
	case time.Duration:
		return x.Seconds(), nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a number", x)
		}
		return f, nil
	}
	return 0, fmt.Errorf("cannot read %T as a number", v)
}

// titleCase upper-cases the first letter of every word.
func titleCase(s string) string {
	prev := ' '
	return strings.Map(func(r rune) rune {
		defer func() { prev = r }()
		if unicode.IsSpace(prev) || prev == '-' || prev == '_' {
			return unicode.ToTitle(r)
		}
		return r
	}, s)
}

// escapeSlack escapes the three characters Slack's mrkdwn gives a meaning
// of their own (a label value of "<!channel>" must not page a channel).
func escapeSlack(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// escapeMarkdown keeps a value from turning into markup in the robots'
// markdown, whose dialects differ and do not all honour backslash
// escapes: angle brackets (an HTML tag, WeCom's <font>) become their
// full-width forms, and emphasis, code and link marks are escaped. An
// underscore inside a word, as in most label names, is left alone.
func escapeMarkdown(s string) string {
	return markdownEscaper.Replace(s)
}

var markdownEscaper = strings.NewReplacer(
	"<", "\uFF1C", ">", "\uFF1E",
	"*", `\*`, "`", "\\`", "](", `]\(`,
)

// truncateRunes cuts s to at most n runes, the last one "…" when cut.
func truncateRunes(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i, count := 0, 0
	for j := range s {
		if count == n-1 {
			i = j
			break
		}
		count++
	}
	return s[:i] + "…"
}

// truncateBytes cuts s to at most n bytes without splitting a rune, the
// cut marked with "…" (which the n bytes include).
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	if n < len(ellipsis) {
		return ""
	}
	cut := n - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}

// notificationTemplate is one configured field (a title, a text, an HTML
// body): a template with the default definitions it may call.
type notificationTemplate struct {
	text *template.Template     // nil for HTML
	html *htmltemplate.Template // nil for text
}

// execute renders the template with data.
func (t *notificationTemplate) execute(data *TemplateData) (string, error) {
	var buf bytes.Buffer
	var err error
	if t.html != nil {
		err = t.html.Execute(&buf, data)
	} else {
		err = t.text.Execute(&buf, data)
	}
	if err != nil {
		return "", err
	}
	return buf.String(), nil
}

// parseTextTemplate parses src, a text/template that may call the default
// definitions of templates/*.text.tmpl and those of lib's files (nil lib:
// the defaults alone).
func parseTextTemplate(src string, now func() time.Time, lib *templateLib) (*notificationTemplate, error) {
	if now == nil {
		now = time.Now
	}
	t, err := lib.textClone()
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err) // the defaults: a build defect, caught by the tests
	}
	t, err = t.Funcs(templateFuncs(now)).New("field").Parse(src)
	if err != nil {
		return nil, cleanTemplateError(err)
	}
	// include renders a named template into a string, for pipelines.
	t.Funcs(template.FuncMap{"include": func(name string, data any) (string, error) {
		var buf bytes.Buffer
		err := t.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}})
	return &notificationTemplate{text: t}, nil
}

// parseHTMLTemplate parses src, an html/template that may call the default
// definitions of templates/*.html.tmpl and those of lib's files (nil lib:
// the defaults alone).
func parseHTMLTemplate(src string, now func() time.Time, lib *templateLib) (*notificationTemplate, error) {
	if now == nil {
		now = time.Now
	}
	t, err := lib.htmlClone()
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	t, err = t.Funcs(htmlTemplateFuncs(now)).New("field").Parse(src)
	if err != nil {
		return nil, cleanTemplateError(err)
	}
	return &notificationTemplate{html: t}, nil
}

// cleanTemplateError drops the "template: field:" prefix, which names
// our internal template rather than the config field.
func cleanTemplateError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "template: ")
	msg = strings.TrimPrefix(msg, "field:")
	return errors.New("invalid template: line " + strings.TrimSpace(msg))
}
