import Wire

/// What a watch stream watches.
enum WatchTarget: Hashable {
    case key(LockKey)
    case prefix(LockKey)
}

/// One watch stream the core feeds.
final class WatchEntry {
    let target: WatchTarget
    let queue: WatchQueue

    init(target: WatchTarget, queue: WatchQueue) {
        self.target = target
        self.queue = queue
    }
}

/// The latest state known of a key some watch covers.
struct KnownKeyState {
    var state: KeyState
    /// Counts the states delivered for the key, so that a re-read started before a newer state is dropped.
    var generation: UInt64
}

/// The client's subscription to the cluster's events (protocol v2, `docs/events.md`): what it wants (its
/// sessions that hold or wait, the keys and prefixes its watch streams follow), what the leader confirmed on
/// which connection, and the last log index seen there. Loop thread only; `ClientCore+Events.swift` runs it.
///
/// One mechanism serves every case: whatever is wanted and not confirmed on the current connection is sent
/// in the next `subscribe`, one request at a time. When the subscription breaks (the connection closes, the
/// leader changes, the node ends it), everything confirmed goes back to wanting, each session with "replay
/// after the last index seen", and is sent again to whichever node leads now.
final class EventSubscription {
    /// The connection the leader accepted the subscription on, and its endpoint; nil when none is in force.
    var link: Link?
    var endpoint: Int?
    /// The highest log index seen on `link`: its `subscribed` answers and its events.
    var lastIndex: UInt64 = 0

    /// Sessions whose events are wanted.
    var sessions: Set<SessionID> = []
    /// Sessions to send in the next subscribe, each with the index after which its lock losses must be
    /// replayed (nil: none before now).
    var pending: [SessionID: UInt64?] = [:]
    /// Sessions the leader confirmed on `link`, each with the index from which its events are covered.
    var confirmedAt: [SessionID: UInt64] = [:]

    /// Watch streams by id, and which watch which key or prefix.
    var watches: [UInt64: WatchEntry] = [:]
    var watchesOfKey: [LockKey: Set<UInt64>] = [:]
    var watchesOfPrefix: [LockKey: Set<UInt64>] = [:]
    /// Watched keys and prefixes not confirmed on `link`, confirmed on it, and confirmed but no longer watched.
    var unconfirmedKeys: Set<LockKey> = []
    var unconfirmedPrefixes: Set<LockKey> = []
    var confirmedKeys: Set<LockKey> = []
    var confirmedPrefixes: Set<LockKey> = []
    var unwantedKeys: Set<LockKey> = []
    var unwantedPrefixes: Set<LockKey> = []
    /// The latest state of each key a watch covers (prefix-covered keys only while not quiet).
    var known: [LockKey: KnownKeyState] = [:]
    /// Re-reads due after a lock-delay (or a resubscribed prefix), and the keys being re-read.
    var rereadTimers: [LockKey: any ClientTimer] = [:]
    var rereading: Set<LockKey> = []
    /// Keys asked to be re-read while a re-read was in flight: read again once it ends.
    var rereadAgain: Set<LockKey> = []

    /// Whom to tell of each queued acquire's position, and the position last told.
    var positions: [RequestID: (tell: @Sendable (Int) -> Void, last: Int?)] = [:]

    /// The subscribe or unsubscribe in flight, and the retry after a failed one.
    var exchange: Exchange?
    var retryTimer: (any ClientTimer)?
    var failures = 0

    /// The stricter of two replay points: the earlier index; nil (nothing before now) yields to an index.
    static func stricter(_ first: UInt64?, _ second: UInt64?) -> UInt64? {
        guard let first else { return second }
        guard let second else { return first }
        return min(first, second)
    }

    /// Whether a watch covers `key`: watches it, or watches a prefix at or above it.
    func isWatched(_ key: LockKey) -> Bool { watchesOfKey[key] != nil || !prefixes(covering: key).isEmpty }

    /// Whether the leader confirmed, on `link`, a watch of `key` or of a prefix covering it: it then sends every
    /// change of the key's state there.
    func isConfirmed(_ key: LockKey) -> Bool {
        confirmedKeys.contains(key) || prefixes(covering: key).contains { confirmedPrefixes.contains($0) }
    }

    /// The watched prefixes at or above `key`.
    func prefixes(covering key: LockKey) -> [LockKey] {
        guard !watchesOfPrefix.isEmpty else { return [] }
        var found: [LockKey] = []
        var path = ""
        for segment in key.segments {
            path += path.isEmpty ? String(segment) : "/" + segment
            if let prefix = try? LockKey(path), watchesOfPrefix[prefix] != nil { found.append(prefix) }
        }
        return found
    }

    /// Every watch stream that covers `key`.
    func watches(covering key: LockKey) -> [WatchEntry] {
        var ids = watchesOfKey[key] ?? []
        for prefix in prefixes(covering: key) { ids.formUnion(watchesOfPrefix[prefix] ?? []) }
        return ids.sorted().compactMap { watches[$0] }
    }
}
