import Foundation
import PadlockClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Real `padlockd` processes on loopback, started the way `make run` starts them, driven through the `padlock`
/// command line and the client library.
@Suite(.serialized) struct ClusterTests {
    @Test("Lock, inspect, list and unlock through the CLI; a second owner is refused with the first owner's details")
    func cliSession() async throws {
        let cluster = try LocalCluster()
        defer { cluster.stop() }
        let holder = Process()
        holder.executableURL = Binaries.padlock
        holder.arguments = [
            // Held until the test kills it: with `sleep 30` a starved test runner once reached Bob's attempt after
            // Alice's command had ended, so Bob got the lock and his `padlock lock` (no command) held it forever.
            "lock", "acme/contacts/42", "--owner", "alice@frontend-2", "--note", "editing phone", "--", "sleep", "3600",
        ]
        holder.environment = ProcessInfo.processInfo.environment.merging(["PADLOCK_ENDPOINTS": cluster.endpointList]) {
            $1
        }
        let output = Pipe()
        holder.standardOutput = output
        holder.standardError = FileHandle.nullDevice
        try holder.run()
        defer {
            // SIGTERM first: `padlock lock` passes it to its command and releases, so no `sleep` is left behind.
            if holder.isRunning { kill(holder.processIdentifier, SIGTERM) }
            let deadline = Date().addingTimeInterval(10)
            while holder.isRunning && Date() < deadline { usleep(20_000) }
            if holder.isRunning { kill(holder.processIdentifier, SIGKILL) }
        }
        let firstLine = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        #expect(firstLine.contains("locked acme/contacts/42 fence"), "got \(firstLine)")

        let refused = try await cluster.cli(["lock", "acme/contacts/42", "--owner", "bob@frontend-1"])
        #expect(refused.status == 3, "held by another exits 3; got \(refused.status): \(refused.errors)")
        #expect(refused.errors.contains("alice@frontend-2"))
        #expect(refused.errors.contains("editing phone"))
        #expect(refused.errors.contains("since"))

        // check-fence names the current fence when the one asked about is not it.
        let heldFence = try #require(firstLine.firstMatch(of: /fence (\d+)/).flatMap { UInt64($0.1) })
        let current = try await cluster.cli(["check-fence", "acme/contacts/42", "\(heldFence)"])
        #expect(current.status == 0 && current.output.contains("is current"), "\(current.output) \(current.errors)")
        let other = try await cluster.cli(["check-fence", "acme/contacts/42", "\(heldFence + 1_000)"])
        #expect(other.status == 3, "\(other.status): \(other.errors)")
        #expect(
            other.output.contains("not current for acme/contacts/42: the current fence is \(heldFence)"),
            "\(other.output)")

        let inspected = try await cluster.cli(["inspect", "acme/contacts/42/phone"])
        #expect(inspected.status == 0)
        #expect(inspected.output.contains("alice@frontend-2"), "the record lock covers its fields: \(inspected.output)")

        let listed = try await cluster.cli(["list", "--prefix", "acme"])
        #expect(listed.output.contains("acme/contacts/42"))

        let unlocked = try await cluster.cli(["unlock", "--force", "acme/contacts/42", "--reason", "stuck edit"])
        #expect(unlocked.status == 0, "\(unlocked.errors)")
        #expect(unlocked.output.contains("alice@frontend-2"))
        let released = try await cluster.cli(["check-fence", "acme/contacts/42", "\(heldFence)"])
        #expect(released.status == 3 && released.output.contains("nobody holds it"), "\(released.output)")

        let audit = try await cluster.cli(["audit"])
        #expect(audit.output.contains("forceUnlock"))
        #expect(audit.output.contains("stuck edit"))

