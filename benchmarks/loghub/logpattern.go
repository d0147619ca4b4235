package main

import (
	"fmt"

	"github.com/seismo-dev/seismo/logpattern"
)

// logpatternMiner is Seismo's miner.
type logpatternMiner struct {
	m     *logpattern.Miner
	mt    logpattern.Match  // reused by Add, as a pipeline does
	final map[uint64]string // templates by cluster, built by Final after mining
}

// newLogpatternMiner builds Seismo's miner. With the benchmark settings
// the dataset's published masks become user masks (each match a <*>)
// and its st and depth become SimilarityThreshold and Depth, which mean
// the same in logpattern as in the benchmark's Drain (depth counts the
// root and the leaf). Otherwise the configuration is logpattern's
// defaults, as a user who configures nothing gets them.
func newLogpatternMiner(s minerSpec) (miner, error) {
	var cfg logpattern.Config
	if s.Benchmark {
		cfg.Depth = s.Settings.Depth
		cfg.SimilarityThreshold = s.Settings.ST
		for i, expr := range s.Settings.Masks {
			cfg.Masks = append(cfg.Masks, logpattern.MaskConfig{
				Name:  fmt.Sprintf("%s_%d", s.Dataset, i+1),
				Regex: expr,
			})
		}
	}
	m, err := logpattern.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", s.Dataset, err)
	}
	return &logpatternMiner{m: m}, nil
}

func (l *logpatternMiner) Add(msg string) string {
	l.m.AddTo(msg, &l.mt)
	return l.mt.Template
}

// AddGroup implements grouper.
func (l *logpatternMiner) AddGroup(msg string) uint64 {
	l.final = nil
	return l.m.Add(msg).ClusterID
}

// Final implements grouper: the cluster's template now.
func (l *logpatternMiner) Final(group uint64) string {
	if l.final == nil {
		l.final = map[uint64]string{}
		for _, t := range l.m.Templates() {
			l.final[t.ID] = t.Template
		}
	}
	return l.final[l.m.Canonical(group)]
}

func init() { miners["logpattern"] = newLogpatternMiner }
