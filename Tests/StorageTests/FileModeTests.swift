import Foundation
import Testing

@testable import Storage

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 18, finding 6: the log holds keys, owners and notes, so the store keeps its directory and every file
/// it creates to its owner (0700 and 0600), whatever the umask allows.
@Suite(.serialized) struct FileModeTests {
    private func mode(_ path: String) -> mode_t {
        var info = stat()
        _ = stat(path, &info)
        return info.st_mode & 0o777
    }

    @Test func theDirectoryAndEveryFileTheStoreCreatesAreTheOwnersOnly() throws {
        let parent = try TemporaryDirectory()
        let directory = parent.file("data")
        let previous = umask(0o022)
        defer { umask(previous) }
        do {
            let store = try FileLogStore(directory: directory, options: FileLogStore.Options(segmentSize: 4096))
            try store.append(makeEntries(1...50, term: 1), hardState: StoredHardState(term: 1, vote: 1, commit: 10))
            try store.saveSnapshot(StoredSnapshot(index: 10, term: 1, configuration: [1], data: [1, 2, 3]))
        }
        #expect(mode(directory) == 0o700, "data directory mode \(String(mode(directory), radix: 8))")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(names.contains { $0.hasPrefix("wal-") } && names.contains { $0.hasPrefix("snapshot-") }, "\(names)")
        for name in names {
            let found = mode(directory + "/" + name)
            #expect(found == 0o600, "\(name) has mode \(String(found, radix: 8))")
        }
    }
}
