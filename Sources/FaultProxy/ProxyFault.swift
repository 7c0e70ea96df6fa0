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
    /// A slow link, per direction: each chunk going `toUpstream` is held `toUpstream.minimum` plus a random
    /// share of `toUpstream.jitter`, and likewise toward the client. Order is kept in each direction: a chunk
    /// whose draw is shorter than the one before it waits behind it (as TCP delivers a stream in order).
    case latency(toUpstream: ProxyLatency, toClient: ProxyLatency)
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
        case .latency(let up, let down): "latency toUpstream \(up), toClient \(down)"
        case .reset: "reset"
        case .cutAfterNextRequest: "cut after the next request"
        }
    }
}

/// The delay of one direction of a slow link: at least `minimum`, plus up to `jitter` more, drawn per chunk.
package struct ProxyLatency: Sendable, Hashable, CustomStringConvertible {
    package var minimum: Duration
    package var jitter: Duration

    package init(minimum: Duration, jitter: Duration = .zero) {
        self.minimum = max(minimum, .zero)
        self.jitter = max(jitter, .zero)
    }

    /// No added delay.
    package static let none = ProxyLatency(minimum: .zero)

    /// One chunk's delay: `minimum` plus a uniform draw in `0...jitter`, in whole milliseconds (never less
    /// than `minimum`).
    func draw(using random: inout some RandomNumberGenerator) -> Duration {
        let spread = Int64((jitter / .milliseconds(1)).rounded(.up))
        let extra = spread > 0 ? Int64.random(in: 0...spread, using: &random) : 0
        return minimum + .milliseconds(extra)
    }

    package var description: String {
        func ms(_ duration: Duration) -> String { "\(Int64((duration / .milliseconds(1)).rounded(.up))) ms" }
        return "\(ms(minimum)) + up to \(ms(jitter))"
    }
}
