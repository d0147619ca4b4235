package logpattern

import "strings"

// wildcard is the text of a template variable.
const wildcard = "<*>"

// Character classes of the scanner, one lookup per byte.
const (
	cSpace   = 1 << iota // separates tokens (whitespace and control bytes)
	cDigit               // 0-9
	cLetter              // ASCII letters
	cHex                 // 0-9, a-f, A-F
	cAtom                // may appear inside an atom: letters, digits, _ - . @
	cPath                // may appear inside a path after its leading '/'
	cURLEnd              // ends the variable part of a URL or a key=value value
	cSpecial             // may start or be part of a variable: digits and /<@:=.
	cColon               // ':' (IPv6 addresses, URLs)
	cCtrl                // control bytes other than tab, CR, LF
	cHigh                // non-ASCII bytes
)

// classes is a read-only table (never written after initialisation).
var classes = func() (t [256]uint16) {
	for b := 0; b < 0x20; b++ {
		t[b] = cSpace | cCtrl
	}
	t[' '], t['\t'], t['\n'], t['\r'] = cSpace, cSpace, cSpace, cSpace
	t[0x7f] = cSpace | cCtrl
	for b := 0x80; b < 0x100; b++ {
		t[b] = cHigh
	}
	for b := '0'; b <= '9'; b++ {
		t[b] |= cDigit | cHex | cAtom | cPath
	}
	for b := 'a'; b <= 'z'; b++ {
		t[b] |= cLetter | cAtom | cPath
		t[b-'a'+'A'] |= cLetter | cAtom | cPath
	}
	for b := 'a'; b <= 'f'; b++ {
		t[b] |= cHex
		t[b-'a'+'A'] |= cHex
	}
	for _, b := range "_-.@" {
		t[b] |= cAtom
	}
	for _, b := range "_-./~+%@$#&" {
		t[b] |= cPath
	}
	for _, b := range ")]}>\"',;" {
		t[b] |= cURLEnd
	}
	for _, b := range "0123456789/<@:=." {
		t[b] |= cSpecial
	}
	t[':'] |= cColon
	return t
}()

func is(b byte, class uint16) bool { return classes[b]&class != 0 }

// token is one whitespace-separated token of a message after masking.
type token struct {
	rawLo    int32 // the token as it appeared: scanner.msg[rawLo:rawHi]
	rawHi    int32
	lo, hi   int32 // masked text: scanner.out[lo:hi]
	spanLo   int32 // variables: scanner.spans[spanLo:spanHi]
	spanHi   int32
	hash     uint64 // hash of the masked text
	hasDigit bool   // the masked text still contains a digit
	isWord   bool   // see isWordText
	longRun  bool   // the token has a run of 11 or more digits (maybe personal data)
}

// word reports whether the token is a word (see isWordText).
func (t *token) word() bool { return t.isWord }

// isWordText reports whether a token's masked text is a word: no digit,
// no variable, and not key=value (the value of a pair is data more often
// than not, so it may vary like a variable).
func isWordText(s string) bool {
	for i := 0; i < len(s); i++ {
		if is(s[i], cDigit) {
			return false
		}
	}
	if k := strings.IndexByte(s, '='); k >= 0 && k < len(s)-1 {
		return false
	}
	return !strings.Contains(s, wildcard)
}

// raw returns the token as it appeared in the message.
func (s *scanner) raw(t *token) string { return s.msg[t.rawLo:t.rawHi] }

// span is the raw text behind one <*> of a masked token: raw[lo:hi].
type span struct{ lo, hi int32 }

// scanner splits a message into tokens and masks the variable parts of
// each token. It reuses its buffers from message to message, so a warm
// scanner does not allocate.
type scanner struct {
	out   []byte
	toks  []token
	spans []span

	maxTokens     int
	maxTokenBytes int
	maskKV        bool
	lits          *[litSlots]litSlot     // tokens known to need no mask
	shapeCache    *[shapeSlots]shapeSlot // masks of tokens with digits, by shape

	msg      string // the message being scanned
	rawLo    int32  // start of the current token in msg
	tokColon bool   // the current token has a ':'
	ctrl     int    // control bytes of the message
	high     bool   // the message has non-ASCII bytes

	// per token state
	tokOut     int // start of the current token in out
	lastVarEnd int // len(out) right after the last <*> of this token, or -1
}

