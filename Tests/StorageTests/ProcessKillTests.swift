import Foundation
import Testing

@testable import Storage

/// A child process appends and reports each durable batch on stdout; the parent SIGKILLs it at random
/// moments and checks that recovery holds every reported batch.
@Suite struct ProcessKillTests {
    /// The `storage-crash-child` executable, built by `swift test` next to the test bundle.
    static func childExecutable() throws -> URL {
        let here = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        let child = here.appendingPathComponent("storage-crash-child")
        guard FileManager.default.isExecutableFile(atPath: child.path) else {
            throw StorageError(
                code: .unavailable, operation: "find child", path: child.path,
                detail: "build it with `swift build --product storage-crash-child`")
        }
        return child
    }

    /// What the child reported before it was killed.
    struct Reported {
        var lastIndex: UInt64 = 0
        var commit: UInt64 = 0
        var snapshot: UInt64 = 0
        var lines = 0
    }

    @Test func everyBatchReportedDurableSurvivesSIGKILL() throws {
        let child = try Self.childExecutable()
        let directory = try TemporaryDirectory()
        var generator = SeededGenerator(seed: 2026)
        var reported = Reported()
        for round in 0..<50 {
            let linesBeforeKill = Int.random(in: 1...60, using: &generator)
            let pauseMicroseconds = UInt32.random(in: 0...3000, using: &generator)
            let run = try runChild(
                child, directory: directory.path, seed: UInt64(round),
                killAfter: linesBeforeKill, pause: pauseMicroseconds)
            #expect(
                run.recoveredIndex >= reported.lastIndex,
                "round \(round): the child recovered \(run.recoveredIndex), \(reported.lastIndex) was reported")
            reported.lastIndex = max(reported.lastIndex, run.reported.lastIndex)
            reported.commit = max(reported.commit, run.reported.commit)
            try check(directory: directory.path, against: reported, round: round)
        }
    }

    private func runChild(
        _ child: URL, directory: String, seed: UInt64, killAfter: Int, pause: UInt32
    ) throws
        -> (reported: Reported, recoveredIndex: UInt64)
    {
        let process = Process()
        process.executableURL = child
        process.arguments = [directory, String(seed)]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var reported = Reported()
        var recoveredIndex: UInt64 = 0
        var buffer = Data()
        reading: while reported.lines < killAfter {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...newline)
                let words = line.split(separator: " ")
                guard words.count >= 2, let number = UInt64(words[1]) else { continue }
                switch words[0] {
                case "recovered": recoveredIndex = number
                case "durable":
                    reported.lastIndex = number
                    reported.commit = words.count > 2 ? UInt64(words[2]) ?? 0 : 0
                    reported.lines += 1
                case "snapshot": reported.snapshot = number
                default: break
                }
                if reported.lines >= killAfter { break reading }
            }
        }
        usleep(pause)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(
            process.terminationReason == .uncaughtSignal,
            "the child exited on its own with status \(process.terminationStatus)")
        return (reported, recoveredIndex)
    }

    /// Opens the store as the next run would, and checks every entry against the child's deterministic content.
    private func check(directory: String, against reported: Reported, round: Int) throws {
        let store = try FileLogStore(directory: directory, options: .init(segmentSize: 64 << 10))
        #expect(
            store.lastIndex >= reported.lastIndex,
            "round \(round): recovered \(store.lastIndex), \(reported.lastIndex) was reported durable")
        #expect(store.hardState.commit >= reported.commit, "round \(round)")
        let entries = try store.entries(from: store.firstIndex, to: store.lastIndex + 1)
        for entry in entries where entry.term != entry.index / 64 + 1 || entry.payload != childPayload(entry.index) {
            Issue.record("round \(round): entry \(entry.index) differs from what the child wrote")
            break
        }
        if let snapshot = try store.loadSnapshot() {
            #expect(snapshot.data == childPayload(snapshot.index), "round \(round)")
            #expect(store.firstIndex <= snapshot.index + 1)
        }
    }

    /// The payload the child gives entry `index` (see Sources/storage-crash-child/main.swift).
    private func childPayload(_ index: UInt64) -> [UInt8] {
        (0..<(Int(index % 97) + 1)).map { UInt8(truncatingIfNeeded: index &* 31 &+ UInt64($0)) }
    }
}
