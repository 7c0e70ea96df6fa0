import Wire

extension PadlockClient {
    /// An administrator releases `key` whoever holds it; the reason goes to the audit trail and the key is
    /// under lock-delay afterwards. Returns every holder it released (empty when nobody held it).
    public func forceUnlock(_ key: String, reason: String) async throws(PadlockError) -> [Holder] {
        try await handle.traced(
            "forceUnlock", attributes: { $0["padlock.key"] = key },
            answered: { previous, attributes in
                attributes["padlock.released_count"] = previous.count
            }
        ) { () throws(PadlockError) in try await forceUnlockUntraced(key, reason: reason) }
    }

    private func forceUnlockUntraced(_ key: String, reason: String) async throws(PadlockError) -> [Holder] {
        let key = try Self.validateKey(key)
        try Self.check(reason, "reason", max: InputLimits.reasonByteCountMax)
        return try await handle.perform { core, ticket, completion in
            core.forceUnlock(key, reason: reason, ticket: ticket, completion: completion)
        }
    }

    /// An administrator ends `session` ("log the user out"), releasing its locks; the reason is audited.
    ///
    /// - Throws: `sessionExpired` when that session has already ended.
    public func revokeSession(_ session: SessionID, reason: String) async throws(PadlockError) {
        try await handle.traced(
            "revokeSession", attributes: { $0["padlock.session"] = Int(clamping: session.rawValue) }
        ) {
            () throws(PadlockError) in
            try Self.check(reason, "reason", max: InputLimits.reasonByteCountMax)
            try await handle.perform { core, ticket, completion in
                core.revokeSession(session, reason: reason, ticket: ticket, completion: completion)
            }
        }
    }

    /// One page of the audit trail: records after sequence `after` (from the oldest kept when nil), oldest
    /// first, at most `limit` (1 to 500).
    public func audit(after: UInt64? = nil, limit: Int = 100) async throws(PadlockError) -> AuditPage {
        try await handle.traced(
            "audit",
            attributes: { attributes in
                if let after { attributes["padlock.audit.after"] = Int(clamping: after) }
                attributes["padlock.limit"] = limit
            }, answered: { page, attributes in attributes["padlock.record_count"] = page.records.count }
        ) {
            () throws(PadlockError) in
            guard limit >= 1 && limit <= WireLimits.pageSizeMax else {
                throw .invalid("limit must be between 1 and \(WireLimits.pageSizeMax), got \(limit)")
            }
            let answer = try await read(.audit(after: after, limit: limit), "audit")
            guard case .audited(let page) = answer else { throw Self.unexpected(answer, "audit") }
            return page
        }
    }

    /// Every endpoint's own status, asked of each at once; those that did not answer in time are missing.
    ///
    /// - Throws: `unavailable` when no endpoint answered.
    public func status() async throws(PadlockError) -> [NodeStatus] {
        try await handle.traced(
            "status",
            answered: { statuses, attributes in
                attributes["padlock.node_count"] = statuses.count
            }
        ) { () throws(PadlockError) in
            try await handle.perform { core, ticket, completion in core.status(ticket: ticket, completion: completion) }
        }
    }

    /// The cluster's members and their addresses.
    public func members() async throws(PadlockError) -> [MemberInfo] {
        try await handle.traced(
            "members", answered: { members, attributes in attributes["padlock.node_count"] = members.count }
        ) {
            () throws(PadlockError) in try await membership(.members, "members", kind: .read)
        }
    }

    /// An administrator adds `node` as a learner, with where peers and clients reach it. Promote it once it has
    /// caught up. Not retried once sent: when the answer is lost, check ``members()`` before repeating it.
    public func addMember(
        node: NodeID, peerAddress: String, clientAddress: String
    ) async throws(PadlockError)
        -> [MemberInfo]
    {
        try await handle.traced("addMember", attributes: { $0["padlock.node"] = Int(clamping: node.rawValue) }) {
            () throws(PadlockError) in
            for (name, address) in [("peerAddress", peerAddress), ("clientAddress", clientAddress)] {
                guard EndpointAddress(address) != nil else {
                    throw .invalid("\(name) must be a numeric host:port, got \(address)")
                }
            }
            return try await membership(
                .addMember(node: node, peerAddress: peerAddress, clientAddress: clientAddress), "addMember")
        }
    }

    /// An administrator makes a caught-up learner a voter.
    public func promoteMember(_ node: NodeID) async throws(PadlockError) -> [MemberInfo] {
        try await handle.traced("promoteMember", attributes: { $0["padlock.node"] = Int(clamping: node.rawValue) }) {
            () throws(PadlockError) in try await membership(.promoteMember(node), "promoteMember")
        }
    }

    /// An administrator removes a voter or learner from the cluster.
    public func removeMember(_ node: NodeID) async throws(PadlockError) -> [MemberInfo] {
        try await handle.traced("removeMember", attributes: { $0["padlock.node"] = Int(clamping: node.rawValue) }) {
            () throws(PadlockError) in try await membership(.removeMember(node), "removeMember")
        }
    }

    private func membership(
        _ operation: ClientOperation, _ label: String, kind: ExchangeKind = .unrepeatable
    )
        async throws(PadlockError) -> [MemberInfo]
    {
        let answer = try await read(operation, label, kind: kind)
        guard case .members(let members) = answer else { throw Self.unexpected(answer, label) }
        return members
    }
}
