// Package detector scores how far each point of a series is from normal.
//
// # The contract
//
// A Detector builds Streams: the causal, online form of a detector, where
// each Push sees only the past. Run judges an Input (History to warm up,
// Points to judge, the baseline Model fitted on History) with any
// Detector; detectors whose batch form differs from replaying the stream
// also implement Batcher. New builds the detector a Config selects and
// wraps it in the common gates, so every family gets direction,
// min_deviation and persistence the same way.
//
// # Families
//
// Robust (type robust) judges against the baseline model. The model-free
// families learn from the series' own recent points: Static (fixed
// bounds), ZScore and RobustZ (rolling mean/sd, median/MAD), IQR (Tukey
// fences), EWMA (control chart), CUSUM and LevelShift (lasting changes),
// Flatline and NoData (a stuck or silent series), RateOfChange (jumps)
// and DistributionShift (relative entropy between histograms). Each
// type's doc gives what it detects, its parameters (under its own key in
// Config), defaults and score mapping. New's registry also holds the
// seasonal, Holt-Winters, S-H-ESD, spectral-residual, adaptive, ensemble
// and auto detectors.
//
// # Scores
//
// Every family turns its raw statistic x (a |z|, a CUSUM sum, a run
// length, ...) into Score ∈ [0, 1] that is monotone in the evidence and is
// exactly 0.5 at the alerting threshold t of the configured sensitivity;
// most use Score = x / (x + t). A point crosses when Score ≥ 0.5. Result.Z
// is the signed standardised deviation where the family has one.
//
// Most families map the sensitivity s ∈ [0, 1] to the same z threshold
//
//	K(s) = 2 + 8·(1 − s)        s = 1 → 2, s = 0.7 → 4.4, s = 0 → 10
//
// linear so that analysts moving the sensitivity control see the band
// widen and narrow evenly. For Gaussian noise the two-sided tail beyond K
// is 4.6% of points at K = 2, 0.27% at 3, 1·10⁻⁵ at the default 4.4 and
// nothing at 10; business series have heavier tails, which is why the
// default sits high.
//
// # Gates
//
// After the family has scored a point, the gates New adds decide whether
// it is an anomaly, in this order:
//
//   - direction: with "up" a point whose deviation is downward (Z < 0, or
//     Value < Expected when Z is 0) gets Score 0, and with "down" the
//     reverse. Families with no direction (flatline, no-data) are exempt.
//   - min_deviation: the point must be at least min_deviation.absolute
//     and min_deviation.relative·|Expected| away from Expected. It is a
//     business filter and does not change the score. Families without an
//     expected value (flatline, no-data, distribution shift) are exempt.
//   - persistence {k, n}: the point is an anomaly only when it crossed and
//     at least k of the last n judged points (itself included, History's
//     included when Run warmed the stream on it) crossed. k = n = 1 by
//     default. It does not change the score.
//
// # Cost
//
// Every online family judges a point in O(1) or O(log n) time plus one
// memmove of at most its window, and allocates nothing in the steady
// state. Measured per point with gates (go test ./detector -run '^$'
// -bench 'Stream|AdaptivePush' -benchtime 200000x -cpu 1, AMD EPYC, Go
// 1.26), medians of three runs on a shared machine, so an idle one is
// faster:
//
//	static 58 ns, flatline 63, robust 110, zscore 102, no_data 153,
//	seasonal 163 (no period 158), holtwinters 105, adaptive 136-142,
//	robust_z 174 (window 500: 190), iqr 189, cusum 195, rate_of_change
//	193, persistence 3-of-5 on robust_z 189, ewma 218, level_shift 218,
//	distribution_shift 320-420
//
// About 45 ns of that is common: the time check (Unix seconds and
// nanoseconds, not time.Time.After), writing the Result once through an
// internal pusher and the gates. The rolling-window families add a
// sortedWindow update (two interleaved binary searches and a memmove,
// about 60 ns at 200 points) and O(1) quantiles; the MAD is found by
// walking from the previous push's split. level_shift updates two
// windows, ewma a square root more. distribution_shift is above 200 ns
// by nature: each point moves two sorted windows, re-cuts the b − 1
// reference quantiles and counts both windows at each edge (walking from
// the last counts) and sums b divergence terms; fewer recomputations
// (edges refreshed every few points) would change its results.
//
// Three detectors recompute a window per point and are exceptions to the
// online budget: spectral (about 24 µs a point: two 128-point complex
// FFTs and 128 logarithms and exponentials), S-H-ESD (about 115 µs a
// point in the stream: the full test over its window of up to 1,000
// points; its batch form judges a window at a time) and any ensemble
// that contains one of them (about 26 µs with spectral). Use them in
// batch (Run) on minute-scale series, or prefer the online families.
//
// # Bad input
//
// Streams never panic. A point whose value is NaN or ±Inf, or whose time
// is not strictly after the last accepted point's (a duplicate or an
// out-of-order sample), is ignored: Push returns ok = false and the
// stream's state does not change. Huge finite values are judged; when a
// family's statistics overflow it reports Score 1 or skips the point
// (ok = false), as its doc says, and recovers once the values leave its
// window.
package detector
