/// A table while the document is read. Reference types, so that appending to a deep table does not copy the
/// tables above it.
final class TableNode {
    /// How a table came to exist, which decides how it may be extended (TOML 1.0, "Table").
    enum Origin {
        /// The document itself.
        case root
        /// Named as a parent in a header (`a` in `[a.b]`): a later `[a]` may still define it.
        case implicit
        /// Defined by its own `[header]` or as an element of `[[array]]`.
        case header
        /// Created by a dotted key (`a.b = 1` creates `a`): only further dotted keys may add to it.
        case dotted
    }

    var origin: Origin
    var position: TOMLPosition?
    /// Key parts from the root to this table.
    let depth: Int
    var entries: [String: TableEntry] = [:]
    var order: [String] = []

    init(origin: Origin, position: TOMLPosition?, depth: Int) {
        self.origin = origin
        self.position = position
        self.depth = depth
    }

    func insert(_ name: String, _ entry: TableEntry) {
        entries[name] = entry
        order.append(name)
    }

    /// Adds an empty table of `origin` under `part`'s name, one level deeper, and returns it.
    func addTable(_ part: KeyPart, origin: Origin) -> TableNode {
        let child = TableNode(origin: origin, position: part.position, depth: depth + 1)
        insert(part.name, .table(child, part.position))
        return child
    }

    /// The finished value, children first.
    func finished() -> TOMLTable {
        var table = TOMLTable(position: position)
        for name in order {
            guard let entry = entries[name] else { continue }
            switch entry {
            case .value(let value, let position):
                table.set(name, to: value, at: position)
            case .table(let child, let position):
                table.set(name, to: .table(child.finished()), at: position)
            case .tableArray(let array, let position):
                table.set(name, to: .array(array.tables.map { .table($0.finished()) }), at: position)
            }
        }
        return table
    }
}

/// The tables of one `[[array]]`, appended to in place.
final class TableArrayNode {
    var tables: [TableNode]
    init(_ first: TableNode) { tables = [first] }
}

/// What a key of a table under construction holds, with where the key was first written.
enum TableEntry {
    case value(TOMLValue, TOMLPosition)
    case table(TableNode, TOMLPosition)
    case tableArray(TableArrayNode, TOMLPosition)
}

/// Builds the document's tables and enforces TOML's rules: no key twice, no table defined twice, a table
/// defined by dotted keys is not reopened by a header, and values, tables and arrays of tables never replace
/// one another.
struct TableBuilder {
    let root = TableNode(origin: .root, position: nil, depth: 0)
    private(set) var current: TableNode
    /// The current table's path for messages, such as `members[1]`.
    private(set) var currentPath = ""

    init() { current = root }

    var currentDepth: Int { current.depth }

    func finish() -> TOMLTable { root.finished() }

    /// `[a.b.c]`: walks to `a.b`, creating tables, then defines `c`.
    mutating func openTable(_ key: [KeyPart], at header: TOMLPosition) throws(ConfigError) {
        var (table, path) = try walkHeaderParents(key)
        let last = key[key.count - 1]
        path = TOMLPath.child(path, last.name)
        switch table.entries[last.name] {
        case nil:
            let child = TableNode(origin: .header, position: header, depth: key.count)
            table.insert(last.name, .table(child, last.position))
            table = child
        case .table(let child, _):
            switch child.origin {
            case .implicit:
                child.origin = .header
                child.position = header
            case .header, .root:
                throw duplicate(
                    "the table [\(path)] is defined twice; it was first defined at \(child.position.text)", last)
            case .dotted:
                throw duplicate(
                    "the table [\(path)] was already defined by dotted keys at \(child.position.text); "
                        + "a header cannot reopen it", last)
            }
            table = child
        case .tableArray(_, let first):
            throw duplicate(
                "`\(path)` is an array of tables ([[\(path)]] at \(first)); it cannot also be a [table]", last)
        case .value(let value, let first):
            throw valueIsNotTable(path, value, at: first, last)
        }
        current = table
        currentPath = path
    }

