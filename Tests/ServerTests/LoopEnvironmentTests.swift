import EventLoop
import Foundation
import Logging
import Node
import Storage
import Synchronization
import Testing

@testable import Server

/// `NodeEnvironment`'s contract under libuv: no completion inside the call that started the work.
@Suite("Loop environment") struct LoopEnvironmentTests {
    @Test("a disk write and an encoding the threads refuse are answered after the call returned, before the loop waits")
    func refusedWorkIsAnsweredAfterTheCall() async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("padlock-environment-\(UInt64.random(in: 1...UInt64.max))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = LoopBoundStore(try FileLogStore(directory: directory))
        let loop = try EventLoop(name: "environment-test")
        let disk = DiskThread(loop: loop, name: "environment-disk")
        let encoder = DiskThread(loop: loop, name: "environment-encode", capacity: 1)
        // Stopped threads refuse every submit: the environment knows the answer at once.
        disk.stop()
        encoder.stop()
        let events = Mutex<[String]>([])
        let environment = try await loop.submit { () -> LoopBound<LoopEnvironment> in
            let environment = LoopEnvironment(
                loop: loop, disk: disk, encoder: encoder, store: store.store, logger: Logger(label: "environment-test"))
            environment.persist(DiskWrite(entries: [])) { result in
                events.withLock { $0.append(result.isSuccess ? "persist succeeded" : "persist failed") }
            }
            events.withLock { $0.append("persist returned") }
            environment.encode({ [1, 2, 3] }) { bytes in events.withLock { $0.append("encoded \(bytes.count)") } }
            events.withLock { $0.append("encode returned") }
            return LoopBound(environment, loop: loop)
        }
        // A later job of the mailbox runs after the iteration that started the work has ended.
        let seen = try await loop.submit {
            _ = environment.value; return events.withLock { $0 }
        }
        #expect(seen == ["persist returned", "encode returned", "persist failed", "encoded 3"])
        #expect(loop.stop().isClean)
    }
}

extension Result {
    fileprivate var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}