// scan tokenises msg; the result is in s.toks. It also counts the
// control bytes (s.ctrl) and notes non-ASCII bytes (s.high) so that the
// miner can check the message without another pass over it.
func (s *scanner) scan(msg string) {
	s.out = s.out[:0]
	s.toks = s.toks[:0]
	s.spans = s.spans[:0]
	s.ctrl, s.high = 0, false
	s.msg = msg
	i, n := 0, len(msg)
	for {
		for i < n {
			c := classes[msg[i]]
			if c&cSpace == 0 {
				break
			}
			if c&cCtrl != 0 {
				s.ctrl++
			}
			i++
		}
		if i == n {
			return
		}
		if msg[i]-'A' < 26 && i+4 < n && msg[i+3] == ' ' && len(s.toks) < s.maxTokens-1 {
			if lo, hi, end := wordDateLen(msg[i:]); end > 0 {
				s.rawLo = int32(i)
				s.maskDate(msg[i:i+end], lo, hi)
				i += end
				continue
			}
		}
		j := i
		var or uint16
		if len(s.toks) == s.maxTokens-1 {
			// The last token takes the rest of the line.
			j = n
			for is(msg[j-1], cSpace) {
				j--
			}
			for k := i; k < j; k++ {
				or |= classes[msg[k]]
			}
		} else {
			for j < n {
				c := classes[msg[j]]
				if c&cSpace != 0 {
					break
				}
				or |= c
				j++
			}
		}
		s.high = s.high || or&cHigh != 0
		if or&(cDigit|cHigh) == 0 && j-i <= 5 && len(s.toks) > 0 && s.toks[len(s.toks)-1].hash == wildHash && s.joinUnit(msg, i, j) {
			i = j
			continue
		}
		s.rawLo = int32(i)
		s.maskToken(msg[i:j], or)
		i = j
	}
}

// maskToken appends the masked form of t to s.out and one token to s.toks.
func (s *scanner) maskToken(t string, or uint16) {
	s.tokOut = len(s.out)
	s.lastVarEnd = -1
	spanLo := int32(len(s.spans))
	s.tokColon = or&cColon != 0
	if len(t) <= s.maxTokenBytes && or&cDigit == 0 {
		// Fast path: a word no mask applies to, or a token seen before
		// that came out without variables.
		h := hashString(t)
		if or&cSpecial == 0 && !mayBeBoolNull(t) {
			s.out = append(s.out, t...)
			s.toks = append(s.toks, token{rawLo: s.rawLo, rawHi: s.rawLo + int32(len(t)), lo: int32(s.tokOut), hi: int32(len(s.out)),
				spanLo: spanLo, spanHi: spanLo, hash: h, isWord: true})
			return
		}
		if e := s.cachedLiteral(t, h); e != nil {
			s.out = append(s.out, t...)
			s.toks = append(s.toks, token{rawLo: s.rawLo, rawHi: s.rawLo + int32(len(t)), lo: int32(s.tokOut), hi: int32(len(s.out)),
				spanLo: spanLo, spanHi: spanLo, hash: h, isWord: e.word})
			return
		}
	}
	if len(t) > s.maxTokenBytes || or&^(cDigit|cHex|cAtom|cPath|cSpecial) == 0 && isSignedInt(t) {
		// A long token without spaces is data (a blob, a list, a dump);
		// a number is a variable.
		s.emitVar(0, len(t))
		s.toks = append(s.toks, token{
			rawLo: s.rawLo, rawHi: s.rawLo + int32(len(t)), lo: int32(s.tokOut), hi: int32(len(s.out)),
			spanLo: spanLo, spanHi: spanLo + 1, hash: wildHash, longRun: maxDigitRun(t) >= minPIIDigits,
		})
		return
	}
	var shape *shapeSlot
	longRun := false
	if or&cDigit != 0 && len(t) <= maxShapeBytes && s.shapeCache != nil {
		// The masks of a token do not depend on the values of its
		// digits, only on where they are: 10.0.0.12:80 is masked like
		// 10.2.0.17:99 was.
		k := shapeHash(t)
		shape = &s.shapeCache[k&(shapeSlots-1)]
		if shape.key != k || !s.applyShape(t, shape) {
			s.maskText(t, 0, len(t))
			shape.store(k, s.spans[spanLo:], maxDigitRun(t) >= minPIIDigits)
		}
		longRun = shape.longRun
	} else {
		s.maskText(t, 0, len(t))
		longRun = or&cDigit != 0 && maxDigitRun(t) >= minPIIDigits
	}
	out := s.out[s.tokOut:]
	spanHi := int32(len(s.spans))
	if spanHi == spanLo && shape == nil {
		s.cacheLiteral(t)
	}
	digit := false
	if or&cDigit != 0 {
		for _, b := range out {
			digit = digit || is(b, cDigit)
		}
	}
	s.toks = append(s.toks, token{
		rawLo: s.rawLo, rawHi: s.rawLo + int32(len(t)), lo: int32(s.tokOut), hi: int32(len(s.out)),
		spanLo: spanLo, spanHi: spanHi,
		hash: hashBytes(out), hasDigit: digit, isWord: spanHi == spanLo && !digit && isWordText(t),
		longRun: longRun,
	})
}

