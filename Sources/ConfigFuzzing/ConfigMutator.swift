import PadlockConfig
import PadlockTypes

/// Damages valid documents the way typing and truncation do: replaced, inserted and deleted characters,
/// pasted tokens from the grammar's edges, duplicated and swapped lines, cut-off ends.
enum ConfigMutator {
    /// Single characters that matter to the grammar, plus a few that do not belong anywhere.
    static let characters: [Unicode.Scalar] = [
        "[", "]", "{", "}", "\"", "'", "=", ".", ",", "#", "\\", "_", "-", "+", ":", "0", "9", "a", "Z", " ", "\t",
        "\n", "\r", "\u{0}", "\u{7}", "\u{7F}", "\u{e9}", "\u{20AC}", "\u{1D11E}", "\u{FEFF}",
    ]

    /// Tokens that sit on the edges of what the parser and the schema accept.
    static let tokens = [
        "1.5", "1e3", "inf", "1979-05-27", "07:32:00", "{a = 1}", "0x1F", "0o7", "0b1", "\"\"\"", "'''", "[[", "]]",
        "\\u00e9", "\\uD800", "\\U0010FFFF", "\\q", "9223372036854775807", "9223372036854775808", "-0", "01", "1__0",
        "true", "false", "members", "[[members]]", "[members]", "[limits]", "[raft]", "[sessions]",
        "[lock-delay.namespaces]", "node-id = 1", "cluster-id = 0", "\"10.0.0.1:0\"", "\"[::1]:7401\"",
        "\"0.0.0.0:7401\"", "\"host:1\"", "\"1h\"", "\"0s\"", "\"90m\"", "\"2s\"", "\"1m30s\"", "\"5us\"", "sesions",
        "a.b.c = 1", "x = [", "\r\n", "\n\n", "= ", " # c",
    ]

    /// `text` with one to four mutations.
    static func mutate(_ text: String, using random: inout SplitMix64) -> String {
        var scalars = Array(text.unicodeScalars)
        for _ in 0..<random.within(1...4) { mutateOnce(&scalars, using: &random) }
        var output = ""
        output.unicodeScalars.append(contentsOf: scalars)
        return output
    }

    static func mutateOnce(_ scalars: inout [Unicode.Scalar], using random: inout SplitMix64) {
        let position = random.below(scalars.count + 1)
        switch random.below(8) {
        case 0 where !scalars.isEmpty:
            scalars[min(position, scalars.count - 1)] = random.pick(characters)
        case 1:
            scalars.insert(random.pick(characters), at: position)
        case 2 where !scalars.isEmpty:
            let start = min(position, scalars.count - 1)
            scalars.removeSubrange(start..<min(scalars.count, start + random.within(1...8)))
        case 3:
            scalars.removeSubrange(position...)
        case 4, 5:
            scalars.insert(contentsOf: random.pick(tokens).unicodeScalars, at: position)
        default:
            mutateLines(&scalars, using: &random)
        }
    }

    /// Duplicates or swaps whole lines, which is how keys and tables get defined twice.
    static func mutateLines(_ scalars: inout [Unicode.Scalar], using random: inout SplitMix64) {
        var lines = scalars.split(separator: "\n", omittingEmptySubsequences: false).map(Array.init)
        guard !lines.isEmpty else { return }
        let first = random.below(lines.count)
        let second = random.below(lines.count)
        if random.chance(50) {
            lines.insert(lines[first], at: second)
        } else {
            lines.swapAt(first, second)
        }
        scalars = Array(lines.joined(separator: ["\n"]))
    }

    /// UTF-8 bytes with bits flipped or stray bytes inserted, for the byte-level entry points.
    static func mutateBytes(_ bytes: [UInt8], using random: inout SplitMix64) -> [UInt8] {
        var bytes = bytes
        for _ in 0..<random.within(1...3) {
            let position = random.below(bytes.count + 1)
            if random.chance(50), !bytes.isEmpty {
                bytes[min(position, bytes.count - 1)] ^= UInt8(1 << random.below(8))
            } else {
                bytes.insert(random.pick([0x80, 0xBF, 0xC0, 0xC3, 0xE2, 0xED, 0xF0, 0xF4, 0xF5, 0xFF]), at: position)
            }
        }
        return bytes
    }
}
