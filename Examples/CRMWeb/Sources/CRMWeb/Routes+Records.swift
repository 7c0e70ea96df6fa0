import Foundation
import Hummingbird
import PadlockClient

extension Routes {
    func addRecordRoutes(_ router: Router<BasicRequestContext>) {
        router.get("/records") { request, _ in
            try await signedIn(request) { rep in
                var records: [RecordKind: [Record]] = [:]
                for kind in RecordKind.all { records[kind] = try await crm.store.all(kind) }
                return html(Pages.list(rep: rep, tenant: crm.tenant, records: records))
            }
        }
        router.get("/records/:kind/:id") { request, context in
            try await signedIn(request) { rep in
                let query = request.uri.queryParameters
                return try await recordPage(
                    rep, context, message: query["msg"].map(String.init), field: query["field"].map(String.init) ?? "",
                    note: query["note"].map(String.init) ?? "editing")
            }
        }
        router.post("/records/:kind/:id/open") { request, context in
            try await signedIn(request) { rep in
                let form = try await Form(request)
                return try await open(rep, context, field: form["field"], note: form["note"], takeover: nil)
            }
        }
        router.post("/records/:kind/:id/takeover") { request, context in
            try await signedIn(request) { rep in
                let form = try await Form(request)
                guard rep.isManager else {
                    return try await recordPage(rep, context, message: "Only managers may take records over.")
                }
                let reason = form["reason"].trimmingCharacters(in: .whitespaces)
                guard !reason.isEmpty else {
                    return try await recordPage(rep, context, message: "Say why you take it over.")
                }
                return try await open(rep, context, field: "", note: "taken over: \(reason)", takeover: reason)
            }
        }
        router.post("/records/:kind/:id/wait") { request, context in
            try await signedIn(request) { rep in
                let form = try await Form(request)
                guard let (kind, id) = record(context) else { return json(["error": "No such record."]) }
                let field = kind.fields.contains(form["field"]) ? form["field"] : nil
                let ticket = await crm.waitInLine(rep: rep, kind: kind, id: id, field: field, note: form["note"])
                return json(["ticket": ticket.id])
            }
        }
        addStreamRoutes(router)
    }

    /// The event streams of the list and record pages, and a place in line.
    func addStreamRoutes(_ router: Router<BasicRequestContext>) {
        router.get("/waits/:id") { request, context in
            try await signedIn(request) { rep in
                guard let ticket = await crm.desk.wait(context.parameters["id"].map(String.init) ?? ""),
                    ticket.rep.owner == rep.owner
                else { return Response(status: .notFound) }
                return crm.eventStream(token: rep.token) { out in await crm.waitEvents(ticket, out) }
            }
        }
        router.post("/waits/:id/cancel") { request, context in
            if let ticket = await crm.desk.removeWait(context.parameters["id"].map(String.init) ?? "") {
                ticket.cancel()
            }
            return Response(status: .noContent)
        }
        router.get("/events/list") { request, _ in
            try await signedIn(request) { rep in crm.eventStream(token: rep.token) { out in await crm.listEvents(out) }
            }
        }
        router.get("/events/key") { request, _ in
            try await signedIn(request) { rep in
                let key = request.uri.queryParameters["key"].map(String.init) ?? ""
                guard key.hasPrefix(crm.tenant + "/") else { return Response(status: .badRequest) }
                return crm.eventStream(token: rep.token) { out in await crm.keyEvents(key, out) }
            }
        }
    }

    func record(_ context: BasicRequestContext) -> (RecordKind, String)? {
        guard let kind = context.parameters["kind"].flatMap({ RecordKind.named(String($0)) }),
            let id = context.parameters["id"].map(String.init), !id.isEmpty, Int(id) != nil
        else { return nil }
        return (kind, id)
    }

    func recordPage(
        _ rep: Rep, _ context: BasicRequestContext, message: String?, field: String = "", note: String = "editing"
    ) async throws -> Response {
        guard let (kind, id) = record(context), let record = try await crm.store.read(kind, id: id) else {
            return html("<p>No such record.</p>", status: .notFound)
        }
        return html(
            Pages.record(rep: rep, record: record, key: crm.key(kind, id), message: message, field: field, note: note))
    }

    func open(
        _ rep: Rep, _ context: BasicRequestContext, field: String, note: String, takeover: String?
    ) async throws -> Response {
        guard let (kind, id) = record(context) else { return html("<p>No such record.</p>", status: .notFound) }
        let lockField = kind.fields.contains(field) ? field : nil
        switch await crm.open(rep: rep, kind: kind, id: id, field: lockField, note: note, takeover: takeover) {
        case .success(let edit):
            return Response.redirect(to: "/edit/\(edit.id)")
        case .failure(let refusal):
            return try await recordPage(rep, context, message: refusal.message, field: field, note: note)
        }
    }
}
