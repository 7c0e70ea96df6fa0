/// One way of a proxied connection.
package enum ProxyDirection: Sendable, Hashable, CustomStringConvertible {
    /// Bytes the client sends, on their way to the upstream server.
    case toUpstream
    /// Bytes the upstream server sends, on their way to the client.
    case toClient
    /// Both ways at once.
    case both

    /// Whether this direction includes `one` (`toUpstream` or `toClient`).
    func covers(_ one: ProxyDirection) -> Bool { self == .both || self == one }

    /// The direction's name.
    package var description: String {
        switch self {
        case .toUpstream: "toUpstream"
        case .toClient: "toClient"
        case .both: "both"
        }
    }
}

/// What a ``FaultProxy`` does to the traffic passing through it. One fault is in effect at a time; setting a
/// new one replaces it.
package enum ProxyFault: Sendable, Hashable, CustomStringConvertible {
    /// Forwards every byte, in order, as soon as it is read.
    case pass
    /// Accepts and keeps connections (and connects them upstream) but drops the bytes going `direction`:
    /// a network that silently eats packets. `.blackHole(.toUpstream)` is a one-way partition.
    case blackHole(ProxyDirection)
    /// Holds every byte, both ways, for this long before forwarding it; order is kept.
    case delay(Duration)
    /// Resets every open connection now, and resets each new one as soon as it is accepted while set.
    case reset
    /// One-shot: the first connection that carries client bytes after this is set forwards them upstream,
    /// then, at the first bytes coming back, drops those bytes, resets the client's side and closes the
    /// upstream side after flushing. The request reached the server; its answer is lost. The fault then
    /// returns to ``pass`` by itself (``FaultProxy/Counters/cuts`` counts it).
    case cutAfterNextRequest

    /// A short phrase for logs.
    package var description: String {
        switch self {
        case .pass: "pass"
        case .blackHole(let direction): "black hole (\(direction))"
        case .delay(let duration): "delay \(duration)"
        case .reset: "reset"
        case .cutAfterNextRequest: "cut after the next request"
        }
    }
}
