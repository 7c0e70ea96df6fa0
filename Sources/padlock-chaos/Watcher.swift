import Foundation
import Logging
import PadlockClient
import Synchronization

/// A dedicated watcher, as a CRM list view would be: it watches every record key (`acme/contacts/N`, which
/// covers its field locks) and the prefix `acme/contacts`, through the client proxies, for the whole run.
/// It keeps the last state of each key per stream and when each state arrived; after the final heal
/// ``converge(deadline:)`` compares the last states with what the cluster says.
final class ChaosWatcher: Sendable {
    /// The last state a stream yielded for a key: the fences of its holders, and when it arrived.
    struct Seen: Sendable {
        var fences: Set<UInt64>
        var arrivedNs: UInt64
    }

    struct State: Sendable {
        var received = 0
        var arrivals: [UInt64] = []
        var last: [String: Seen] = [:]
        var ended: [String] = []
    }

    let client: PadlockClient
    let state = Mutex(State())
    private let readers = Mutex<[Task<Void, Never>]>([])

    private init(client: PadlockClient) { self.client = client }

    static func start(cluster: ChaosCluster, keys: Int, logger: Logger) async throws -> ChaosWatcher {
        let client = try await cluster.proxiedClient(owner: "watcher@chaos", logger: logger) {
            $0.callDeadline = .seconds(5)
            $0.attemptTimeout = .milliseconds(800)
        }
        let watcher = ChaosWatcher(client: client)
        var tasks = (1...keys).map { watcher.follow(.key("acme/contacts/\($0)")) }
        tasks.append(watcher.follow(.prefix("acme/contacts")))
        watcher.readers.withLock { $0 = tasks }
        return watcher
    }

    private enum Target {
        case key(String)
        case prefix(String)

        var name: String {
            switch self {
            case .key(let key): "key \(key)"
            case .prefix(let prefix): "prefix \(prefix)"
            }
        }

        /// The fences a state of `key` is compared by. A key watch's state covers the key's ancestors and
        /// descendants; a prefix watch is sent a key's state only when that key itself changes (not when an
        /// ancestor does, docs/events.md), so only the holders of exactly the key are compared.
        func fences(_ holders: [LockInfo], of key: LockKey) -> Set<UInt64> {
            switch self {
            case .key: Set(holders.map(\.holder.fence.rawValue))
            case .prefix: Set(holders.filter { $0.key == key }.map(\.holder.fence.rawValue))
            }
        }

        /// The target a slot of ``State/last`` was recorded for.
        init?(slot: String) {
            let name = slot.split(separator: "|").first ?? ""
            if name.hasPrefix("key ") {
                self = .key(String(name.dropFirst(4)))
            } else if name.hasPrefix("prefix ") {
                self = .prefix(String(name.dropFirst(7)))
            } else {
                return nil
            }
        }
    }

    /// Reads one watch stream for the whole run; a stream that ends with an error is noted and watched again
    /// (a user's list view would do the same).
    private func follow(_ target: Target) -> Task<Void, Never> {
        Task { [self] in
            while !Task.isCancelled {
                let stream =
                    switch target {
                    case .key(let key): client.watch(key)
                    case .prefix(let prefix): client.watch(prefix: prefix)
                    }
                do {
                    for try await keyState in stream {
                        let now = Clocks.monotonicNanoseconds()
                        let seen = Seen(fences: target.fences(keyState.holders, of: keyState.key), arrivedNs: now)
                        state.withLock {
                            $0.received += 1
                            $0.arrivals.append(now)
                            $0.last["\(target.name)|\(keyState.key)"] = seen
                        }
                    }
                    return
                } catch {
                    guard !Task.isCancelled else { return }
                    state.withLock { $0.ended.append("\(target.name): \(error)") }
                    await pause(.milliseconds(200))
                }
            }
        }
    }

    /// What ``converge(deadline:)`` found.
    struct Convergence: Sendable {
        var keys = 0
        /// When every compared key's last state matched the cluster (nil: not before the deadline).
        var matchedNs: UInt64?
        /// The latest arrival among the states that matched.
        var lastArrivalNs: UInt64 = 0
        var mismatches: [String] = []
    }

    /// Compares each stream's last state of each key with the cluster (`inspect`), again and again until they
    /// all match or `deadline` passes: after the heal nothing changes any more, so every watch must end equal
    /// to the cluster.
    func converge(deadline: Duration) async -> Convergence {
        let end = Clocks.monotonicNanoseconds() + UInt64(deadline.seconds * 1e9)
        var result = Convergence()
        while true {
            let last = state.withLock { $0.last }
            result.keys = last.count
            result.mismatches = []
            result.lastArrivalNs = last.values.map(\.arrivedNs).max() ?? 0
            for (slot, seen) in last.sorted(by: { $0.key < $1.key }) {
                let key = String(slot.split(separator: "|").last ?? "")
                guard let target = Target(slot: slot), let inspection = try? await client.inspect(key) else {
                    result.mismatches.append("\(slot): the cluster could not be asked")
                    continue
                }
                let fences = target.fences(inspection.holders, of: inspection.key)
                if fences != seen.fences {
                    result.mismatches.append(
                        "\(slot): the watch's last state lists fences \(seen.fences.sorted()), the cluster "
                            + "\(fences.sorted())")
                }
            }
            if result.mismatches.isEmpty {
                result.matchedNs = Clocks.monotonicNanoseconds()
                return result
            }
            guard Clocks.monotonicNanoseconds() < end else { return result }
            await pause(.milliseconds(250))
        }
    }

    func stop() async {
        for task in readers.withLock({ $0 }) { task.cancel() }
        await client.close()
    }
}

/// The administrator: force-unlocks a random record now and then (`--force-unlock-every`), so that holders
/// are told of losses with a reason. Each force-unlock goes to the history (`f` `force-unlock`, the holders
/// it released in `holders`).
struct Administrator: Sendable {
    let client: PadlockClient
    let history: HistoryWriter
    let keys: Int
    let every: ClosedRange<Double>

    static func start(
        cluster: ChaosCluster, history: HistoryWriter, keys: Int, every: ClosedRange<Double>, logger: Logger
    ) async throws -> Administrator {
        let client = try await cluster.proxiedClient(owner: "admin@chaos", logger: logger) {
            $0.callDeadline = .seconds(5)
            $0.attemptTimeout = .milliseconds(800)
        }
        return Administrator(client: client, history: history, keys: keys, every: every)
    }

    func run(until deadline: UInt64, random seed: SeededGenerator) async {
        var random = seed
        var op = 0
        while !Task.isCancelled {
            await pause(.milliseconds(Int64(Double.random(in: every, using: &random) * 1000)))
            guard Clocks.monotonicNanoseconds() < deadline else { return }
            op += 1
            let key = "acme/contacts/\(Int.random(in: 1...keys, using: &random))"
            let invoke = HistoryEvent(process: "admin", type: "invoke", f: "force-unlock", op: op, key: key)
            history.record(invoke)
            var answer = invoke
            do {
                let released = try await client.forceUnlock(key, reason: "chaos: an administrator frees the record")
                answer.type = "ok"
                answer.holders = released.map {
                    HistoryEvent.HolderEntry(session: $0.session.rawValue, fence: $0.fence.rawValue, mode: "\($0.mode)")
                }
            } catch {
                // Any failure counts as unknown: a retried force-unlock may have been applied.
                answer.type = "info"
                answer.error = error.code.name
            }
            history.record(answer)
        }
    }

    func close() async { await client.close() }
}
