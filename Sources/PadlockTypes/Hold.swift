/// A rule lock on a key: "Deal closed", "Account frozen". Placed by an administrator or an app server's rule
/// engine, it has no lease and stays until lifted; it covers the key's subtree like a lock and refuses the
/// locks it restricts to everyone whose roles it does not exempt, except on the fields it leaves editable
/// (`docs/holds.md`).
public struct Hold: Hashable, Sendable {
    /// The held key: a record, a field, or a whole namespace (a tenant freeze).
    public var key: LockKey
    /// The rule's name, shown on the locked record: "Deal closed".
    public var rule: String
    /// Why it was placed, shown with the rule: "stage closed-won". Never empty.
    public var reason: String
    /// Whether an administrator placed it by hand or a rule engine did.
    public var source: HoldSource
    /// Who placed it, as audited: the placing session's owner and its client's name.
    public var placedBy: String
    /// When it was placed, on the leader's clock.
    public var since: Timestamp
    /// The fence of the entry that placed it: every grant on a key it covers has a higher fence, and a store
    /// write carrying an older fence is stale from then on.
    public var fence: FenceToken
    /// Which locks it refuses: exclusive ones (`edit`, the default) or shared ones too (`all`).
    public var restricts: HoldRestriction
    /// Roles the hold does not apply to (granted through it, audited as a bypass), such as `finance-admin`.
    public var exemptRoles: [String]
    /// Fields (the next segment below the held key) that stay lockable while the hold is in place.
    public var editableFields: [String]

    /// Creates a hold description.
    public init(
        key: LockKey, rule: String, reason: String, source: HoldSource, placedBy: String, since: Timestamp,
        fence: FenceToken, restricts: HoldRestriction, exemptRoles: [String], editableFields: [String]
    ) {
        self.key = key
        self.rule = rule
        self.reason = reason
        self.source = source
        self.placedBy = placedBy
        self.since = since
        self.fence = fence
        self.restricts = restricts
        self.exemptRoles = exemptRoles
        self.editableFields = editableFields
    }
}

/// Who placed a hold.
public enum HoldSource: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// An administrator, by hand.
    case manual = 1
    /// An app server's rule engine ("stage became closed-won").
    case rule = 2

    /// `manual` or `rule`.
    public var description: String {
        switch self {
        case .manual: "manual"
        case .rule: "rule"
        }
    }
}

/// Which locks a hold refuses.
public enum HoldRestriction: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Exclusive locks (editing); viewing stays possible.
    case edit = 1
    /// Shared locks (viewing, approving) too.
    case all = 2

    /// `edit` or `all`.
    public var description: String {
        switch self {
        case .edit: "edit"
        case .all: "all"
        }
    }
}

/// What an administrator or rule engine asks for when placing a hold.
public struct HoldPlacement: Hashable, Sendable {
    /// The key to hold.
    public var key: LockKey
    /// The rule's name; 1 to ``HoldLimits/ruleByteCountMax`` bytes.
    public var rule: String
    /// Why; mandatory, at most ``InputLimits/reasonByteCountMax`` bytes.
    public var reason: String
    /// Placed by hand or by a rule engine.
    public var source: HoldSource
    /// Which locks it refuses.
    public var restricts: HoldRestriction
    /// Roles it does not apply to; at most ``HoldLimits/exemptRolesMax``.
    public var exemptRoles: [String]
    /// Fields below the key that stay lockable; at most ``HoldLimits/editableFieldsMax``, each one segment.
    public var editableFields: [String]
    /// Whether to end the current holders the hold restricts (each told it was force-unlocked), rather than
    /// leave them holding (their fences are stale for stores from the hold's fence on).
    public var endsHolders: Bool

    /// Creates a placement.
    public init(
        key: LockKey, rule: String, reason: String, source: HoldSource = .manual, restricts: HoldRestriction = .edit,
        exemptRoles: [String] = [], editableFields: [String] = [], endsHolders: Bool = false
    ) {
        self.key = key
        self.rule = rule
        self.reason = reason
        self.source = source
        self.restricts = restricts
        self.exemptRoles = exemptRoles
        self.editableFields = editableFields
        self.endsHolders = endsHolders
    }
}

/// The bounds on holds, roles and multi-key acquires that every layer enforces the same way.
public enum HoldLimits {
    /// Longest rule name, in UTF-8 bytes.
    public static let ruleByteCountMax = 128
    /// Longest role or editable field name, in UTF-8 bytes.
    public static let nameByteCountMax = 64
    /// Most roles one acquire may claim.
    public static let rolesPerRequestMax = 16
    /// Most exempt roles on one hold.
    public static let exemptRolesMax = 16
    /// Most editable fields on one hold.
    public static let editableFieldsMax = 64
    /// Most keys one all-or-nothing acquire may ask for.
    public static let keysPerAcquireMax = 64
    /// Most holds (of different rules) on one key.
    public static let holdsPerKeyMax = 8
}

