import Foundation
import PadlockClient

/// The rep's pages: sign-in, the list of contacts and deals, a record, and the edit page.
enum Pages {
    static let roles = ["rep", "manager", "admin", "finance-admin"]

    static func signIn(message: String?) -> String {
        let boxes = roles.map { (role) -> String in
            let checked = role == "rep" ? " checked" : ""
            return
                #"<label><input type="checkbox" name="roles" value="\#(role)" id="role-\#(role)"\#(checked)> \#(role)</label>"#
        }.joined(separator: " ")
        let body = """
            <h1>Sign in</h1>
            <p class="demo">This is a demo: pick any name and roles. Nothing is checked; the roles are what the app
            server asserts to Padlock for you (a manager may take records over, an admin may force-unlock and place
            holds, a finance-admin is exempt from “Deal closed” holds).</p>
            \(HTML.message(message, kind: "info"))
            <form method="post" action="/signin" class="card">
            <label>Name <input name="name" id="name" list="names" required autocomplete="off"></label>
            <datalist id="names"><option>Alice</option><option>Bob</option><option>Carol</option><option>Dave</option>
            </datalist>
            <fieldset><legend>Roles</legend>\(boxes)</fieldset>
            <button id="sign-in">Sign in</button>
            </form>
            """
        return HTML.page("Sign in", rep: nil, body: body)
    }

    static func list(rep: Rep, tenant: String, records: [RecordKind: [Record]]) -> String {
        var body = """
            <h1>Contacts and deals</h1>
            <p id="tenant" class="frozen" hidden></p>
            """
        for kind in RecordKind.all {
            let rows = (records[kind] ?? []).map { (record) -> String in
                let key = "\(tenant)/\(kind.name)/\(record.id)"
                return """
                    <tr id="row-\(kind.name)-\(record.id)" data-key="\(HTML.escape(key))" data-state="free">
                    <td><a href="/records/\(kind.name)/\(record.id)">\(HTML.escape(record.title))</a></td>
                    <td>\(HTML.escape(record.values[kind.fields[1]] ?? ""))</td>
                    <td class="padlock">…</td></tr>
                    """
            }.joined(separator: "\n")
            body += """
                <h2>\(kind.singular)s</h2>
                <table class="records"><thead><tr><th>\(kind.singular)</th><th>\(kind.fields[1])</th><th>Padlock</th></tr>
                </thead><tbody>\(rows)</tbody></table>
                """
        }
        return HTML.page("Contacts and deals", rep: rep, data: ["page": "list"], body: body)
    }

    /// A record before editing: its values, its live padlock, and the ways to edit it.
    static func record(
        rep: Rep, record: Record, key: String, message: String?, field: String, note: String
    ) -> String {
        let values = record.kind.fields.map { (name) -> String in
            "<dt>\(name)</dt><dd id=\"value-\(name)\">\(HTML.escape(record.values[name] ?? ""))</dd>"
        }.joined()
        let fields = [("", "the whole record")] + record.kind.fields.map { ($0, "only \($0)") }
        let takeover =
            rep.isManager
            ? """
            <p><label>Reason <input name="reason" id="takeover-reason" form="takeover-form"></label>
            <button id="takeover" form="takeover-form">Take over</button></p>
            <form id="takeover-form" method="post" action="/records/\(record.kind.name)/\(record.id)/takeover"></form>
            """ : ""
        let body = """
            <h1 id="title">\(HTML.escape(record.title))</h1>
            <p class="padlock-line">\(HTML.icon) <span id="padlock" data-state="free">…</span></p>
            \(HTML.message(message))
            <p id="notice" class="ok" hidden><span id="notice-text"></span>
            <button id="notice-open" form="open-form">Open it now</button></p>
            <dl class="values">\(values)</dl>
            <form id="open-form" method="post" action="/records/\(record.kind.name)/\(record.id)/open" class="card">
            <label>Edit <select name="field" id="field">\(HTML.options(fields, selected: field))</select></label>
            <label>Note for others <input name="note" id="note" value="\(HTML.escape(note))"></label>
            <button id="open">Open for editing</button>
            </form>
            <div id="busy" class="card" hidden>
            <p id="busy-text">Someone has it. You can:</p>
            <p><button id="notify" type="button">Notify me when it’s free</button> <span id="notify-status"></span></p>
            <p><button id="wait" type="button">Wait in line</button> <span id="queue"></span></p>
            \(takeover)
            </div>
            """
        return HTML.page(
            record.title, rep: rep, data: ["page": "record", "key": key, "record": Wording.recordName(key)], body: body)
    }

    /// The edit page: the fields under the rep's lock, Save, and the banner that appears when the lock ends.
    static func edit(rep: Rep, edit: Edit, record: Record) -> String {
        let names = edit.field.map { [$0] } ?? record.kind.fields
        let inputs = names.map { (name) -> String in
            """
            <label>\(name) <textarea name="\(name)" id="f-\(name)" rows="2">\(HTML.escape(record.values[name] ?? ""))</textarea></label>
            """
        }.joined(separator: "\n")
        let what = edit.field.map { "field \($0) of " } ?? ""
        let body = """
            <h1 id="title">Editing \(what)\(HTML.escape(record.title))</h1>
            <p><span id="holding">You hold the lock</span> (fence \(edit.lock.fence.rawValue)); others see your note “\(HTML.escape(edit.lock.holder.note))”.
            Lease: <span id="lease">safe</span></p>
            <div id="banner" class="banner" hidden><p id="banner-text"></p>
            <button id="save-anyway" type="button">Try to save anyway (the store decides)</button></div>
            <form id="edit-form" class="card">
            \(inputs)
            <button id="save">Save</button>
            </form>
            <p id="result"></p>
            <form method="post" action="/edit/\(edit.id)/release"><button id="done">Done (release the lock)</button></form>
            """
        return HTML.page(
            "Editing \(record.title)", rep: rep, data: ["page": "edit", "edit": edit.id], body: body)
    }
}
