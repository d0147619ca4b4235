package alert

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/config/field"
)

// route is a compiled Route: matchers parsed, inherited values resolved,
// time intervals looked up, and an index over its children.
type route struct {
	id       string // stable key of the route in the tree: "{}", "{}/{team=\"a\"}"
	path     string // its place in the configuration, for messages: "route.routes[2]"
	matchers []*labels.Matcher
	cont     bool
	receiver string

	groupBy    []string // sorted label names
	groupByAll bool

	groupWait, groupInterval, repeatInterval time.Duration

	mute, active           []TimeInterval
	muteNames, activeNames []string

	escalateAfter time.Duration
	escalateTo    string

	children []*route
	index    *matcherIndex // over the children's matchers; nil when they are few
}

// routing is a compiled configuration.
type routing struct {
	root           *route
	routes         []*route // every route, depth first
	inhibit        []*inhibitRule
	sourceIndex    *matcherIndex // over the rules' source matchers; nil when they are few
	intervals      map[string]TimeInterval
	resolveTimeout time.Duration
	retention      time.Duration // of expired silences
	notifRetention time.Duration // of the notification history
	// templates are the defaults and the definitions of the template
	// files; templateWarnings, the globs that matched no file.
	templates        *templateLib
	templateWarnings []string
}

// compileConfig checks c and compiles it. intervals holds the time
// intervals defined outside c (calendars); its entries may be nil when
// only their names matter (Validate). The errors have field paths
// relative to the alerting section.
func compileConfig(c *Config, calendars map[string]TimeInterval) (*routing, field.List) {
	var errs field.List
	rt := &routing{
		intervals:      maps.Clone(calendars),
		resolveTimeout: c.ResolveTimeout.Std(),
		retention:      c.SilenceRetention.Std(),
		notifRetention: c.NotificationRetention.Std(),
	}
	if rt.intervals == nil {
		rt.intervals = map[string]TimeInterval{}
	}
	if c.ResolveTimeout < 0 {
		errs.Addf("resolve_timeout", "must not be negative")
	}
	if c.SilenceRetention < 0 {
		errs.Addf("silence_retention", "must not be negative")
	}
	if rt.retention == 0 {
		rt.retention = DefaultSilenceRetention
	}
	if c.NotificationRetention < 0 {
		errs.Addf("notification_retention", "must not be negative")
	}
	if rt.notifRetention == 0 {
		rt.notifRetention = DefaultNotificationRetention
	}

	errs.Add("global", c.Global.validate())
	if g := c.Global.ResolveTimeout; g != 0 && c.ResolveTimeout != 0 && g != c.ResolveTimeout {
		errs.Addf("global.resolve_timeout", "resolve_timeout is also set at the top of the section, to %s: set it in one place", c.ResolveTimeout)
	}
	lib, warnings, terrs := newTemplateLib(c.Templates)
	errs = append(errs, terrs...)
	rt.templates, rt.templateWarnings = lib, warnings

	names, rerrs := validateReceivers(c.Receivers, &c.Global, lib)
	errs = append(errs, rerrs...)

	defined := map[string]string{} // interval name → its path
	for _, section := range []struct {
		key   string
		items []TimeIntervalConfig
	}{{"time_intervals", c.TimeIntervals}, {"mute_time_intervals", c.MuteTimeIntervals}} {
		for i, tc := range section.items {
			p := fmt.Sprintf("%s[%d]", section.key, i)
			ps, perrs := tc.compile()
			errs.Add(p, perrs.Err())
			switch prev, dup := defined[tc.Name]; {
			case tc.Name == "":
				errs.Addf(p+".name", "a time interval needs a name")
				continue
			case dup:
				errs.Addf(p+".name", "time interval name %q is already used by %s", tc.Name, prev)
				continue
			}
			if _, isCal := calendars[tc.Name]; isCal {
				errs.Addf(p+".name", "time interval name %q is already the name of a calendar", tc.Name)
				continue
			}
			defined[tc.Name] = p
			rt.intervals[tc.Name] = ps
		}
	}

	cc := &routeCompiler{receivers: names, intervals: rt.intervals, errs: &errs}
	rt.root = cc.compile(&c.Route, nil, "route", nil)
	rt.routes = cc.all

	for i, ir := range c.InhibitRules {
		r, rerrs := compileInhibitRule(ir)
		errs.Add(fmt.Sprintf("inhibit_rules[%d]", i), rerrs.Err())
		if r != nil {
			r.index = i
			rt.inhibit = append(rt.inhibit, r)
		}
	}
	if len(rt.inhibit) >= minIndexed {
		sets := make([][]*labels.Matcher, len(rt.inhibit))
		for i, r := range rt.inhibit {
			sets[i] = r.source
		}
		rt.sourceIndex = newMatcherIndex(sets)
	}
	return rt, errs
}

