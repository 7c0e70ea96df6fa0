/// Latencies counted into fixed buckets, in seconds, ready to expose as a Prometheus histogram.
///
/// A plain value: one thread owns it (the loop thread, typically), so it needs no locks; copy it to hand
/// a snapshot elsewhere. Memory is fixed by the bucket bounds given at creation.
package struct LatencyHistogram: Sendable, Equatable {
    /// Bounds from 100 µs to 10 s, roughly ×2.5 apart: fine where Padlock's fast paths live (a lock
    /// acquire is a fraction of a millisecond) and wide enough to show stalls of a failover.
    package static let defaultUpperBoundsSeconds: [Double] = [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]

    /// The most bucket bounds a histogram may have.
    package static let upperBoundsCountMax = 64

    /// Each bucket's upper bound in seconds (inclusive, as Prometheus's `le`), increasing.
    package let upperBoundsSeconds: [Double]
    /// Observations in each bucket alone (not cumulative), plus a last slot for those above every bound.
    package private(set) var bucketCounts: [UInt64]
    /// The number of observations.
    package private(set) var count: UInt64 = 0
    /// The sum of every observation, in seconds.
    package private(set) var sumSeconds: Double = 0

    /// Makes an empty histogram. Bounds that are empty, more than `upperBoundsCountMax`, not finite and
    /// positive, or not increasing are a programmer error.
    package init(upperBoundsSeconds: [Double] = LatencyHistogram.defaultUpperBoundsSeconds) {
        precondition((1...LatencyHistogram.upperBoundsCountMax).contains(upperBoundsSeconds.count),
                     "a histogram needs 1...\(LatencyHistogram.upperBoundsCountMax) bounds, "
                         + "got \(upperBoundsSeconds.count)")
        precondition(upperBoundsSeconds.allSatisfy { $0.isFinite && $0 > 0 }
                         && zip(upperBoundsSeconds, upperBoundsSeconds.dropFirst()).allSatisfy { $0 < $1 },
                     "histogram bounds \(upperBoundsSeconds) are not positive, finite and increasing")
        self.upperBoundsSeconds = upperBoundsSeconds
        bucketCounts = Array(repeating: 0, count: upperBoundsSeconds.count + 1)
    }

    /// Counts one observation. Negative values count as zero; NaN and infinities are ignored, since no
    /// latency is either and one would poison the sum for good.
    package mutating func record(seconds: Double) {
        guard seconds.isFinite else { return }
        let value = max(0, seconds)
        // The first bound at or above the value (binary search: bounds are few, but this runs per request).
        var low = 0
        var high = upperBoundsSeconds.count
        while low < high {
            let middle = (low + high) / 2
            if upperBoundsSeconds[middle] < value { low = middle + 1 } else { high = middle }
        }
        bucketCounts[low] &+= 1
        count &+= 1
        sumSeconds += value
    }

    /// Counts one observation given as a `Duration`.
    package mutating func record(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        record(seconds: Double(seconds) + Double(attoseconds) * 1e-18)
    }

    /// Writes this histogram into the current histogram family of `text`, with `labels`.
    package func render(into text: inout PrometheusText, labels: KeyValuePairs<String, String> = [:]) {
        text.histogram(labels: labels, upperBounds: upperBoundsSeconds, bucketCounts: bucketCounts, sum: sumSeconds)
    }

    /// Declares a histogram family `name` in `text` and writes this histogram as its only series.
    package func render(into text: inout PrometheusText, name: String, help: String,
                       labels: KeyValuePairs<String, String> = [:]) {
        text.family(name, type: .histogram, help: help)
        render(into: &text, labels: labels)
    }
}
