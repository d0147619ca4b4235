//go:build unix

package logpattern

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time the test process has used (user and
// system, all threads), so that throughput can be reported per CPU second
// on a machine that other work keeps busy.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
