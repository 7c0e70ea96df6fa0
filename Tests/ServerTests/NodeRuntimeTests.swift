import Dispatch
import EventLoop
import Foundation
import Logging
import Node
import PadlockConfig
import PadlockTypes
import Raft
import Storage
import Synchronization
import Testing

@testable import Server

/// One single-member node running in this process on a loop of its own, with a small mailbox.
private final class RuntimeHarness: Sendable {
    let loop: EventLoop
    let disk: DiskThread
    let encoder: DiskThread
    let runtime: LoopBound<NodeRuntime>
    let directory: String

    private init(
        loop: EventLoop, disk: DiskThread, encoder: DiskThread, runtime: LoopBound<NodeRuntime>, directory: String
    ) {
        self.loop = loop
        self.disk = disk
        self.encoder = encoder
        self.runtime = runtime
        self.directory = directory
    }

    static func start(mailboxCapacity: Int) async throws -> RuntimeHarness {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("padlock-runtime-\(UInt64.random(in: 1...UInt64.max))").path
        let local = SocketAddress(host: "127.0.0.1", port: 0)
        var settings = ServerSettings(
            clusterID: 7, nodeID: 1, dataDirectory: directory, clientListen: local, peerListen: local,
            members: [PadlockdSettings.Member(id: 1, peer: SocketAddress(host: "127.0.0.1", port: 1), client: local)])
        settings.bootstrap = true
        settings.incarnation = try DataDirectory.prepare(
            path: directory, clusterID: 7, nodeID: 1, start: .bootstrap
        ).incarnation
        let store = try FileLogStore(directory: directory)
        let restored = try NodeRestore.load(from: store, configuration: settings.nodeConfiguration)
        let loop = try EventLoop(name: "runtime-test", mailboxCapacity: mailboxCapacity)
        let disk = DiskThread(loop: loop, name: "runtime-test-disk")
        let encoder = DiskThread(loop: loop, name: "runtime-test-encode", capacity: 4)
        let bundle = UncheckedBundle(store: store, restored: restored)
        let frozen = settings
        let runtime = try await loop.submit { () throws -> LoopBound<NodeRuntime> in
            let logger = Logger(label: "runtime-test")
            let environment = LoopEnvironment(
                loop: loop, disk: disk, encoder: encoder, store: bundle.store, logger: logger)
            let runtime = try NodeRuntime(
                settings: frozen, loop: loop, environment: environment, logger: logger, restored: bundle.restored,
                seed: 42, finished: { _ in })
            try runtime.start()
            return LoopBound(runtime, loop: loop)
        }
        return RuntimeHarness(loop: loop, disk: disk, encoder: encoder, runtime: runtime, directory: directory)
    }

    /// Whether the node leads and has committed an entry of its own term.
    func leadsAndCommits() async -> Bool {
        let runtime = self.runtime
        let answer = try? await loop.submit { () -> Bool in
            let status = runtime.value.node.statusReport()
            return status.role == .leader && status.commitIndex.rawValue > 0 && status.canCommit
        }
        return answer ?? false
    }

    func stop() async {
        let runtime = self.runtime
        _ = try? await loop.submit { runtime.value.shutDown(exitCode: 0) }
        disk.stop()
        encoder.stop()
        loop.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// The recovered store travels once to the loop thread, which alone uses it from then on.
private struct UncheckedBundle: @unchecked Sendable {
    let store: FileLogStore
    let restored: RestoredState
}

/// The runtime on a real loop: what a node does when its loop is busy.
@Suite("Node runtime", .timeLimit(.minutes(10))) struct NodeRuntimeTests {
    @Test("a node that asked for a flush while its mailbox was full keeps flushing: it still elects itself and commits")
    func flushesAfterAFullMailbox() async throws {
        let harness = try await RuntimeHarness.start(mailboxCapacity: 4)
        let started = DispatchSemaphore(value: 0)
        let filled = DispatchSemaphore(value: 0)
        let runtime = harness.runtime
        // Holds the loop thread while the test fills the mailbox, then has the node ask for a flush.
        let blocker = harness.loop.post {
            started.signal()
            filled.wait()
            runtime.value.environment.scheduleFlush()
        }
        #expect(blocker == .accepted)
        started.wait()
        var refusals = 0
        while harness.loop.post({}) == .accepted {}
        refusals += 1
        filled.signal()
        #expect(refusals == 1)
        // A bootstrapped single member elects itself and commits once its flushes run; generous deadline.
        let deadline = ContinuousClock.now + .seconds(30)
        var leads = false
        while !leads && ContinuousClock.now < deadline {
            leads = await harness.leadsAndCommits()
            if !leads { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(leads, "the node stopped flushing after its mailbox was full once")
        await harness.stop()
    }
}