// joinUnit joins the token msg[i:j] to the previous token when it is a
// size unit (KB, MiB, ...) after a number: "6.0 KB," is one variable
// followed by the unit's punctuation, "<*>,".
func (s *scanner) joinUnit(msg string, i, j int) bool {
	if len(s.toks) == 0 {
		return false
	}
	k := i
	for k < j && is(msg[k], cLetter) {
		k++
	}
	if !isSizeUnit(msg[i:k]) || k < j && !is(msg[k], cURLEnd) {
		return false
	}
	prev := &s.toks[len(s.toks)-1]
	if prev.hash != wildHash || prev.spanHi != prev.spanLo+1 || !isNumberish(s.msg[prev.rawLo:prev.rawHi]) {
		return false
	}
	s.out = append(s.out, msg[k:j]...)
	s.spans[prev.spanLo].hi = int32(k) - prev.rawLo
	prev.rawHi = int32(j)
	prev.hi = int32(len(s.out))
	prev.hash = hashBytes(s.out[prev.lo:prev.hi])
	return true
}

func isSizeUnit(u string) bool {
	switch u {
	case "B", "KB", "MB", "GB", "TB", "PB", "KiB", "MiB", "GiB", "TiB", "PiB":
		return true
	}
	return false
}

// maskDate masks a date written in words around a clock time (see
// wordDateLen), t[lo:hi] being the clock: it is one token whose template
// is the clock's, <*>:<*>:<*>, the date words belonging to the first
// variable and a year after the clock to the last one.
func (s *scanner) maskDate(t string, lo, hi int) {
	s.tokOut = len(s.out)
	s.lastVarEnd = -1
	spanLo := int32(len(s.spans))
	s.tokColon = true
	s.maskText(t, lo, hi)
	if spanHi := int32(len(s.spans)); spanHi > spanLo {
		s.spans[spanLo].lo = 0
		if len(t) > hi { // a year
			s.spans[spanHi-1].hi = int32(len(t))
		}
	}
	s.toks = append(s.toks, token{
		rawLo: s.rawLo, rawHi: s.rawLo + int32(len(t)), lo: int32(s.tokOut), hi: int32(len(s.out)),
		spanLo: spanLo, spanHi: int32(len(s.spans)), hash: hashBytes(s.out[s.tokOut:]),
	})
}

// wordDateLen recognises a date written in words followed by a clock time
// at the start of s, as ctime and syslog write it: "[Wed ]Jul 27
// 10:59:53[.123][ 2005]". It returns the clock's bounds (with punctuation
// that follows it) and the end of the date (after the year, if any), or
// end 0.
func wordDateLen(s string) (clockLo, clockHi, end int) {
	i := 0
	if len(s) >= 4 && isDayName(s[:3]) && s[3] == ' ' {
		i = skipSpaces(s, 3)
	}
	if len(s) < i+4 || !isMonthName(s[i:i+3]) || s[i+3] != ' ' {
		return 0, 0, 0
	}
	i = skipSpaces(s, i+3)
	d := i
	for i < len(s) && i-d < 3 && is(s[i], cDigit) {
		i++
	}
	if i == d || i-d > 2 || i == len(s) || s[i] != ' ' {
		return 0, 0, 0
	}
	i = skipSpaces(s, i)
	clockLo = i
	switch {
	case strings.HasPrefix(s[i:], wildcard):
		i += len(wildcard) // a clock a user mask replaced
	case !digitsAt(s, i, 2) || len(s) < i+5 || s[i+2] != ':' || !digitsAt(s, i+3, 2):
		return 0, 0, 0
	default:
		i += 5
	}
	if len(s) >= i+3 && s[i] == ':' && digitsAt(s, i+1, 2) {
		i += 3
		if len(s) > i+1 && s[i] == '.' && is(s[i+1], cDigit) {
			i++
			for i < len(s) && is(s[i], cDigit) {
				i++
			}
		}
	}
	if i < len(s) && !is(s[i], cSpace) {
		// Punctuation after the clock stays with it: "06:06:20,".
		if is(s[i], cLetter|cDigit) {
			return 0, 0, 0
		}
		for i < len(s) && !is(s[i], cSpace) {
			i++
		}
		return clockLo, i, i
	}
	clockHi, end = i, i
	if y := skipSpaces(s, i); y > i && digitsAt(s, y, 4) && (y+4 == len(s) || is(s[y+4], cSpace)) {
		end = y + 4
	}
	return clockLo, clockHi, end
}

