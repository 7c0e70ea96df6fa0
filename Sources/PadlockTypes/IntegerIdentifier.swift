/// An integer in a type of its own, so that a session, a fence, a term and a node id never mix.
///
/// A conforming type declares its `rawValue` and `init(rawValue:)`; it gets the unlabelled `init(_:)` and, when
/// it is `Comparable`, the order of its integers.
public protocol IntegerIdentifier: RawRepresentable, Hashable, Sendable where RawValue: FixedWidthInteger {
    /// Wraps `rawValue`.
    init(rawValue: RawValue)
}

extension IntegerIdentifier {
    /// Wraps `rawValue`.
    @inlinable public init(_ rawValue: RawValue) { self.init(rawValue: rawValue) }
}

extension IntegerIdentifier where Self: Comparable {
    /// Orders identifiers by their integers.
    @inlinable public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}
