// Package rules groups what Seismo checks besides learned baselines; the
// work is in its sub-packages:
//
//   - rules/check: consistency checks — two queries on two SQL sources
//     (PostgreSQL, MySQL/MariaDB, SQLite) streamed in key order and merged,
//     with values normalised across the engines, a grace re-check that
//     tells lasting differences from replication lag, and a checksum mode
//     for very large tables (docs/checks.md);
//   - rules/metric: alerting rules in PromQL or MetricsQL against
//     Prometheus or VictoriaMetrics, as vmalert runs them (docs/rules.md);
//   - rules/expr: the analyst rule language, over the differences of a
//     check or the points of a monitor (docs/rules.md).
//
// Following the design, rules packages import only series and source among
// the analysis and I/O packages (and each other); the engine wires them.
package rules
