/// How keys and paths are written in messages: bare when TOML allows it, quoted otherwise.
package enum TOMLPath {
    /// `name` as TOML would write it as one key part.
    package static func key(_ name: String) -> String {
        let isBare = !name.isEmpty && name.utf8.allSatisfy(ASCII.isBareKeyByte)
        return isBare ? name : TOMLRenderer.quoted(name)
    }

    /// A dotted key written back, such as `lock-delay.namespaces."a b"`.
    static func join(_ parts: [KeyPart]) -> String {
        parts.map { key($0.name) }.joined(separator: ".")
    }

    /// `parent.key`, or `key` at the root.
    static func child(_ parent: String, _ name: String) -> String {
        parent.isEmpty ? key(name) : parent + "." + key(name)
    }

    /// At most 40 characters of `text`, for quoting user input in a message.
    static func abbreviated(_ text: String) -> String {
        text.count <= 40 ? text : String(text.prefix(40)) + "…"
    }
}
