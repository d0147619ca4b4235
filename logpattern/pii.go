package logpattern

// Personal data. Templates never contain it: the scanner never keeps a run
// of seven or more digits as text. Parameters are redacted with
// redactPII before they leave the miner: every maximal run of digits that
// is a mainland China resident ID number (18 characters, valid check
// character), a mainland mobile number (11 digits 1[3-9]…, optionally
// with the 86 country code) or a bank card number (13–19 digits, valid
// Luhn check digit) is replaced by <ID>, <MOBILE> or <CARD>. Numbers
// written with separators inside (6222 0212 …) are not recognised.

// minPIIDigits is the shortest run of digits that may be personal data
// (a mobile number).
const minPIIDigits = 11

// PII placeholders written into parameters.
const (
	PIIChinaID = "<ID>"
	PIIMobile  = "<MOBILE>"
	PIICard    = "<CARD>"
)

// piiKind returns the placeholder for the digit run d (with an optional
// trailing X for ID numbers), or "".
func piiKind(d string) string {
	switch {
	case len(d) == 18 && isChinaID(d):
		return PIIChinaID
	case len(d) == 11 && isMobile(d):
		return PIIMobile
	case len(d) == 13 && d[0] == '8' && d[1] == '6' && isMobile(d[2:]):
		return PIIMobile
	case len(d) >= 13 && len(d) <= 19 && luhn(d):
		return PIICard
	}
	return ""
}

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// isChinaID checks the GB 11643 check character of an 18-character ID.
func isChinaID(d string) bool {
	if d[0] == '0' {
		return false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := d[i]
		if c < '0' || c > '9' {
			return false
		}
		sum += int(c-'0') * idWeights[i]
	}
	return d[17] == "10X98765432"[sum%11] || (d[17] == 'x' && sum%11 == 2)
}

func isMobile(d string) bool {
	if len(d) != 11 || d[0] != '1' || d[1] < '3' || d[1] > '9' {
		return false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
	}
	return true
}

func luhn(d string) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		c := d[i]
		if c < '0' || c > '9' {
			return false
		}
		v := int(c - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}

// redact returns v with personal data replaced; v itself when it holds
// none, so that most values cost no allocation.
func redact(v string) string {
	if len(v) < 11 {
		return v // too short to hold personal data
	}
	for i := 0; i < len(v); {
		if !is(v[i], cDigit) {
			i++
			continue
		}
		j := i
		for j < len(v) && is(v[j], cDigit) {
			j++
		}
		if j-i == 17 && j < len(v) && (v[j] == 'X' || v[j] == 'x') {
			j++
		}
		if j-i >= 11 && piiKind(v[i:j]) != "" {
			return string(appendRedacted(nil, v))
		}
		i = j
	}
	return v
}

// appendRedacted appends v to dst with personal data replaced.
func appendRedacted(dst []byte, v string) []byte {
	if len(v) < 11 {
		return append(dst, v...) // too short to hold personal data
	}
	i := 0
	for i < len(v) {
		if !is(v[i], cDigit) {
			dst = append(dst, v[i])
			i++
			continue
		}
		j := i
		for j < len(v) && is(v[j], cDigit) {
			j++
		}
		if j-i == 17 && j < len(v) && (v[j] == 'X' || v[j] == 'x') {
			j++
		}
		run := v[i:j]
		if j-i >= 11 {
			if k := piiKind(run); k != "" {
				dst = append(dst, k...)
				i = j
				continue
			}
		}
		dst = append(dst, run...)
		i = j
	}
	return dst
}
