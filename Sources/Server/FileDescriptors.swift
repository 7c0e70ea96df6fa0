import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The process's file-descriptor limit (`RLIMIT_NOFILE`): raised to the hard limit at start, and the
/// budget of connections it leaves room for.
enum FileDescriptors {
    /// What `raiseSoftLimit` found and did.
    struct Raised: Equatable {
        var previous: UInt64
        var soft: UInt64
        var hard: UInt64
        /// Why the soft limit could not be raised as far as the hard limit; nil when it was.
        var failure: String?
    }

    /// The most descriptors padlockd asks for when the hard limit is unlimited (Linux refuses more than
    /// `fs.nr_open`, which is 1048576 by default).
    static let unlimitedCeiling: UInt64 = 1 << 20

    /// Raises the soft limit to the hard limit (at most `unlimitedCeiling` when that is unlimited).
    static func raiseSoftLimit() -> Raised? {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 else { return nil }
        let previous = UInt64(limit.rlim_cur)
        let hard = UInt64(limit.rlim_max)
        let target = limit.rlim_max == rlim_t.max ? unlimitedCeiling : hard
        guard previous < target else { return Raised(previous: previous, soft: previous, hard: hard) }
        var raised = limit
        raised.rlim_cur = rlim_t(target)
        if setrlimit(RLIMIT_NOFILE_VALUE, &raised) == 0 {
            return Raised(previous: previous, soft: target, hard: hard)
        }
        let reason = String(cString: strerror(errno))
        return Raised(previous: previous, soft: previous, hard: hard, failure: reason)
    }

    /// The soft limit now; nil when the system does not say.
    static func softLimit() -> UInt64? {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 else { return nil }
        return UInt64(limit.rlim_cur)
    }

    /// Descriptors open now (Linux: the entries of /proc/self/fd); nil when it cannot be counted.
    static func openCount() -> Int? {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return nil }
        return entries.count
    }

    /// Connections the limit leaves room for: the limit, less what is open now and `reserve` more (the log's
    /// segments, snapshots, outgoing peer links, the admin port), and never fewer than 16.
    static func connectionBudget(limit: UInt64?, open: Int?, reserve: Int) -> Int {
        guard let limit else { return Int.max }
        let capped = Int(min(limit, UInt64(Int.max / 2)))
        return max(16, capped - (open ?? 64) - reserve)
    }
}

#if canImport(Glibc)
    /// Glibc imports `RLIMIT_NOFILE` as an enum case of `__rlimit_resource`.
    private let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
#else
    private let RLIMIT_NOFILE_VALUE = RLIMIT_NOFILE
#endif
