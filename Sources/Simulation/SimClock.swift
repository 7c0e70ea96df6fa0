/// One process's clocks under simulation: a monotonic clock that runs at its own rate (drift within the
/// configured bound, changing over time) and a wall clock offset from it. Times are in microseconds of true
/// (simulated) time; the clocks read milliseconds.
struct SimClock {
    /// Local microseconds at `anchorTrue`.
    private var anchorLocal: Double
    private var anchorTrue: UInt64
    /// Local microseconds per true microsecond: 1 + drift.
    private(set) var rate: Double
    /// The monotonic clock's reading at true time zero, in microseconds.
    private let startLocal: Double
    /// The wall clock at true time zero (milliseconds since the Unix epoch), before skew.
    static let wallEpochMilliseconds: Int64 = 1_767_225_600_000
    /// How far this wall clock is off true time, in milliseconds; NTP steps change it.
    var wallSkewMilliseconds: Int64

    init(rate: Double, startLocalMicroseconds: Double, wallSkewMilliseconds: Int64) {
        anchorLocal = startLocalMicroseconds
        anchorTrue = 0
        startLocal = startLocalMicroseconds
        self.rate = rate
        self.wallSkewMilliseconds = wallSkewMilliseconds
    }

    /// Local time in microseconds at true time `now`.
    func localMicroseconds(at now: UInt64) -> Double {
        anchorLocal + Double(now - anchorTrue) * rate
    }

    func monotonicMilliseconds(at now: UInt64) -> UInt64 { UInt64(localMicroseconds(at: now) / 1000) }

    func wallMilliseconds(at now: UInt64) -> UInt64 {
        UInt64(
            Self.wallEpochMilliseconds + Int64((localMicroseconds(at: now) - startLocal) / 1000) + wallSkewMilliseconds)
    }

    /// The true time at which the local clock reads `local` microseconds (never before `now`).
    func trueTime(atLocal local: Double, notBefore now: UInt64) -> UInt64 {
        let delta = (local - anchorLocal) / rate
        let time = delta <= 0 ? anchorTrue : anchorTrue + UInt64(delta.rounded(.up))
        return max(time, now)
    }

    /// Changes the rate from `now` on, keeping the local time continuous.
    mutating func setRate(_ newRate: Double, at now: UInt64) {
        anchorLocal = localMicroseconds(at: now)
        anchorTrue = now
        rate = newRate
    }
}
