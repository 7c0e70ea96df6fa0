import Foundation
import Testing

/// The consensus core must stay pure: standard library only, so it cannot reach a clock, a thread or a file.
/// Its one import is `PadlockTypes`, itself standard library only (TidyTests' ImportRulesTests), for the
/// package's seeded generator.
@Suite struct TidyTests {
    static let sourceDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/Raft")

    @Test("The Raft module imports nothing beyond the standard library and PadlockTypes")
    func raftModuleImportsNothing() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.sourceDirectory.path)
            .filter { $0.hasSuffix(".swift") }.sorted()
        #expect(files.count >= 10, "expected the Raft sources under \(Self.sourceDirectory.path)")
        for file in files {
            let text = try String(contentsOf: Self.sourceDirectory.appendingPathComponent(file), encoding: .utf8)
            for (number, line) in text.components(separatedBy: "\n").enumerated() {
                let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                let attributes = words.prefix { $0.hasPrefix("@") }
                let rest = words.dropFirst(attributes.count)
                let isImport =
                    rest.first == "import"
                    || (rest.count > 1
                        && ["public", "internal", "private", "fileprivate", "package"].contains(rest.first!)
                        && rest.dropFirst().first == "import")
                let allowed = rest.last == "PadlockTypes"
                #expect(!isImport || allowed, "Sources/Raft/\(file):\(number + 1) imports: \(line)")
            }
        }
    }
}