func skipSpaces(s string, i int) int {
	for i < len(s) && s[i] == ' ' {
		i++
	}
	return i
}

func isDayName(s string) bool {
	switch s {
	case "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun":
		return true
	}
	return false
}

func isMonthName(s string) bool {
	switch s {
	case "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec":
		return true
	}
	return false
}

// The shape cache maps the shape of a token with digits (its text with
// every digit written 0) to the variables the masks found in it. Masking
// depends on where digits are, never on their values, and the masked
// text is the token with each variable replaced by <*>, so the spans
// alone rebuild it. Direct-mapped, keyed by a 64-bit hash of the shape.
const (
	shapeSlots    = 4096
	maxShapeSpans = 6
	maxShapeBytes = 255
)

type shapeSlot struct {
	key     uint64 // shapeHash of the token; 0 for an empty slot
	n       uint8
	longRun bool // see token.longRun
	spans   [maxShapeSpans][2]uint8
}

// maxDigitRun returns the length of the longest run of digits in t.
func maxDigitRun(t string) int {
	run, longest := 0, 0
	for i := 0; i < len(t); i++ {
		if is(t[i], cDigit) {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// withCaches returns s with its caches allocated; a scanner without them
// masks every token from scratch.
func (s scanner) withCaches() scanner {
	s.lits = new([litSlots]litSlot)
	s.shapeCache = new([shapeSlots]shapeSlot)
	return s
}

// store records the spans of a token of shape k, if they fit.
func (e *shapeSlot) store(k uint64, spans []span, longRun bool) {
	if len(spans) > maxShapeSpans {
		e.key, e.longRun = 0, longRun
		return
	}
	e.key, e.n, e.longRun = k, uint8(len(spans)), longRun
	for i, sp := range spans {
		e.spans[i] = [2]uint8{uint8(sp.lo), uint8(sp.hi)}
	}
}

// applyShape writes the masked text of t from the spans of its shape. It
// reports false (writing nothing) for spans that do not fit t, which
// only a hash collision can cause.
func (s *scanner) applyShape(t string, e *shapeSlot) bool {
	pos := 0
	for _, sp := range e.spans[:e.n] {
		if int(sp[0]) < pos || sp[0] >= sp[1] || int(sp[1]) > len(t) {
			return false
		}
		pos = int(sp[1])
	}
	pos = 0
	for _, sp := range e.spans[:e.n] {
		s.out = append(s.out, t[pos:sp[0]]...)
		s.out = append(s.out, wildcard...)
		s.spans = append(s.spans, span{int32(sp[0]), int32(sp[1])})
		pos = int(sp[1])
	}
	s.out = append(s.out, t[pos:]...)
	return true
}

// shapeHash hashes t with its digits written 0 (never 0 itself).
func shapeHash(t string) uint64 {
	const (
		ones = 0x0101010101010101
		high = 0x8080808080808080
	)
	h := uint64(len(t)) * hashK0
	for ; len(t) >= 8; t = t[8:] {
		w := uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24 |
			uint64(t[4])<<32 | uint64(t[5])<<40 | uint64(t[6])<<48 | uint64(t[7])<<56
		// Per byte: y = b^'0' is below 10 exactly for digits (and b < 0x80).
		y := w ^ 0x30*ones
		digit := ^((y | high) - 10*ones) & ^y & high
		w &^= (digit >> 7) * 0x0F // '0'-'9' → '0'
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
	h = (h ^ w) * hashK1
	h ^= h >> 29
	h *= hashK2
	h ^= h >> 32
	return h | 1
}

// litSlots is the size of the direct-mapped cache of tokens known to need
// no mask (a power of two). A slot holds one token; a newer token with the
// same slot replaces it.
const litSlots = 4096

type litSlot struct {
	hash uint64
	text string
	word bool
}

// cachedLiteral returns the cache slot of t, or nil.
func (s *scanner) cachedLiteral(t string, h uint64) *litSlot {
	if s.lits == nil {
		return nil
	}
	e := &s.lits[h&(litSlots-1)]
	if e.hash == h && e.text == t {
		return e
	}
	return nil
}

func (s *scanner) cacheLiteral(t string) {
	if s.lits == nil {
		return
	}
	h := hashString(t)
	// A copy: t points into the caller's message.
	s.lits[h&(litSlots-1)] = litSlot{hash: h, text: string([]byte(t)), word: isWordText(t)}
}

// Token hashes: 64 bits, eight bytes at a time. Tokens are compared by
// hash only; a collision between two different tokens is improbable
// (about 2^-64 per pair) and would only merge their templates.
const (
	hashK0 = 0x9E3779B97F4A7C15
	hashK1 = 0xBF58476D1CE4E5B9
	hashK2 = 0x94D049BB133111EB
)

func hashString(s string) uint64 {
	h := uint64(len(s)) * hashK0
	for ; len(s) >= 8; s = s[8:] {
		w := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		h = (h ^ w) * hashK1
		h ^= h >> 31
	}
	var w uint64
	for i := 0; i < len(s); i++ {
		w |= uint64(s[i]) << (8 * i)
	}
	h = (h ^ w) * hashK1
	h ^= h >> 29
	h *= hashK2
	return h ^ h>>32
}

func hashBytes(b []byte) uint64 {
	h := uint64(len(b)) * hashK0
	for ; len(b) >= 8; b = b[8:] {
		w := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		h = (h ^ w) * hashK1
		h ^= h >> 31
	}
	var w uint64
	for i := 0; i < len(b); i++ {
		w |= uint64(b[i]) << (8 * i)
	}
	h = (h ^ w) * hashK1
	h ^= h >> 29
	h *= hashK2
	return h ^ h>>32
}

var wildHash = hashString(wildcard)

// emitVar writes a <*> for t[lo:hi] of the current token, applying the
// template-writing rules of the corrected Loghub ground truth: <*><*> and
// <*>.<*> collapse into one <*> (and one parameter).
func (s *scanner) emitVar(lo, hi int) {
	n := len(s.out)
	if s.lastVarEnd >= 0 {
		if n == s.lastVarEnd || (n == s.lastVarEnd+1 && s.out[n-1] == '.') {
			s.out = s.out[:s.lastVarEnd]
			s.spans[len(s.spans)-1].hi = int32(hi)
			return
		}
	}
	s.out = append(s.out, wildcard...)
	s.spans = append(s.spans, span{int32(lo), int32(hi)})
	s.lastVarEnd = len(s.out)
}

func (s *scanner) emitLit(t string) { s.out = append(s.out, t...) }

// maskText masks t[i:end], a part of one token.
func (s *scanner) maskText(t string, i, end int) {
	for i < end {
		c := t[i]
		prevAlnum := i > 0 && is(t[i-1], cLetter|cDigit)
		switch {
		case c == '<' && strings.HasPrefix(t[i:end], wildcard):
			// Already a variable (a user mask or the input itself).
			s.emitVar(i, i+3)
			i += 3
			continue
		case c == '/' && !prevAlnum && strings.HasPrefix(t[i+1:end], wildcard):
			// A path a user mask replaced after its slash (/<*>) is a
			// path like any other.
			s.emitVar(i, i+1+len(wildcard))
			i += 1 + len(wildcard)
			continue
		case c == '/' && !prevAlnum && i+1 < end && is(t[i+1], cPath):
			// A path: one variable up to a delimiter that cannot be in it.
			j := i + 1
			for j < end && is(t[j], cPath) {
				j++
			}
			// A dot ending a path belongs to it (part-00347. stays one value).
			s.emitVar(i, j)
			i = j
			continue
		case c == '=' && s.maskKV:
			s.out = append(s.out, '=')
			j := i + 1
			for j < end && !is(t[j], cURLEnd) {
				j++
			}
			if j > i+1 {
				s.emitVar(i+1, j)
			}
			i = j
			continue
		}
		if !prevAlnum && (s.tokColon || is(c, cDigit)) {
			if n := ipv6Len(t[i:end]); n > 0 {
				s.emitVar(i, i+n)
				i += n
				continue
			}
			if n := isoTimeLen(t[i:end]); n > 0 {
				s.emitVar(i, i+n)
				i += n
				continue
			}
			if n := schemeLen(t[i:end]); n > 0 && s.tokColon {
				// scheme://rest: the scheme is text, the rest one variable.
				s.emitLit(t[i : i+n])
				i += n
				j := i
				for j < end && !is(t[j], cURLEnd) {
					j++
				}
				if j > i {
					s.emitVar(i, j)
				}
				i = j
				continue
			}
		}
		if is(c, cAtom) {
			j := i + 1
			for j < end && is(t[j], cAtom) {
				j++
			}
			// Dots ending an atom end a sentence or a dotted leader; they are text.
			k := trimTrailingDots(t, i, j)
			s.maskAtom(t, i, k)
			s.emitLit(t[k:j])
			i = j
			continue
		}
		if c == '>' && s.lastVarEnd == len(s.out) && s.lastVarEnd > s.tokOut {
			// The bracket closing a value (<memory:1024, vCores:1>)
			// belongs to it: "<*>>" reads badly.
			s.spans[len(s.spans)-1].hi = int32(i + 1)
			i++
			continue
		}
		s.out = append(s.out, c)
		i++
	}
}

func trimTrailingDots(t string, i, j int) int {
	for j > i && t[j-1] == '.' {
		j--
	}
	return j
}

// maskAtom masks an atom: a run of letters, digits, '_', '-', '.', '@'.
func (s *scanner) maskAtom(t string, i, j int) {
	if i == j {
		return
	}
	a := t[i:j]
	at, dots, letters := -1, 0, 0
	for k := 0; k < len(a); k++ {
		switch b := a[k]; {
		case b == '.':
			dots++
		case b == '@':
			at = k
		case is(b, cLetter):
			letters++
		}
	}
	var isVar bool
	switch {
	case at >= 0:
		isVar = isEmail(a)
	case letters == 0:
		isVar = isNumberish(a) || (dots == 3 && isIPv4(a))
	default:
		isVar = len(a) == 36 && isUUID(a) ||
			a[0] == '0' && isHex0x(a) ||
			letters == 1 && dots > 0 && (a[0] == 'v' || a[0] == 'V') && isNumberish(a[1:]) || // a version: v1.0.2
			dots >= 2 && isHostname(a) ||
			len(a) <= 5 && letters == len(a) && isBoolNull(a)
	}
	if isVar {
		s.emitVar(i, j)
		return
	}
	if at >= 0 {
		s.maskDotted(t, i, i+at)
		s.out = append(s.out, '@')
		s.maskAtom(t, i+at+1, j)
		return
	}
	s.maskDotted(t, i, j)
}

// maskDotted masks the dot-separated parts of t[i:j] one by one.
func (s *scanner) maskDotted(t string, i, j int) {
	for i < j {
		k := i
		for k < j && t[k] != '.' {
			k++
		}
		s.maskPart(t, i, k)
		if k < j {
			s.out = append(s.out, '.')
		}
		i = k + 1
	}
}

// maskPart masks a part without dots: identifiers joined by '_' are one
// value when one of their pieces is a number (job_1445_0020, blk_-42);
// words joined by '-' are masked one by one (node-42 → node-<*>).
func (s *scanner) maskPart(t string, i, j int) {
	if i == j {
		return
	}
	p := t[i:j]
	if strings.IndexByte(p, '_') >= 0 {
		for k := 0; k < len(p); {
			e := k
			for e < len(p) && p[e] != '_' {
				e++
			}
			if isSignedInt(p[k:e]) {
				s.emitVar(i, j)
				return
			}
			k = e + 1
		}
	}
	if p[0] == '-' && isSignedInt(p) {
		s.emitVar(i, j)
		return
	}
	if k := strings.LastIndexByte(p, '-'); k > 0 && strings.Count(p, "-") >= 2 && isSignedInt(p[k+1:]) {
		// A name with a serial number: msra-sa-41, mesos-slave-07.
		s.emitVar(i, j)
		return
	}
	for i < j {
		k := i
		for k < j && t[k] != '-' && t[k] != '_' && t[k] != '@' {
			k++
		}
		s.maskWord(t, i, k)
		if k < j {
			s.out = append(s.out, t[k])
		}
		i = k + 1
	}
}

// maskWord masks a word of letters and digits.
func (s *scanner) maskWord(t string, i, j int) {
	if i == j {
		return
	}
	w := t[i:j]
	digits, letters, run, maxRun, hex := 0, 0, 0, 0, true
	for k := 0; k < len(w); k++ {
		b := w[k]
		if is(b, cDigit) {
			digits++
			run++
			maxRun = max(maxRun, run)
		} else {
			letters++
			run = 0
		}
		hex = hex && is(b, cHex)
	}
	switch {
	case digits == 0:
		s.emitLit(w)
	case letters == 0, maxRun >= 7, hex && len(w) >= 6, digits > letters:
		// Numbers, long digit runs (never kept: they may be personal
		// data), hex ids, and words that are mostly digits.
		s.emitVar(i, j)
	case is(w[0], cDigit):
		// A number with a unit or a suffix: 7163Calories → <*>Calories.
		k := i
		for k < j && is(t[k], cDigit) {
			k++
		}
		s.emitVar(i, k)
		s.maskWord(t, k, j)
	default:
		s.emitLit(w)
	}
}

func isSignedInt(s string) bool {
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !is(s[i], cDigit) {
			return false
		}
	}
	return true
}

// isNumberish: optional sign, then digits and dots with at least one digit
// (integers, decimals, versions 1.2.3).
func isNumberish(s string) bool {
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	digit := false
	for i := 0; i < len(s); i++ {
		switch {
		case is(s[i], cDigit):
			digit = true
		case s[i] == '.':
		default:
			return false
		}
	}
	return digit
}

func isIPv4(s string) bool {
	parts := 0
	for s != "" {
		n := 0
		for n < len(s) && n < 4 && is(s[n], cDigit) {
			n++
		}
		if n == 0 || n > 3 {
			return false
		}
		parts++
		s = s[n:]
		if s == "" {
			break
		}
		if s[0] != '.' || parts == 4 {
			return false
		}
		s = s[1:]
		if s == "" {
			return false
		}
	}
	return parts == 4
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !is(s[i], cHex) {
				return false
			}
		}
	}
	return true
}

func isHex0x(s string) bool {
	if len(s) < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') {
		return false
	}
	for i := 2; i < len(s); i++ {
		if !is(s[i], cHex) {
			return false
		}
	}
	return true
}

