import Foundation
import Logging
import PadlockClient

/// Long-held locks for the durability checker: `acme/sentinel/1…3` are acquired at the start and held
/// through every fault (a 15 s lease). After the heal one is released, every key is inspected, and the
/// others must still show their holder, with the fence they were granted, as long as their lease lived.
final class Sentinel: @unchecked Sendable {
    let client: PadlockClient
    let history: HistoryWriter
    private var locks: [Lock] = []
    private var op = 0

    private init(client: PadlockClient, history: HistoryWriter) {
        self.client = client
        self.history = history
    }

    static func start(cluster: ChaosCluster, history: HistoryWriter, logger: Logger) async throws -> Sentinel {
        let client = try await cluster.proxiedClient(owner: "sentinel@chaos", logger: logger) {
            $0.sessionTTL = .seconds(15)
            $0.callDeadline = .seconds(10)
        }
        let sentinel = Sentinel(client: client, history: history)
        for index in 1...3 { await sentinel.acquire("acme/sentinel/\(index)") }
        return sentinel
    }

    private func next(_ f: String, _ key: String, process: String = "sentinel") -> HistoryEvent {
        op += 1
        return HistoryEvent(process: process, type: "invoke", f: f, op: op, key: key)
    }

    private func acquire(_ key: String) async {
        var event = next("acquire", key)
        event.mode = "exclusive"
        history.record(event)
        do {
            let lock = try await client.acquire(key, wait: .seconds(2), note: "sentinel")
            locks.append(lock)
            event.type = "ok"
            event.name(lock)
        } catch {
            event.type = error.code.name.hasPrefix("outcome") ? "info" : "fail"
            event.error = error.code.name
            if case .outcomeUnknown(let request) = error.code { event.session = request.session.rawValue }
        }
        history.record(event)
    }

    private func release(_ lock: Lock) async {
        var event = next("release", lock.key.string)
        event.name(lock)
        history.record(event)
        await event.release(lock)
        history.record(event)
    }

    /// Releases the first sentinel, inspects every key, checks the other sentinels' leases, releases them.
    func verify(keys: Int) async {
        if let first = locks.first { await release(first) }
        var inspected: [String] = []
        for record in 1...keys {
            inspected += ["acme/contacts/\(record)", "acme/contacts/\(record)/phone", "acme/contacts/\(record)/email"]
        }
        inspected += (1...3).map { "acme/sentinel/\($0)" }
        for key in inspected {
            var event = next("inspect", key, process: "verifier")
            history.record(event)
            do {
                let inspection = try await client.inspect(key)
                event.type = "ok"
                event.holders = inspection.holders.filter { $0.key.string == key }.map {
                    HistoryEvent.HolderEntry(
                        session: $0.holder.session.rawValue, fence: $0.holder.fence.rawValue, mode: "\($0.holder.mode)")
                }
            } catch {
                event.type = "fail"
                event.error = "\(error)"
            }
            history.record(event)
        }
        for lock in locks.dropFirst() {
            var event = next("hold-check", lock.key.string)
            history.record(event)
            event.name(lock)
            let state = lock.state
            event.type = (state == .safe || state == .atRisk) ? "ok" : "fail"
            event.error = "\(state)"
            history.record(event)
        }
        for lock in locks.dropFirst() { await release(lock) }
    }

    func close() async { await client.close() }
}
