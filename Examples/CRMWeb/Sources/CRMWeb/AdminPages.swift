import Foundation
import PadlockClient

/// What the admin page shows, read fresh for each render.
struct AdminSnapshot: Sendable {
    /// Held keys of the tenant, with their holders, waiters and notes.
    var locks: [(key: String, holders: [LockInfo], waiters: [Waiter])]
    var holds: [Hold]
    /// The newest audit records, newest first.
    var audit: [AuditRecord]
    /// A read that failed, in words.
    var problem: String?
}

/// The admin page: held locks, force-unlock, holds, tenant freeze, the audit trail.
enum AdminPages {
    static func page(rep: Rep, tenant: String, snapshot: AdminSnapshot, message: String?) -> String {
        let body = """
            <h1>Administration of \(HTML.escape(tenant))</h1>
            \(HTML.message(message, id: "admin-message", kind: "info"))
            <div class="forms">
            <form id="force-form" method="post" action="/admin/force-unlock" class="card"><h3>Force-unlock</h3>
            <label>Key <input name="key" id="force-key" required></label>
            <label>Reason <input name="reason" id="force-reason" required></label>
            <button id="force-unlock">Force-unlock</button></form>
            <form id="hold-form" method="post" action="/admin/holds" class="card"><h3>Place a hold</h3>
            <label>Key <input name="key" id="hold-key" value="\(HTML.escape(tenant))/deals/1" required></label>
            <label>Rule <input name="rule" id="hold-rule" value="Deal closed" required></label>
            <label>Reason <input name="reason" id="hold-reason" value="stage closed-won" required></label>
            <label>Exempt roles <input name="exempt" id="hold-exempt" value="finance-admin"></label>
            <label>Editable fields <input name="editable" id="hold-editable" value="notes"></label>
            <label><input type="checkbox" name="endHolders" value="1" id="hold-end"> end current holders</label>
            <button id="place-hold">Place hold</button></form>
            <form id="lift-form" method="post" action="/admin/holds/lift" class="card"><h3>Lift a hold</h3>
            <label>Key <input name="key" id="lift-key" required></label>
            <label>Rule <input name="rule" id="lift-rule" value="Deal closed"></label>
            <label>Reason <input name="reason" id="lift-reason" value="reopened" required></label>
            <button id="lift-hold">Lift</button></form>
            <form id="freeze-form" method="post" action="/admin/freeze" class="card"><h3>Tenant</h3>
            <label>Reason <input name="reason" id="freeze-reason" required></label>
            <button id="freeze">Freeze \(HTML.escape(tenant))</button>
            <button id="unfreeze" formaction="/admin/unfreeze" formnovalidate>Unfreeze</button></form>
            </div>
            <div id="panel">\(panel(snapshot))</div>
            """
        return HTML.page("Administration", rep: rep, data: ["page": "admin"], body: body)
    }

    /// The live part, fetched again by app.js whenever the tenant's locks change.
    static func panel(_ snapshot: AdminSnapshot) -> String {
        let locks = snapshot.locks.map { (lock) -> String in
            let holders = lock.holders.map { (info) -> String in
                HTML.escape(
                    "\(Wording.person(info.holder.owner)) on \(info.key.string), \(info.holder.mode), fence "
                        + "\(info.holder.fence.rawValue), since \(Wording.clock(info.holder.sinceDate))"
                        + (info.holder.note.isEmpty ? "" : " — “\(info.holder.note)”"))
            }.joined(separator: "<br>")
            let waiters = lock.waiters.map {
                HTML.escape("\(Wording.person($0.owner)) since \(Wording.clock($0.sinceDate))")
            }
            return """
                <tr data-key="\(HTML.escape(lock.key))"><td>\(HTML.escape(lock.key))</td><td>\(holders)</td>
                <td>\(waiters.isEmpty ? "—" : waiters.joined(separator: "<br>"))</td>
                <td><button type="button" class="use-key" data-key="\(HTML.escape(lock.key))">Force-unlock…</button></td></tr>
                """
        }.joined()
        let holds = snapshot.holds.map { (hold) -> String in
            """
            <tr data-key="\(HTML.escape(hold.key.string))"><td>\(HTML.escape(hold.key.string))</td>
            <td>\(HTML.escape(Wording.hold(hold)))</td></tr>
            """
        }.joined()
        let audit = snapshot.audit.map(auditRow).joined()
        return """
            \(HTML.message(snapshot.problem, id: "panel-problem"))
            <h2>Held locks</h2>
            <table id="locks"><thead><tr><th>Key</th><th>Holders</th><th>Waiting</th><th></th></tr></thead>
            <tbody>\(locks.isEmpty ? "<tr><td colspan=4>Nothing is locked.</td></tr>" : locks)</tbody></table>
            <h2>Holds</h2>
            <table id="holds"><tbody>\(holds.isEmpty ? "<tr><td>No holds.</td></tr>" : holds)</tbody></table>
            <h2>Audit trail</h2>
            <table id="audit"><thead><tr><th>Time</th><th>What</th><th>Key</th><th>Who</th><th>Reason</th></tr></thead>
            <tbody>\(audit)</tbody></table>
            """
    }

    private static func auditRow(_ record: AuditRecord) -> String {
        var what = "\(record.action)"
        if let previous = record.previousHolder { what += " of \(Wording.person(previous.owner))" }
        if let hold = record.hold { what += " “\(hold.rule)”" }
        let cells = [
            Wording.clock(record.timeDate), what, record.key?.string ?? "", Wording.person(record.identity),
            record.reason,
        ]
        return "<tr>" + cells.map { "<td>\(HTML.escape($0))</td>" }.joined() + "</tr>"
    }
}