// mayBeBoolNull is a cheap first test for hasBoolNull: whether t could
// hold true, false or null.
func mayBeBoolNull(t string) bool {
	if len(t) < 4 || len(t) > 9 {
		return false
	}
	c := t[0] | 0x20
	return (c == 't' || c == 'f' || c == 'n' || !is(t[0], cLetter)) && hasBoolNull(t)
}

// hasBoolNull reports whether the letters of t, without the punctuation
// around them, are true, false or null.
func hasBoolNull(t string) bool {
	if len(t) < 4 || len(t) > 9 {
		return false
	}
	if c := t[0] | 0x20; c != 't' && c != 'f' && c != 'n' && is(t[0], cLetter) {
		return false // starts with a letter that starts none of them
	}
	i, j := 0, len(t)
	for i < j && !is(t[i], cLetter) {
		i++
	}
	for j > i && !is(t[j-1], cLetter) {
		j--
	}
	return isBoolNull(t[i:j])
}

func isBoolNull(s string) bool {
	if len(s) < 4 || len(s) > 5 {
		return false
	}
	// One 32-bit load of the lowered first four letters.
	w := (uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24) | 0x20202020
	const (
		true4 = 't' | 'r'<<8 | 'u'<<16 | 'e'<<24
		null4 = 'n' | 'u'<<8 | 'l'<<16 | 'l'<<24
		fals4 = 'f' | 'a'<<8 | 'l'<<16 | 's'<<24
	)
	if len(s) == 4 {
		return (w == true4 || w == null4) && is(s[0], cLetter) && is(s[1], cLetter) && is(s[2], cLetter) && is(s[3], cLetter)
	}
	return w == fals4 && s[4]|0x20 == 'e' && is(s[0], cLetter) && is(s[1], cLetter) && is(s[2], cLetter) && is(s[3], cLetter)
}

