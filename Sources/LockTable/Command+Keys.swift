import PadlockTypes

extension Command {
    /// The keys a command asks for or changes directly: an acquire's grant or its place in the queue, a mode
    /// change, a hold placed or lifted change those keys' state even when no release or waiter event names
    /// them. Empty for every other command.
    package var requestedKeys: [LockKey] {
        switch self {
        case .acquire(_, let key, _, _, _), .takeover(_, let key, _, _, _, _), .changeMode(_, let key, _, _, _, _),
            .liftHold(_, let key, _, _, _):
            [key]
        case .acquireKeys(_, let keys, _, _, _, _): keys
        case .placeHold(_, let placement, _): [placement.key]
        default: []
        }
    }
}
