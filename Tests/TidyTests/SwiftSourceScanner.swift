import Foundation

/// Swift source reduced to its code: comments and the contents of string literals become spaces (newlines
/// stay), so that a brace, `try!` or `post` inside a string or a comment is never taken for code. The text of
/// string interpolations is code and is kept. Not a Swift parser: enough for the rules the tidy tests check.
struct SwiftSourceScanner {
    /// The code of each line, 1-based line numbers at index `n - 1`.
    let codeLines: [String]

    init(_ text: String) {
        codeLines = Self.code(of: Array(text.unicodeScalars)).split(separator: "\n", omittingEmptySubsequences: false)
            .map(String.init)
    }

    private enum Context {
        /// Code; `parentheses` counts open parentheses when this code is an interpolation inside a string.
        case code(parentheses: Int)
        case string(multiline: Bool, hashes: Int)
        case blockComment(depth: Int)
    }

    private static func code(of scalars: [Unicode.Scalar]) -> String {
        var output = String.UnicodeScalarView()
        var stack: [Context] = [.code(parentheses: 0)]
        var index = 0
        func at(_ offset: Int) -> Unicode.Scalar? { index + offset < scalars.count ? scalars[index + offset] : nil }
        func starts(_ text: String) -> Bool {
            text.unicodeScalars.enumerated().allSatisfy { at($0.offset) == $0.element }
        }
        func emit(_ count: Int, blank: Bool) {
            for offset in 0..<count where index + offset < scalars.count {
                let scalar = scalars[index + offset]
                output.append(blank && scalar != "\n" ? " " : scalar)
            }
            index += count
        }
        while index < scalars.count, let context = stack.last {
            switch context {
            case .code(let parentheses):
                if starts("//") {
                    while let scalar = at(0), scalar != "\n" { emit(1, blank: true) }
                } else if starts("/*") {
                    stack.append(.blockComment(depth: 1))
                    emit(2, blank: true)
                } else if let opening = stringOpening() {
                    stack.append(.string(multiline: opening.multiline, hashes: opening.hashes))
                    emit(opening.length, blank: false)
                } else if at(0) == "(" {
                    if stack.count > 1 { stack[stack.count - 1] = .code(parentheses: parentheses + 1) }
                    emit(1, blank: false)
                } else if at(0) == ")" && stack.count > 1 {
                    if parentheses == 0 {
                        stack.removeLast()  // the end of an interpolation: back in the string
                        emit(1, blank: true)
                    } else {
                        stack[stack.count - 1] = .code(parentheses: parentheses - 1)
                        emit(1, blank: false)
                    }
                } else {
                    emit(1, blank: false)
                }
            case .blockComment(let depth):
                if starts("/*") {
                    stack[stack.count - 1] = .blockComment(depth: depth + 1)
                    emit(2, blank: true)
                } else if starts("*/") {
                    if depth == 1 {
                        stack.removeLast()
                    } else {
                        stack[stack.count - 1] = .blockComment(depth: depth - 1)
                    }
                    emit(2, blank: true)
                } else {
                    emit(1, blank: true)
                }
            case .string(let multiline, let hashes):
                let pounds = String(repeating: "#", count: hashes)
                if starts("\\" + pounds + "(") {
                    emit(2 + hashes, blank: true)
                    stack.append(.code(parentheses: 0))
                } else if starts("\\" + pounds) {
                    emit(2 + hashes, blank: true)  // an escaped character
                } else if starts((multiline ? "\"\"\"" : "\"") + pounds) {
                    stack.removeLast()
                    emit((multiline ? 3 : 1) + hashes, blank: false)
                } else {
                    emit(1, blank: true)
                }
            }
        }
        return String(output)

        func stringOpening() -> (multiline: Bool, hashes: Int, length: Int)? {
            var hashes = 0
            while at(hashes) == "#" { hashes += 1 }
            guard at(hashes) == "\"" else { return nil }
            let multiline = at(hashes + 1) == "\"" && at(hashes + 2) == "\""
            return (multiline, hashes, hashes + (multiline ? 3 : 1))
        }
    }

    /// A function or initializer with a body: its name as written, the line of its keyword and the line of
    /// its closing brace (both 1-based).
    struct Body: Equatable {
        var name: String
        var firstLine: Int
        var lastLine: Int
        var lineCount: Int { lastLine - firstLine + 1 }
    }

    /// Every `func`, `init` and `deinit` with a body. A declaration without one (a protocol requirement) meets
    /// a closing brace before an opening one and is skipped.
    var bodies: [Body] {
        let characters = codeLines.map { Array($0) }
        var found: [Body] = []
        for (lineIndex, line) in characters.enumerated() {
            for column in line.indices {
                guard let name = Self.declaration(in: line, at: column) else { continue }
                if let last = Self.closingLine(characters, fromLine: lineIndex, column: column + name.count) {
                    found.append(Body(name: name, firstLine: lineIndex + 1, lastLine: last + 1))
                }
            }
        }
        return found
    }

    /// The keyword of a declaration starting at `column` (`func name`, `init`, `deinit`), or nil.
    private static func declaration(in line: [Character], at column: Int) -> String? {
        func isIdentifier(_ character: Character?) -> Bool {
            guard let character else { return false }
            return character.isLetter || character.isNumber || character == "_"
        }
        let before: Character? = column > 0 ? line[column - 1] : nil
        guard !isIdentifier(before), before != "." else { return nil }
        for keyword in ["func", "init", "deinit"] {
            let end = column + keyword.count
            guard end <= line.count, String(line[column..<end]) == keyword else { continue }
            let after: Character? = end < line.count ? line[end] : nil
            if keyword == "func" && after == " " {
                let name = line[(end + 1)...].prefix { isIdentifier($0) || "+-*/<>=!&|^%~".contains($0) }
                return "func " + String(name)
            }
            if keyword != "func" && (after == "(" || after == "<" || after == "?" || after == " " || after == "{") {
                return keyword
            }
        }
        return nil
    }

    /// The line of the brace that closes the body opened after `column` of `line`, or nil when a `}` at the
    /// declaration's own depth comes first (no body).
    private static func closingLine(_ lines: [[Character]], fromLine start: Int, column: Int) -> Int? {
        var nesting = 0  // parentheses and brackets of the signature
        var depth = 0  // braces of the body
        for lineIndex in start..<lines.count {
            let line = lines[lineIndex]
            for character in line[(lineIndex == start ? column : 0)...] {
                switch character {
                case "(", "[": nesting += 1
                case ")", "]": nesting -= 1
                case "{" where nesting == 0: depth += 1
                case "}" where nesting == 0:
                    if depth == 0 { return nil }
                    depth -= 1
                    if depth == 0 { return lineIndex }
                default: break
                }
            }
        }
        return nil
    }
}