// routeCompiler carries what compiling the tree needs.
type routeCompiler struct {
	receivers map[string]int
	intervals map[string]TimeInterval
	errs      *field.List
	all       []*route
}

// compile compiles r under parent (nil for the root). ancestors are the
// matchers of the routes above it, for the contradiction check.
func (cc *routeCompiler) compile(r *Route, parent *route, path string, ancestors []*labels.Matcher) *route {
	errs := cc.errs
	out := &route{path: path, cont: r.Continue}
	cc.all = append(cc.all, out)
	root := parent == nil
	for _, de := range r.decodeErrs {
		errs.Add(field.Join(path, de.key), errors.New(de.msg))
	}

	// Matchers, in the new syntax and the deprecated maps.
	for i, s := range r.Matchers {
		ms, err := ParseMatchers(s)
		if err != nil {
			errs.Add(fmt.Sprintf("%s.matchers[%d]", path, i), err)
			continue
		}
		out.matchers = append(out.matchers, ms...)
	}
	out.matchers = append(out.matchers, legacyMatchers(errs, path+".match", r.Match, labels.MatchEqual)...)
	out.matchers = append(out.matchers, legacyMatchers(errs, path+".match_re", r.MatchRE, labels.MatchRegexp)...)
	if root {
		if len(out.matchers) > 0 || len(r.Matchers) > 0 {
			errs.Addf(path+".matchers", "the root route matches every alert and cannot have matchers")
		}
		if r.Continue {
			errs.Addf(path+".continue", "the root route cannot continue: it has no siblings")
		}
		if len(r.MuteTimeIntervals) > 0 {
			errs.Addf(path+".mute_time_intervals", "the root route cannot have mute time intervals")
		}
		if len(r.ActiveTimeIntervals) > 0 {
			errs.Addf(path+".active_time_intervals", "the root route cannot have active time intervals")
		}
	}

	// Inherited values.
	if root {
		out.id = "{}"
		out.groupWait, out.groupInterval, out.repeatInterval = DefaultGroupWait, DefaultGroupInterval, DefaultRepeatInterval
	} else {
		out.receiver = parent.receiver
		out.groupBy, out.groupByAll = parent.groupBy, parent.groupByAll
		out.groupWait, out.groupInterval, out.repeatInterval = parent.groupWait, parent.groupInterval, parent.repeatInterval
	}
	switch _, ok := cc.receivers[r.Receiver]; {
	case r.Receiver == "" && root:
		errs.Addf(path+".receiver", "the root route needs a receiver")
	case r.Receiver == "":
	case !ok:
		errs.Addf(path+".receiver", "undefined receiver %q%s", r.Receiver, knownNames(cc.receivers))
	default:
		out.receiver = r.Receiver
	}
	if r.GroupBy != nil {
		out.groupBy, out.groupByAll = compileGroupBy(errs, path+".group_by", r.GroupBy)
	}
	durations := []struct {
		key      string
		v        field.Duration
		explicit bool
		dst      *time.Duration
		zeroOK   bool
	}{
		{"group_wait", r.GroupWait, r.explicit&setGroupWait != 0, &out.groupWait, true},
		{"group_interval", r.GroupInterval, r.explicit&setGroupInterval != 0, &out.groupInterval, false},
		{"repeat_interval", r.RepeatInterval, r.explicit&setRepeatInterval != 0, &out.repeatInterval, false},
	}
	for _, d := range durations {
		switch {
		case d.v < 0:
			errs.Addf(path+"."+d.key, "must not be negative")
		case d.v == 0 && d.explicit && !d.zeroOK:
			errs.Addf(path+"."+d.key, "must be positive")
		case d.v != 0 || d.explicit:
			*d.dst = d.v.Std()
		}
	}

	out.mute, out.muteNames = cc.lookupIntervals(path+".mute_time_intervals", r.MuteTimeIntervals)
	out.active, out.activeNames = cc.lookupIntervals(path+".active_time_intervals", r.ActiveTimeIntervals)

	cc.compileEscalation(r, parent, out, path)

	// A route whose matchers contradict each other or its ancestors'.
	all := append(slices.Clone(ancestors), out.matchers...)
	if why := contradiction(all); why != "" && contradiction(ancestors) == "" {
		errs.Addf(path+".matchers", "the route can never match: %s", why)
	}

	for i := range r.Routes {
		cp := fmt.Sprintf("%s.routes[%d]", path, i)
		child := cc.compile(&r.Routes[i], out, cp, all)
		for j, prev := range out.children {
			if !prev.cont && catchAll(prev.matchers) {
				errs.Addf(cp, "unreachable: routes[%d] before it matches every alert and does not continue", j)
				break
			}
		}
		out.children = append(out.children, child)
	}
	if len(out.children) >= minIndexed {
		sets := make([][]*labels.Matcher, len(out.children))
		for i, c := range out.children {
			sets[i] = c.matchers
		}
		out.index = newMatcherIndex(sets)
	}
	if root {
		out.assignIDs()
	}
	return out
}

