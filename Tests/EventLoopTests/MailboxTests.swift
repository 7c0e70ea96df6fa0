import Dispatch
import EventLoop
import Testing

@Suite("Mailbox", .timeLimit(.minutes(10)))
struct MailboxTests {
    @Test("posts from 8 threads are all delivered, in order per thread")
    func postsFromManyThreadsArriveInOrder() async throws {
        let threads = 8
        let postsPerThread = 10_000
        let seen = Shared([[Int]](repeating: [], count: threads))
        let refusals = Shared(0)  // a 256-job mailbox under 8 eager threads refuses now and then
        try await withLoop(mailboxCapacity: 256) { loop in
            DispatchQueue.concurrentPerform(iterations: threads) { thread in
                for number in 0..<postsPerThread {
                    while true {
                        let answer = loop.post {
                            loop.preconditionOnLoopThread("mailbox job")
                            seen.with { $0[thread].append(number) }
                        }
                        if answer == .accepted { break }
                        #expect(answer == .overloaded)
                        refusals.with { $0 += 1 }
                    }
                }
            }
            await waitUntil { seen.value.reduce(0) { $0 + $1.count } == threads * postsPerThread }
        }
        let delivered = seen.value
        for thread in 0..<threads {
            #expect(delivered[thread] == Array(0..<postsPerThread), "thread \(thread) lost or reordered posts")
        }
    }

    @Test("a full mailbox refuses with overloaded, and accepts again once drained")
    func fullMailboxRefuses() async throws {
        let capacity = 16
        try await withLoop(mailboxCapacity: capacity) { loop in
            let gate = DispatchSemaphore(value: 0)
            let blocked = DispatchSemaphore(value: 0)
            #expect(
                loop.post {
                    blocked.signal(); gate.wait()
                } == .accepted)
            blocked.wait()
            let ran = Shared(0)
            for _ in 0..<capacity {
                #expect(loop.post { ran.with { $0 += 1 } } == .accepted)
            }
            #expect(loop.post { ran.with { $0 += 1 } } == .overloaded)
            #expect(throws: MailboxRefusal.overloaded) { try loop.execute {} }
            gate.signal()
            await waitUntil { ran.value == capacity }
            #expect(loop.post { ran.with { $0 += 1 } } == .accepted)
            await waitUntil { ran.value == capacity + 1 }
        }
    }

    @Test("a stopped loop refuses mail")
    func stoppedLoopRefuses() throws {
        let loop = try EventLoop(name: "stopped")
        let report = loop.stop()
        #expect(report.isClean)
        #expect(loop.post {} == .stopped)
        #expect(throws: MailboxRefusal.stopped) { try loop.execute {} }
    }

    @Test("the loop-thread check tells the loop thread from others")
    func loopThreadCheck() async throws {
        try await withLoop { loop in
            #expect(!loop.isOnLoopThread)
            let onLoop = try await loop.submit { loop.isOnLoopThread }
            #expect(onLoop)
        }
    }
}
