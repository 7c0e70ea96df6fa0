import EventLoop
import Logging
import Node
import PadlockTypes
import Raft
import Storage
import Wire

#if canImport(Glibc)
    import Glibc
#endif

/// The node's environment under libuv: the loop's monotonic clock, the system's wall clock, the disk thread
/// running the `FileLogStore`, a second thread encoding snapshots, and outputs (the transports, the flush hook,
/// the shutdown) that the runtime connects once it has built them.
///
/// Completions are never delivered inside the call that started them: the disk and encoding threads answer
/// through the mailbox, and an answer given at once (a thread that refused the work) waits for the end of
/// the loop iteration (`EventLoop.beforeWaiting`), as `NodeEnvironment` requires.
///
/// Loop thread only, like everything the runtime owns.
final class LoopEnvironment: NodeEnvironment {
    /// Where the node's outputs go. The runtime connects them once the transports exist (they need the node,
    /// which needs this environment); until then outputs are dropped (the node makes none while starting).
    struct Outputs {
        var send: (Message) -> Void
        var respond: (ClientResponse, ClientID) -> Void
        var notify: (ClientEvent, ClientID) -> Void
        var scheduleFlush: () -> Void
        var membershipChanged: (Membership) -> Void
        var nodeStopped: (NodeFailure) -> Void
        /// A disk write (write and `fdatasync`) finished in this many nanoseconds.
        var syncFinished: (UInt64) -> Void

        /// Outputs that drop everything.
        static var unconnected: Outputs {
            Outputs(
                send: { _ in }, respond: { _, _ in }, notify: { _, _ in }, scheduleFlush: {},
                membershipChanged: { _ in },
                nodeStopped: { _ in }, syncFinished: { _ in })
        }
    }

    let loop: EventLoop
    let disk: DiskThread
    let encoder: DiskThread
    let store: FileLogStore
    let logger: Logger
    private var outputs = Outputs.unconnected
    /// Completions answered at once, waiting for the end of the loop iteration.
    private var completions: [() -> Void] = []
    private lazy var completionHook = loop.beforeWaiting { [weak self] in self?.deliverCompletions() }

    init(loop: EventLoop, disk: DiskThread, encoder: DiskThread, store: FileLogStore, logger: Logger) {
        self.loop = loop
        self.disk = disk
        self.encoder = encoder
        self.store = store
        self.logger = logger
    }

    /// Sends the node's outputs to `outputs` from now on (the runtime calls it once).
    func connect(_ outputs: Outputs) { self.outputs = outputs }

    var monotonicMilliseconds: UInt64 { loop.now.milliseconds }

    var wallMilliseconds: UInt64 { wallClockMilliseconds() }

    func send(_ message: Message) { outputs.send(message) }

    func respond(_ response: ClientResponse, to client: ClientID) { outputs.respond(response, client) }

    func notify(_ event: ClientEvent, to client: ClientID) { outputs.notify(event, client) }

    /// Runs the write on the disk thread; the time it took (write and `fdatasync`) feeds the latency metric.
    func persist(_ write: DiskWrite, completion: @escaping (Result<Void, any Error>) -> Void) {
        let store = LoopBoundStore(store)
        let answer = disk.submit(
            {
                let started = monotonicNanoseconds()
                try write.perform(on: store.store)
                return monotonicNanoseconds() - started
            },
            completion: { [weak self] result in
                if case .success(let nanoseconds) = result { self?.outputs.syncFinished(nanoseconds) }
                completion(result.map { _ in () })
            })
        if answer != .accepted {
            let failure = StorageError(code: .closed, operation: "submit a disk write", detail: "\(answer)")
            later { completion(.failure(failure)) }
        }
    }

    /// Runs `work` on the encoding thread; when that thread cannot take it (stopping, or full), on the loop at
    /// the end of the iteration.
    func encode(_ work: @escaping @Sendable () -> [UInt8], completion: @escaping ([UInt8]) -> Void) {
        let answer = encoder.submit(work) { result in
            // `work` does not throw; the failure case cannot occur.
            if case .success(let bytes) = result { completion(bytes) }
        }
        if answer != .accepted { later { completion(work()) } }
    }

    /// Delivers `completion` once the current call (and the rest of the iteration's callbacks) are over.
    func later(_ completion: @escaping () -> Void) {
        completions.append(completion)
        completionHook.request()
    }

    private func deliverCompletions() {
        let ready = completions
        completions = []
        for completion in ready { completion() }
    }

    func scheduleFlush() { outputs.scheduleFlush() }

    func nodeStopped(_ failure: NodeFailure) { outputs.nodeStopped(failure) }

    func clockWarning(_ warning: ClockWarning) {
        logger.warning("clock", metadata: ["detail": "\(warning)"])
    }

    func membershipChanged(_ membership: Membership) { outputs.membershipChanged(membership) }

    func peerRefused(_ peer: NodeID, _ refusal: IdentityRefusal) {
        logger.error("\(refusal)", metadata: ["peer": "\(peer)"])
    }

    func lostAcknowledgements(_ lost: LostAcknowledgement) {
        let advice = "padlock member remove \(lost.node), then add it back as a new node"
        logger.critical(
            "data loss on a follower: \(lost); the cluster refuses node \(lost.node) until it is removed (\(advice))",
            metadata: ["peer": "\(lost.node)"])
    }
}

/// The store travels to the disk thread inside a `@Sendable` closure; only the disk thread touches it after
/// startup (`FileLogStore` is used from one thread at a time and has no locks).
struct LoopBoundStore: @unchecked Sendable {
    let store: FileLogStore
    init(_ store: FileLogStore) { self.store = store }
}

/// The system's wall clock in milliseconds since the Unix epoch (entry stamps and peers' skew readings).
func wallClockMilliseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return UInt64(now.tv_sec) * 1_000 + UInt64(now.tv_nsec) / 1_000_000
}

/// The monotonic clock in nanoseconds (for latency measurements only).
func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}
