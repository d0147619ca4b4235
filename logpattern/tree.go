package logpattern

import (
	"slices"
	"strings"
)

// edge says how a node is reached from its parent.
type edge uint8

const (
	edgeLiteral edge = iota // by the token's text
	edgeWild                // a token with a digit or a variable
	edgeVar                 // a word that turned out to be a variable
)

// route returns the leaf of toks: the first level is the token count, the
// next Depth-2 levels the first tokens. A token with a digit or a variable
// goes to the wildcard child, and so does any token once a node has
// MaxChildren children; a word without a child of its own goes to the
// child of variable words, if the node has one. With create false, route
// only follows the tree and returns nil when there is no leaf. The nodes
// visited are left in m.path.
func (m *Miner) route(toks []token, create bool) *node {
	n := len(toks)
	cur := m.roots[n]
	if cur == nil {
		if !create {
			return nil
		}
		cur = &node{key: uint64(n)}
		m.roots[n] = cur
	}
	m.path = append(m.path[:0], cur)
	return m.descend(cur, toks, 0, create)
}

// descend routes toks from node cur at level from (0 is the first token)
// and appends the nodes it visits to m.path.
func (m *Miner) descend(cur *node, toks []token, from int, create bool) *node {
	levels := min(m.cfg.Depth-2, len(toks))
	for i := from; i < levels; i++ {
		t := &toks[i]
		if t.hasDigit || t.spanHi > t.spanLo {
			cur = cur.wildChild(create)
		} else if kid := cur.children[t.hash]; kid != nil {
			cur = kid
		} else if cur.varKid != nil {
			cur = cur.varKid
		} else if !create {
			cur = cur.wildKid
		} else if len(cur.children) < m.cfg.MaxChildren {
			kid = &node{parent: cur, key: t.hash}
			if cur.children == nil {
				cur.children = make(map[uint64]*node)
			}
			cur.children[t.hash] = kid
			cur = kid
		} else {
			cur = cur.wildChild(true)
		}
		if cur == nil {
			return nil
		}
		m.path = append(m.path, cur)
	}
	return cur
}

func (n *node) wildChild(create bool) *node {
	if n.wildKid == nil && create {
		n.wildKid = &node{parent: n, kind: edgeWild}
	}
	return n.wildKid
}

func (n *node) varChild(create bool) *node {
	if n.varKid == nil && create {
		n.varKid = &node{parent: n, kind: edgeVar}
	}
	return n.varKid
}

// bestElsewhere looks for a template for toks that has a variable at a
// routed position where the message has a word: where route took the
// word's own child, the leaves down the node's child of variable words
// and, but for the first token, its wildcard child (a variable covers any
// token). It returns the
// best cluster found, its similarity and leaf. m.path is that of the last
// route and stays so.
func (m *Miner) bestElsewhere(toks []token) (best *cluster, sim float64, leaf *node) {
	levels := len(m.path) - 1
	for p := 0; p < levels; p++ {
		if m.path[p+1].kind != edgeLiteral {
			continue
		}
		for k, alt := range [2]*node{m.path[p].varKid, m.path[p].wildKid} {
			if alt == nil || k == 1 && p == 0 {
				// The first token names the event: a word there does not
				// join templates that start with a variable.
				continue
			}
			mark := len(m.path)
			l := m.descend(alt, toks, p+1, false)
			m.path = m.path[:mark]
			if l == nil {
				continue
			}
			if c, s, _ := m.best(l, toks); c != nil && s > sim {
				best, sim, leaf = c, s, l
			}
		}
	}
	return best, sim, leaf
}

// prune removes n and its ancestors while they hold nothing, so the tree
// never holds more nodes than its clusters need.
func (m *Miner) prune(n *node) {
	for n != nil && len(n.clusters) == 0 && len(n.children) == 0 && n.wildKid == nil && n.varKid == nil {
		p := n.parent
		switch {
		case p == nil:
			if m.roots[n.key] == n {
				m.roots[n.key] = nil
			}
			return
		case n.kind == edgeWild && p.wildKid == n:
			p.wildKid = nil
		case n.kind == edgeVar && p.varKid == n:
			p.varKid = nil
		case n.kind == edgeLiteral && p.children[n.key] == n:
			delete(p.children, n.key)
		default:
			return // already detached
		}
		n = p
	}
}

