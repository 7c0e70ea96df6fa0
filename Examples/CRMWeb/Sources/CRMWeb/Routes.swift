import Foundation
import Hummingbird
import PadlockClient

/// The HTTP side: pages, forms, JSON for the script, and the event streams.
struct Routes: Sendable {
    let crm: CRM
    static let cookie = "crm_session"

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/static/app.css") { _, _ in asset(Assets.css, type: "text/css; charset=utf-8") }
        router.get("/static/app.js") { _, _ in asset(Assets.javascript, type: "text/javascript; charset=utf-8") }
        router.get("/") { _, _ in Response.redirect(to: "/records") }
        router.get("/signin") { request, _ in
            html(Pages.signIn(message: request.uri.queryParameters["msg"].map(String.init)))
        }
        router.post("/signin") { request, _ in try await signIn(request) }
        router.post("/signout") { request, _ in await signOut(request) }
        addRecordRoutes(router)
        addEditRoutes(router)
        addAdminRoutes(router)
        return router
    }

    // MARK: Sign-in

    func signIn(_ request: Request) async throws -> Response {
        let form = try await Form(request)
        let name = form["name"].trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.count <= 40, !name.contains("@"), !name.contains("/") else {
            return html(Pages.signIn(message: "Pick a name (up to 40 characters, no @ or /)."), status: .badRequest)
        }
        let roles = form.all("roles").filter(Pages.roles.contains)
        let rep = await crm.reps.signIn(name: name, roles: roles, server: crm.options.serverName)
        var response = Response.redirect(to: "/records")
        response.setCookie(Cookie(name: Self.cookie, value: rep.token, path: "/", httpOnly: true))
        return response
    }

    func signOut(_ request: Request) async -> Response {
        guard let token = request.cookies[Self.cookie]?.value, let rep = await crm.reps.signOut(token) else {
            return Response.redirect(to: "/signin")
        }
        let released = await crm.signOut(rep)
        var response = redirect("/signin", message: "Signed out \(rep.name); \(released) lock(s) released.")
        response.setCookie(Cookie(name: Self.cookie, value: "", maxAge: 0, path: "/"))
        return response
    }

    /// The signed-in rep, or nil.
    func rep(_ request: Request) async -> Rep? { await crm.reps.rep(request.cookies[Self.cookie]?.value) }

    /// Runs `body` for a signed-in rep; others go to the sign-in page.
    func signedIn(_ request: Request, _ body: (Rep) async throws -> Response) async throws -> Response {
        guard let rep = await rep(request) else { return Response.redirect(to: "/signin") }
        return try await body(rep)
    }

    // MARK: Helpers

    func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    func json(_ value: some Encodable) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: PadlockView.encode(value))))
    }

    func asset(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    func redirect(_ path: String, message: String) -> Response {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&+=?#")
        return Response.redirect(
            to: "\(path)?msg=\(message.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")")
    }
}

/// A form body (`application/x-www-form-urlencoded`, also what `sendBeacon` and `fetch` with
/// `URLSearchParams` send).
struct Form {
    private var pairs: [(String, String)] = []

    init(_ request: Request) async throws {
        var request = request
        let buffer = try await request.collectBody(upTo: 64 * 1024)
        for pair in String(buffer: buffer).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { (part) -> String in
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            pairs.append((parts[0], parts.count > 1 ? parts[1] : ""))
        }
    }

    subscript(_ name: String) -> String { pairs.first { $0.0 == name }?.1 ?? "" }
    func all(_ name: String) -> [String] { pairs.filter { $0.0 == name }.map(\.1) }
    var values: [String: String] { Dictionary(pairs, uniquingKeysWith: { first, _ in first }) }
}