    /// `[[a.b]]`: walks to `a`, then appends a new table to the array `b`.
    mutating func openTableArray(_ key: [KeyPart], at header: TOMLPosition) throws(ConfigError) {
        let (table, parentPath) = try walkHeaderParents(key)
        let last = key[key.count - 1]
        let path = TOMLPath.child(parentPath, last.name)
        let element = TableNode(origin: .header, position: header, depth: key.count)
        switch table.entries[last.name] {
        case nil:
            table.insert(last.name, .tableArray(TableArrayNode(element), last.position))
        case .tableArray(let array, _):
            guard array.tables.count < TOMLLimits.arrayElementCountMax else {
                throw ConfigError(
                    code: .limitExceeded, position: header,
                    message: "[[\(path)]] has more than \(TOMLLimits.arrayElementCountMax) tables")
            }
            array.tables.append(element)
        case .table(let child, _):
            throw duplicate(
                "`\(path)` is a table (defined at \(child.position.text)); it cannot also be an array of tables", last)
        case .value(let value, let first):
            throw duplicate(
                "`\(path)` is already \(value.kindDescription) (at \(first)); [[\(path)]] cannot add tables to it", last
            )
        }
        guard case .tableArray(let array, _) = table.entries[last.name] else { return }
        current = element
        currentPath = path + "[\(array.tables.count - 1)]"
    }

    /// Walks a header's parent parts from the root, creating implicit tables and entering the last table of
    /// an array of tables.
    func walkHeaderParents(_ key: [KeyPart]) throws(ConfigError) -> (TableNode, String) {
        var table = root
        var path = ""
        for part in key.dropLast() {
            path = TOMLPath.child(path, part.name)
            switch table.entries[part.name] {
            case nil:
                table = table.addTable(part, origin: .implicit)
            case .table(let child, _):
                table = child
            case .tableArray(let array, _):
                guard let last = array.tables.last else { preconditionFailure("an array of tables is never empty") }
                path += "[\(array.tables.count - 1)]"
                table = last
            case .value(let value, let first):
                throw valueIsNotTable(path, value, at: first, part)
            }
        }
        return (table, path)
    }

    /// `a.b.c = value` in the current table: `a` and `b` are created as dotted tables or must be ones.
    mutating func assign(_ key: [KeyPart], value: TOMLValue) throws(ConfigError) {
        var table = current
        var path = currentPath
        for part in key.dropLast() {
            path = TOMLPath.child(path, part.name)
            switch table.entries[part.name] {
            case nil:
                table = table.addTable(part, origin: .dotted)
            case .table(let child, _) where child.origin == .dotted:
                table = child
            case .table(let child, _):
                throw duplicate(
                    "`\(path)` is a table defined by a header (at \(child.position.text)); "
                        + "dotted keys cannot add keys to it", part)
            case .tableArray(_, let first):
                throw duplicate(
                    "`\(path)` is an array of tables (at \(first)); dotted keys cannot add keys to it", part)
            case .value(let existing, let first):
                throw valueIsNotTable(path, existing, at: first, part)
            }
        }
        let last = key[key.count - 1]
        path = TOMLPath.child(path, last.name)
        if let existing = table.entries[last.name] {
            throw duplicate("duplicate key `\(path)`; it was first defined at \(existing.position)", last)
        }
        table.insert(last.name, .value(value, last.position))
    }

    func duplicate(_ message: String, _ part: KeyPart) -> ConfigError {
        ConfigError(code: .duplicate, position: part.position, message: message)
    }

    /// The error for a table header or dotted key whose `part` at `path` is already `value` (set at `first`).
    func valueIsNotTable(_ path: String, _ value: TOMLValue, at first: TOMLPosition, _ part: KeyPart) -> ConfigError {
        duplicate("`\(path)` is already \(value.kindDescription) (at \(first)); it cannot also be a table", part)
    }
}

extension TableEntry {
    /// Where the key was first written.
    var position: TOMLPosition {
        switch self {
        case .value(_, let position), .table(_, let position), .tableArray(_, let position): position
        }
    }
}

extension TOMLPosition? {
    /// The position, or "the start of the document".
    var text: String { self.map(\.description) ?? "the start of the document" }
}
