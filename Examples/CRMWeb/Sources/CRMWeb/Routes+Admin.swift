import Foundation
import Hummingbird
import PadlockClient

extension Routes {
    func addAdminRoutes(_ router: Router<BasicRequestContext>) {
        router.get("/admin") { request, _ in
            try await administrator(request) { rep in
                let snapshot = await crm.adminSnapshot(for: rep)
                let message = request.uri.queryParameters["msg"].map(String.init)
                return html(AdminPages.page(rep: rep, tenant: crm.tenant, snapshot: snapshot, message: message))
            }
        }
        router.get("/admin/panel") { request, _ in
            try await administrator(request) { rep in html(AdminPages.panel(await crm.adminSnapshot(for: rep))) }
        }
        router.post("/admin/force-unlock") { request, _ in
            try await administrator(request) { rep in
                let form = try await Form(request)
                return redirect(
                    "/admin", message: await crm.forceUnlock(by: rep, key: form["key"], reason: form["reason"]))
            }
        }
        router.post("/admin/holds") { request, _ in
            try await administrator(request) { rep in
                let form = try await Form(request)
                let message = await crm.placeHold(
                    by: rep, key: form["key"], rule: form["rule"], reason: form["reason"], exempt: list(form["exempt"]),
                    editable: list(form["editable"]), endHolders: form["endHolders"] == "1")
                return redirect("/admin", message: message)
            }
        }
        router.post("/admin/holds/lift") { request, _ in
            try await administrator(request) { rep in
                let form = try await Form(request)
                let rule = form["rule"].trimmingCharacters(in: .whitespaces)
                let message = await crm.liftHold(
                    by: rep, key: form["key"], rule: rule.isEmpty ? nil : rule, reason: form["reason"])
                return redirect("/admin", message: message)
            }
        }
        router.post("/admin/freeze") { request, _ in
            try await administrator(request) { rep in
                let form = try await Form(request)
                return redirect("/admin", message: await crm.freeze(by: rep, reason: form["reason"]))
            }
        }
        router.post("/admin/unfreeze") { request, _ in
            try await administrator(request) { rep in redirect("/admin", message: await crm.unfreeze(by: rep)) }
        }
    }

    /// Runs `body` for a signed-in administrator.
    func administrator(_ request: Request, _ body: (Rep) async throws -> Response) async throws -> Response {
        try await signedIn(request) { rep in
            guard rep.isAdmin else {
                return html(
                    HTML.page(
                        "Not allowed", rep: rep, body: "<p class=error>Only administrators may open this page.</p>"),
                    status: .forbidden)
            }
            return try await body(rep)
        }
    }

    /// "finance-admin, sales-ops" → ["finance-admin", "sales-ops"].
    func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
