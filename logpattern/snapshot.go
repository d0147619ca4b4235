package logpattern

import (
	"encoding/json"
	"fmt"
	"strings"
)

// snapshotVersion is the version of the snapshot format. Restore refuses
// other versions.
const snapshotVersion = 1

type snapshot struct {
	Version  int           `json:"version"`
	Config   Config        `json:"config"`
	NextID   uint64        `json:"next_id"`
	Line     uint64        `json:"line"`
	Stats    Stats         `json:"stats"`
	Clusters []snapCluster `json:"clusters"`          // least recently used first
	Aliases  [][2]uint64   `json:"aliases,omitempty"` // merged id → surviving id, oldest first
}

type snapCluster struct {
	ID     uint64   `json:"id"`
	Tokens []string `json:"tokens"`
	Route  []bool   `json:"route"`                // per routed position: went to the wildcard child
	Vars   []int    `json:"var_levels,omitempty"` // routed positions that went to the child of variable words
	Pats   []int    `json:"patterns,omitempty"`   // positions of prefix<*>suffix tokens
	Count  uint64   `json:"count"`
	First  uint64   `json:"first"`
	Last   uint64   `json:"last"`
}

// Snapshot serialises the miner's state (configuration, templates, tree
// routes, counters) as versioned JSON.
func (m *Miner) Snapshot() ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := snapshot{Version: snapshotVersion, Config: m.cfg, NextID: m.nextID, Line: m.line, Stats: m.stats}
	for c := m.lruTail; c != nil; c = c.prev {
		sc := snapCluster{ID: c.id, Tokens: c.strs, Count: c.count, First: c.first, Last: c.last}
		for i, h := range c.toks {
			if h == patHash {
				sc.Pats = append(sc.Pats, i)
			}
		}
		for n := c.leaf; n.parent != nil; n = n.parent {
			sc.Route = append(sc.Route, n.kind == edgeWild)
		}
		for i, j := 0, len(sc.Route)-1; i < j; i, j = i+1, j-1 {
			sc.Route[i], sc.Route[j] = sc.Route[j], sc.Route[i]
		}
		level := len(sc.Route)
		for n := c.leaf; n.parent != nil; n = n.parent {
			level--
			if n.kind == edgeVar {
				sc.Vars = append([]int{level}, sc.Vars...)
			}
		}
		s.Clusters = append(s.Clusters, sc)
	}
	for _, id := range m.aliasOrder {
		s.Aliases = append(s.Aliases, [2]uint64{id, m.alias[id]})
	}
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("snapshot logpattern miner: %w", err)
	}
	return b, nil
}

// Restore returns a miner with the state of a Snapshot.
func Restore(data []byte) (*Miner, error) {
	var s snapshot
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("restore logpattern miner: %w", err)
	}
	if s.Version != snapshotVersion {
		return nil, fmt.Errorf("restore logpattern miner: snapshot version %d, want %d", s.Version, snapshotVersion)
	}
	m, err := New(s.Config)
	if err != nil {
		return nil, fmt.Errorf("restore logpattern miner: %w", err)
	}
	seen := make(map[uint64]bool, len(s.Clusters))
	for i, sc := range s.Clusters {
		n := len(sc.Tokens)
		switch {
		case sc.ID == 0 || sc.ID > s.NextID || seen[sc.ID]:
			return nil, fmt.Errorf("restore logpattern miner: cluster %d: bad id %d", i, sc.ID)
		case n == 0 || n > m.cfg.MaxTokens:
			return nil, fmt.Errorf("restore logpattern miner: cluster %d: %d tokens", sc.ID, n)
		case len(sc.Route) != min(m.cfg.Depth-2, n):
			return nil, fmt.Errorf("restore logpattern miner: cluster %d: route of %d levels, want %d", sc.ID, len(sc.Route), min(m.cfg.Depth-2, n))
		}
		seen[sc.ID] = true
		c := &cluster{id: sc.ID, count: sc.Count, first: sc.First, last: sc.Last,
			toks: make([]uint64, n), strs: make([]string, n), word: make([]bool, n)}
		for k, tok := range sc.Tokens {
			c.strs[k] = tok
			c.toks[k] = hashString(tok)
			c.word[k] = isWordText(tok)
		}
		for _, k := range sc.Pats {
			w := strings.Index(sc.Tokens[max(k, 0)%n], wildcard)
			if k < 0 || k >= n || w < 0 {
				return nil, fmt.Errorf("restore logpattern miner: cluster %d: bad pattern position %d", sc.ID, k)
			}
			if c.pats == nil {
				c.pats = make([]tokPat, n)
			}
			tok := sc.Tokens[k]
			c.pats[k] = tokPat{pre: tok[:w], suf: tok[w+len(wildcard):]}
			c.toks[k] = patHash
			c.word[k] = false
		}
		leaf := m.roots[n]
		if leaf == nil {
			leaf = &node{key: uint64(n)}
			m.roots[n] = leaf
		}
		vars := make(map[int]bool, len(sc.Vars))
		for _, k := range sc.Vars {
			if k < 0 || k >= len(sc.Route) || sc.Route[k] {
				return nil, fmt.Errorf("restore logpattern miner: cluster %d: bad variable level %d", sc.ID, k)
			}
			vars[k] = true
		}
		for k, wild := range sc.Route {
			if wild {
				leaf = leaf.wildChild(true)
				continue
			}
			if vars[k] {
				leaf = leaf.varChild(true)
				continue
			}
			if c.toks[k] == wildHash {
				return nil, fmt.Errorf("restore logpattern miner: cluster %d: variable at routed position %d", sc.ID, k)
			}
			kid := leaf.children[c.toks[k]]
			if kid == nil {
				kid = &node{parent: leaf, key: c.toks[k]}
				if leaf.children == nil {
					leaf.children = make(map[uint64]*node)
				}
				leaf.children[c.toks[k]] = kid
			}
			leaf = kid
		}
		c.setTemplate()
		m.insert(leaf, c)
	}
	for _, a := range s.Aliases {
		if a[0] == 0 || a[0] > s.NextID || a[1] == 0 || a[1] > s.NextID || a[0] == a[1] {
			return nil, fmt.Errorf("restore logpattern miner: bad alias %d → %d", a[0], a[1])
		}
		m.addAlias(a[0], a[1])
	}
	m.nextID, m.line = s.NextID, s.Line
	m.stats = s.Stats
	m.stats.Clusters = len(s.Clusters)
	for m.stats.Clusters > m.cfg.MaxClusters {
		m.evict(m.lruTail)
	}
	return m, nil
}