/// Why a hold placement, a role list or a key list is bad input: the same answer on every layer.
public enum HoldInputProblem: UInt8, Hashable, Sendable, CaseIterable, Error, CustomStringConvertible {
    case ruleEmpty = 1, ruleTooLong, reasonEmpty, reasonTooLong, exemptRolesTooMany, roleInvalid
    case editableFieldsTooMany, fieldInvalid, rolesTooMany, keysEmpty, keysTooMany, keysOverlap

    /// What is wrong and what to change.
    public var description: String {
        switch self {
        case .ruleEmpty: "a hold needs a rule name, shown on the locked record (such as 'Deal closed')"
        case .ruleTooLong: "a rule name is at most \(HoldLimits.ruleByteCountMax) bytes"
        case .reasonEmpty: "a hold needs a reason, shown with the rule and kept in the audit trail"
        case .reasonTooLong: "a reason is at most \(InputLimits.reasonByteCountMax) bytes"
        case .exemptRolesTooMany: "a hold exempts at most \(HoldLimits.exemptRolesMax) roles"
        case .roleInvalid:
            "a role is 1 to \(HoldLimits.nameByteCountMax) bytes with no control characters"
        case .editableFieldsTooMany: "a hold leaves at most \(HoldLimits.editableFieldsMax) fields editable"
        case .fieldInvalid:
            "an editable field is one key segment: 1 to \(HoldLimits.nameByteCountMax) bytes, no '/' and no "
                + "control characters"
        case .rolesTooMany: "an acquire claims at most \(HoldLimits.rolesPerRequestMax) roles"
        case .keysEmpty: "an acquire needs at least one key"
        case .keysTooMany: "an all-or-nothing acquire asks for at most \(HoldLimits.keysPerAcquireMax) keys"
        case .keysOverlap:
            "the keys of an all-or-nothing acquire must not overlap (no key twice, none inside another)"
        }
    }
}

extension HoldPlacement {
    /// The first problem with this placement, or nil when every layer accepts it.
    public var problem: HoldInputProblem? {
        if rule.isEmpty { return .ruleEmpty }
        if rule.utf8.count > HoldLimits.ruleByteCountMax { return .ruleTooLong }
        if reason.isEmpty { return .reasonEmpty }
        if reason.utf8.count > InputLimits.reasonByteCountMax { return .reasonTooLong }
        if exemptRoles.count > HoldLimits.exemptRolesMax { return .exemptRolesTooMany }
        if !exemptRoles.allSatisfy(HoldLimits.isValidName) { return .roleInvalid }
        if editableFields.count > HoldLimits.editableFieldsMax { return .editableFieldsTooMany }
        if !editableFields.allSatisfy({ HoldLimits.isValidName($0) && !$0.contains(LockKey.separator) }) {
            return .fieldInvalid
        }
        return nil
    }
}

extension HoldLimits {
    /// Whether `name` is acceptable as a role or an editable field: 1 to ``nameByteCountMax`` bytes, no control
    /// characters.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= nameByteCountMax && !name.unicodeScalars.contains(where: LockKey.isControl)
    }

    /// The first problem with the roles an acquire claims, or nil.
    public static func problem(roles: [String]) -> HoldInputProblem? {
        if roles.count > rolesPerRequestMax { return .rolesTooMany }
        return roles.allSatisfy(isValidName) ? nil : .roleInvalid
    }

    /// The first problem with the keys of an all-or-nothing acquire, or nil.
    public static func problem(keys: [LockKey]) -> HoldInputProblem? {
        if keys.isEmpty { return .keysEmpty }
        if keys.count > keysPerAcquireMax { return .keysTooMany }
        for (position, key) in keys.enumerated() where keys[(position + 1)...].contains(where: { $0.overlaps(key) }) {
            return .keysOverlap
        }
        return nil
    }
}

extension Hold {
    /// Whether the hold refuses a lock in `mode` (before exemptions and editable fields).
    public func restricts(_ mode: LockMode) -> Bool {
        restricts == .all || mode == .exclusive
    }

    /// Whether one of `roles` is exempt from the hold.
    public func exempts(_ roles: [String]) -> Bool {
        roles.contains { exemptRoles.contains($0) }
    }

    /// Whether `key`, which lies strictly inside the held key's subtree, is at or under one of the editable
    /// fields: the segment right below the held key is one of ``editableFields``.
    public func leavesEditable(_ key: LockKey) -> Bool {
        guard !editableFields.isEmpty else { return false }
        let depth = key.segments.count
        let holdDepth = self.key.segments.count
        guard depth > holdDepth else { return false }
        let field = String(key.segments[holdDepth])
        return editableFields.contains(field)
    }

    /// Whether the hold refuses `mode` on `key` to a requester with `roles`. `key` must overlap the held key;
    /// a key strictly inside it under an editable field is not refused, and neither is an exempt role.
    public func refuses(_ key: LockKey, mode: LockMode, roles: [String]) -> Bool {
        guard restricts(mode), !exempts(roles) else { return false }
        return !(key != self.key && self.key.covers(key) && leavesEditable(key))
    }
}
