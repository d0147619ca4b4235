// Package rules will hold consistency checks (two queries from two
// databases compared on a key, re-checked after a grace period) and metric
// expression rules.
//
// Nothing is implemented yet: the checks arrive with the consistency-check
// issue, and this file only reserves the package named by the design so
// that the layout is complete from the start.
package rules
