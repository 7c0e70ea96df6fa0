import Foundation
import Hummingbird
import PadlockClient
import ServiceLifecycle

/// Server-Sent Events: the live padlocks (from `watch` and `watch(prefix:)`), the rep's own lease (from
/// `Lock.states` and `Lock.lossReason`) and a place in line.
extension CRM {
    /// A `text/event-stream` response fed by `produce`. Every few seconds a comment keeps the connection and the
    /// rep's session alive; once the browser is gone the next write fails and `produce` is cancelled, which ends
    /// its watch.
    func eventStream(
        token: String, _ produce: @escaping @Sendable (AsyncStream<String>.Continuation) async -> Void
    ) -> Response {
        let reps = self.reps
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(1024))
                let producer = Task {
                    await produce(continuation)
                    continuation.finish()
                }
                // Task-locals are inherited, so the ticker also sees the service group's graceful shutdown and
                // ends the stream then, instead of the server waiting for the browser to go away.
                let ticker = Task {
                    var tick = 0
                    while !Task.isCancelled && !Task.isShuttingDownGracefully {
                        try? await Task.sleep(for: .seconds(1))
                        tick += 1
                        guard tick % 5 == 0 else { continue }
                        _ = await reps.rep(token)
                        continuation.yield(": keep-alive\n\n")
                    }
                    continuation.finish()
                }
                defer {
                    producer.cancel()
                    ticker.cancel()
                }
                try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
                for await chunk in stream { try await writer.write(ByteBuffer(string: chunk)) }
                try await writer.finish(nil)
            })
    }

    static func event(_ json: String) -> String { "data: \(json)\n\n" }

    /// The list page's padlocks: every record's state now, then every change under the tenant.
    func listEvents(_ out: AsyncStream<String>.Continuation) async {
        let watch = padlock.watch(prefix: tenant)
        await sendAllRecords(out)
        await sendTenant(out)
        do {
            for try await state in watch {
                let segments = state.key.segments
                if segments.count >= 3 {
                    let record = segments.prefix(3).joined(separator: "/")
                    if segments.count == 3 {
                        out.yield(Self.event(await view(state, record: record).json))
                        refreshAfterLockDelay(state, record: record, out)
                    } else if let view = await view(of: record) {
                        out.yield(Self.event(view.json))
                    }
                } else {
                    await sendTenant(out)
                    await sendAllRecords(out)
                }
            }
        } catch {
            logger.debug("list watch ended: \(error)")
        }
    }

    /// One record's padlock: its state now, then every change of it, its fields and its holds.
    func keyEvents(_ key: String, _ out: AsyncStream<String>.Continuation) async {
        do {
            for try await state in padlock.watch(key) {
                out.yield(Self.event(await view(state, record: key).json))
                refreshAfterLockDelay(state, record: key, out)
            }
        } catch {
            logger.debug("watch of \(key) ended: \(error)")
        }
    }

    /// The rep's own lock: safe, at risk, then lost (with who and why) or released.
    func leaseEvents(_ edit: Edit, _ out: AsyncStream<String>.Continuation) async {
        let name = Wording.recordName(key(edit.kind, edit.recordID, field: edit.field))
        for await state in edit.lock.states {
            let view: LeaseView
            switch state {
            case .safe: view = LeaseView(state: "safe", message: "")
            case .atRisk: view = LeaseView(state: "atRisk", message: "")
            case .lost: view = LeaseView(state: "lost", message: Wording.loss(edit.lock.lossReason, record: name))
            case .released: view = LeaseView(state: "released", message: "")
            }
            out.yield(Self.event(PadlockView.encode(view)))
            if state == .lost || state == .released { return }
        }
    }

    /// A rep's place in line, then the edit granted or why not.
    func waitEvents(_ ticket: WaitTicket, _ out: AsyncStream<String>.Continuation) async {
        struct Step: Encodable {
            var position: Int?
            var granted: String?
            var failed: String?
        }
        for await event in ticket.events {
            let step: Step
            switch event {
            case .position(let place): step = Step(position: place)
            case .granted(let editID): step = Step(granted: editID)
            case .failed(let text): step = Step(failed: text)
            }
            out.yield(Self.event(PadlockView.encode(step)))
        }
    }

    func view(of record: String) async -> PadlockView? {
        guard let inspection = try? await padlock.inspect(record) else { return nil }
        var view = PadlockView(inspection, record: record)
        if inspection.holds.isEmpty { view.add(holds: await holds(overlapping: record)) }
        return view
    }

    func view(_ state: KeyState, record: String) async -> PadlockView {
        var view = PadlockView(state, record: record)
        if state.holds.isEmpty { view.add(holds: await holds(overlapping: record)) }
        return view
    }

    /// The holds on `record`, its fields and its ancestors (a tenant freeze), read from the hold list: a
    /// cluster whose inspections and watch states carry no holds yet still shows them on the padlock.
    func holds(overlapping record: String) async -> [Hold] {
        guard let holds = try? await padlock.holds(prefix: tenant) else { return [] }
        return holds.filter { hold in
            let key = hold.key.string
            return key == record || record.hasPrefix(key + "/") || key.hasPrefix(record + "/")
        }
    }

    /// A lock-delayed record turns free when the delay is over: read it again then, so that "Notify me" fires
    /// as soon as the record can be opened.
    private func refreshAfterLockDelay(_ state: KeyState, record: String, _ out: AsyncStream<String>.Continuation) {
        guard case .lockDelayed(let until) = state.status else { return }
        Task {
            try? await Task.sleep(for: .milliseconds(max(0, Int(until.timeIntervalSinceNow * 1000)) + 50))
            if let view = await view(of: record) { out.yield(Self.event(view.json)) }
        }
    }

    private func sendAllRecords(_ out: AsyncStream<String>.Continuation) async {
        for kind in RecordKind.all {
            for record in (try? await store.all(kind)) ?? [] {
                if let view = await view(of: key(kind, record.id)) { out.yield(Self.event(view.json)) }
            }
        }
    }

    private func sendTenant(_ out: AsyncStream<String>.Continuation) async {
        guard let holds = try? await padlock.holds(prefix: tenant) else { return }
        let own = holds.filter { $0.key.string == tenant }
        out.yield(Self.event(PadlockView(key: tenant, holders: [], waiters: 0, holds: own, delayedUntil: nil).json))
    }
}
