import EventLoop
import Node
import PadlockTypes
import Raft
import Storage
import Wire

#if canImport(Glibc)
    import Glibc
#endif

/// The node's environment under libuv: the loop's monotonic clock, the system's wall clock, the peer and
/// client transports, the disk thread running the `FileLogStore`, and a second thread encoding snapshots.
///
/// Loop thread only, like everything the runtime owns.
final class LoopEnvironment: NodeEnvironment {
    let loop: EventLoop
    let disk: DiskThread
    let encoder: DiskThread
    let store: FileLogStore
    /// The runtime that owns the node (weak: the node holds its environment).
    weak var runtime: NodeRuntime?

    init(loop: EventLoop, disk: DiskThread, encoder: DiskThread, store: FileLogStore) {
        self.loop = loop
        self.disk = disk
        self.encoder = encoder
        self.store = store
    }

    var monotonicMilliseconds: UInt64 { loop.now.milliseconds }

    var wallMilliseconds: UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(now.tv_sec) * 1_000 + UInt64(now.tv_nsec) / 1_000_000
    }

    func send(_ message: Message) { runtime?.peers.enqueue(message) }

    func respond(_ response: ClientResponse, to client: ClientID) { runtime?.clients.send(response, to: client) }

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
                if case .success(let nanoseconds) = result { self?.runtime?.metrics.recordSync(nanoseconds: nanoseconds) }
                completion(result.map { _ in () })
            })
        if answer != .accepted {
            completion(.failure(StorageError(code: .closed, operation: "submit a disk write", detail: "\(answer)")))
        }
    }

    /// Runs `work` on the encoding thread; when that thread cannot take it (stopping, or full), on the loop.
    func encode(_ work: @escaping @Sendable () -> [UInt8], completion: @escaping ([UInt8]) -> Void) {
        let answer = encoder.submit(work) { result in
            // `work` does not throw; the failure case cannot occur.
            if case .success(let bytes) = result { completion(bytes) }
        }
        if answer != .accepted { completion(work()) }
    }

    func scheduleFlush() { runtime?.requestFlush() }

    func nodeStopped(_ failure: NodeFailure) { runtime?.nodeFailed(failure) }

    func clockWarning(_ warning: ClockWarning) {
        runtime?.logger.warning("clock", metadata: ["detail": "\(warning)"])
    }

    func membershipChanged(_ membership: Membership) { runtime?.peers.update(membership) }

    func peerRefused(_ peer: NodeID, _ refusal: IdentityRefusal) {
        runtime?.logger.error("\(refusal)", metadata: ["peer": "\(peer)"])
    }

    func lostAcknowledgements(_ lost: LostAcknowledgement) {
        let advice = "padlock member remove \(lost.node), then add it back as a new node"
        runtime?.logger.critical(
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

/// The monotonic clock in nanoseconds (for latency measurements only).
func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}
