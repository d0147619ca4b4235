// Package metrics scores a log parser's templates against a ground truth
// the way the Loghub-2.0 benchmark does (Jiang et al., ISSTA 2024; see the
// README of the shared loghub-2k folder, whose definitions these follow):
//
//   - GA, grouping accuracy: a line is correct iff the lines sharing its
//     predicted template are exactly the lines sharing its true template.
//   - FGA: F1 of PGA and RGA, where a true template is correctly grouped
//     iff all its lines got one predicted template that no other line got;
//     PGA divides the correct ones by the number of predicted templates,
//     RGA by the number of true templates.
//   - PA, parsing accuracy: a line is correct iff its predicted template
//     string equals its true template string.
//   - FTA: F1 of PTA and RTA, where a predicted template is correct iff all
//     its lines have one true template and that template's string equals
//     the predicted string; PTA divides by the number of predicted
//     templates, RTA by the number of true templates.
//
// Templates are grouped by their string, not by a cluster id: two clusters
// printing the same template are one group. Lines whose true template is
// "" are unlabelled and dropped before anything is counted. A predicted ""
// is an ordinary template string.
package metrics

import "fmt"

// Scores are the benchmark's accuracy measures for one dataset. Every
// ratio is in [0, 1]; an F1 whose precision and recall are both 0 is 0.
type Scores struct {
	Lines              int // lines scored: those with a non-empty true template
	TruthTemplates     int // distinct true templates among the scored lines
	PredictedTemplates int // distinct predicted templates among the scored lines

	GA, PGA, RGA, FGA float64
	PA, PTA, RTA, FTA float64
}

// Evaluate scores predicted[i] against truth[i] for every line i. The
// slices must have the same length.
func Evaluate(truth, predicted []string) (Scores, error) {
	if len(truth) != len(predicted) {
		return Scores{}, fmt.Errorf("evaluate: %d true templates but %d predicted", len(truth), len(predicted))
	}
	// group records, for one template on one side, the single template the
	// other side gave its lines, or mixed if it gave more than one.
	type group struct {
		lines int
		other string
		mixed bool
	}
	add := func(m map[string]*group, key, other string) {
		g := m[key]
		if g == nil {
			m[key] = &group{lines: 1, other: other}
			return
		}
		g.lines++
		if g.other != other {
			g.mixed = true
		}
	}
	byTruth := map[string]*group{}
	byPred := map[string]*group{}
	var s Scores
	exact := 0
	for i, t := range truth {
		if t == "" {
			continue
		}
		p := predicted[i]
		s.Lines++
		if t == p {
			exact++
		}
		add(byTruth, t, p)
		add(byPred, p, t)
	}
	if s.Lines == 0 {
		return s, nil
	}
	s.TruthTemplates, s.PredictedTemplates = len(byTruth), len(byPred)

	groupedLines, grouped := 0, 0
	for _, g := range byTruth {
		if !g.mixed && byPred[g.other].lines == g.lines {
			groupedLines += g.lines
			grouped++
		}
	}
	parsed := 0
	for p, g := range byPred {
		if !g.mixed && g.other == p {
			parsed++
		}
	}
	s.GA = float64(groupedLines) / float64(s.Lines)
	s.PGA = float64(grouped) / float64(s.PredictedTemplates)
	s.RGA = float64(grouped) / float64(s.TruthTemplates)
	s.FGA = f1(s.PGA, s.RGA)
	s.PA = float64(exact) / float64(s.Lines)
	s.PTA = float64(parsed) / float64(s.PredictedTemplates)
	s.RTA = float64(parsed) / float64(s.TruthTemplates)
	s.FTA = f1(s.PTA, s.RTA)
	return s, nil
}

func f1(p, r float64) float64 {
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}
