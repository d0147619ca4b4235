package logpattern

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"
)

// ChangeKind says what an Add did to the template of the message's cluster.
type ChangeKind uint8

// The changes an Add reports.
const (
	ChangeNone    ChangeKind = iota // the message matched the template as it was
	ChangeCreated                   // a new cluster (template) was created
	ChangeChanged                   // the cluster's template was generalised
)

func (k ChangeKind) String() string {
	switch k {
	case ChangeNone:
		return "none"
	case ChangeCreated:
		return "created"
	case ChangeChanged:
		return "changed"
	}
	return fmt.Sprintf("ChangeKind(%d)", uint8(k))
}

// Match is the result of mining one message.
//
// A message that is empty or binary is counted in Stats and not mined: its
// Match has ClusterID 0 and an empty Template.
type Match struct {
	ClusterID uint64     // stable id of the template cluster (ids start at 1)
	Template  string     // variables written <*>, punctuation kept: "size=<*>,"
	Params    []string   // the value behind each <*> in order, personal data redacted
	Change    ChangeKind // what this message did to the template
}

// Template is one cluster of the miner.
type Template struct {
	ID        uint64 `json:"id"`
	Template  string `json:"template"`
	Count     uint64 `json:"count"`
	FirstLine uint64 `json:"first_line"` // 1-based number of the Add that created it
	LastLine  uint64 `json:"last_line"`  // number of the last Add that matched it
}

// Stats are the miner's counters since New (or since the snapshot's
// miner was created, for a restored miner).
type Stats struct {
	Lines       uint64 `json:"lines"`        // messages given to Add
	TooLong     uint64 `json:"too_long"`     // truncated to MaxLineBytes
	InvalidUTF8 uint64 `json:"invalid_utf8"` // invalid bytes replaced by U+FFFD
	Binary      uint64 `json:"binary"`       // mostly non-printable, not mined
	Empty       uint64 `json:"empty"`        // empty or only spaces, not mined
	ManyTokens  uint64 `json:"many_tokens"`  // more than MaxTokens tokens, rest joined
	Clusters    int    `json:"clusters"`     // templates held now
	Created     uint64 `json:"created"`      // clusters created
	Changed     uint64 `json:"changed"`      // templates generalised
	Evictions   uint64 `json:"evictions"`    // clusters evicted (least recently used) by MaxClusters
	Merges      uint64 `json:"merges"`       // forced merges by MaxClustersPerLeaf
	Absorbed    uint64 `json:"absorbed"`     // clusters merged into a sibling (see Miner.Canonical)
}

// Miner mines templates from one stream of messages with a Drain-style
// fixed-depth prefix tree.
//
// A Miner is safe for concurrent use: a mutex serialises Add, Match and
// the read methods, which suits one stream's pipeline (one miner per
// stream; the miner itself is single-threaded).
type Miner struct {
	mu    sync.Mutex
	cfg   Config
	masks []*regexp.Regexp
	lits  []string // the literal prefix every match of masks[i] starts with

	roots   []*node // by token count
	nextID  uint64
	line    uint64
	lruHead *cluster // most recently used
	lruTail *cluster
	stats   Stats

	alias      map[uint64]uint64 // merged cluster id → the id it was merged into
	aliasOrder []uint64          // keys of alias, oldest first

	sc    scanner
	lines *lineCache // nil with user masks
	epoch uint64     // counts the changes of templates and tree
	sib   []sibling
	path  []*node // the nodes route visited: path[i] is the node at level i
	cpath []*node // scratch: a cluster's path
}

// cluster is one template.
type cluster struct {
	id       uint64
	toks     []uint64 // token hashes; wildHash for <*>, patHash for a pattern
	strs     []string // token texts
	word     []bool   // the token is a word: no digit, no variable
	pats     []tokPat // the patterns where toks is patHash (nil if none)
	template string
	nparams  int     // the <*> in template
	vars     []int32 // positions of the tokens with a <*>
	count    uint64
	first    uint64
	last     uint64
	leaf     *node
	prev     *cluster
	next     *cluster
}

// node is a node of the prefix tree.
type node struct {
	parent   *node
	key      uint64 // key in parent (token hash), or the token count at depth 1
	kind     edge   // how parent leads here
	children map[uint64]*node
	wildKid  *node // tokens with digits or variables
	varKid   *node // words found to be variables (see joinSiblings)
	clusters []*cluster
}

