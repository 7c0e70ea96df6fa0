import Foundation
import PadlockClient
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 18, findings 2 and 3, as a user meets them: data directories that are wiped or replaced must not
/// cost acknowledged locks, and an empty directory starts only when told why.
@Suite(.serialized) struct IdentityTests {
    /// `GET path` on node `n`'s admin port; the body, or "" when it does not answer.
    private func admin(_ cluster: LocalCluster, _ node: Int, _ path: String) -> String {
        httpGet(port: UInt16(cluster.basePort + 200 + node - 1), path: path)
    }

    /// Waits until every running node in `nodes` has applied every member's incarnation record.
    private func waitForRecords(_ cluster: LocalCluster, nodes: [Int]) async -> Bool {
        await waitUntil(seconds: 45) {
            nodes.allSatisfy { admin(cluster, $0, "/metrics").contains("padlock_incarnations_recorded 3.0\n") }
        }
    }

    @Test("A follower wiped and bootstrapped again is refused: Mallory gets nothing and Alice keeps her lock and fence")
    func wipedFollowerIsRefused() async throws {
        let cluster = try LocalCluster()
        defer { cluster.stop() }
        let observer = try await cluster.client(owner: "observer@it")
        let leader = try #require(await cluster.leader(using: observer))
        await observer.close()
        let followers = (1...3).filter { $0 != leader }
        let (stale, wiped) = (followers[0], followers[1])
        #expect(await waitForRecords(cluster, nodes: [1, 2, 3]), "every node records every incarnation")

        // Follower A stops; Alice's lock is acknowledged by the leader and follower B.
        cluster.signal(stale, SIGTERM)
        #expect(cluster.waitForExit(stale))
        let alice = try await cluster.client(owner: "alice@frontend-2", ttl: .seconds(120))
        let lock = try await alice.acquire("acme/contacts/42", note: "editing phone")
        // B's data directory is wiped; the leader stops; A and B start, B with --bootstrap.
        cluster.signal(wiped, SIGKILL)
        #expect(cluster.waitForExit(wiped))
        try FileManager.default.removeItem(at: cluster.nodeDirectory(wiped).appendingPathComponent("data"))
        cluster.signal(leader, SIGKILL)
        #expect(cluster.waitForExit(leader))
        try cluster.restart(stale)
        try cluster.restart(wiped, arguments: ["--bootstrap"])

        // A refuses B, so A cannot be elected with B's vote: nothing is granted to Mallory.
        let refusedLine = "refused node \(wiped): its incarnation"
        #expect(
            await waitUntil(seconds: 45) { cluster.nodeLog(stale).contains(refusedLine) },
            "node \(stale) refuses the wiped node: \(cluster.nodeLog(stale).suffix(2000))")
        let deadline = ContinuousClock.now + .seconds(6)
        while ContinuousClock.now < deadline {
            let endpoints = [cluster.endpoints[stale - 1], cluster.endpoints[wiped - 1]]
            let granted = await malloryTries("acme/contacts/42", endpoints: endpoints)
            #expect(granted == nil, "Mallory was granted Alice's record while the old leader was down")
        }

