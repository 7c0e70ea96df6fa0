// Bad input is refused here, before anything is sent (rule 6): the server would refuse it too, but a request
// over a wire bound would close the connection instead of answering.
import Wire

extension PadlockClient {
    static func validate(
        endpoints: [String], owner: String, credentials: [UInt8], configuration: Configuration
    ) throws(PadlockError) -> [EndpointAddress] {
        try validate(owner: owner)
        guard credentials.count <= WireLimits.credentialsByteCountMax else {
            throw .invalid("credentials are \(credentials.count) bytes; at most \(WireLimits.credentialsByteCountMax)")
        }
        if let problem = configuration.problem() { throw .invalid(problem) }
        guard !endpoints.isEmpty, endpoints.count <= Transport.endpointCountMax else {
            throw .invalid("give between 1 and \(Transport.endpointCountMax) endpoints, got \(endpoints.count)")
        }
        var addresses: [EndpointAddress] = []
        for endpoint in endpoints {
            guard let address = EndpointAddress(endpoint) else {
                throw .invalid(
                    "endpoint \"\(endpoint)\" is not a numeric host:port such as 10.0.0.7:7401 or [::1]:7401")
            }
            if !addresses.contains(address) { addresses.append(address) }
        }
        return addresses
    }

    /// The handshake bytes of a token: its UTF-8, or none for nil.
    static func credentials(token: String?) throws(PadlockError) -> [UInt8] {
        guard let token else { return [] }
        guard !token.isEmpty else {
            throw .invalid("the token is empty; pass the client's token, or nil for a cluster without [[clients]]")
        }
        return Array(token.utf8)
    }

    static func validate(owner: String) throws(PadlockError) {
        guard !owner.isEmpty else { throw .invalid("the owner label is empty; use a name such as alice@frontend-2") }
        try check(owner, "owner", max: InputLimits.ownerByteCountMax)
    }

    static func validateKey(_ key: String) throws(PadlockError) -> LockKey {
        do {
            return try LockKey(key)
        } catch {
            throw .invalid("\"\(key.prefix(64))\" is not a valid key: \(error)")
        }
    }

    static func check(_ text: String, _ name: String, max: Int) throws(PadlockError) {
        let count = text.utf8.count
        guard count <= max else { throw .invalid("the \(name) is \(count) bytes long; at most \(max) are allowed") }
    }

    static func validateAcquire(
        _ key: String, mode: LockMode, owner: String, wait: Duration, note: String, takeover: String? = nil
    )
        throws(PadlockError) -> AcquireSpec
    {
        let lockKey = try validateKey(key)
        try validate(owner: owner)
        try check(note, "note", max: InputLimits.noteByteCountMax)
        let milliseconds = try validateWait(wait)
        if let takeover {
            guard !takeover.isEmpty else {
                throw .invalid("a takeover needs a reason: the previous holders are told it, and it is audited")
            }
            try check(takeover, "takeover reason", max: InputLimits.reasonByteCountMax)
            guard milliseconds == 0 else {
                throw .invalid("a takeover is granted at once and never waits; pass no wait with takeover")
            }
        }
        return AcquireSpec(
            key: lockKey, owner: owner, mode: mode, waitMilliseconds: milliseconds, note: note, takeover: takeover)
    }
}

extension PadlockClient {
    /// The roles an acquire claims, checked with the bounds every layer enforces (``HoldLimits``).
    static func validate(roles: [String], takeover: String? = nil) throws(PadlockError) -> [String] {
        if let problem = HoldLimits.problem(roles: roles) { throw .invalid(problem.description + rolesGiven(roles)) }
        guard roles.isEmpty || takeover == nil else {
            throw .invalid(
                "a takeover claims no roles: every hold restricting its mode refuses it (a takeover ends holders, "
                    + "never holds); pass no roles")
        }
        return roles
    }

    /// The keys of an all-or-nothing acquire: each a valid key, together within ``HoldLimits``.
    static func validate(keys: [String]) throws(PadlockError) -> [LockKey] {
        var lockKeys: [LockKey] = []
        for key in keys { lockKeys.append(try validateKey(key)) }
        if let problem = HoldLimits.problem(keys: lockKeys) {
            throw .invalid(problem.description + (problem == .keysTooMany ? ", got \(keys.count)" : ""))
        }
        return lockKeys
    }

    /// A hold placement, checked as every layer checks it.
    static func validate(_ placement: HoldPlacement) throws(PadlockError) {
        if let problem = placement.problem { throw .invalid(problem.description) }
    }

    /// A lift's reason and optional rule.
    static func validateLift(rule: String?, reason: String) throws(PadlockError) {
        if let rule {
            if rule.isEmpty {
                throw .invalid(HoldInputProblem.ruleEmpty.description + "; or pass no rule to lift every hold")
            }
            if rule.utf8.count > HoldLimits.ruleByteCountMax {
                throw .invalid(HoldInputProblem.ruleTooLong.description)
            }
        }
        guard !reason.isEmpty else {
            throw .invalid("lifting a hold needs a reason: it is kept in the audit trail with the hold")
        }
        try check(reason, "reason", max: InputLimits.reasonByteCountMax)
    }

    /// A wait in whole milliseconds, within the bound every acquire has.
    static func validateWait(_ wait: Duration) throws(PadlockError) -> UInt64 {
        guard wait >= .zero else { throw .invalid("the wait must not be negative, got \(wait)") }
        let milliseconds = wait.wholeMilliseconds
        guard milliseconds <= InputLimits.waitMillisecondsMax else {
            throw .invalid("the wait is \(wait); at most \(InputLimits.waitMillisecondsMax / 1000) s are allowed")
        }
        return milliseconds
    }

    private static func rolesGiven(_ roles: [String]) -> String {
        if roles.count > HoldLimits.rolesPerRequestMax { return ", got \(roles.count)" }
        guard let bad = roles.first(where: { !HoldLimits.isValidName($0) }) else { return "" }
        let shown = bad.unicodeScalars.prefix(70).map { $0.value < 0x20 || $0.value == 0x7F ? "?" : String($0) }
        return ", got \"\(shown.joined())\""
    }
}
