import Foundation
import Logging
import PadlockClient
import ServiceLifecycle
import Testing
import Wire

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 19: the client is a `Service`. In a `ServiceGroup` it serves until graceful shutdown, here started by
/// a signal as SIGTERM would start it in an app server, then closes its sessions cleanly: the lock is released
/// by a close request (no lock-delay, no waiting for the TTL), and later calls are cancelled.
@Suite(.serialized) struct ServiceTests {
    @Test func aGracefulShutdownSignalClosesTheClientsSessionsCleanly() async throws {
        try await withCluster { fake in
            let client = try await PadlockClient(
                endpoints: fake.endpoints, owner: "alice@frontend-2", configuration: testConfiguration,
                logger: quietLogger)
            let service: any Service = client
            let lock = try await client.acquire("acme/contacts/42")
            #expect(lock.state == .safe)

            // SIGUSR2 is ignored until the group's own handler takes it, so a signal that arrives before the group
            // listens cannot end the test process; it is sent again until the group has finished.
            signal(SIGUSR2, SIG_IGN)
            let group = ServiceGroup(
                configuration: ServiceGroupConfiguration(
                    services: [.init(service: service)], gracefulShutdownSignals: [.sigusr2], logger: quietLogger))
            let running = Task { try await group.run() }
            let finished = Finished()
            let watcher = Task {
                _ = try? await running.value
                await finished.set()
            }
            let deadline = ContinuousClock.now + .seconds(60)
            while await !finished.value, ContinuousClock.now < deadline {
                kill(getpid(), SIGUSR2)
                try await Task.sleep(for: .milliseconds(100))
            }
            await watcher.value
            #expect(await finished.value, "the group ended on the signal")

            #expect(lock.state == .released, "the session was closed cleanly: its lock released, not lost")
            let closes = await fake.with { $0.requests { if case .closeSession = $0 { true } else { false } } }
            #expect(!closes.isEmpty, "the cluster was asked to close the session")
            let after = await padlockError { _ = try await client.acquire("acme/contacts/43") }
            #expect(after?.code == .cancelled, "\(String(describing: after))")
        }
    }
}

/// A flag the watcher sets once the group's run returned.
private actor Finished {
    private(set) var value = false
    func set() { value = true }
}