// New returns a miner for cfg; defaults are applied to a copy.
func New(cfg Config) (*Miner, error) {
	cfg.Masks = append([]MaskConfig(nil), cfg.Masks...)
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("logpattern config: %w", err)
	}
	m := &Miner{cfg: cfg, roots: make([]*node, cfg.MaxTokens+1)}
	for _, mk := range cfg.Masks {
		re := regexp.MustCompile(mk.Regex) // validated above
		prefix, _ := re.LiteralPrefix()
		m.masks = append(m.masks, re)
		m.lits = append(m.lits, prefix)
	}
	m.sc = scanner{}.withCaches()
	if len(cfg.Masks) == 0 {
		m.lines = new(lineCache)
	}
	m.sc.maxTokens = cfg.MaxTokens
	m.sc.maxTokenBytes = cfg.MaxTokenBytes
	m.sc.maskKV = cfg.MaskKeyValues
	return m, nil
}

// Config returns the miner's configuration with defaults applied.
func (m *Miner) Config() Config { return m.cfg }

// Add mines one message: the free text of a log record after the stream's
// line format extracted it. It never panics; bad input is counted in
// Stats and bounded.
func (m *Miner) Add(msg string) Match {
	var mt Match
	m.AddTo(msg, &mt)
	return mt
}

// AddTo is Add writing its result into *mt, reusing the capacity of
// mt.Params: a pipeline that keeps one Match does not allocate per
// message (the parameters are substrings of msg unless personal data was
// redacted in them).
func (m *Miner) AddTo(msg string, mt *Match) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.line++
	m.stats.Lines++
	params := mt.Params[:0]
	*mt = Match{Params: params}
	if m.lines != nil && len(msg) <= m.cfg.MaxLineBytes {
		// A message of a shape seen since the last change of the
		// templates takes the same way as last time.
		if e := m.lines.lookup(msg, m.epoch); e != nil {
			if e.many {
				m.stats.ManyTokens++
			}
			c := e.c
			c.count++
			c.last = m.line
			m.touch(c)
			*mt = Match{ClusterID: c.id, Template: c.template, Params: m.params(c, msg, e.toks, e.spans, params)}
			return
		}
	}
	manyBefore := m.stats.ManyTokens
	if !m.prepare(msg, true) {
		return
	}
	toks := m.sc.toks
	leaf := m.route(toks, true)
	c, sim, closest := m.best(leaf, toks)
	if c == nil || sim < m.cfg.SimilarityThreshold {
		if c2, sim2, leaf2 := m.bestElsewhere(toks); c2 != nil && sim2 >= m.cfg.SimilarityThreshold {
			m.prune(leaf)
			c, sim, closest, leaf = c2, sim2, nil, leaf2
		}
	}
	change := ChangeNone
	plain := false
	switch {
	case c != nil && sim >= m.cfg.SimilarityThreshold:
		if sim < 1 && m.merge(c, toks) {
			change = ChangeChanged
		}
		plain = true
	case closest != nil && len(leaf.clusters) >= m.cfg.MaxClustersPerLeaf:
		// Explosion guard: generalise the closest template instead.
		c = closest
		m.stats.Merges++
		if m.merge(c, toks) {
			change = ChangeChanged
		}
	default:
		if c = m.joinSiblings(leaf, toks); c != nil {
			change = ChangeChanged
			m.prune(leaf)
			break
		}
		c = m.create(leaf, toks)
		change = ChangeCreated
	}
	if change == ChangeChanged {
		m.absorbCovered(c, toks)
	}
	if change != ChangeNone {
		m.epoch++
	} else if plain && m.lines != nil && m.sc.msg == msg {
		m.lines.store(msg, m.epoch, c, toks, m.sc.spans, m.stats.ManyTokens != manyBefore)
	}
	c.count++
	c.last = m.line
	m.touch(c)
	*mt = Match{ClusterID: c.id, Template: c.template, Params: m.params(c, m.sc.msg, toks, m.sc.spans, params), Change: change}
}

// Match finds the template of msg without creating or changing any
// template (match-only mode). The second result is false when no template
// is similar enough.
func (m *Miner) Match(msg string) (Match, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.prepare(msg, false) {
		return Match{}, false
	}
	toks := m.sc.toks
	leaf := m.route(toks, false)
	var c *cluster
	var sim float64
	if leaf != nil {
		c, sim, _ = m.best(leaf, toks)
	}
	if c == nil || sim < m.cfg.SimilarityThreshold {
		if c, sim, _ = m.bestElsewhere(toks); c == nil || sim < m.cfg.SimilarityThreshold {
			return Match{}, false
		}
	}
	// Only a message the template covers as it is matches.
	for i := range c.toks {
		if !m.covers(c, i, &toks[i]) {
			return Match{}, false
		}
	}
	return Match{ClusterID: c.id, Template: c.template, Params: m.params(c, m.sc.msg, toks, m.sc.spans, nil)}, true
}

