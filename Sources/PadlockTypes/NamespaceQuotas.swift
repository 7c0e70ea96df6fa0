/// Per-namespace bounds on held locks and waiters, part of the replicated state (`docs/security.md`,
/// "Quotas"): set by a committed `setQuotas` command the leader proposes when its configured quotas
/// (`[quotas]` in padlockd's configuration, `held-locks` and `waiters`) differ from the applied ones, so
/// every replica refuses exactly the same acquires.
public struct NamespaceQuotas: Hashable, Sendable {
    /// One namespace's bounds; 0 means no bound.
    public struct Quota: Hashable, Sendable {
        /// Most locks held plus waiters queued under the namespace (each shared holder counts).
        public var heldLocksMax: Int
        /// Most waiters queued under the namespace.
        public var waitersMax: Int

        /// A quota; 0 means no bound.
        public init(heldLocksMax: Int = 0, waitersMax: Int = 0) {
            self.heldLocksMax = heldLocksMax
            self.waitersMax = waitersMax
        }
    }

    /// The quota of every namespace not listed in ``byNamespace``.
    public var standard: Quota
    /// Quotas of particular namespaces (a key's first segment).
    public var byNamespace: [String: Quota]

    /// Most namespaces one command may list.
    public static let namespaceCountMax = 10_000

    /// Quotas; by default none at all.
    public init(standard: Quota = Quota(), byNamespace: [String: Quota] = [:]) {
        self.standard = standard
        self.byNamespace = byNamespace
    }

    /// The quota that applies to `namespace`.
    public func quota(of namespace: String) -> Quota { byNamespace[namespace] ?? standard }
}

extension NamespaceQuotas {
    /// Appends the quotas in the log's and snapshots' encoding.
    package func encode(into writer: inout ByteWriter) {
        writer.writeVarint(UInt64(standard.heldLocksMax))
        writer.writeVarint(UInt64(standard.waitersMax))
        let names = byNamespace.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        writer.writeArray(names) { writer, name in
            writer.writeString(name)
            writer.writeVarint(UInt64(byNamespace[name]!.heldLocksMax))
            writer.writeVarint(UInt64(byNamespace[name]!.waitersMax))
        }
    }

    /// Reads quotas written by ``encode(into:)``.
    package static func decode(from reader: inout ByteReader) throws(DecodeError) -> NamespaceQuotas {
        let standard = Quota(heldLocksMax: try reader.readQuota(), waitersMax: try reader.readQuota())
        let entries = try reader.readArray(maxCount: namespaceCountMax, minimumElementSize: 3) {
            reader throws(DecodeError) in
            (
                try reader.readString(maxByteCount: LockKey.maximumByteCount),
                Quota(heldLocksMax: try reader.readQuota(), waitersMax: try reader.readQuota())
            )
        }
        var byNamespace: [String: Quota] = [:]
        for (name, quota) in entries { byNamespace[name] = quota }
        return NamespaceQuotas(standard: standard, byNamespace: byNamespace)
    }
}

extension ByteReader {
    /// A quota bound: a varint that fits an `Int32` (larger bounds mean nothing for a table of that size).
    fileprivate mutating func readQuota() throws(DecodeError) -> Int {
        try readLength(max: Int(Int32.max))
    }
}
