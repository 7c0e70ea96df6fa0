import Foundation
import Logging
import PadlockClient

/// The administrators' side: each signed-in administrator gets a client of their own, whose default owner is
/// the administrator (`Carol@frontend-1`), so the cluster audits force-unlocks and holds under their name and the
/// rep whose lock ends is told who did it. Opened at the first admin action and closed at shutdown.
actor AdminDesk {
    private var clients: [String: PadlockClient] = [:]
    private let endpoints: [String]
    private let cluster: UInt64
    private let logger: Logger

    init(endpoints: [String], cluster: UInt64, logger: Logger) {
        self.endpoints = endpoints
        self.cluster = cluster
        self.logger = logger
    }

    func client(for rep: Rep) async throws(PadlockError) -> PadlockClient {
        if let client = clients[rep.owner] { return client }
        var logger = self.logger
        logger[metadataKey: "admin"] = "\(rep.owner)"
        let client = try await PadlockClient(
            endpoints: endpoints, owner: rep.owner, token: nil, cluster: cluster, logger: logger)
        if let raced = clients[rep.owner] {
            await client.close()
            return raced
        }
        clients[rep.owner] = client
        return client
    }

    func closeAll() async {
        for client in clients.values { await client.close() }
        clients = [:]
    }
}

/// What the admin page's forms do.
extension CRM {
    func forceUnlock(by rep: Rep, key: String, reason: String) async -> String {
        do {
            let client = try await admins.client(for: rep)
            let released = try await client.forceUnlock(key, reason: reason)
            guard !released.isEmpty else { return "Nobody held \(key)." }
            let names = released.map { Wording.person($0.owner) }.joined(separator: ", ")
            return "Force-unlocked \(key) (held by \(names)): “\(reason)”."
        } catch {
            return Wording.error(error, record: key) ?? "Cancelled."
        }
    }

    func placeHold(
        by rep: Rep, key: String, rule: String, reason: String, exempt: [String], editable: [String], endHolders: Bool
    ) async -> String {
        do {
            let client = try await admins.client(for: rep)
            let placed = try await client.placeHold(
                key, rule: rule, reason: reason, exemptRoles: exempt, editableFields: editable, endHolders: endHolders)
            let ended = placed.endedHolders.isEmpty ? "" : " Ended \(placed.endedHolders.count) lock(s)."
            return "Placed: \(Wording.hold(placed.hold))\(ended)"
        } catch {
            return Wording.error(error, record: key) ?? "Cancelled."
        }
    }

    func liftHold(by rep: Rep, key: String, rule: String?, reason: String) async -> String {
        do {
            let client = try await admins.client(for: rep)
            let lifted = try await client.liftHold(key, rule: rule, reason: reason)
            return "Lifted " + lifted.map { "“\($0.rule)” on \($0.key.string)" }.joined(separator: ", ") + "."
        } catch {
            return Wording.error(error, record: key) ?? "Cancelled."
        }
    }

    static let freezeRule = "Tenant frozen"

    func freeze(by rep: Rep, reason: String) async -> String {
        await placeHold(
            by: rep, key: tenant, rule: Self.freezeRule, reason: reason, exempt: [], editable: [], endHolders: false)
    }

    func unfreeze(by rep: Rep) async -> String {
        await liftHold(by: rep, key: tenant, rule: Self.freezeRule, reason: "unfrozen by \(rep.name)")
    }

    /// Held locks with their waiters, holds and the newest audit records of the tenant.
    func adminSnapshot(for rep: Rep) async -> AdminSnapshot {
        var snapshot = AdminSnapshot(locks: [], holds: [], audit: [], problem: nil)
        do {
            let client = try await admins.client(for: rep)
            let locks = try await client.list(prefix: tenant, limit: 500)
            var keys: [String] = []
            for info in locks where !keys.contains(info.key.string) { keys.append(info.key.string) }
            for key in keys {
                let inspection = try await client.inspect(key)
                snapshot.locks.append((key, locks.filter { $0.key.string == key }, inspection.waiters))
            }
            snapshot.holds = try await client.holds(prefix: tenant)
            snapshot.audit = try await newestAudit(client)
        } catch {
            snapshot.problem = Wording.error(error, record: tenant)
        }
        return snapshot
    }

    private func newestAudit(_ client: PadlockClient, keep: Int = 40) async throws(PadlockError) -> [AuditRecord] {
        var records: [AuditRecord] = []
        var after: UInt64?
        for _ in 0..<100 {
            let page = try await client.audit(after: after, limit: 100)
            records = Array((records + page.records).suffix(keep))
            guard let next = page.next else { break }
            after = next
        }
        return records.reversed()
    }
}