// compileEscalation resolves out's escalation. Like the timers, each key
// is inherited from the parent unless the route sets it, and the pair
// that results must be whole: a receiver and a positive delay, or
// neither. An explicit "escalate_after: 0s" — the way the router reads an
// explicit zero timer, as a setting of the route's own — switches
// escalation off, for the route and for the routes below it, which
// inherit "off": a descendant turns it on again by setting both keys, so
// that a receiver switched off above is never brought back by a delay
// alone.
func (cc *routeCompiler) compileEscalation(r *Route, parent *route, out *route, path string) {
	errs := cc.errs
	after, to := time.Duration(0), ""
	if parent != nil {
		after, to = parent.escalateAfter, parent.escalateTo
	}
	explicitOff := r.EscalateAfter == 0 && r.explicit&setEscalateAfter != 0
	switch {
	case r.EscalateAfter < 0:
		errs.Addf(path+".escalate_after", "must not be negative")
		return
	case explicitOff:
		after, to = 0, ""
	case r.EscalateAfter > 0:
		after = r.EscalateAfter.Std()
	}
	if r.EscalateTo != "" {
		if _, ok := cc.receivers[r.EscalateTo]; !ok {
			errs.Addf(path+".escalate_to", "undefined receiver %q%s", r.EscalateTo, knownNames(cc.receivers))
			return
		}
		to = r.EscalateTo
	}
	switch {
	case r.EscalateTo != "" && explicitOff:
		errs.Addf(path+".escalate_to", "escalate_after: 0s switches escalation off here; escalate_to would never be used")
	case after > 0 && to == "":
		errs.Addf(path+".escalate_to", "escalate_after needs a receiver to escalate to%s", offAbove(parent))
	case to != "" && after == 0:
		errs.Addf(path+".escalate_after", "escalate_to needs escalate_after, the time an alert may stay unacknowledged%s", offAbove(parent))
	default:
		out.escalateAfter, out.escalateTo = after, to
	}
}

// offAbove explains, in an escalation error, that nothing is inherited
// from the parent: it has no escalation, or switched it off.
func offAbove(parent *route) string {
	if parent == nil {
		return ""
	}
	return " (the parent route has no escalation to inherit)"
}

// assignIDs gives r's descendants their IDs, Alertmanager-style: the
// parent's ID, a slash and the route's matchers, with the route's index
// appended where siblings have the same matchers. IDs name groups in the
// state, so they stay the same when unrelated routes are added.
func (r *route) assignIDs() {
	seen := map[string]bool{}
	for i, c := range r.children {
		c.id = r.id + "/" + matchersString(c.matchers)
		if seen[c.id] {
			c.id = fmt.Sprintf("%s/%d", c.id, i)
		}
		seen[c.id] = true
		c.assignIDs()
	}
}

