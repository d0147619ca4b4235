package alert

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/config/field"
)

// templateField is one templated field of an integration: the configured
// template, if any, and the default it falls back to.
type templateField struct {
	name   string // the config field, for logs: "title", "text", "html"
	custom *notificationTemplate
	def    *notificationTemplate
}

// templateSet renders an integration's fields.
type templateSet struct {
	fields map[string]*templateField
	loc    *time.Location
	logger *slog.Logger
}

// templateSpec names a field, its configured source ("" for the default)
// and its default source.
type templateSpec struct {
	name, src, def string
	html           bool
}

// newTemplateSet parses the fields of an integration, which may call the
// definitions of lib (nil: the defaults alone). Errors are field errors
// naming the field. timezone "" means the server's local zone.
func newTemplateSet(specs []templateSpec, lib *templateLib, timezone string, now func() time.Time, logger *slog.Logger) (*templateSet, error) {
	var errs field.List
	loc, err := loadLocation(timezone)
	if err != nil {
		errs.Add("timezone", err)
	}
	if logger == nil {
		logger = slog.Default()
	}
	ts := &templateSet{fields: make(map[string]*templateField, len(specs)), loc: loc, logger: logger}
	parse := parseTextTemplate
	if lib == nil {
		// Parse the defaults once for all the fields, not per field.
		var lerrs field.List
		if lib, _, lerrs = newTemplateLib(nil); lerrs != nil {
			return nil, fmt.Errorf("default templates: %w", lerrs.Err()) // a build defect
		}
	}
	for _, s := range specs {
		if s.html {
			parse = parseHTMLTemplate
		} else {
			parse = parseTextTemplate
		}
		f := &templateField{name: s.name}
		if f.def, err = parse(s.def, now, lib); err != nil {
			return nil, fmt.Errorf("default %s template: %w", s.name, err) // a build defect
		}
		if s.src != "" {
			t, err := parse(s.src, now, lib)
			if err == nil {
				// Catch what only shows when it runs (a field that
				// does not exist, a function given the wrong type).
				_, err = t.execute(sampleTemplateData(loc))
				if err != nil {
					err = fmt.Errorf("invalid template: %s", trimExecError(err))
				}
			}
			if err != nil {
				errs.Add(s.name, err)
				continue
			}
			f.custom = t
		}
		ts.fields[s.name] = f
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return ts, nil
}

// loadLocation loads an IANA zone; "" is the server's local zone.
func loadLocation(name string) (*time.Location, error) {
	if name == "" {
		return time.Local, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.Local, fmt.Errorf("unknown time zone %q", name)
	}
	return loc, nil
}

// render renders a field. A configured template that fails on this data
// (humanize given a word, say) is logged and replaced by the default, so
// that the notification still goes out.
func (ts *templateSet) render(name string, d *TemplateData) (string, error) {
	f := ts.fields[name]
	if f == nil {
		return "", fmt.Errorf("no %s template", name)
	}
	if f.custom != nil {
		s, err := f.custom.execute(d)
		if err == nil {
			return s, nil
		}
		ts.logger.Warn("notification template failed; using the default", "field", name, "receiver", d.Receiver, "err", trimExecError(err))
	}
	s, err := f.def.execute(d)
	if err != nil {
		return "", fmt.Errorf("default %s template: %w", name, err)
	}
	return s, nil
}

// trimExecError drops text/template's internal name from an error.
func trimExecError(err error) string {
	msg := err.Error()
	for _, p := range []string{"template: field:", "html/template:field:"} {
		if len(msg) > len(p) && msg[:len(p)] == p {
			return "line " + msg[len(p):]
		}
	}
	return msg
}

// sampleTemplateData is the data configured templates are tried on at
// load: one firing and one resolved alert with the usual annotations.
func sampleTemplateData(loc *time.Location) *TemplateData {
	t0 := time.Date(2025, 3, 3, 9, 30, 0, 0, time.UTC)
	mk := func(channel string, resolved bool) *Alert {
		ls := labels.FromStrings("alertname", "account_openings", "channel", channel, "team", "accounts")
		a := &Alert{
			Labels: ls,
			Annotations: map[string]string{"summary": "account openings are off their baseline", "description": "",
				AnnotationValue: "3", AnnotationExpected: "40", AnnotationBand: "[31, 49]", AnnotationScore: "0.97"},
			StartsAt: t0, GeneratorURL: "http://seismo.example/", Fingerprint: FingerprintOf(ls),
		}
		if resolved {
			a.EndsAt = t0.Add(10 * time.Minute)
		}
		return a
	}
	m := newMessage("sample", `{}:{team="accounts"}`, labels.FromStrings("team", "accounts"), "http://seismo.example/",
		[]*Alert{mk("app", false), mk("web", true)})
	return newTemplateData(m, m.Alerts, loc)
}

// chatPart is one message of a notification to a chat: its title and
// text, and which alerts it carries.
type chatPart struct {
	Title, Text string
	Data        *TemplateData
}

// chatRenderer renders a Message into one or more chat messages that each
// fit the channel's size limit.
type chatRenderer struct {
	tmpl     *templateSet
	maxParts int // messages per notification at most; the last one truncates
	// maxTitle caps a title, in bytes (titles are one line; a group
	// with huge labels must not crowd out the text).
	maxTitle int
	// fits reports whether a rendered message fits the channel.
	fits func(p chatPart) bool
	// cut shortens an oversized message's text (one alert alone too
	// long) to fit.
	cut func(p chatPart) string
}

// span is a run of alerts [lo, hi) in a message, followed by more alerts
// left out of the notification.
type span struct{ lo, hi, more int }

// parts renders m. A group that does not fit one message is split into
// consecutive runs of alerts, at most maxParts messages; what still does
// not fit is left out, and the last message ends with "…and N more
// alerts". An alert too long on its own has its text cut (never inside a
// UTF-8 sequence).
func (r *chatRenderer) parts(m *Message) ([]chatPart, error) {
	n := len(m.Alerts)
	maxParts := max(r.maxParts, 1)
	render := func(sp span, part, parts int) (chatPart, error) {
		d := newTemplateData(m, m.Alerts[sp.lo:sp.hi], r.tmpl.loc)
		d.TruncatedAlerts, d.Part, d.Parts = sp.more, part, parts
		title, err := r.tmpl.render("title", d)
		if err != nil {
			return chatPart{}, err
		}
		title = strings.Join(strings.Fields(title), " ")
		if r.maxTitle > 0 {
			title = truncateBytes(title, r.maxTitle)
		}
		text, err := r.tmpl.render("text", d)
		if err != nil {
			return chatPart{}, err
		}
		if sp.more > 0 {
			text += "\n\n" + moreAlertsLine(sp.more)
		}
		return chatPart{Title: title, Text: text, Data: d}, nil
	}
	// Plan with the widest part numbers, so that numbering cannot push
	// a planned part over the limit.
	fits := func(sp span) (bool, error) {
		p, err := render(sp, maxParts, maxParts)
		if err != nil {
			return false, err
		}
		return r.fits(p), nil
	}
	whole, err := fits(span{0, n, 0})
	if err != nil {
		return nil, err
	}
	plan := []span{{0, n, 0}}
	if !whole && n > 1 {
		plan = plan[:0]
		for lo := 0; lo < n; {
			last := len(plan) == maxParts-1
			more := func(hi int) int {
				if last {
					return n - hi
				}
				return 0
			}
			// The longest run from lo that fits (binary search: a
			// longer run renders longer). One alert goes in regardless;
			// its text is cut below if it is too long alone.
			best := lo + 1
			a, b := lo+2, n
			for a <= b {
				mid := (a + b) / 2
				ok, err := fits(span{lo, mid, more(mid)})
				if err != nil {
					return nil, err
				}
				if ok {
					best, a = mid, mid+1
				} else {
					b = mid - 1
				}
			}
			plan = append(plan, span{lo, best, more(best)})
			lo = best
			if last {
				break
			}
		}
	}
	out := make([]chatPart, len(plan))
	for i, sp := range plan {
		p, err := render(sp, i+1, len(plan))
		if err != nil {
			return nil, err
		}
		if !r.fits(p) {
			p.Text = r.cut(p)
		}
		out[i] = p
	}
	return out, nil
}

// moreAlertsLine says how many alerts a message left out.
func moreAlertsLine(n int) string {
	if n == 1 {
		return "…and 1 more alert"
	}
	return "…and " + strconv.Itoa(n) + " more alerts"
}