// prepare bounds, cleans and tokenises msg into m.sc.toks; false means
// it is not mined (counted when count is true).
func (m *Miner) prepare(msg string, count bool) bool {
	if len(msg) > m.cfg.MaxLineBytes {
		cut := m.cfg.MaxLineBytes
		for cut > m.cfg.MaxLineBytes-utf8.UTFMax && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut]
		if count {
			m.stats.TooLong++
		}
	}
	if len(m.masks) > 0 {
		// User masks see the cleaned message, so clean it first.
		ctrl, high := countBytes(msg)
		msg = m.fixUTF8(msg, high, count)
		if m.binary(msg, ctrl, high, count) {
			return false
		}
		for i, re := range m.masks {
			// Most masks match few messages: a message without the
			// mask's literal prefix, or without a match, is not copied.
			if p := m.lits[i]; p != "" && !strings.Contains(msg, p) || re.FindStringIndex(msg) == nil {
				continue
			}
			msg = re.ReplaceAllLiteralString(msg, m.cfg.Masks[i].Replace)
		}
		m.sc.scan(msg)
	} else {
		// The scanner counts control and non-ASCII bytes as it goes;
		// a message that needs cleaning is scanned again.
		m.sc.scan(msg)
		if fixed := m.fixUTF8(msg, m.sc.high, count); len(fixed) != len(msg) || fixed != msg {
			msg = fixed
			m.sc.scan(msg)
		}
		if m.binary(msg, m.sc.ctrl, m.sc.high, count) {
			return false
		}
	}
	if len(m.sc.toks) == 0 {
		if count {
			m.stats.Empty++
		}
		return false
	}
	if count && len(m.sc.toks) == m.cfg.MaxTokens && strings.ContainsAny(m.sc.raw(&m.sc.toks[len(m.sc.toks)-1]), " \t") {
		m.stats.ManyTokens++
	}
	return true
}

// fixUTF8 replaces invalid UTF-8 by U+FFFD.
func (m *Miner) fixUTF8(msg string, high, count bool) string {
	if !high || utf8.ValidString(msg) {
		return msg
	}
	if count {
		m.stats.InvalidUTF8++
	}
	return strings.ToValidUTF8(msg, "\uFFFD")
}

// binary reports (and counts) a message with more than 30% control bytes
// or replacement characters.
func (m *Miner) binary(msg string, ctrl int, high, count bool) bool {
	if ctrl == 0 && !high {
		return false
	}
	if ctrl*10+strings.Count(msg, "\uFFFD")*30 <= len(msg)*3 {
		return false
	}
	if count {
		m.stats.Binary++
	}
	return true
}

// countBytes counts the control bytes of msg (other than tab, CR and LF)
// and reports whether it has non-ASCII bytes, eight bytes at a time.
func countBytes(msg string) (ctrl int, nonASCII bool) {
	const (
		ones = 0x0101010101010101
		high = 0x8080808080808080
	)
	i := 0
	for ; i+8 <= len(msg); i += 8 {
		x := uint64(msg[i]) | uint64(msg[i+1])<<8 | uint64(msg[i+2])<<16 | uint64(msg[i+3])<<24 |
			uint64(msg[i+4])<<32 | uint64(msg[i+5])<<40 | uint64(msg[i+6])<<48 | uint64(msg[i+7])<<56
		if x&high == 0 && (x-0x20*ones)&^x&high == 0 && (x+ones)&high == 0 {
			continue // printable ASCII only
		}
		for _, b := range []byte(msg[i : i+8]) {
			c, n := byteKind(b)
			ctrl += c
			nonASCII = nonASCII || n
		}
	}
	for ; i < len(msg); i++ {
		c, n := byteKind(msg[i])
		ctrl += c
		nonASCII = nonASCII || n
	}
	return ctrl, nonASCII
}

func byteKind(b byte) (ctrl int, nonASCII bool) {
	switch {
	case b >= 0x80:
		return 0, true
	case b == '\t' || b == '\n' || b == '\r':
		return 0, false
	case b < 0x20 || b == 0x7f:
		return 1, false
	}
	return 0, false
}
