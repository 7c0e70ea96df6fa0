import EventLoop
import Logging
import PadlockClient
import Synchronization
import Testing
import Wire

/// A value shared between threads, guarded by a mutex.
final class Shared<Value: Sendable>: Sendable {
    private let state: Mutex<Value>
    init(_ value: Value) { state = Mutex(value) }
    func with<Result: Sendable>(_ body: (inout Value) -> Result) -> Result { state.withLock { body(&$0) } }
    var value: Value { state.withLock { $0 } }
}

/// Short timings, so that deadline tests take a second instead of five.
let testConfiguration = PadlockClient.Configuration(
    callDeadline: .seconds(2), attemptTimeout: .milliseconds(300), connectTimeout: .milliseconds(500),
    backoffBase: .milliseconds(5), backoffCap: .milliseconds(100), closeDeadline: .seconds(1))

/// A logger that stays quiet unless something critical happens.
let quietLogger: Logger = {
    var logger = Logger(label: "test.client")
    logger.logLevel = .critical
    return logger
}()

/// Starts a fake cluster, runs `body`, stops the cluster.
func withCluster<Result>(
    nodes: Int = 3, leader: Int? = 0, credentials: [UInt8] = [], cluster: UInt64 = 0,
    _ body: (FakeCluster) async throws -> Result
) async throws -> Result {
    let fake = try await FakeCluster.start(nodes: nodes, leader: leader, credentials: credentials, cluster: cluster)
    do {
        let result = try await body(fake)
        await fake.stop()
        return result
    } catch {
        await fake.stop()
        throw error
    }
}

/// A client of `fake`, closed after `body`.
func withClient<Result>(
    _ fake: FakeCluster, owner: String = "alice@frontend-2", endpoints: [String]? = nil,
    configuration: PadlockClient.Configuration = testConfiguration, _ body: (PadlockClient) async throws -> Result
) async throws -> Result {
    let client = try await PadlockClient(
        endpoints: endpoints ?? fake.endpoints, owner: owner, configuration: configuration, logger: quietLogger)
    do {
        let result = try await body(client)
        await client.close()
        return result
    } catch {
        await client.close()
        throw error
    }
}

/// The error `body` threw, as a `PadlockError`, or nil when it did not throw one.
func padlockError(_ body: () async throws -> Void) async -> PadlockError? {
    do {
        try await body()
        return nil
    } catch let error as PadlockError {
        return error
    } catch {
        return nil
    }
}

/// Waits until `condition` holds, polling, for at most `timeout`; returns whether it held.
func eventually(within timeout: Duration = .seconds(3), _ condition: () async -> Bool) async -> Bool {
    let end = ContinuousClock.now + timeout
    while ContinuousClock.now < end {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
}

extension ClientOperation {
    var isAcquire: Bool { if case .acquire = self { true } else { false } }
    var isRelease: Bool { if case .release = self { true } else { false } }
    /// A renewal of one session or of a batch.
    var isRenewal: Bool {
        switch self {
        case .renewSession, .renewSessions: true
        default: false
        }
    }
    var isCancelWait: Bool { if case .cancelWait = self { true } else { false } }
    /// An acquire of several keys or with roles, a mode change, a hold placed or lifted: protocol v3.
    var isHoldOperation: Bool {
        switch self {
        case .acquireKeys, .changeMode, .placeHold, .liftHold: true
        default: false
        }
    }
    var isAcquireKeys: Bool { if case .acquireKeys = self { true } else { false } }
}

struct BodyFailed: Error {}
