import PadlockTypes

extension Command {
    /// The key an acquiring command asks for: its grant or its place in the queue changes that key's state
    /// even when no release or waiter event names it. Nil for every other command.
    package var requestedKey: LockKey? {
        switch self {
        case .acquire(_, let key, _, _, _), .takeover(_, let key, _, _, _, _): key
        default: nil
        }
    }
}
