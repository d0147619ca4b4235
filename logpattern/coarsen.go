package logpattern

import (
	"sort"
	"strings"
)

// TemplateGroup is a set of templates viewed as one at a coarser
// granularity.
type TemplateGroup struct {
	Template string   `json:"template"` // the members' common template: differing positions are <*>
	IDs      []uint64 `json:"ids"`      // member cluster ids, ascending
	Count    uint64   `json:"count"`    // sum of the members' counts
}

// Coarsen groups the miner's current templates at a similarity level
// without changing the miner; see CoarsenTemplates.
func (m *Miner) Coarsen(level float64) []TemplateGroup {
	return CoarsenTemplates(m.Templates(), level)
}

// CoarsenTemplates groups templates at a similarity level in [0, 1]: a
// template joins the first group of the same token count whose leading
// template (its most frequent member) it agrees with on at least a share
// level of the positions (a <*> agrees with anything); leaders do not
// chain, so a group's members are all close to one template. Level 1
// merges only templates that agree everywhere (equal but for variables);
// lower levels merge more. Templates are visited by descending count (then
// id), so the result is deterministic; groups come out by descending
// count. It is pure, so the same templates can be viewed at any
// granularity — from a live miner, or as stored with counts over a range.
func CoarsenTemplates(ts []Template, level float64) []TemplateGroup {
	type item struct {
		id    uint64
		count uint64
		strs  []string
	}
	cs := make([]item, len(ts))
	for i, t := range ts {
		cs[i] = item{id: t.ID, count: t.Count, strs: strings.Fields(t.Template)}
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].count != cs[j].count {
			return cs[i].count > cs[j].count
		}
		return cs[i].id < cs[j].id
	})
	type group struct {
		seed  []string // the leading (most frequent) member's tokens
		toks  []string
		ids   []uint64
		count uint64
	}
	byLen := map[int][]*group{}
	var order []*group
	for _, c := range cs {
		var into *group
		for _, g := range byLen[len(c.strs)] {
			if agreement(g.seed, c.strs) >= level {
				into = g
				break
			}
		}
		if into == nil {
			into = &group{seed: c.strs, toks: append([]string(nil), c.strs...)}
			byLen[len(c.strs)] = append(byLen[len(c.strs)], into)
			order = append(order, into)
		} else {
			for i, tok := range into.toks {
				if tok != c.strs[i] {
					into.toks[i] = wildcard
				}
			}
		}
		into.ids = append(into.ids, c.id)
		into.count += c.count
	}
	out := make([]TemplateGroup, len(order))
	for i, g := range order {
		sort.Slice(g.ids, func(a, b int) bool { return g.ids[a] < g.ids[b] })
		out[i] = TemplateGroup{Template: joinTokens(g.toks), IDs: g.ids, Count: g.count}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	return out
}

// agreement is the share of positions where a and b agree (a <*> agrees
// with anything); a and b have the same length.
func agreement(a, b []string) float64 {
	if len(a) == 0 {
		return 1
	}
	eq := 0
	for i := range a {
		if a[i] == b[i] || a[i] == wildcard || b[i] == wildcard {
			eq++
		}
	}
	if eq == len(a) {
		return 1
	}
	return float64(eq) / float64(len(a))
}

func joinTokens(toks []string) string { return strings.Join(toks, " ") }
