import Foundation
import Testing

/// Runs every script in `testdata/`. With `PADLOCK_REWRITE=1` the expected output is rewritten instead;
/// review the diff before committing it, because the output is the assertion.
@Suite struct ScriptTests {
    @Test("Scripted interactions produce the output written in their script", arguments: ScriptFile.names())
    func scriptProducesExpectedOutput(name: String) throws {
        let url = ScriptFile.directory.appendingPathComponent(name)
        let text = try String(contentsOf: url, encoding: .utf8)
        let script = ScriptFile(text: text)
        let runner = ScriptRunner()
        var outputs: [[String]] = []
        for block in script.blocks {
            let output: [String]
            do {
                output = try runner.run(block.command)
            } catch {
                output = ["error: \(error)"]
            }
            outputs.append(output)
        }
        if ProcessInfo.processInfo.environment["PADLOCK_REWRITE"] == "1" {
            try script.rendered(outputs: outputs).write(to: url, atomically: true, encoding: .utf8)
            return
        }
        for (block, output) in zip(script.blocks, outputs) where block.expected != output {
            let diff = Self.diff(expected: block.expected, actual: output)
            Issue.record("\(name):\(block.line): \(block.command)\n\(diff)")
        }
    }

    /// A line diff: `-` expected but missing, `+` produced but not expected, in order.
    static func diff(expected: [String], actual: [String]) -> String {
        let changes = actual.difference(from: expected)
        var removed = Set<Int>()
        var inserted = Set<Int>()
        for change in changes {
            switch change {
            case .remove(let offset, _, _): removed.insert(offset)
            case .insert(let offset, _, _): inserted.insert(offset)
            }
        }
        var lines: [String] = []
        var expectedIndex = 0
        var actualIndex = 0
        while expectedIndex < expected.count || actualIndex < actual.count {
            if expectedIndex < expected.count && removed.contains(expectedIndex) {
                lines.append("- " + expected[expectedIndex])
                expectedIndex += 1
            } else if actualIndex < actual.count && inserted.contains(actualIndex) {
                lines.append("+ " + actual[actualIndex])
                actualIndex += 1
            } else {
                lines.append("  " + actual[actualIndex])
                expectedIndex += 1
                actualIndex += 1
            }
        }
        return lines.joined(separator: "\n")
    }
}
