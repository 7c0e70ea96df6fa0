import Foundation
import Testing

/// The scripts in `testdata/`: each command's recorded output is the assertion. After a deliberate change,
/// `PADLOCK_REWRITE=1 swift test --filter LockTableTests` rewrites the outputs; review the diff by hand.
@Suite struct ScriptTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "testdata")

    static var scripts: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".txt") }.sorted()
    }

    @Test func thereAreAtLeastTwentyScripts() {
        #expect(Self.scripts.count >= 20)
    }

    @Test(arguments: scripts) func scriptProducesItsRecordedOutput(_ name: String) throws {
        let url = Self.directory.appendingPathComponent(name)
        let original = try String(contentsOf: url, encoding: .utf8)
        let actual = ScriptRunner.rewrite(original)
        if ProcessInfo.processInfo.environment["PADLOCK_REWRITE"] == "1" {
            if actual != original { try actual.write(to: url, atomically: true, encoding: .utf8) }
            return
        }
        let expectedLines = original.split(separator: "\n", omittingEmptySubsequences: false)
        let actualLines = actual.split(separator: "\n", omittingEmptySubsequences: false)
        let firstDifference =
            (0..<min(expectedLines.count, actualLines.count)).first { expectedLines[$0] != actualLines[$0] }
            ?? min(expectedLines.count, actualLines.count)
        #expect(
            actual == original,
            "\(name): first difference at line \(firstDifference + 1):\n expected: \(firstDifference < expectedLines.count ? String(expectedLines[firstDifference]) : "<end>")\n actual:   \(firstDifference < actualLines.count ? String(actualLines[firstDifference]) : "<end>")"
        )
    }
}
