package main

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/seismo-dev/seismo/datasets"
)

// miner is what the benchmark needs of a template miner: the template of
// each message, mined in order.
type miner interface {
	Add(msg string) string
}

// grouper is implemented by miners whose templates generalise as lines
// arrive. The benchmark then labels every line with its group's final
// template once all lines are mined, as the benchmark's Drain does (it
// writes each line's cluster's template at the end), rather than with the
// template the group had when the line arrived.
type grouper interface {
	// AddGroup mines msg and returns its group.
	AddGroup(msg string) uint64
	// Final returns a group's template after all lines were mined.
	Final(group uint64) string
}

// minerSpec says how to build a dataset's miner.
type minerSpec struct {
	Dataset   string
	Settings  datasets.LoghubSettings
	Benchmark bool // use the dataset's published masks, st and depth
}

// minerFactory builds one fresh miner per dataset.
type minerFactory func(minerSpec) (miner, error)

// miners are the selectable miners by -miner name.
var miners = map[string]minerFactory{
	"baseline": newBaselineMiner,
}

// minerNames lists the selectable miners, sorted.
func minerNames() []string {
	names := make([]string, 0, len(miners))
	for n := range miners {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// baselineMiner is the floor any real miner must beat: with the
// benchmark settings it applies the dataset's masks, then it writes every
// whitespace-separated token that contains a digit as <*>. It has no tree
// and no clustering; the template is the masked message.
type baselineMiner struct {
	masks []*regexp.Regexp
	b     strings.Builder
}

func newBaselineMiner(s minerSpec) (miner, error) {
	m := &baselineMiner{}
	if s.Benchmark {
		for i, expr := range s.Settings.Masks {
			re, err := regexp.Compile(expr)
			if err != nil {
				return nil, fmt.Errorf("dataset %s: mask %d %q: %w", s.Dataset, i, expr, err)
			}
			m.masks = append(m.masks, re)
		}
	}
	return m, nil
}

func (m *baselineMiner) Add(msg string) string {
	for _, re := range m.masks {
		msg = re.ReplaceAllLiteralString(msg, "<*>")
	}
	m.b.Reset()
	for i, tok := range strings.Fields(msg) {
		if i > 0 {
			m.b.WriteByte(' ')
		}
		if strings.IndexFunc(tok, unicode.IsDigit) >= 0 {
			tok = "<*>"
		}
		m.b.WriteString(tok)
	}
	return m.b.String()
}

// defaultMiner is the miner -miner selects unless told otherwise.
const defaultMiner = "logpattern"
