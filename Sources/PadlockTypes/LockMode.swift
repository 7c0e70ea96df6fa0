/// How a lock is held.
///
/// `exclusive` is for editing a record; `shared` is for viewing or approving it. Shared is compatible with
/// shared only.
public enum LockMode: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case exclusive = 0
    case shared = 1

    /// Whether a holder in this mode and a holder in `other` may hold overlapping keys at once.
    public func isCompatible(with other: LockMode) -> Bool {
        self == .shared && other == .shared
    }

    public var description: String {
        switch self {
        case .exclusive: "exclusive"
        case .shared: "shared"
        }
    }
}
