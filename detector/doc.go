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
// state; docs/detectors.md has the measured figures (go test ./detector
// -run '^$' -bench Stream -cpu 1 -count 5). About 45 ns of a point is
// common: the time check (Unix seconds and nanoseconds, not
// time.Time.After), writing the Result once through an internal pusher
// and the gates. The rolling-window families add a sortedWindow update
// (two interleaved binary searches and a memmove, about 40 ns at 200
// points) and O(1) quantiles; the MAD is found by walking from the
// previous push's split. distribution_shift moves two sorted windows and
// recounts its b bins per point, the costliest of the O(log n) families.
//
// Two families judge the newest point against a whole window, and are
// computed incrementally with the same results up to floating-point
// rounding (the golden test in golden_test.go holds them within 1e-9 of
// the full recomputation):
//
//   - spectral keeps the window's DFT by the sliding-DFT recurrence
//     (O(n) per point, n = window + extend = 128) and then needs, per
//     distinct amplitude, a square and a cube root, and one inverse FFT
//     (O(n log n)): about 3 µs a point, where two full FFTs and 2n
//     logarithms and exponentials took about 17 µs. Every coefficient of
//     the map changes with every point, so the cost cannot fall below n
//     non-linear evaluations and one transform per point.
//   - S-H-ESD keeps per-phase sorted pools and the residuals sorted:
//     a point re-levels the points of the (at most six) phase classes
//     whose pools changed, about 6·window/period residual moves, and runs
//     the k = max_anomalies·window ESD steps on the sorted residuals:
//     about 1.2 µs a point for a 576-point window with a daily period
//     (165 µs before); without a period the window median moves every
//     residual, O(window) a point (about 1.8 µs at 1,000).
//
// An ensemble costs the sum of its members.
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