// best returns the cluster of leaf that toks may join with its
// similarity, the share of positions where the template has the
// message's token or a variable that covers it; ties go to the template
// with fewer variables (the more specific one), then to the older one.
// A template may not be joined when a word of it (a token without digits
// or variables) differs from a word of the message: words are constants
// until several values were seen at the same place (see joinSiblings).
// closest is the most similar cluster regardless of words, for the
// explosion guard.
func (m *Miner) best(leaf *node, toks []token) (best *cluster, sim float64, closest *cluster) {
	bestEq, bestWild := -1, 0
	closeEq, closeWild := -1, 0
	for _, c := range leaf.clusters {
		eq, wild, conflict := 0, 0, false
		for i, h := range c.toks {
			t := &toks[i]
			switch h {
			case t.hash:
				eq++
			case wildHash:
				wild++
			case patHash:
				if m.fits(c.pats[i], t) {
					wild++
				}
			default:
				conflict = conflict || m.conflicts(c, i, t)
			}
		}
		score := eq + wild
		if score > closeEq || (score == closeEq && wild < closeWild) {
			closest, closeEq, closeWild = c, score, wild
		}
		if !conflict && (score > bestEq || (score == bestEq && wild < bestWild)) {
			best, bestEq, bestWild = c, score, wild
		}
	}
	if best == nil {
		return nil, 0, closest
	}
	return best, float64(bestEq) / float64(len(toks)), closest
}

// conflicts reports whether the message token t may not be merged into
// position i of c's template, which differs from it: two different words
// (constants until proven variable, see joinSiblings); two tokens with
// variables whose texts around them differ, or any two tokens in the
// first position whose texts outside the variables differ (the first
// token names the event); a token with variables that cannot stand for
// the other's text (tty=:<*> and tty=NODEVssh).
func (m *Miner) conflicts(c *cluster, i int, t *token) bool {
	if c.word[i] && t.word() {
		return true
	}
	out := m.sc.out[t.lo:t.hi]
	tmplVar := strings.Contains(c.strs[i], wildcard)
	msgVar := t.spanHi > t.spanLo
	switch {
	case i == 0 || tmplVar && msgVar:
		return !sameLiterals(c.strs[i], out)
	case msgVar:
		return !globMatch(string(out), c.strs[i])
	case tmplVar:
		return !globMatch(c.strs[i], string(out))
	}
	return false
}

// globMatch reports whether text is an instance of pattern, where each
// <*> of pattern stands for any text, the empty one included.
func globMatch(pattern, text string) bool {
	star, resume := -1, 0
	p, t := 0, 0
	for t < len(text) {
		switch {
		case strings.HasPrefix(pattern[p:], wildcard):
			p += len(wildcard)
			star, resume = p, t
		case p < len(pattern) && pattern[p] == text[t]:
			p++
			t++
		case star >= 0:
			resume++
			p, t = star, resume
		default:
			return false
		}
	}
	for strings.HasPrefix(pattern[p:], wildcard) {
		p += len(wildcard)
	}
	return p == len(pattern)
}

// sameLiterals reports whether two masked tokens have the same text
// around their variables: the first token names the event, so
// mapResourceRequest:<*> and reduceResourceRequest:<*> stay apart.
func sameLiterals(a string, b []byte) bool {
	for {
		for strings.HasPrefix(a, wildcard) {
			a = a[len(wildcard):]
		}
		for len(b) >= len(wildcard) && string(b[:len(wildcard)]) == wildcard {
			b = b[len(wildcard):]
		}
		if a == "" || len(b) == 0 {
			return a == "" && len(b) == 0
		}
		if a[0] != b[0] {
			return false
		}
		a, b = a[1:], b[1:]
	}
}

// minWordValues is the number of different words seen at one position of
// otherwise equal templates that makes the position a variable: a user
// name, not a state or a verb.
const minWordValues = 3