        let retaken = try await cluster.cli([
            "lock", "acme/contacts/42", "--owner", "bob@frontend-1", "--wait", "10s", "--", "true",
        ])
        #expect(retaken.status == 0, "granted once the lock-delay after the force-unlock ended: \(retaken.errors)")
    }

    @Test("Under lock-delay the CLI says when the key is free again, in words, never as a leader-clock tick count")
    func lockDelayInWords() async throws {
        // A long lock-delay, so that no loaded machine runs past it between the force-unlock and the checks.
        let cluster = try LocalCluster(settings: "[lock-delay]\ndefault = \"60s\"\n")
        defer { cluster.stop() }
        let client = try await cluster.client(owner: "alice@frontend-2", ttl: .seconds(30))
        _ = try await client.acquire("acme/contacts/42", note: "editing phone")
        let unlocked = try await cluster.cli(["unlock", "--force", "acme/contacts/42", "--reason", "stuck edit"])
        #expect(unlocked.status == 0, "\(unlocked.errors)")

        let delayed = try await cluster.cli(["lock", "acme/contacts/42", "--owner", "carol@frontend-3", "--", "true"])
        #expect(delayed.status == 4, "lock-delay is unavailable (4); got \(delayed.status): \(delayed.errors)")
        #expect(
            delayed.errors.firstMatch(of: /free again in [\d.]+ (ms|s|min)[^,]*, at \d\d:\d\d:\d\d/) != nil,
            "\(delayed.errors)")
        #expect(delayed.errors.firstMatch(of: /t\d{6,}ms/) == nil, "a raw tick count: \(delayed.errors)")
        let inspected = try await cluster.cli(["inspect", "acme/contacts/42"])
        #expect(
            inspected.output.firstMatch(of: /lock-delay: free again in [\d.]+ (ms|s|min)[^,]*, at \d\d:\d\d:\d\d/)
                != nil,
            "\(inspected.output)")
        await client.close()
    }

    @Test("After kill -9 of the leader a new leader serves, every lock keeps its fence, and the node catches up")
    func leaderKill() async throws {
        let cluster = try LocalCluster()
        defer { cluster.stop() }
        let client = try await cluster.client(owner: "alice@frontend-2", ttl: .seconds(30))
        var fences: [String: FenceToken] = [:]
        for record in 0..<10 {
            let lock = try await client.acquire("acme/contacts/\(record)", note: "record \(record)")
            fences[lock.key.string] = lock.fence
        }
        let leader = try #require(await cluster.leader(using: client))
        let killedAt = ContinuousClock.now
        cluster.signal(leader, SIGKILL)
        #expect(cluster.waitForExit(leader))
        // Service is back when a fresh client's write goes through (the client finds the new leader itself).
        let observer = try await cluster.client(owner: "observer@it")
        let probe = try await observer.acquire("acme/probe")
        let stall = ContinuousClock.now - killedAt
        try await probe.release()
        let newLeader = await cluster.leader(using: observer)
        print("leader kill: node \(leader) killed; a write was served after \(stall); node \(newLeader ?? 0) leads")
        #expect(newLeader != nil && newLeader != leader, "another node leads")
        #expect(stall < .seconds(10), "liveness: the cluster serves again within the client's deadline")
        for (key, fence) in fences.sorted(by: { $0.key < $1.key }) {
            let inspection = try await observer.inspect(key)
            #expect(inspection.holders.map(\.holder.fence) == [fence], "\(key) after the leader died")
            #expect(inspection.holders.first?.holder.owner == "alice@frontend-2")
        }
        try cluster.restart(leader)
        let caughtUp = await waitUntil(seconds: 20) {
            let statuses = (try? await observer.status()) ?? []
            guard let revived = statuses.first(where: { $0.node.rawValue == UInt64(leader) }),
                let current = statuses.first(where: { $0.role == .leader })
            else { return false }
            return revived.appliedIndex >= current.commitIndex
        }
        let final = (try? await observer.status()) ?? []
        #expect(
            caughtUp,
            "the restarted node applied everything the leader committed: \(final.map { "n\($0.node.rawValue) \($0.role) applied \($0.appliedIndex.rawValue) commit \($0.commitIndex.rawValue)" }); log: \(cluster.nodeLog(leader).suffix(1500))"
        )
        await observer.close()
        await client.close()
    }

    @Test("SIGTERM shuts a node down cleanly and the cluster keeps serving with two nodes")
    func gracefulShutdown() async throws {
        let cluster = try LocalCluster()
        defer { cluster.stop() }
        let client = try await cluster.client()
        let leader = try #require(await cluster.leader(using: client))
        let follower = leader == 1 ? 2 : 1
        cluster.signal(follower, SIGTERM)
        #expect(cluster.waitForExit(follower, timeout: 15), "the node exits after SIGTERM")
        #expect(cluster.nodeLog(follower).contains("padlockd stopped"), "it logs a clean stop")
        #expect(cluster.nodeLog(follower).contains("exitCode=0"))
        let lock = try await client.acquire("acme/contacts/7")
        #expect(lock.fence.rawValue > 0)
        try await lock.release()
        await client.close()
    }
}

/// Polls `condition` until it holds or `seconds` pass.
func waitUntil(seconds: Double, _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(100))
    }
    return await condition()
}
