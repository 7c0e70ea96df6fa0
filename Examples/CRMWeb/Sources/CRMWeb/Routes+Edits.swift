import Foundation
import Hummingbird
import PadlockClient

extension Routes {
    func addEditRoutes(_ router: Router<BasicRequestContext>) {
        router.get("/edit/:id") { request, context in
            try await signedIn(request) { rep in
                guard let edit = await ownEdit(rep, context) else {
                    return html(
                        HTML.page(
                            "Edit ended", rep: rep,
                            body:
                                #"<p id="message" class="info">This edit has ended (the lock was released when you left the page). <a href="/records">Back to the list</a></p>"#
                        ))
                }
                guard let record = try await crm.store.read(edit.kind, id: edit.recordID) else {
                    return html("<p>No such record.</p>", status: .notFound)
                }
                return html(Pages.edit(rep: rep, edit: edit, record: record))
            }
        }
        router.get("/edit/:id/events") { request, context in
            try await signedIn(request) { rep in
                guard let edit = await ownEdit(rep, context) else { return Response(status: .notFound) }
                return crm.eventStream(token: rep.token) { out in await crm.leaseEvents(edit, out) }
            }
        }
        router.post("/edit/:id/save") { request, context in
            try await signedIn(request) { rep in
                guard let edit = await ownEdit(rep, context) else {
                    return json(
                        SaveAnswer(
                            ok: false, message: "This edit has ended; your text is kept below. Reopen the record."))
                }
                let form = try await Form(request)
                let (ok, message) = await crm.save(edit, values: form.values)
                return json(SaveAnswer(ok: ok, message: message))
            }
        }
        // The Done button, and navigator.sendBeacon when the page is left (another page, a closed tab).
        router.post("/edit/:id/release") { request, context in
            try await signedIn(request) { rep in
                guard let edit = await ownEdit(rep, context) else { return Response.redirect(to: "/records") }
                await crm.release(editID: edit.id)
                return Response.redirect(to: "/records/\(edit.kind.name)/\(edit.recordID)")
            }
        }
    }

    func ownEdit(_ rep: Rep, _ context: BasicRequestContext) async -> Edit? {
        guard let edit = await crm.desk.edit(context.parameters["id"].map(String.init) ?? ""),
            edit.rep.owner == rep.owner
        else { return nil }
        return edit
    }
}

struct SaveAnswer: Encodable {
    var ok: Bool
    var message: String
}
