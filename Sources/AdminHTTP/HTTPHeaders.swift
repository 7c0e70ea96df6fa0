/// One header field: a name and its value, as sent; `HTTPHeaders.add(name:value:)` checks that a field it
/// adds is well formed.
package struct HTTPField: Sendable, Hashable {
    /// The field name as it was sent or added (`HTTPHeaders` compares names without regard to case).
    package let name: String
    /// The field value, without surrounding whitespace.
    package let value: String
}

/// An ordered list of header fields whose names compare without regard to case (`Content-Length` is
/// `content-length`). Keeps repeated fields and their order.
package struct HTTPHeaders: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    /// The fields in the order they were sent or added.
    package private(set) var fields: [HTTPField] = []

    /// Makes an empty list.
    package init() {}

    /// Makes a list from literal pairs, in order: `["Content-Type": "text/plain"]`.
    package init(dictionaryLiteral elements: (String, String)...) {
        for (name, value) in elements { add(name: name, value: value) }
    }

    /// The number of fields, repeated ones included.
    package var count: Int { fields.count }

    /// The first value of the field named `name`, or nil.
    package subscript(name: String) -> String? {
        fields.first { HTTPHeaders.namesMatch($0.name, name) }?.value
    }

    /// Every value of the field named `name`, in order.
    package func values(for name: String) -> [String] {
        fields.filter { HTTPHeaders.namesMatch($0.name, name) }.map(\.value)
    }

    /// Whether a field named `name` is present.
    package func contains(_ name: String) -> Bool {
        fields.contains { HTTPHeaders.namesMatch($0.name, name) }
    }

    /// Appends a field. A name that is not an HTTP token, or a value holding CR, LF or NUL (which would
    /// let a value forge header lines of its own), is a programmer error.
    package mutating func add(name: String, value: String) {
        precondition(HTTPSyntax.isToken(name.utf8), "header name \(name.debugDescription) is not an HTTP token")
        precondition(
            !value.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 },
            "header \(name) value \(value.debugDescription) holds CR, LF or NUL")
        fields.append(HTTPField(name: name, value: value))
    }

    /// Replaces every field named `name` with one field holding `value`.
    package mutating func set(name: String, value: String) {
        remove(name: name)
        add(name: name, value: value)
    }

    /// Removes every field named `name`.
    package mutating func remove(name: String) {
        fields.removeAll { HTTPHeaders.namesMatch($0.name, name) }
    }

    /// Iterates over the fields in order.
    package func makeIterator() -> IndexingIterator<[HTTPField]> {
        fields.makeIterator()
    }

    /// Appends a field the parser has already checked.
    mutating func appendParsed(_ field: HTTPField) {
        fields.append(field)
    }

    /// Compares two field names without regard to ASCII case.
    static func namesMatch(_ left: String, _ right: String) -> Bool {
        left.utf8.elementsEqual(right.utf8) { HTTPSyntax.lowercased($0) == HTTPSyntax.lowercased($1) }
    }
}

/// Byte classes from RFC 9110 and RFC 9112, shared by the parser and the serializer.
enum HTTPSyntax {
    /// `tchar`: the characters of a token (method names, header names).
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    /// Whether `bytes` is a non-empty token.
    static func isToken<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy(isTokenByte)
    }

    /// A byte allowed inside a field value: visible ASCII, space, tab, or obs-text (0x80 and up).
    static func isFieldValueByte(_ byte: UInt8) -> Bool {
        byte == 0x09 || (byte >= 0x20 && byte != 0x7F)
    }

    /// Space or horizontal tab (`OWS`).
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09
    }

    /// ASCII lowercase; other bytes unchanged.
    static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }

    /// Bytes as a string, one Unicode scalar per byte (ISO-8859-1), so no byte is lost or replaced.
    static func latin1String<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: bytes.map { Unicode.Scalar($0) })
        return String(scalars)
    }
}
