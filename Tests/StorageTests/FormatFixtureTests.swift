import Foundation
import Testing

@testable import Storage
@testable import StorageTesting

/// Issue 26, compatibility: a data directory written by this format version (`Fixtures/format-1`, checked in)
/// must load in every later build with the same contents. A build that changes the log or snapshot format
/// keeps reading this one (and migrates on its next snapshot) or the test fails.
///
/// `PADLOCK_WRITE_FIXTURES=1 swift test --filter FormatFixtureTests` writes the fixture anew; do that only
/// when adding a fixture for a new version, never to make an old one pass.
@Suite struct FormatFixtureTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/format-1")
    static let options = FileLogStore.Options(segmentSize: 4096)
    static let hardState = StoredHardState(term: 2, vote: 1, commit: 8)
    static let snapshot = StoredSnapshot(index: 5, term: 1, configuration: [1, 2, 3], data: Array(0..<200))

    /// What the fixture holds: entries 1...6 of term 1 and 7...12 of term 2, a snapshot at 5 with the log
    /// compacted up to it, and a hard state.
    static func write(into path: String) throws {
        let store = try FileLogStore(directory: path, options: options)
        try store.append(makeEntries(1...6, term: 1, size: 150), hardState: nil)
        try store.append(makeEntries(7...12, term: 2, size: 150), hardState: hardState)
        try store.saveSnapshot(snapshot)
        try store.compact(upTo: 5)
    }

    @Test func theCheckedInFormatOneDirectoryLoadsWithItsContents() throws {
        if ProcessInfo.processInfo.environment["PADLOCK_WRITE_FIXTURES"] == "1" {
            try? FileManager.default.removeItem(at: Self.fixture)
            try FileManager.default.createDirectory(at: Self.fixture, withIntermediateDirectories: true)
            try Self.write(into: Self.fixture.path)
        }
        let directory = try TemporaryDirectory()
        for name in try FileManager.default.contentsOfDirectory(atPath: Self.fixture.path) {
            try FileManager.default.copyItem(
                atPath: Self.fixture.appendingPathComponent(name).path, toPath: directory.file(name))
        }
        let contents = try StoreContents(FileLogStore(directory: directory.path))
        #expect(contents.firstIndex == 6 && contents.lastIndex == 12, "\(contents)")
        #expect(contents.hardState == Self.hardState)
        #expect(contents.baseTerm == 1)
        #expect(contents.entries == makeEntries(6...6, term: 1, size: 150) + makeEntries(7...12, term: 2, size: 150))
        #expect(contents.snapshot == Self.snapshot)
    }
}
