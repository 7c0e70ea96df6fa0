import CLibUV

/// A point on a loop's monotonic clock, in milliseconds since an arbitrary origin.
///
/// The layers above (Raft, session expiry) count time in ticks and never read a wall clock; this type keeps
/// loop time apart from other integers. It comes from libuv's cached loop time (`uv_now`), which is
/// monotonic and updated once per loop iteration.
package struct Ticks: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Milliseconds since the clock's origin.
    package let milliseconds: UInt64

    /// Orders two points in time.
    package static func < (lhs: Ticks, rhs: Ticks) -> Bool { lhs.milliseconds < rhs.milliseconds }

    /// The point `duration` after `base` (durations are rounded up to whole milliseconds).
    package static func + (base: Ticks, duration: Duration) -> Ticks {
        Ticks(milliseconds: base.milliseconds &+ duration.wholeMillisecondsRoundedUp)
    }

    /// The time elapsed from `earlier` to `later`, or zero when `earlier` is not before `later`.
    package static func - (later: Ticks, earlier: Ticks) -> Duration {
        guard later > earlier else { return .zero }
        return .milliseconds(Int64(later.milliseconds - earlier.milliseconds))
    }

    /// The form `1234ms`.
    package var description: String { "\(milliseconds)ms" }
}

extension Duration {
    /// Whole milliseconds, rounded up so that a timer never fires early; negative durations count as zero.
    var wholeMillisecondsRoundedUp: UInt64 {
        let (seconds, attoseconds) = components
        if seconds < 0 || (seconds == 0 && attoseconds <= 0) { return 0 }
        let attosecondsPerMillisecond: Int64 = 1_000_000_000_000_000
        let partial = attoseconds / attosecondsPerMillisecond
        let roundUp: Int64 = attoseconds % attosecondsPerMillisecond == 0 ? 0 : 1
        let (total, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1000)
        if overflow { return UInt64.max / 2 }
        return total &+ UInt64(partial + roundUp)
    }
}