// joinSiblings handles a message that no template may join: when
// minWordValues-1 templates are equal to the message but for a word at
// one position, that position is a variable. The templates are those of
// the message's leaf and, for a word in a routed position, those of the
// leaves down the other words at that level. They are merged into the
// oldest of them, whose template gets a <*> there (and which moves down
// the child of variable words when the position is routed); the others'
// ids become aliases of it (see Canonical). It returns the merged
// cluster, or nil. It expects m.path to be the message's route.
func (m *Miner) joinSiblings(leaf *node, toks []token) *cluster {
	if len(toks) < 3 {
		return nil // too little context to tell a variable from an event name
	}
	m.sib = m.sib[:0]
	m.collectSiblings(leaf, toks, -1)
	levels := len(m.path) - 1
	// The first token names the event more often than not (the premise
	// of routing by the leading tokens): it is never made a variable.
	for p := 1; p < levels; p++ {
		if m.path[p+1].kind != edgeLiteral || !toks[p].word() {
			continue
		}
		for _, kid := range m.path[p].children {
			if kid == m.path[p+1] {
				continue
			}
			mark := len(m.path)
			l := m.descend(kid, toks, p+1, false)
			m.path = m.path[:mark]
			if l != nil {
				m.collectSiblings(l, toks, p)
			}
		}
	}
	if len(m.sib) < minWordValues-1 {
		return nil
	}
	for k, s := range m.sib {
		n := 0
		surv := s.c
		for _, o := range m.sib[k:] {
			if o.p == s.p {
				n++
				if o.c.id < surv.id {
					surv = o.c
				}
			}
		}
		if n+1 < minWordValues {
			continue
		}
		p := s.p
		var dest *node
		if p < levels {
			// The survivor moves down the child of variable words, where
			// messages with other words at p find it.
			mark := len(m.path)
			dest = m.descend(m.path[p].varChild(true), toks, p+1, true)
			m.path = m.path[:mark]
		}
		for _, o := range m.sib[k:] {
			if o.p != p || o.c == surv {
				continue
			}
			surv.count += o.c.count
			surv.first = min(surv.first, o.c.first)
			surv.last = max(surv.last, o.c.last)
			m.remove(o.c)
			m.addAlias(o.c.id, surv.id)
			m.stats.Absorbed++
		}
		if dest != nil && dest != surv.leaf {
			m.detach(surv)
			surv.leaf = dest
			dest.clusters = append(dest.clusters, surv)
		}
		surv.toks[p], surv.strs[p], surv.word[p] = wildHash, wildcard, false
		surv.setTemplate()
		m.stats.Changed++
		return surv
	}
	return nil
}

// collectSiblings adds to m.sib the clusters of leaf that equal toks but
// for a word at one position (position only, if not negative).
func (m *Miner) collectSiblings(leaf *node, toks []token, only int) {
	for _, c := range leaf.clusters {
		p := -1
		for i, h := range c.toks {
			if h == toks[i].hash {
				continue
			}
			if p >= 0 || i == 0 || !c.word[i] || !toks[i].word() || only >= 0 && i != only {
				p = -2
				break
			}
			p = i
		}
		if p >= 0 {
			m.sib = append(m.sib, sibling{c, p})
		}
	}
}

// absorbCovered merges into c, whose template was just generalised, the
// clusters whose templates it now covers: those of c's leaf and, where
// c's route takes a wildcard or variable child, those down the node's
// other children (toks, a message c covers, leads the way below). Their
// ids become aliases of c's, so that one template is never held twice.
func (m *Miner) absorbCovered(c *cluster, toks []token) {
	m.cpath = m.cpath[:0]
	for n := c.leaf; n != nil; n = n.parent {
		m.cpath = append(m.cpath, n)
	}
	slices.Reverse(m.cpath)
	m.absorbIn(c.leaf, c)
	for p := 0; p+1 < len(m.cpath); p++ {
		own := m.cpath[p+1]
		if own.kind == edgeLiteral {
			continue
		}
		parent := m.cpath[p]
		for _, kid := range parent.children {
			m.absorbDown(kid, c, toks, p)
		}
		for _, kid := range [2]*node{parent.wildKid, parent.varKid} {
			if kid != nil && kid != own {
				m.absorbDown(kid, c, toks, p)
			}
		}
	}
}

func (m *Miner) absorbDown(kid *node, c *cluster, toks []token, p int) {
	mark := len(m.path)
	l := m.descend(kid, toks, p+1, false)
	m.path = m.path[:mark]
	if l != nil {
		m.absorbIn(l, c)
	}
}

// absorbIn merges into c the other clusters of leaf that c covers.
func (m *Miner) absorbIn(leaf *node, c *cluster) {
	for k := 0; k < len(leaf.clusters); k++ {
		d := leaf.clusters[k]
		if d == c || !c.coversTemplate(d) {
			continue
		}
		c.count += d.count
		c.first = min(c.first, d.first)
		c.last = max(c.last, d.last)
		m.remove(d) // may prune leaf, which is then empty
		m.addAlias(d.id, c.id)
		m.stats.Absorbed++
		k--
	}
}