// isEmail: local@domain.tld with a plausible local part and domain.
func isEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.IndexByte(s[at+1:], '@') >= 0 {
		return false
	}
	return isDomain(s[at+1:], 2)
}

// isHostname: a DNS name of at least three labels ending in a common
// top-level domain (reverse-DNS Java packages such as com.example.Foo do
// not end in one).
func isHostname(s string) bool { return isDomain(s, 3) }

func isDomain(s string, minLabels int) bool {
	labels, start := 0, 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '.' {
			if !is(s[i], cLetter|cDigit) && s[i] != '-' && s[i] != '_' {
				return false
			}
			continue
		}
		if i == start {
			return false
		}
		labels++
		start = i + 1
	}
	if labels < minLabels {
		return false
	}
	dot := strings.LastIndexByte(s, '.')
	tld := s[dot+1:]
	if isTLD(tld) {
		return true
	}
	// Any country code under a generic second level: omantel.net.om,
	// example.co.uk (but not mapred.job.id).
	second := s[strings.LastIndexByte(s[:dot], '.')+1 : dot]
	return len(tld) == 2 && tld[0] >= 'a' && tld[0] <= 'z' && tld[1] >= 'a' && tld[1] <= 'z' && isGenericSecondLevel(second)
}

func isGenericSecondLevel(s string) bool {
	switch s {
	case "com", "net", "org", "edu", "gov", "ac", "co", "or", "ne", "go", "mil":
		return true
	}
	return false
}

