/// A validated lock name: `/`-separated, non-empty segments, such as `acme/contacts/42/phone`.
///
/// A lock on a key covers its whole subtree. The first segment is the tenant namespace. Keys are UTF-8, at
/// most ``LockKey/maximumByteCount`` bytes, with 1 to ``LockKey/maximumSegmentCount`` segments and no control
/// characters. Validation happens once, here, on the client and again on the server.
public struct LockKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Longest key, in UTF-8 bytes.
    public static let maximumByteCount = 512
    /// Most segments in a key.
    public static let maximumSegmentCount = 16
    /// What separates segments.
    public static let separator: Character = "/"

    /// The key as the user wrote it.
    public let string: String

    /// Validates `string` as a key, or throws a ``KeyError`` that says what is wrong with it.
    public init(_ string: String) throws(KeyError) {
        try Self.validate(string)
        self.string = string
    }

    /// The key's segments, from the namespace down.
    public var segments: [Substring] {
        string.split(separator: Self.separator, omittingEmptySubsequences: false)
    }

    /// The first segment: the tenant namespace the key belongs to.
    public var namespace: Substring {
        string.prefix { $0 != Self.separator }
    }

    /// Whether a lock on `self` covers `other`: `other` is `self` or lies in its subtree.
    public func covers(_ other: LockKey) -> Bool {
        guard other.string.utf8.count >= string.utf8.count, other.string.hasPrefix(string) else { return false }
        if other.string.utf8.count == string.utf8.count { return true }
        let next = other.string.utf8[other.string.utf8.index(other.string.utf8.startIndex, offsetBy: string.utf8.count)]
        return next == UInt8(ascii: "/")
    }

    /// Whether locks on the two keys can conflict: one covers the other.
    public func overlaps(_ other: LockKey) -> Bool {
        covers(other) || other.covers(self)
    }

    /// Orders keys by their UTF-8 bytes, the order of listings and inspections.
    public static func < (lhs: LockKey, rhs: LockKey) -> Bool {
        lhs.string.utf8.lexicographicallyPrecedes(rhs.string.utf8)
    }

    /// The key as written.
    public var description: String { string }

    /// Whether `scalar` is a control character (general category Cc). Unicode's stability policy fixes Cc as
    /// exactly U+0000–U+001F and U+007F–U+009F, so two comparisons replace the property table lookup, which
    /// showed up in the leader's profile (every key is validated when a request is decoded and when its
    /// entry is applied).
    @inline(__always)
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    static func validate(_ string: String) throws(KeyError) {
        let bytes = string.utf8
        if bytes.isEmpty { throw .empty }
        if bytes.count > maximumByteCount { throw .tooLong(byteCount: bytes.count) }
        var segmentCount = 1
        var segmentLength = 0
        for (offset, scalar) in string.unicodeScalars.enumerated() {
            if scalar == "/" {
                if segmentLength == 0 { throw .emptySegment(index: segmentCount - 1) }
                segmentCount += 1
                segmentLength = 0
                if segmentCount > maximumSegmentCount { throw .tooManySegments(count: segmentCount) }
                continue
            }
            if LockKey.isControl(scalar) { throw .controlCharacter(offset: offset) }
            segmentLength += 1
        }
        if segmentLength == 0 { throw .emptySegment(index: segmentCount - 1) }
    }
}

/// Why a string is not a valid ``LockKey``.
public enum KeyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The key is the empty string.
    case empty
    /// The key is longer than ``LockKey/maximumByteCount`` UTF-8 bytes.
    case tooLong(byteCount: Int)
    /// The key has more than ``LockKey/maximumSegmentCount`` segments.
    case tooManySegments(count: Int)
    /// A segment is empty: a leading, trailing or doubled `/`; `index` counts from 0.
    case emptySegment(index: Int)
    /// The key contains a control character (U+0000–U+001F, U+007F–U+009F) at this Unicode scalar offset.
    case controlCharacter(offset: Int)

    /// What is wrong, with the limit that applies.
    public var description: String {
        switch self {
        case .empty:
            "the key is empty; use a name such as acme/contacts/42"
        case .tooLong(let byteCount):
            "the key is \(byteCount) bytes long; at most \(LockKey.maximumByteCount) bytes are allowed"
        case .tooManySegments(let count):
            "the key has at least \(count) segments; at most \(LockKey.maximumSegmentCount) are allowed"
        case .emptySegment(let index):
            "segment \(index) of the key is empty; remove the leading, trailing or doubled '/'"
        case .controlCharacter(let offset):
            "the key contains a control character at character \(offset)"
        }
    }
}
