import Foundation
import Node
import PadlockClient
import PadlockTypes
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Online backup and restore into a new cluster, on real `padlockd` processes (docs/operations.md, "Back up a
/// running cluster" and "Restore a cluster from a backup").
@Suite(.serialized) struct BackupTests {
    static let ttl = Duration.seconds(15)

    @Test("A backup restored into a new cluster keeps holders, fences and the audit trail; new fences are higher")
    func backupAndRestore() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("padlock-backup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let file = work.appendingPathComponent("cluster.padlock-backup").path
        let held = try await takeBackup(to: file)

        let backup = try BackupFile.decode(Array(try Data(contentsOf: URL(fileURLWithPath: file))))
        #expect(backup.header.index >= held.map(\.holder.fence.rawValue).max() ?? 0)

        // Each session's whole TTL counts from the restore, whatever the old cluster's clock said.
        let restoreStart = UInt64(Date().timeIntervalSince1970 * 1_000)
        let restored = try LocalCluster(
            settings: SecurityTests.settings(), token: SecurityTests.token("ops"),
            devArguments: ["--restore-from", file])
        defer { restored.stop() }
        let admin = try await SecurityTests.client(restored, "ops", owner: "ops@it")
        defer { Task { await admin.close() } }
        for (key, holder) in held {
            let inspection = try await admin.inspect(key)
            #expect(inspection.holders.map(\.holder) == [holder], "\(key) keeps its holder and fence")
            let deadlines = inspection.holders.map(\.leaseDeadline.rawValue)
            #expect(deadlines.allSatisfy { $0 >= restoreStart + 15_000 }, "\(deadlines) after \(restoreStart)")
        }
        let audit = try await admin.audit(limit: 100)
        #expect(audit.records.contains { $0.action == .forceUnlock && $0.reason == "rep left; ticket 1234" })

        let app = try await SecurityTests.client(restored, "acme-app", owner: "bob@it")
        defer { Task { await app.close() } }
        let fresh = try await app.acquire("acme/contacts/7")
        #expect(fresh.fence.rawValue > backup.header.index, "new fences start above the backup's index")

        // Nobody renews the restored sessions: they end by expiry, after their TTL, and the audit says so.
        let deadline = ContinuousClock.now + .seconds(60)
        var released = false
        while !released && ContinuousClock.now < deadline {
            released = try await admin.inspect(held[0].key).holders.isEmpty
            if !released { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(released, "the restored session expires once nobody renews it")
        let expiries = try await admin.audit(limit: 100).records.filter { $0.action == .sessionExpired }
        #expect(expiries.contains { $0.session == held[0].holder.session })
    }

    /// Runs a one-node cluster, takes locks and an audited force-unlock, backs it up to `file` (checking the
    /// refusals on the way), stops it, and returns the locks held at the backup.
    private func takeBackup(to file: String) async throws -> [(key: String, holder: Holder)] {
        let source = try LocalCluster(nodes: 1, settings: SecurityTests.settings(), token: SecurityTests.token("ops"))
        defer { source.stop() }
        let app = try await appClient(source)
        let admin = try await SecurityTests.client(source, "ops", owner: "ops@it")
        let first = try await app.acquire("acme/contacts/42", note: "editing phone")
        let second = try await app.acquire("acme/deals/9", mode: .shared, note: "approving")
        _ = try await app.acquire("acme/contacts/99")
        _ = try await admin.forceUnlock("acme/contacts/99", reason: "rep left; ticket 1234")
        await admin.close()

        let token = ["PADLOCK_TOKEN": SecurityTests.token("ops")]
        let saved = try await source.cli(["backup", "--out", file], environment: token)
        #expect(saved.status == 0, "\(saved.errors)")
        #expect(saved.output.contains("2 locks held on 2 keys"), "\(saved.output)")

        let refused = try await source.cli(
            ["backup", "--out", file + ".app"], environment: ["PADLOCK_TOKEN": SecurityTests.token("acme-app")])
        #expect(refused.status == 6, "a non-admin is refused: \(refused.errors)")
        #expect(refused.errors.contains("needs role admin"), "\(refused.errors)")
        #expect(!FileManager.default.fileExists(atPath: file + ".app"))

        let verified = try await source.cli(["backup", "verify", file])
        #expect(verified.status == 0, "\(verified.errors)")
        #expect(verified.output.contains("a good Padlock backup"), "\(verified.output)")
        #expect(verified.output.contains("2 locks held on 2 keys"), "\(verified.output)")
        #expect(verified.output.contains("1 audit record"), "\(verified.output)")

        var damaged = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
        damaged[damaged.count / 2] ^= 0x10
        try Data(damaged).write(to: URL(fileURLWithPath: file + ".damaged"))
        let corrupt = try await source.cli(["backup", "verify", file + ".damaged"])
        #expect(corrupt.status == 5, "\(corrupt.output)")
        #expect(corrupt.errors.contains("fails its checksum"), "\(corrupt.errors)")

        try await checkRestoreRefusesNonEmpty(source, backup: file)
        // Closing releases the locks in the source cluster only; the backup already holds them.
        await app.close()
        return [("acme/contacts/42", first.holder), ("acme/deals/9", second.holder)]
    }

    private func appClient(_ cluster: LocalCluster) async throws -> PadlockClient {
        var configuration = PadlockClient.Configuration()
        configuration.sessionTTL = Self.ttl
        return try await PadlockClient(
            endpoints: cluster.endpoints, owner: "alice@it", credentials: Array(SecurityTests.token("acme-app").utf8),
            configuration: configuration)
    }

    /// `padlockd restore` into a data directory that holds anything is refused, saying what to do.
    private func checkRestoreRefusesNonEmpty(_ cluster: LocalCluster, backup: String) async throws {
        let config = cluster.nodeDirectory(1).appendingPathComponent("padlockd.toml").path
        let result = try await runCommand(Binaries.padlockd, ["restore", "--backup", backup, "--config", config])
        #expect(result.status == 2, "\(result.output)")
        #expect(result.errors.contains("is not empty"), "\(result.errors)")
        #expect(result.errors.contains("move the directory aside"), "\(result.errors)")
    }

    @Test("A cluster whose majority is lost is rebuilt from one node's directory with its locks and fences")
    func forcedRecoveryFromOneNode() async throws {
        let cluster = try LocalCluster(nodes: 3)
        defer { cluster.stop() }
        let client = try await cluster.client(ttl: Self.ttl)
        let first = try await client.acquire("acme/contacts/1", note: "editing")
        let second = try await client.acquire("acme/contacts/2")
        guard let survivor = await cluster.leader(using: client) else { throw ClusterError("no leader") }
        for node in 1...3 where node != survivor {
            cluster.signal(node, SIGKILL)
            #expect(cluster.waitForExit(node))
        }
        cluster.signal(survivor, SIGTERM)
        #expect(cluster.waitForExit(survivor))

        let config = cluster.nodeDirectory(survivor).appendingPathComponent("padlockd.toml").path
        let unconfirmed = try await runCommand(Binaries.padlockd, ["recover", "--config", config])
        #expect(unconfirmed.status != 0 && unconfirmed.errors.contains("--force-new-cluster"), "\(unconfirmed)")
        let rebuilt = try await runCommand(Binaries.padlockd, ["recover", "--force-new-cluster", "--config", config])
        #expect(rebuilt.status == 0, "\(rebuilt.errors)")
        #expect(rebuilt.output.contains("only voter"), "\(rebuilt.output)")
        let kept = try FileManager.default.contentsOfDirectory(atPath: cluster.nodeDirectory(survivor).path)
        #expect(kept.contains { $0.hasPrefix("data.before-recover-") }, "\(kept)")

        try cluster.restart(survivor)
        var configuration = PadlockClient.Configuration()
        configuration.callDeadline = .seconds(20)
        let alone = try await PadlockClient(
            endpoints: [cluster.endpoints[survivor - 1]], owner: "ops@it", configuration: configuration)
        defer { Task { await alone.close() } }
        for lock in [first, second] {
            let holders = try await alone.inspect(lock.key.string).holders.map(\.holder)
            #expect(holders == [lock.holder], "\(lock.key) keeps its holder and fence")
        }
        let fresh = try await alone.acquire("acme/contacts/3")
        #expect(fresh.fence.rawValue > second.fence.rawValue + ForcedRecovery.indexGap, "new fences start far above")
        let statuses = try await alone.status()
        #expect(statuses.first?.members == [NodeID(UInt64(survivor))], "\(statuses)")
        await client.close()
    }
}