func isTLD(s string) bool {
	if len(s) < 2 || len(s) > 11 {
		return false
	}
	var b [11]byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !is(c, cLetter) {
			return false
		}
		b[i] = c | 0x20
	}
	switch string(b[:len(s)]) {
	case "com", "net", "org", "edu", "gov", "mil", "int", "info", "biz", "io",
		"local", "lan", "internal", "localdomain", "arpa", "cloud", "dev", "app",
		"cn", "hk", "tw", "jp", "kr", "sg", "in", "au", "nz", "uk", "de", "fr",
		"nl", "be", "ch", "at", "it", "es", "pt", "se", "no", "dk", "fi", "pl",
		"cz", "ru", "ua", "us", "ca", "br", "mx", "ar", "za", "eu", "co", "me":
		return true
	}
	return false
}

// ipv6Len returns the length of an IPv6 address (or a MAC address) at the
// start of s, or 0. Clock times (12:30:00) are not addresses: an address
// needs "::", a hex letter in a group, or at least five colons.
func ipv6Len(s string) int {
	colons, groupLen, letter, double, n := 0, 0, false, false, 0
	for n < len(s) {
		c := s[n]
		switch {
		case c == ':':
			if n > 0 && s[n-1] == ':' {
				if double {
					return 0
				}
				double = true
			}
			colons++
			groupLen = 0
		case is(c, cHex):
			groupLen++
			if groupLen > 4 {
				return 0
			}
			letter = letter || is(c, cLetter)
		case c == '.' && colons >= 2:
			// IPv4-mapped tail (::ffff:10.1.2.3).
			m := n
			for m < len(s) && (is(s[m], cDigit) || s[m] == '.') {
				m++
			}
			if !isIPv4(s[n-groupLen : m]) {
				return 0
			}
			n = m
			goto end
		default:
			goto end
		}
		n++
	}
end:
	if n == 0 || (n < len(s) && is(s[n], cLetter|cDigit)) {
		return 0
	}
	if s[n-1] == ':' && !double {
		n-- // a trailing colon is punctuation
		colons--
	}
	if colons < 2 || !(double || letter || colons >= 5) {
		return 0
	}
	return n
}

