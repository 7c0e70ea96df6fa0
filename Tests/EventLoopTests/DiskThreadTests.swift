import Dispatch
import EventLoop
import Testing

private struct DiskError: Error, Equatable {
    let number: Int
}

@Suite("Disk thread", .timeLimit(.minutes(10)))
struct DiskThreadTests {
    @Test("work runs off the loop thread; completions come back on the loop thread in submission order")
    func completionsReturnInOrderOnTheLoop() async throws {
        let count = 500
        let workOnLoop = Shared(0)
        let ranOrder = Shared([Int]())
        let completionOrder = Shared([Int]())
        let completionsOffLoop = Shared(0)
        try await withLoop(name: "disk-loop") { loop in
            let disk = DiskThread(loop: loop, capacity: count)
            try await loop.submit {
                for number in 0..<count {
                    let answer = disk.submit(
                        { () throws -> Int in
                            if loop.isOnLoopThread { workOnLoop.with { $0 += 1 } }
                            ranOrder.with { $0.append(number) }
                            if number % 7 == 3 { throw DiskError(number: number) }
                            return number * 2
                        },
                        completion: { result in
                            if !loop.isOnLoopThread { completionsOffLoop.with { $0 += 1 } }
                            switch result {
                            case .success(let doubled): completionOrder.with { $0.append(doubled / 2) }
                            case .failure(let error): completionOrder.with { $0.append((error as! DiskError).number) }
                            }
                        })
                    #expect(answer == .accepted)
                }
            }
            await waitUntil { completionOrder.value.count == count }
            disk.stop()
        }
        #expect(workOnLoop.value == 0)
        #expect(completionsOffLoop.value == 0)
        #expect(ranOrder.value == Array(0..<count))
        #expect(completionOrder.value == Array(0..<count))
    }

    @Test("a disk thread with its capacity in flight refuses more work")
    func fullDiskQueueRefuses() async throws {
        let gate = DispatchSemaphore(value: 0)
        let completed = Shared(0)
        try await withLoop(name: "disk-loop") { loop in
            let disk = DiskThread(loop: loop, capacity: 4)
            let answers = try await loop.submit { () -> [DiskSubmitAnswer] in
                (0..<5).map { _ in
                    disk.submit({ gate.wait() }, completion: { _ in completed.with { $0 += 1 } })
                }
            }
            #expect(answers == [.accepted, .accepted, .accepted, .accepted, .overloaded])
            for _ in 0..<4 { gate.signal() }
            await waitUntil { completed.value == 4 }
            // Capacity counts work until its completion is delivered, so the slots are free again.
            let again = try await loop.submit {
                disk.submit({ () }, completion: { _ in completed.with { $0 += 1 } })
            }
            #expect(again == .accepted)
            disk.stop()
            await waitUntil { completed.value == 5 }
        }
    }

    @Test("a stopped disk thread refuses work")
    func stoppedDiskThreadRefuses() async throws {
        try await withLoop(name: "disk-loop") { loop in
            let disk = DiskThread(loop: loop)
            disk.stop()
            let answer = try await loop.submit { disk.submit({ () }, completion: { _ in }) }
            #expect(answer == .stopped)
        }
    }
}
