import DequeModule
import LockTable
import PadlockTypes
import Wire

/// Which client connections follow which sessions, keys and prefixes: the leader's routing table for events
/// (`docs/events.md`). Pure bookkeeping; the node decides what to send.
///
/// Lookups cost O(depth of the key) plus the watchers found: every watched key and prefix is also filed under
/// each of its ancestors, so the watches below a changed key are found without scanning.
struct SubscriptionBook {
    /// What one connection follows.
    struct Follows {
        var sessions: Set<SessionID> = []
        var keys: Set<LockKey> = []
        var prefixes: Set<LockKey> = []

        /// Watched keys and prefixes together: what the per-connection limit counts.
        var watchCount: Int { keys.count + prefixes.count }
    }

    private(set) var connections: [ClientID: Follows] = [:]
    /// The connection that last subscribed for each session: where its events go.
    private(set) var sessionConnection: [SessionID: ClientID] = [:]
    private var keyWatchers: [String: Watched] = [:]
    private var prefixWatchers: [String: Watched] = [:]
    /// For every watched key and every ancestor of one: the watched keys at or under it.
    private var keysUnder: [String: Set<String>] = [:]
    /// For every watched prefix and every ancestor of one: the watched prefixes at or under it.
    private var prefixesUnder: [String: Set<String>] = [:]
    /// The position last sent for each queued acquire of a followed session.
    var positionsSent: [RequestID: UInt64] = [:]

    /// Whether no connection follows anything: events then cost nothing.
    var isEmpty: Bool { connections.isEmpty }

    /// Whether any key or prefix is watched: without one, a changed key needs no watcher lookup.
    var hasWatches: Bool { !keyWatchers.isEmpty || !prefixWatchers.isEmpty }

    /// What `client` follows now.
    func follows(_ client: ClientID) -> Follows { connections[client] ?? Follows() }

    /// Where `session`'s events go, if anywhere.
    func connection(for session: SessionID) -> ClientID? { sessionConnection[session] }

    /// Adds to what `client` follows; a session followed by another connection moves to this one.
    mutating func add(_ subscription: Subscription, for client: ClientID) {
        var follows = connections[client] ?? Follows()
        for session in subscription.sessions {
            if let previous = sessionConnection[session], previous != client {
                connections[previous]?.sessions.remove(session)
            }
            sessionConnection[session] = client
            follows.sessions.insert(session)
        }
        for key in subscription.keys where follows.keys.insert(key).inserted {
            Self.watch(key, by: client, watchers: &keyWatchers, under: &keysUnder)
        }
        for prefix in subscription.prefixes where follows.prefixes.insert(prefix).inserted {
            Self.watch(prefix, by: client, watchers: &prefixWatchers, under: &prefixesUnder)
        }
        connections[client] = follows
    }

    /// Removes from what `client` follows.
    mutating func remove(_ subscription: Subscription, for client: ClientID) {
        guard var follows = connections[client] else { return }
        for session in subscription.sessions where follows.sessions.remove(session) != nil {
            if sessionConnection[session] == client { sessionConnection[session] = nil }
        }
        for key in subscription.keys where follows.keys.remove(key) != nil {
            Self.unwatch(key, by: client, watchers: &keyWatchers, under: &keysUnder)
        }
        for prefix in subscription.prefixes where follows.prefixes.remove(prefix) != nil {
            Self.unwatch(prefix, by: client, watchers: &prefixWatchers, under: &prefixesUnder)
        }
        connections[client] = follows.sessions.isEmpty && follows.watchCount == 0 ? nil : follows
    }

    /// Forgets an ended session: nothing more can happen to it.
    mutating func forget(_ session: SessionID) {
        guard let client = sessionConnection.removeValue(forKey: session) else { return }
        connections[client]?.sessions.remove(session)
        if let follows = connections[client], follows.sessions.isEmpty, follows.watchCount == 0 {
            connections[client] = nil
        }
    }

    /// Forgets `client` (its connection closed).
    mutating func drop(_ client: ClientID) {
        guard let follows = connections[client] else { return }
        remove(
            Subscription(
                sessions: Array(follows.sessions), keys: Array(follows.keys), prefixes: Array(follows.prefixes)),
            for: client)
        connections[client] = nil
    }