        // The old leader comes back: Alice still holds her lock with her fence.
        try cluster.restart(leader)
        let checker = try await cluster.client(owner: "checker@it")
        // The restarted node must start and win an election first; on a busy machine that once took longer than
        // one call's deadline ("no leader answered the inspect"). What matters is what the leader then says.
        var answer: KeyInspection?
        #expect(
            await waitUntil(seconds: 90) {
                answer = try? await checker.inspect("acme/contacts/42")
                return answer != nil
            }, "a leader answers the inspect once the old leader is back")
        let inspection = try #require(answer)
        #expect(inspection.holders.map(\.holder.owner) == ["alice@frontend-2"])
        #expect(inspection.holders.map(\.holder.fence) == [lock.fence])
        var status = ""
        #expect(
            await waitUntil(seconds: 45) {
                status = (try? await cluster.cli(["status"]).output) ?? ""
                return status.contains("refused node \(wiped)")
            }, "padlock status names the refused node: \(status)")

        // The runbook: remove it, start it empty with join, add it back as a learner, promote it.
        try await readd(wiped, in: cluster)
        #expect(
            await waitUntil(seconds: 45) {
                status = (try? await cluster.cli(["status"]).output) ?? ""
                return !status.contains("refused") && !status.contains("does not answer")
            }, "after the runbook nothing is refused: \(status)")
        #expect(await waitForRecords(cluster, nodes: [1, 2, 3]), "the new incarnation is recorded everywhere")
        await checker.close()
        await alice.close()
    }

    /// docs/operations.md's runbook for a node that lost its data.
    private func readd(_ node: Int, in cluster: LocalCluster) async throws {
        let removed = try await cluster.cli(["member", "remove", "\(node)"])
        #expect(removed.status == 0, "\(removed.errors)")
        cluster.signal(node, SIGKILL)
        #expect(cluster.waitForExit(node))
        try FileManager.default.removeItem(at: cluster.nodeDirectory(node).appendingPathComponent("data"))
        try cluster.restart(node, arguments: ["--join"])
        let added = try await cluster.cli([
            "member", "add", "\(node)", "--peer", "127.0.0.1:\(cluster.peerPort(node))", "--client",
            cluster.endpoints[node - 1],
        ])
        #expect(added.status == 0, "\(added.errors)")
        // Refused until the learner has caught up.
        var promoted = ""
        #expect(
            await waitUntil(seconds: 45) {
                guard let result = try? await cluster.cli(["member", "promote", "\(node)"]) else { return false }
                promoted = result.errors
                return result.status == 0
            }, "\(promoted)")
    }

    @Test(
        "A follower restored from an old copy is found by the leader, refused, and /health and status say the cluster cannot commit"
    )
    func restoredCopyIsFound() async throws {
        let cluster = try LocalCluster()
        defer { cluster.stop() }
        let alice = try await cluster.client(owner: "alice@frontend-2", ttl: .seconds(120))
        let leader = try #require(await cluster.leader(using: alice))
        let followers = (1...3).filter { $0 != leader }
        let (other, restored) = (followers[0], followers[1])
        #expect(await waitForRecords(cluster, nodes: [1, 2, 3]))
        #expect(admin(cluster, leader, "/health").contains("\"problems\":[]"), "a healthy cluster has no problems")

        // A backup of the follower's directory, taken the documented way (stopped), then more acknowledgements.
        let data = cluster.nodeDirectory(restored).appendingPathComponent("data")
        let backup = cluster.directory.appendingPathComponent("backup-\(restored)")
        cluster.signal(restored, SIGTERM)
        #expect(cluster.waitForExit(restored))
        try FileManager.default.copyItem(at: data, to: backup)
        try cluster.restart(restored)
        for record in 0..<5 { _ = try await alice.acquire("acme/contacts/\(record)") }
        #expect(await waitUntil(seconds: 45) { await self.applied(cluster, restored, atLeast: leader, using: alice) })

        // The follower is put back from the copy: it forgot what it acknowledged since. The leader (still
        // leading with the other follower) finds it, refuses it, and says so; the cluster still commits.
        cluster.signal(restored, SIGKILL)
        #expect(cluster.waitForExit(restored))
        try FileManager.default.removeItem(at: data)
        try FileManager.default.copyItem(at: backup, to: data)
        try cluster.restart(restored)
        // The leader that finds it says "data loss on a follower"; on a loaded machine leadership may move to
        // the other follower first, which refuses it from the replicated record instead. Either is the finding.
        let survivors = [leader, other]
        #expect(
            await waitUntil(seconds: 45) {
                survivors.contains { node in
                    let log = cluster.nodeLog(node)
                    return log.contains("data loss on a follower: node \(restored)")
                        || log.contains("refused node \(restored): it lost log entries")
                }
            },
            "\(cluster.nodeLog(leader).suffix(1000)) restored: \(cluster.nodeLog(restored).components(separatedBy: "\n").filter { $0.contains("recovered") || $0.contains("data directory") })"
        )
        var health = ""
        #expect(
            await waitUntil(seconds: 45) {
                survivors.contains { node in
                    health = admin(cluster, node, "/health")
                    return health.contains("\"role\":\"leader\"") && health.contains("200 OK")
                        && health.contains("refused node \(restored): it lost log entries")
                }
            }, "\(health)")
        if health.contains("\"node\":\(leader),") {
            #expect(health.contains("data loss found on node \(restored)"), "the finder says what it found: \(health)")
        }
        _ = try await alice.acquire("acme/contacts/99")

        // With the other follower down the cluster cannot commit, and neither /health nor status says "ok".
        cluster.signal(other, SIGTERM)
        #expect(cluster.waitForExit(other))
        #expect(
            await waitUntil(seconds: 45) {
                health = admin(cluster, leader, "/health")
                return health.contains("503") && health.contains("refused node \(restored)")
            }, "\(health)")
        var status = try await cluster.cli(["status"])
        #expect(
            await waitUntil(seconds: 45) {
                status = (try? await cluster.cli(["status"])) ?? status
                let leaderRow = status.output.split(separator: "\n").first { $0.hasPrefix("\(leader) ") } ?? ""
                return leaderRow.contains("cannot commit") || leaderRow.contains("no leader")
            }, "\(status.output) \(status.errors)")
        #expect(status.output.contains("refused node \(restored)"), "\(status.output)")
        #expect(!status.output.contains("refused node \(other)"), "a node that is merely down is not refused")
        await alice.close()
    }

    /// Whether `node` applied everything `leader` committed.
    private func applied(
        _ cluster: LocalCluster, _ node: Int, atLeast leader: Int, using client: PadlockClient
    ) async
        -> Bool
    {
        let statuses = (try? await client.status()) ?? []
        guard let follower = statuses.first(where: { $0.node.rawValue == UInt64(node) }),
            let leading = statuses.first(where: { $0.node.rawValue == UInt64(leader) })
        else { return false }
        return follower.appliedIndex >= leading.commitIndex
    }

    /// Mallory's attempt to take `key` through `endpoints`: the fence she was granted, or nil.
    private func malloryTries(_ key: String, endpoints: [String]) async -> FenceToken? {
        var configuration = PadlockClient.Configuration()
        configuration.callDeadline = .seconds(2)
        configuration.attemptTimeout = .milliseconds(500)
        configuration.sessionTTL = .seconds(10)
        guard
            let mallory = try? await PadlockClient(
                endpoints: endpoints, owner: "mallory@it", configuration: configuration)
        else { return nil }
        let lock = try? await mallory.acquire(key)
        await mallory.close()
        return lock?.fence
    }

    @Test("An empty data directory without --bootstrap or join = true is refused with exit status 2")
    func emptyDirectoryIsRefused() async throws {
        let cluster = try LocalCluster()
        defer { cluster.stop() }
        cluster.signal(3, SIGTERM)
        #expect(cluster.waitForExit(3))
        try FileManager.default.removeItem(at: cluster.nodeDirectory(3).appendingPathComponent("data"))
        let result = try await runCommand(
            Binaries.padlockd, ["--config", cluster.nodeDirectory(3).appendingPathComponent("padlockd.toml").path])
        #expect(result.status == 2, "\(result.errors)")
        #expect(result.errors.contains("node-3/data holds no data"), "\(result.errors)")
        #expect(result.errors.contains("--bootstrap"))
        #expect(result.errors.contains("join = true"))
        #expect(result.errors.contains("padlock member remove 3"))
    }

    @Test("An identity file written before incarnations gets one at the next start, and the log says so")
    func oldIdentityFileGetsAnIncarnation() async throws {
        let cluster = try LocalCluster()
        defer { cluster.stop() }
        let file = cluster.nodeDirectory(2).appendingPathComponent("data/padlock-identity")
        let current = try String(contentsOf: file, encoding: .utf8)
        #expect(current.contains(" incarnation=0x"))
        let permissions = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(permissions == 0o600, "the identity file is the owner's only")
        let directory = try FileManager.default.attributesOfItem(atPath: file.deletingLastPathComponent().path)
        #expect(directory[.posixPermissions] as? Int == 0o700, "padlockd creates the data directory for its owner only")
        cluster.signal(2, SIGTERM)
        #expect(cluster.waitForExit(2))
        let old = current.components(separatedBy: " incarnation=")[0] + "\n"
        try old.write(to: file, atomically: true, encoding: .utf8)
        try cluster.restart(2, arguments: ["--bootstrap"])
        #expect(
            await waitUntil(seconds: 45) { cluster.nodeLog(2).contains("had no incarnation") },
            "\(cluster.nodeLog(2).suffix(1500))")
        #expect(cluster.nodeLog(2).contains("--bootstrap ignored"))
        let upgraded = try String(contentsOf: file, encoding: .utf8)
        #expect(upgraded.hasPrefix(old.trimmingCharacters(in: .newlines) + " incarnation=0x"))
        #expect(await waitUntil(seconds: 45) { admin(cluster, 2, "/health").contains("\"status\":\"ok\"") })
    }
}

/// A minimal HTTP/1.1 GET on 127.0.0.1:`port`; the whole response, or "" on any failure.
func httpGet(port: UInt16, path: String) -> String {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { return "" }
    defer { close(descriptor) }
    var timeout = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard connected == 0 else { return "" }
    let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
    guard send(descriptor, request, request.count, 0) == request.count else { return "" }
    var response: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = recv(descriptor, &buffer, buffer.count, 0)
        if count <= 0 { break }
        response.append(contentsOf: buffer[0..<count])
    }
    return String(decoding: response, as: UTF8.self)
}