// lookupIntervals resolves time interval names.
func (cc *routeCompiler) lookupIntervals(path string, names []string) ([]TimeInterval, []string) {
	var out []TimeInterval
	var ok []string
	for i, name := range names {
		ti, found := cc.intervals[name]
		if !found {
			cc.errs.Addf(fmt.Sprintf("%s[%d]", path, i), "unknown time interval %q%s", name, knownNames(cc.intervals))
			continue
		}
		out = append(out, ti)
		ok = append(ok, name)
	}
	return out, ok
}

// knownNames lists the keys of m for an error message.
func knownNames[V any](m map[string]V) string {
	if len(m) == 0 {
		return ""
	}
	keys := slices.Sorted(maps.Keys(m))
	if len(keys) > 10 {
		keys = append(keys[:10], "…")
	}
	return " (known: " + strings.Join(keys, ", ") + ")"
}

// legacyMatchers turns Alertmanager's deprecated match / match_re maps
// into matchers, sorted by label name.
func legacyMatchers(errs *field.List, path string, m map[string]string, typ labels.MatchType) []*labels.Matcher {
	var out []*labels.Matcher
	for _, name := range slices.Sorted(maps.Keys(m)) {
		p := field.Join(path, name)
		if !legacyLabelName.MatchString(name) {
			errs.Addf(p, "invalid label name %q", name)
			continue
		}
		ms, err := labels.NewMatcher(typ, name, m[name])
		if err != nil {
			errs.Addf(p, "invalid regex %q: %v", m[name], err)
			continue
		}
		out = append(out, ms)
	}
	return out
}

// compileGroupBy checks a group_by list and returns it sorted.
func compileGroupBy(errs *field.List, path string, by []string) ([]string, bool) {
	seen := make(map[string]bool, len(by))
	all := false
	out := make([]string, 0, len(by))
	for i, name := range by {
		p := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case name == GroupByAll && len(by) > 1:
			errs.Addf(p, "%q groups by all labels and cannot be combined with other label names", GroupByAll)
		case name == GroupByAll:
			all = true
		case !legacyLabelName.MatchString(name):
			errs.Addf(p, "invalid label name %q", name)
		case seen[name]:
			errs.Addf(p, "duplicate label name %q", name)
		default:
			out = append(out, name)
		}
		seen[name] = true
	}
	slices.Sort(out)
	return out, all
}

// catchAll reports whether matchers match every label set.
func catchAll(ms []*labels.Matcher) bool {
	for _, m := range ms {
		if !matchesEverything(m) {
			return false
		}
	}
	return true
}

// match returns the routes that notify for ls, in tree order, following
// Alertmanager: the deepest matching routes, descending into the first
// matching child, and into later ones while the matching ones continue.
// The root always matches. buf is reused for the result.
func (r *route) match(ls labels.Labels, buf []*route) []*route {
	n := len(buf)
	if r.index == nil {
		for _, c := range r.children {
			if matchAll(c.matchers, ls) {
				before := len(buf)
				if buf = c.match(ls, buf); len(buf) > before && !c.cont {
					break
				}
			}
		}
	} else {
		var scratch [32]int32
		for _, i := range r.index.candidates(ls, scratch[:0]) {
			c := r.children[i]
			if matchAll(c.matchers, ls) {
				before := len(buf)
				if buf = c.match(ls, buf); len(buf) > before && !c.cont {
					break
				}
			}
		}
	}
	if len(buf) == n {
		buf = append(buf, r)
	}
	return buf
}

// groupLabels returns the labels of ls that r groups by.
func (r *route) groupLabels(ls labels.Labels) labels.Labels {
	if r.groupByAll {
		return ls
	}
	b := labels.NewScratchBuilder(len(r.groupBy))
	for _, name := range r.groupBy {
		if v := ls.Get(name); v != "" {
			b.Add(name, v)
		}
	}
	return b.Labels() // groupBy is sorted
}

// muted returns the name of a time interval that mutes r at t, or "".
func (r *route) muted(t time.Time) string {
	for i, ti := range r.mute {
		if ti != nil && ti.Contains(t) {
			return r.muteNames[i]
		}
	}
	if len(r.active) == 0 {
		return ""
	}
	for _, ti := range r.active {
		if ti != nil && ti.Contains(t) {
			return ""
		}
	}
	return "outside " + strings.Join(r.activeNames, ", ")
}
