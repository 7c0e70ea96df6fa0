/// How a lock is held.
///
/// `exclusive` is for editing a record; `shared` is for viewing or approving it. Shared is compatible with
/// shared only.
public enum LockMode: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Conflicts with every other lock on the key, its ancestors and its descendants: for editing.
    case exclusive = 0
    /// Compatible with other shared locks only: for viewing or approving, blocking edits.
    case shared = 1

    /// Whether a holder in this mode and a holder in `other` may hold overlapping keys at once.
    public func isCompatible(with other: LockMode) -> Bool {
        self == .shared && other == .shared
    }

    /// The mode's name, `exclusive` or `shared`.
    public var description: String {
        switch self {
        case .exclusive: "exclusive"
        case .shared: "shared"
        }
    }
}
