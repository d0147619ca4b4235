package logpattern

import "sort"

// Templates returns the miner's templates ordered by id.
func (m *Miner) Templates() []Template {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Template, 0, m.stats.Clusters)
	for c := m.lruHead; c != nil; c = c.next {
		out = append(out, c.export())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (c *cluster) export() Template {
	return Template{ID: c.id, Template: c.template, Count: c.count, FirstLine: c.first, LastLine: c.last}
}

// Stats returns a copy of the miner's counters.
func (m *Miner) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stats
}