    /// Forgets everything (the node stopped leading); returns the connections that followed something.
    mutating func dropAll() -> [ClientID] {
        let clients = connections.keys.sorted { $0.rawValue < $1.rawValue }
        self = SubscriptionBook()
        return clients
    }

    /// The connections to tell about a change to `changed`, by the key whose state each is told: a watched
    /// key that overlaps it (the key, an ancestor or a descendant); for a watched prefix covering it, the
    /// changed key itself; for a watched prefix below it, the prefix.
    func watchers(of changed: LockKey) -> [LockKey: Set<ClientID>] {
        var found: [LockKey: Set<ClientID>] = [:]
        for ancestor in Self.ancestorsAndSelf(changed.string) {
            if let watched = keyWatchers[ancestor] { found[watched.key, default: []].formUnion(watched.clients) }
            if let watched = prefixWatchers[ancestor] { found[changed, default: []].formUnion(watched.clients) }
        }
        for key in keysUnder[changed.string] ?? [] where key != changed.string {
            if let watched = keyWatchers[key] { found[watched.key, default: []].formUnion(watched.clients) }
        }
        for prefix in prefixesUnder[changed.string] ?? [] where prefix != changed.string {
            if let watched = prefixWatchers[prefix] { found[watched.key, default: []].formUnion(watched.clients) }
        }
        return found
    }

    /// A watched key or prefix and the connections watching it.
    private struct Watched {
        var key: LockKey
        var clients: Set<ClientID>
    }

    private static func watch(
        _ key: LockKey, by client: ClientID, watchers: inout [String: Watched], under: inout [String: Set<String>]
    ) {
        guard watchers[key.string] != nil else {
            watchers[key.string] = Watched(key: key, clients: [client])
            for ancestor in ancestorsAndSelf(key.string) { under[ancestor, default: []].insert(key.string) }
            return
        }
        watchers[key.string]?.clients.insert(client)
    }

    private static func unwatch(
        _ key: LockKey, by client: ClientID, watchers: inout [String: Watched], under: inout [String: Set<String>]
    ) {
        watchers[key.string]?.clients.remove(client)
        guard watchers[key.string]?.clients.isEmpty == true else { return }
        watchers[key.string] = nil
        for ancestor in ancestorsAndSelf(key.string) {
            under[ancestor]?.remove(key.string)
            if under[ancestor]?.isEmpty == true { under[ancestor] = nil }
        }
    }

    /// `key` and each of its ancestors: `a`, `a/b`, `a/b/c` for `a/b/c`.
    static func ancestorsAndSelf(_ key: String) -> [String] {
        var result: [String] = []
        var index = key.startIndex
        while let separator = key[index...].firstIndex(of: LockKey.separator) {
            result.append(String(key[..<separator]))
            index = key.index(after: separator)
        }
        result.append(key)
        return result
    }
}

/// The lock losses of the last applied entries, on every node (each applies the same entries): what a
/// resumed subscription is replayed from. Bounded; what fell out is answered with a resync instead.
struct LossRing {
    /// One lost lock.
    struct Loss: Hashable {
        var index: UInt64
        var key: LockKey
        var holder: Holder
        var loss: LockLoss
    }

    let capacity: Int
    /// Every loss applied after this index is kept.
    private(set) var floor: UInt64
    private var losses: Deque<Loss> = []

    init(capacity: Int, floor: UInt64) {
        self.capacity = max(1, capacity)
        self.floor = floor
    }

    /// Keeps a loss applied at `loss.index`, dropping the oldest entry's losses when full.
    mutating func append(_ loss: Loss) {
        losses.append(loss)
        while losses.count > capacity, let oldest = losses.first?.index {
            floor = oldest
            while losses.first?.index == oldest { losses.removeFirst() }
        }
    }

    /// Forgets everything up to `index` (a snapshot replaced the table).
    mutating func reset(floor index: UInt64) {
        losses.removeAll()
        floor = index
    }

    /// The losses of `sessions` applied after `index`, oldest first; nil when some may have fallen out.
    func losses(after index: UInt64, of sessions: Set<SessionID>) -> [Loss]? {
        guard index >= floor else { return nil }
        return losses.filter { $0.index > index && sessions.contains($0.holder.session) }
    }
}
