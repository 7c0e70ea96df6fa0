import Foundation

/// A script: commands, each followed by `----` and the output it must produce, blocks separated by a
/// blank line. Lines before a command that start with `#` (and blank lines) are kept as commentary.
struct ScriptFile {
    struct Block {
        var commentary: [String]
        var command: String
        var line: Int
        var expected: [String]
    }

    var blocks: [Block] = []
    var trailing: [String] = []

    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("testdata")

    static func names() -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".txt") }.sorted()
    }

    init(text: String) {
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        var commentary: [String] = []
        var index = 0
        while index < lines.count {
            let line = lines[index]
            if line.isEmpty || line.hasPrefix("#") || index + 1 >= lines.count || lines[index + 1] != "----" {
                commentary.append(line)
                index += 1
                continue
            }
            var expected: [String] = []
            var cursor = index + 2
            while cursor < lines.count && !lines[cursor].isEmpty {
                expected.append(lines[cursor])
                cursor += 1
            }
            blocks.append(Block(commentary: commentary, command: line, line: index + 1, expected: expected))
            commentary = []
            index = cursor
        }
        trailing = commentary
    }

    /// The file's text with each block's output replaced by `outputs`.
    func rendered(outputs: [[String]]) -> String {
        var lines: [String] = []
        for (block, output) in zip(blocks, outputs) {
            // A block's commentary begins with the blank line that closed the previous block's output.
            lines += block.commentary
            lines.append(block.command)
            lines.append("----")
            lines += output
        }
        lines += trailing
        return lines.joined(separator: "\n") + "\n"
    }
}
