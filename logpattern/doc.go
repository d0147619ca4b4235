// Package logpattern will mine log streams into templates with a
// Drain-style fixed-depth prefix tree, mask personal data before anything
// is stored, and turn template counts into series for the baselines.
//
// It is pure code (no I/O). Nothing is implemented yet: the miner arrives
// with the log-pattern issue, and this file only reserves the package named
// by the design so that the layout is complete from the start.
package logpattern
