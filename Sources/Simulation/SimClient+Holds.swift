import PadlockClient
import PadlockTypes

// The workload of issue 22 (`docs/holds.md`): administrators and a rule engine place and lift holds; reps
// claim roles, lock several records all or nothing, and upgrade or downgrade what they hold. A `restricted`
// refusal is an expected answer.

extension SimClient {
    /// The roles the two rule names exempt, and one no hold exempts.
    static let exemptRole = "finance-admin"
    static let otherExemptRole = "legal"
    static let plainRole = "sales-rep"
    static let rules = ["Deal closed", "Contract approved", "Account frozen"]

    /// Clients 0 (an administrator, by hand) and 3 (an app server's rule engine) place and lift holds.
    var placesHolds: Bool { simulation.options.holds && (index == 0 || index == 3) }

    /// The roles a rep claims for one request: usually none, sometimes an exempt one, sometimes one no hold
    /// exempts.
    func claimedRoles() -> [String] {
        guard simulation.options.holds else { return [] }
        let roll = random.below(100)
        if roll < 15 { return [Self.exemptRole] }
        if roll < 22 { return [Self.plainRole, Self.otherExemptRole] }
        if roll < 35 { return [Self.plainRole] }
        return []
    }

    /// Places a hold, or lifts one it placed (a tenant freeze is lifted first).
    func administerHolds() {
        if let root = placedHolds.firstIndex(where: { $0.key.segments.count == 1 }) {
            return liftHold(at: root)
        }
        if !placedHolds.isEmpty && (placedHolds.count >= 3 || random.chance(0.45)) {
            return liftHold(at: Int(random.below(UInt64(placedHolds.count))))
        }
        let placement = randomPlacement()
        simulation.note("\(owner) places hold '\(placement.rule)' on \(placement.key)")
        driver.placeHold(placement) { [unowned self] result in
            if case .success(let placed) = result {
                self.placedHolds.append((placed.hold.key, placed.hold.rule))
            }
            self.done()
        }
    }

    private func liftHold(at position: Int) {
        let (key, rule) = placedHolds.remove(at: position)
        let named = random.chance(0.8) ? rule : nil
        simulation.note("\(owner) lifts hold '\(named ?? "every rule")' on \(key)")
        driver.liftHold(key, rule: named, reason: "stage reopened") { [unowned self] _ in self.done() }
    }

    /// A hold on a record or a field (mostly), on all contacts, or on the namespace root (a tenant freeze).
    private func randomPlacement() -> HoldPlacement {
        let roll = random.below(100)
        let key =
            roll < 4 ? simulatorKey("crm") : roll < 10 ? simulatorKey("crm/contacts") : simulation.randomKey(&random)
        var placement = HoldPlacement(
            key: key, rule: key.segments.count == 1 ? "Account frozen" : random.pick(Self.rules),
            reason: key.segments.count == 1 ? "invoice overdue" : "stage closed-won",
            source: index == 0 ? .manual : .rule)
        if random.chance(0.4) {
            placement.exemptRoles = random.chance(0.7) ? [Self.exemptRole] : [Self.otherExemptRole, Self.exemptRole]
        }
        if random.chance(0.3) { placement.editableFields = random.chance(0.5) ? ["phone"] : ["phone", "email"] }
        if random.chance(0.25) { placement.restricts = .all }
        if random.chance(0.1) { placement.endsHolders = true }
        return placement
    }

    /// Locks two or three records (or fields of different records) all or nothing, edits them and releases
    /// them.
    func acquireBatch() {
        let records = simulation.options.recordCount
        guard records >= 2 else { return done() }
        var chosen: [Int] = []
        let count = records >= 3 && random.chance(0.5) ? 3 : 2
        while chosen.count < count {
            let record = Int(random.below(UInt64(records)))
            if !chosen.contains(record) { chosen.append(record) }
        }
        let keys = chosen.map { record in
            let field = random.pick(["", "/phone", "/email", ""])
            return simulatorKey("crm/contacts/\(record)\(field)")
        }
        let mode: LockMode = random.chance(0.2) ? .shared : .exclusive
        let wait: UInt64 = random.chance(0.5) ? 0 : random.between(100...1500)
        driver.acquire(
            keys: keys, owner: random.pick(owners), mode: mode, roles: claimedRoles(), wait: .milliseconds(Int64(wait)),
            note: "merging \(keys.count) records"
        ) { [unowned self] result in
            guard case .success(let locks) = result else { return self.done() }
            for lock in locks {
                self.simulation.checkGrant(lock, to: self)
                self.track(lock)
                self.held.append(lock)
            }
            self.editBatch(locks)
        }
    }

    /// Reads every record the batch locks exclusively, works on them, writes them back with the batch's fence
    /// and releases every key.
    private func editBatch(_ locks: [Lock]) {
        let values = locks.map { lock in
            lock.holder.mode == .exclusive && lock.state != .lost
                ? simulation.store.read(lock.key, fence: lock.fence, session: lock.holder.session) : nil
        }
        let naive = random.chance(0.3)
        after(milliseconds: Double(random.between(5...150))) { client in
            var pending = locks.count
            let released: (SimClient) -> Void = { client in
                pending -= 1
                if pending == 0 { client.done() }
            }
            for (lock, value) in zip(locks, values) {
                client.finish(lock, value: value, naive: naive, then: released)
            }
        }
    }

    /// Upgrades a shared lock or downgrades an exclusive one, now and then, before it is edited.
    func changeModeMaybe(_ lock: Lock, roles: [String], then: @escaping (SimClient) -> Void) {
        guard simulation.options.holds, lock.state != .lost, random.chance(0.2) else { return then(self) }
        let upgrade = lock.mode == .shared
        let wait: UInt64 = upgrade && random.chance(0.4) ? random.between(100...800) : 0
        simulation.note("\(owner) \(upgrade ? "upgrades" : "downgrades") \(lock.key) (\(lock.fence))")
        if !upgrade { downgrading.insert(ObjectIdentifier(lock)) }
        noteModeChangeAsked(lock)
        driver.changeMode(lock, to: upgrade ? .exclusive : .shared, wait: .milliseconds(Int64(wait)), roles: roles) {
            [unowned self] result in
            self.downgrading.remove(ObjectIdentifier(lock))
            if case .success = result, lock.state == .safe || lock.state == .atRisk {
                self.simulation.checkGrant(lock, to: self)
            }
            then(self)
        }
    }
}
