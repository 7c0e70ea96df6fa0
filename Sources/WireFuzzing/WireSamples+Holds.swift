import PadlockTypes
import Wire

// Samples of the protocol v3 operations and results: all-or-nothing acquires, mode changes and holds.

extension WireSamples {
    static func names(maxCount: Int, using random: inout SplitMix64) -> [String] {
        list(&random, maxCount: maxCount) { text(maxByteCount: HoldLimits.nameByteCountMax, using: &$0) }
    }

    /// A hold with every field drawn within its wire bounds.
    static func hold(using random: inout SplitMix64) -> Hold {
        Hold(
            key: key(using: &random), rule: text(maxByteCount: HoldLimits.ruleByteCountMax, using: &random),
            reason: text(maxByteCount: InputLimits.reasonByteCountMax, using: &random),
            source: random.pick(HoldSource.allCases),
            placedBy: text(maxByteCount: InputLimits.ownerByteCountMax, using: &random),
            since: Timestamp(rawValue: random.interestingUInt64()), fence: FenceToken(random.interestingUInt64()),
            restricts: random.pick(HoldRestriction.allCases),
            exemptRoles: names(maxCount: HoldLimits.exemptRolesMax, using: &random),
            editableFields: names(maxCount: HoldLimits.editableFieldsMax, using: &random))
    }

    static func holdPlacement(using random: inout SplitMix64) -> HoldPlacement {
        HoldPlacement(
            key: key(using: &random), rule: text(maxByteCount: HoldLimits.ruleByteCountMax, using: &random),
            reason: text(maxByteCount: InputLimits.reasonByteCountMax, using: &random),
            source: random.pick(HoldSource.allCases), restricts: random.pick(HoldRestriction.allCases),
            exemptRoles: names(maxCount: HoldLimits.exemptRolesMax, using: &random),
            editableFields: names(maxCount: HoldLimits.editableFieldsMax, using: &random),
            endsHolders: random.chance(50))
    }

    /// One of the v3 operations, each equally likely.
    static func holdOperation(using random: inout SplitMix64) -> ClientOperation {
        let roles = names(maxCount: HoldLimits.rolesPerRequestMax, using: &random)
        switch random.below(5) {
        case 0:
            var keys = list(&random, maxCount: HoldLimits.keysPerAcquireMax) { key(using: &$0) }
            if keys.isEmpty { keys = [key(using: &random)] }
            let acquisition = Acquisition(
                key: keys[0], mode: random.pick(LockMode.allCases), waitMilliseconds: random.interestingUInt64(),
                note: text(maxByteCount: InputLimits.noteByteCountMax, using: &random))
            return .acquireKeys(requestID(using: &random), keys: keys, acquisition, roles: roles)
        case 1:
            return .changeMode(
                requestID(using: &random), key: key(using: &random), fence: FenceToken(random.interestingUInt64()),
                mode: random.pick(LockMode.allCases), waitMilliseconds: random.interestingUInt64(), roles: roles)
        case 2:
            return .placeHold(requestID(using: &random), holdPlacement(using: &random))
        case 3:
            return .liftHold(
                requestID(using: &random), key: key(using: &random),
                rule: maybe(&random) { text(maxByteCount: HoldLimits.ruleByteCountMax, using: &$0) },
                reason: text(maxByteCount: InputLimits.reasonByteCountMax, using: &random))
        default:
            return .holds(
                prefix: maybe(&random) { key(using: &$0) }, after: maybe(&random) { key(using: &$0) },
                limit: random.below(WireLimits.pageSizeMax + 1))
        }
    }

    /// One of the v3 results, each equally likely.
    static func holdResult(using random: inout SplitMix64) -> ClientResult {
        switch random.below(4) {
        case 0:
            return .grantedKeys(list(&random, maxCount: HoldLimits.keysPerAcquireMax) { holder(using: &$0) })
        case 1:
            return .holdPlaced(
                hold(using: &random),
                ended: list(&random, maxCount: WireLimits.inspectionEntriesMax) { lockInfo(using: &$0) })
        case 2:
            return .holdsLifted(list(&random, maxCount: HoldLimits.holdsPerKeyMax) { hold(using: &$0) })
        default:
            return .holdsListed(
                HoldPage(
                    holds: list(&random, maxCount: 20) { hold(using: &$0) }, next: maybe(&random) { key(using: &$0) }))
        }
    }
}
