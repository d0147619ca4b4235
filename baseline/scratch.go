package baseline

// scratch holds the working buffers of one fit at a time, so that a
// Fitter can reuse them from one fit to the next instead of allocating
// (and the garbage collector clearing) a few hundred kilobytes per fit.
// Nothing in it outlives a fit: models copy what they keep. Each buffer
// has one owner while a fit runs; the comments say which.
type scratch struct {
	grid  []float64    // grid.v of the grid being fitted (buildGrid)
	ts    []int64      // sample times of an irregular series (buildGrid)
	smp   []float64    // strided samples (medians)
	dev   []float64    // deviations from their median (summarizeOf)
	sel   []float64    // medianOf's selection buffer
	stl   []float64    // STL weights, seasons sum, trend, prefix sums (then residuals)
	cells []float64    // per-cell sums of STL seasons and scale profiles
	runs  []int32      // cell boundaries (season.runs)
	det   []float64    // period detection: series, FFT buffers, correlations
	fft   []complex128 // FFT twiddles and work
	spec  []complex128 // a spectrum
}

// floats returns (*buf)[:n], growing *buf when it is too small. The
// contents are whatever the previous user left: callers that need zeros
// clear them.
func floats(buf *[]float64, n int) []float64 {
	if cap(*buf) < n {
		*buf = make([]float64, n)
	}
	return (*buf)[:n]
}

// ints is floats for int32 buffers.
func ints(buf *[]int32, n int) []int32 {
	if cap(*buf) < n {
		*buf = make([]int32, n)
	}
	return (*buf)[:n]
}
