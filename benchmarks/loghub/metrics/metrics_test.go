package metrics

import (
	"math"
	"strings"
	"testing"
)

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name        string
		truth, pred []string
		want        Scores
	}{
		{
			name:  "perfect",
			truth: []string{"A", "A", "B"},
			pred:  []string{"A", "A", "B"},
			want:  Scores{Lines: 3, TruthTemplates: 2, PredictedTemplates: 2, GA: 1, PGA: 1, RGA: 1, FGA: 1, PA: 1, PTA: 1, RTA: 1, FTA: 1},
		},
		{
			name:  "right groups, wrong text",
			truth: []string{"A", "A", "B"},
			pred:  []string{"X", "X", "Y"},
			want:  Scores{Lines: 3, TruthTemplates: 2, PredictedTemplates: 2, GA: 1, PGA: 1, RGA: 1, FGA: 1},
		},
		{
			// P covers A and B: neither is grouped; C is grouped and parsed.
			// PGA = 1/2, RGA = 1/3, FGA = 2·(1/6)/(5/6) = 0.4; the same for TA.
			name:  "over-merged",
			truth: []string{"A", "A", "B", "C"},
			pred:  []string{"P", "P", "P", "C"},
			want: Scores{Lines: 4, TruthTemplates: 3, PredictedTemplates: 2,
				GA: 0.25, PGA: 0.5, RGA: 1.0 / 3, FGA: 0.4,
				PA: 0.25, PTA: 0.5, RTA: 1.0 / 3, FTA: 0.4},
		},
		{
			// A is split into A and X: only B is grouped (GA 1/4, PGA 1/3,
			// RGA 1/2, FGA 0.4). Predicted A and B each cover one true
			// template with their own text (PTA 2/3, RTA 2/2, FTA 0.8).
			name:  "over-split",
			truth: []string{"A", "A", "A", "B"},
			pred:  []string{"A", "A", "X", "B"},
			want: Scores{Lines: 4, TruthTemplates: 2, PredictedTemplates: 3,
				GA: 0.25, PGA: 1.0 / 3, RGA: 0.5, FGA: 0.4,
				PA: 0.75, PTA: 2.0 / 3, RTA: 1, FTA: 0.8},
		},
		{
			// Line 2 has no true template: it is dropped, so predicted A
			// covers exactly the two A lines.
			name:  "unlabelled lines dropped",
			truth: []string{"A", "", "A", "B"},
			pred:  []string{"A", "A", "A", "C"},
			want: Scores{Lines: 3, TruthTemplates: 2, PredictedTemplates: 2,
				GA: 1, PGA: 1, RGA: 1, FGA: 1,
				PA: 2.0 / 3, PTA: 0.5, RTA: 0.5, FTA: 0.5},
		},
		{
			// Two clusters printing the same string are one group.
			name:  "grouped by string",
			truth: []string{"A", "B"},
			pred:  []string{"P", "P"},
			want:  Scores{Lines: 2, TruthTemplates: 2, PredictedTemplates: 1},
		},
		{
			name:  "empty prediction is a template",
			truth: []string{"A", "A"},
			pred:  []string{"", ""},
			want:  Scores{Lines: 2, TruthTemplates: 1, PredictedTemplates: 1, GA: 1, PGA: 1, RGA: 1, FGA: 1},
		},
		{
			// A's lines share one prediction, but it also covers a B line,
			// so A is not grouped; predicted B is still parsed correctly.
			name:  "prediction reaching into another template",
			truth: []string{"A", "A", "B", "B"},
			pred:  []string{"A", "A", "A", "B"},
			want: Scores{Lines: 4, TruthTemplates: 2, PredictedTemplates: 2,
				GA: 0, PGA: 0, RGA: 0, FGA: 0,
				PA: 0.75, PTA: 0.5, RTA: 0.5, FTA: 0.5},
		},
		{
			name:  "nothing labelled",
			truth: []string{"", ""},
			pred:  []string{"A", "B"},
			want:  Scores{},
		},
		{name: "empty", want: Scores{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Evaluate(tt.truth, tt.pred)
			if err != nil {
				t.Fatal(err)
			}
			if got.Lines != tt.want.Lines || got.TruthTemplates != tt.want.TruthTemplates || got.PredictedTemplates != tt.want.PredictedTemplates {
				t.Errorf("counts = %d lines, %d true, %d predicted; want %d, %d, %d",
					got.Lines, got.TruthTemplates, got.PredictedTemplates, tt.want.Lines, tt.want.TruthTemplates, tt.want.PredictedTemplates)
			}
			for _, m := range []struct {
				name      string
				got, want float64
			}{
				{"GA", got.GA, tt.want.GA}, {"PGA", got.PGA, tt.want.PGA}, {"RGA", got.RGA, tt.want.RGA}, {"FGA", got.FGA, tt.want.FGA},
				{"PA", got.PA, tt.want.PA}, {"PTA", got.PTA, tt.want.PTA}, {"RTA", got.RTA, tt.want.RTA}, {"FTA", got.FTA, tt.want.FTA},
			} {
				if math.Abs(m.got-m.want) > 1e-12 {
					t.Errorf("%s = %v, want %v", m.name, m.got, m.want)
				}
			}
		})
	}
}

func TestEvaluateLengthMismatch(t *testing.T) {
	_, err := Evaluate([]string{"A"}, nil)
	if err == nil || !strings.Contains(err.Error(), "1 true templates but 0 predicted") {
		t.Fatalf("error = %v", err)
	}
}
