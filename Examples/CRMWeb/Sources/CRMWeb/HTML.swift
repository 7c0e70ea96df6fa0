import Foundation

/// Server-rendered HTML: every page is a string built here, escaped, with the app's own CSS and JavaScript
/// (`/static/app.css`, `/static/app.js`; no CDN).
enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A whole page: header with the signed-in rep, then `body`. `data` becomes `data-*` attributes of <body>,
    /// which app.js reads to know which page it runs on.
    static func page(_ title: String, rep: Rep?, data: [String: String] = [:], body: String) -> String {
        let attributes = data.sorted { $0.key < $1.key }.map { " data-\($0.key)=\"\(escape($0.value))\"" }.joined()
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) · Padlock CRM</title>
            <link rel="stylesheet" href="/static/app.css"></head>
            <body\(attributes)>
            <header><a class="brand" href="/records">\(icon) Padlock CRM</a>\(nav(rep))</header>
            <main>
            \(body)
            </main>
            <footer>A demo of Padlock: sign-in is not checked, and roles are whatever you pick.</footer>
            <script src="/static/app.js"></script>
            </body></html>
            """
    }

    /// A small padlock, drawn here so that no font or CDN is needed.
    static let icon =
        #"<svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path d="M4 7V5a4 4 0 0 1 8 0v2h1v8H3V7h1zm2 0h4V5a2 2 0 0 0-4 0v2z" fill="currentColor"/></svg>"#

    private static func nav(_ rep: Rep?) -> String {
        guard let rep else { return "" }
        let admin = rep.isAdmin ? #"<a href="/admin" id="nav-admin">Admin</a>"# : ""
        return """
            <nav><a href="/records" id="nav-records">Contacts and deals</a>\(admin)
            <span id="whoami">\(escape(rep.name)) (\(escape(rep.rolesText)))</span>
            <form method="post" action="/signout" class="inline"><button id="sign-out">Sign out</button></form></nav>
            """
    }

    /// A notice box, hidden when `text` is empty.
    static func message(_ text: String?, id: String = "message", kind: String = "error") -> String {
        let text = text ?? ""
        return #"<p id="\#(id)" class="\#(kind)"\#(text.isEmpty ? " hidden" : "")>\#(escape(text))</p>"#
    }

    static func options(_ values: [(value: String, label: String)], selected: String) -> String {
        values.map { (option) -> String in
            let mark = option.value == selected ? " selected" : ""
            return #"<option value="\#(escape(option.value))"\#(mark)>\#(escape(option.label))</option>"#
        }.joined()
    }
}
