package logpattern

// The line cache remembers, by the shape of a message (its bytes with
// every digit written 0), the tokens the scanner made of it and the
// cluster it matched. Masking depends on where digits are, never on their
// values, so a message of a known shape has the same tokens, and, when no
// token kept a digit in its text, the same token hashes; while the
// templates and the tree have not changed since (Miner.epoch), it matches
// the same cluster in the same way. A hit therefore skips scanning,
// routing and matching, and gives exactly the result they would give.
// Only plain matches (no template change) of printable ASCII messages
// without user masks are remembered; the cache is direct-mapped and keyed
// by a 64-bit hash of the shape (a collision between two shapes of the
// same length, about 2^-64 per pair, would give the other's cluster).
const (
	lineSlots    = 512
	maxLineToks  = 24
	maxLineSpans = 32
)

type lineCache [lineSlots]lineSlot

type lineSlot struct {
	key   uint64 // shape hash; 0 for an empty slot
	n     int    // message length
	epoch uint64
	c     *cluster
	toks  []token
	spans []span
	many  bool // the message counted in Stats.ManyTokens
}

// lookup returns the slot of msg's shape if it is valid at epoch.
func (lc *lineCache) lookup(msg string, epoch uint64) *lineSlot {
	k, ok := lineShape(msg)
	if !ok {
		return nil
	}
	e := &lc[k&(lineSlots-1)]
	if e.key != k || e.n != len(msg) || e.epoch != epoch {
		return nil
	}
	return e
}

// store remembers that msg, scanned into toks and spans, matched c at
// epoch, if its tokens allow it.
func (lc *lineCache) store(msg string, epoch uint64, c *cluster, toks []token, spans []span, many bool) {
	if len(toks) > maxLineToks || len(spans) > maxLineSpans {
		return
	}
	for i := range toks {
		if toks[i].hasDigit {
			return // its hash depends on the digit's value
		}
	}
	k, ok := lineShape(msg)
	if !ok {
		return
	}
	e := &lc[k&(lineSlots-1)]
	e.key, e.n, e.epoch, e.c, e.many = k, len(msg), epoch, c, many
	e.toks = append(e.toks[:0], toks...)
	e.spans = append(e.spans[:0], spans...)
}

// lineShape hashes msg with its digits written 0 (never 0 itself); ok is
// false for a message with bytes other than printable ASCII, tab, CR and
// LF, which the miner cleans or counts first.
func lineShape(msg string) (h uint64, ok bool) {
	const (
		ones = 0x0101010101010101
		high = 0x8080808080808080
	)
	h = uint64(len(msg)) * hashK0
	t := msg
	var bad uint64
	for ; len(t) >= 8; t = t[8:] {
		w := uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24 |
			uint64(t[4])<<32 | uint64(t[5])<<40 | uint64(t[6])<<48 | uint64(t[7])<<56
		// Bytes of 0x80 and above, below 0x20, or 0x7f: checked one by
		// one below when any is present.
		bad |= w&high | (w-0x20*ones)&^w&high | (w+ones)&high
		y := w ^ 0x30*ones
		digit := ^((y | high) - 10*ones) & ^y & high
		w &^= (digit >> 7) * 0x0F
		h = (h ^ w) * hashK1
		h ^= h >> 31
	}
	var w uint64
	for i := 0; i < len(t); i++ {
		b := t[i]
		if b-'0' < 10 {
			b = '0'
		}
		w |= uint64(b) << (8 * i)
	}
	if bad != 0 || !printable(t) {
		if !printable(msg) {
			return 0, false
		}
	}
	h = (h ^ w) * hashK1
	h ^= h >> 29
	h *= hashK2
	h ^= h >> 32
	return h | 1, true
}

// printable reports whether s has only printable ASCII, tab, CR and LF.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x7f || c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}