// isoTimeLen returns the length of an ISO 8601 date or date-time at the
// start of s (2006-01-02, 2006-01-02T15:04:05.000Z, ...), or 0.
func isoTimeLen(s string) int {
	if !digitsAt(s, 0, 4) || len(s) < 10 || s[4] != '-' || !digitsAt(s, 5, 2) || s[7] != '-' || !digitsAt(s, 8, 2) {
		return 0
	}
	n := 10
	if len(s) >= 16 && (s[10] == 'T' || s[10] == '_') && digitsAt(s, 11, 2) && s[13] == ':' && digitsAt(s, 14, 2) {
		n = 16
		if len(s) >= 19 && s[16] == ':' && digitsAt(s, 17, 2) {
			n = 19
			if len(s) > 20 && (s[19] == '.' || s[19] == ',') && is(s[20], cDigit) {
				n = 20
				for n < len(s) && is(s[n], cDigit) {
					n++
				}
			}
		}
		switch {
		case n < len(s) && s[n] == 'Z':
			n++
		case n+3 <= len(s) && (s[n] == '+' || s[n] == '-') && digitsAt(s, n+1, 2):
			n += 3
			if n+3 <= len(s) && s[n] == ':' && digitsAt(s, n+1, 2) {
				n += 3
			} else if digitsAt(s, n, 2) {
				n += 2
			}
		}
	}
	if n < len(s) && is(s[n], cLetter|cDigit) {
		return 0
	}
	return n
}

func digitsAt(s string, i, n int) bool {
	if i+n > len(s) {
		return false
	}
	for k := i; k < i+n; k++ {
		if !is(s[k], cDigit) {
			return false
		}
	}
	return true
}

// schemeLen returns the length of "scheme://" at the start of s, or 0.
func schemeLen(s string) int {
	if s == "" || !is(s[0], cLetter) {
		return 0
	}
	n := 1
	for n < len(s) && n < 32 && (is(s[n], cLetter) || s[n] == '+' || s[n] == '.' || s[n] == '-') {
		n++
	}
	if strings.HasPrefix(s[n:], "://") {
		return n + 3
	}
	return 0
}
