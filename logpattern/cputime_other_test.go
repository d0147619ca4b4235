//go:build !unix

package logpattern

import "time"

// processCPU is not available here: no lines/cpu-s metric.
func processCPU() (time.Duration, bool) { return 0, false }
