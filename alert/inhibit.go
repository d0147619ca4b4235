package alert

import (
	"fmt"
	"slices"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/config/field"
)

// inhibitRule is a compiled InhibitRule with its index of source alerts.
type inhibitRule struct {
	index          int // position in inhibit_rules
	source, target []*labels.Matcher
	equal          []string // sorted
	// sources files every alert matching the source matchers under the
	// hash of its equal labels' values, so that a target finds the
	// alerts that may inhibit it with one lookup. Resolved alerts stay
	// filed until they are forgotten; the check skips them.
	sources map[uint64][]*alertState
}

// compileInhibitRule checks and compiles a rule.
func compileInhibitRule(ir InhibitRule) (*inhibitRule, field.List) {
	var errs field.List
	r := &inhibitRule{sources: map[uint64][]*alertState{}}
	for i, s := range ir.SourceMatchers {
		ms, err := ParseMatchers(s)
		if err != nil {
			errs.Add(fmt.Sprintf("source_matchers[%d]", i), err)
			continue
		}
		r.source = append(r.source, ms...)
	}
	for i, s := range ir.TargetMatchers {
		ms, err := ParseMatchers(s)
		if err != nil {
			errs.Add(fmt.Sprintf("target_matchers[%d]", i), err)
			continue
		}
		r.target = append(r.target, ms...)
	}
	r.source = append(r.source, legacyMatchers(&errs, "source_match", ir.SourceMatch, labels.MatchEqual)...)
	r.source = append(r.source, legacyMatchers(&errs, "source_match_re", ir.SourceMatchRE, labels.MatchRegexp)...)
	r.target = append(r.target, legacyMatchers(&errs, "target_match", ir.TargetMatch, labels.MatchEqual)...)
	r.target = append(r.target, legacyMatchers(&errs, "target_match_re", ir.TargetMatchRE, labels.MatchRegexp)...)
	seen := map[string]bool{}
	for i, name := range ir.Equal {
		p := fmt.Sprintf("equal[%d]", i)
		switch {
		case !legacyLabelName.MatchString(name):
			errs.Addf(p, "invalid label name %q", name)
		case seen[name]:
			errs.Addf(p, "duplicate label name %q", name)
		default:
			r.equal = append(r.equal, name)
		}
		seen[name] = true
	}
	slices.Sort(r.equal)
	if len(ir.SourceMatchers)+len(ir.SourceMatch)+len(ir.SourceMatchRE) == 0 &&
		len(ir.TargetMatchers)+len(ir.TargetMatch)+len(ir.TargetMatchRE) == 0 {
		errs.Addf("", "a rule without source and target matchers inhibits nothing: every alert is on both sides, and such alerts do not inhibit each other")
	}
	if why := contradiction(r.source); why != "" {
		errs.Addf("source_matchers", "no alert can match: %s", why)
	}
	if why := contradiction(r.target); why != "" {
		errs.Addf("target_matchers", "no alert can match: %s", why)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return r, nil
}

// equalHash hashes the values of the rule's equal labels in ls.
func (r *inhibitRule) equalHash(ls labels.Labels, buf []byte) (uint64, []byte) {
	return ls.HashForLabels(buf, r.equal...)
}

// equalLabels reports whether a and b have the same values of the equal
// labels (the hash may collide).
func (r *inhibitRule) equalLabels(a, b labels.Labels) bool {
	for _, name := range r.equal {
		if a.Get(name) != b.Get(name) {
			return false
		}
	}
	return true
}

// sourceRules calls f for each rule st is a source of.
func (m *Manager) sourceRules(st *alertState, f func(r *inhibitRule)) {
	rules := m.rt.inhibit
	if m.rt.sourceIndex == nil {
		for _, r := range rules {
			if matchAll(r.source, st.Labels) {
				f(r)
			}
		}
		return
	}
	var scratch [16]int32
	for _, i := range m.rt.sourceIndex.candidates(st.Labels, scratch[:0]) {
		if r := rules[i]; matchAll(r.source, st.Labels) {
			f(r)
		}
	}
}

// fileSource files st with the rules it is a source of. m.mu must be held.
func (m *Manager) fileSource(st *alertState) {
	var buf [256]byte
	m.sourceRules(st, func(r *inhibitRule) {
		h, _ := r.equalHash(st.Labels, buf[:0])
		r.sources[h] = append(r.sources[h], st)
	})
}

// unfileSource removes st from the rules' source index. m.mu must be held.
func (m *Manager) unfileSource(st *alertState) {
	var buf [256]byte
	m.sourceRules(st, func(r *inhibitRule) {
		h, _ := r.equalHash(st.Labels, buf[:0])
		list := slices.DeleteFunc(r.sources[h], func(s *alertState) bool { return s == st })
		if len(list) == 0 {
			delete(r.sources, h)
		} else {
			r.sources[h] = list
		}
	})
}

// inhibitedBy returns the firing alerts that inhibit st — only the first
// unless all is set — or nil. m.mu must be held.
func (m *Manager) inhibitedBy(st *alertState, now time.Time, all bool) []Fingerprint {
	var out []Fingerprint
	var buf [256]byte
	for _, r := range m.rt.inhibit {
		if len(r.sources) == 0 || !matchAll(r.target, st.Labels) {
			continue
		}
		h, _ := r.equalHash(st.Labels, buf[:0])
		cands := r.sources[h]
		if len(cands) == 0 {
			continue
		}
		// An alert on both sides of the rule is not inhibited by others
		// that are on both sides too.
		twoSided := matchAll(r.source, st.Labels)
		for _, src := range cands {
			if src == st || !r.equalLabels(src.Labels, st.Labels) {
				continue
			}
			m.expireAt(src, now)
			if src.Resolved() || (twoSided && matchAll(r.target, src.Labels)) {
				continue
			}
			if !slices.Contains(out, src.Fingerprint) {
				out = append(out, src.Fingerprint)
			}
			if !all {
				return out
			}
		}
	}
	return out
}