// coversTemplate reports whether every message d's template covers is
// covered by c's.
func (c *cluster) coversTemplate(d *cluster) bool {
	for i, h := range c.toks {
		switch h {
		case d.toks[i], wildHash:
		case patHash:
			p, t := c.pats[i], d.strs[i]
			if d.toks[i] == wildHash || len(t) < len(p.pre)+len(p.suf) || !strings.HasPrefix(t, p.pre) || !strings.HasSuffix(t, p.suf) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

type sibling struct {
	c *cluster
	p int
}

// addAlias records that cluster id was merged into to. At most
// MaxClusters aliases are kept, the oldest forgotten first.
func (m *Miner) addAlias(id, to uint64) {
	if m.alias == nil {
		m.alias = make(map[uint64]uint64)
	}
	m.alias[id] = to
	m.aliasOrder = append(m.aliasOrder, id)
	if len(m.aliasOrder) > m.cfg.MaxClusters {
		delete(m.alias, m.aliasOrder[0])
		m.aliasOrder = m.aliasOrder[1:]
	}
}

// Canonical returns the id of the cluster that holds the messages of
// cluster id now: id itself, or the cluster it was merged into when its
// template turned out to differ from others only by a variable. Merges
// are reported as ChangeChanged of the surviving cluster; the ids of the
// merged clusters are remembered for the last MaxClusters merges.
func (m *Miner) Canonical(id uint64) uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	for range len(m.alias) + 1 {
		to, ok := m.alias[id]
		if !ok {
			break
		}
		id = to
	}
	return id
}

// tokPat is a template token generalised to prefix<*>suffix: two tokens
// that differ only between a shared punctuated prefix and suffix
// (user=root, user=guest) keep the prefix and suffix (user=<*>).
type tokPat struct{ pre, suf string }

// patHash marks a pattern token in cluster.toks. It is not the hash of
// any token's text (hashString never returns it for the texts we hash
// with overwhelming probability, and a collision only affects matching).
const patHash = 0x5e15_0000_0000_0001

// fits reports whether the message token matches the pattern.
func (m *Miner) fits(p tokPat, t *token) bool {
	out := m.sc.out[t.lo:t.hi]
	return len(out) >= len(p.pre)+len(p.suf) &&
		string(out[:len(p.pre)]) == p.pre && string(out[len(out)-len(p.suf):]) == p.suf
}

// covers reports whether position i of c's template covers t as it is.
func (m *Miner) covers(c *cluster, i int, t *token) bool {
	switch h := c.toks[i]; h {
	case t.hash, wildHash:
		return true
	case patHash:
		return m.fits(c.pats[i], t)
	}
	return false
}

// generalise returns the pattern covering the template token a and the
// message token b (masked texts), or false when they only share a <*>.
// The prefix ends and the suffix starts at punctuation, and neither holds
// a variable, so that the <*> stands for one value.
func generalise(a, b string) (tokPat, bool) {
	limit := min(len(a), len(b))
	if k := strings.Index(a, wildcard); k >= 0 {
		limit = min(limit, k)
	}
	if k := strings.Index(b, wildcard); k >= 0 {
		limit = min(limit, k)
	}
	p := 0
	for p < limit && a[p] == b[p] {
		p++
	}
	for p > 0 && is(a[p-1], cLetter|cDigit) {
		p--
	}
	slimit := min(len(a), len(b)) - p
	if k := strings.LastIndex(a, wildcard); k >= 0 {
		slimit = min(slimit, len(a)-k-len(wildcard))
	}
	if k := strings.LastIndex(b, wildcard); k >= 0 {
		slimit = min(slimit, len(b)-k-len(wildcard))
	}
	s := 0
	for s < slimit && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	for s > 0 && is(a[len(a)-s], cLetter|cDigit) {
		s--
	}
	// One of them may be exactly prefix and suffix: an empty value, as in
	// "()" and "(host)".
	if p == 0 && s == 0 || p+s == len(a) && p+s == len(b) {
		return tokPat{}, false
	}
	return tokPat{pre: a[:p], suf: a[len(a)-s:]}, true
}

// merge generalises c's template to cover toks; it reports whether the
// template changed.
func (m *Miner) merge(c *cluster, toks []token) bool {
	changed := false
	for i := range c.toks {
		t := &toks[i]
		if m.covers(c, i, t) {
			continue
		}
		changed = true
		if c.toks[i] != patHash {
			if p, ok := generalise(c.strs[i], string(m.sc.out[t.lo:t.hi])); ok {
				if c.pats == nil {
					c.pats = make([]tokPat, len(c.toks))
				}
				c.pats[i] = p
				c.toks[i] = patHash
				c.strs[i] = p.pre + wildcard + p.suf
				c.word[i] = false
				continue
			}
		}
		c.toks[i] = wildHash
		c.strs[i] = wildcard
		c.word[i] = false
	}
	if changed {
		c.setTemplate()
		m.stats.Changed++
	}
	return changed
}

// create adds a cluster for toks to leaf, evicting the least recently
// used cluster when MaxClusters is reached.
func (m *Miner) create(leaf *node, toks []token) *cluster {
	m.nextID++
	c := &cluster{id: m.nextID, first: m.line, leaf: leaf,
		toks: make([]uint64, len(toks)), strs: make([]string, len(toks)), word: make([]bool, len(toks))}
	for i, t := range toks {
		c.toks[i] = t.hash
		c.word[i] = t.word()
		if t.hash == wildHash {
			c.strs[i] = wildcard
		} else {
			c.strs[i] = string(m.sc.out[t.lo:t.hi])
		}
	}
	c.setTemplate()
	m.insert(leaf, c)
	m.stats.Created++
	for m.stats.Clusters > m.cfg.MaxClusters {
		m.evict(m.lruTail)
	}
	return c
}

// insert links c into leaf and at the front of the LRU list.
func (m *Miner) insert(leaf *node, c *cluster) {
	c.leaf = leaf
	leaf.clusters = append(leaf.clusters, c)
	c.next = m.lruHead
	if m.lruHead != nil {
		m.lruHead.prev = c
	}
	m.lruHead = c
	if m.lruTail == nil {
		m.lruTail = c
	}
	m.stats.Clusters++
}

// touch moves c to the front of the LRU list.
func (m *Miner) touch(c *cluster) {
	if m.lruHead == c {
		return
	}
	m.unlink(c)
	c.next = m.lruHead
	m.lruHead.prev = c
	m.lruHead = c
	if m.lruTail == nil {
		m.lruTail = c
	}
}

func (m *Miner) unlink(c *cluster) {
	if c.prev != nil {
		c.prev.next = c.next
	} else {
		m.lruHead = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	} else {
		m.lruTail = c.prev
	}
	c.prev, c.next = nil, nil
}

// evict removes the least recently used cluster c (Stats.Evictions).
func (m *Miner) evict(c *cluster) {
	m.remove(c)
	m.stats.Evictions++
}

// remove removes c from the miner and prunes the tree nodes it leaves
// empty, so the tree never holds more nodes than its clusters need.
func (m *Miner) remove(c *cluster) {
	m.unlink(c)
	m.detach(c)
	m.stats.Clusters--
}

// detach removes c from its leaf and prunes the nodes left empty.
func (m *Miner) detach(c *cluster) {
	leaf := c.leaf
	for i, x := range leaf.clusters {
		if x == c {
			copy(leaf.clusters[i:], leaf.clusters[i+1:])
			leaf.clusters[len(leaf.clusters)-1] = nil
			leaf.clusters = leaf.clusters[:len(leaf.clusters)-1]
			break
		}
	}
	m.prune(leaf)
}

// setTemplate sets the template text from the token texts, and the
// positions that hold variables.
func (c *cluster) setTemplate() {
	c.template = strings.Join(c.strs, " ")
	c.nparams = strings.Count(c.template, wildcard)
	c.vars = c.vars[:0]
	for i, tok := range c.strs {
		if strings.Contains(tok, wildcard) {
			c.vars = append(c.vars, int32(i))
		}
	}
}

// params appends to dst the values behind the <*> of c's template in
// toks. The values are substrings of the message (so they keep it in
// memory while they are held); a value holding personal data is a new
// string with the data redacted.
func (m *Miner) params(c *cluster, msg string, toks []token, spans []span, dst []string) []string {
	if m.cfg.NoParams || c.nparams == 0 {
		return dst
	}
	if dst == nil {
		dst = make([]string, 0, c.nparams)
	}
	for _, i := range c.vars {
		t := &toks[i]
		raw := msg[t.rawLo:t.rawHi]
		switch c.toks[i] {
		case wildHash:
		case patHash:
			p := c.pats[i]
			if len(raw) >= len(p.pre)+len(p.suf) && strings.HasPrefix(raw, p.pre) && strings.HasSuffix(raw, p.suf) {
				raw = raw[len(p.pre) : len(raw)-len(p.suf)]
			}
		default:
			// The template has the message's masked token.
			for _, sp := range spans[t.spanLo:t.spanHi] {
				v := raw[sp.lo:sp.hi]
				if t.longRun {
					v = redact(v)
				}
				dst = append(dst, v)
			}
			continue
		}
		if t.longRun {
			raw = redact(raw)
		}
		dst = append(dst, raw)
	}
	return dst
}
