/// Carries a non-`Sendable` value across threads on the promise that it is used only on one loop's thread.
///
/// The value may travel inside `@Sendable` closures (mailbox jobs), but reading or writing it anywhere
/// other than on `loop`'s thread stops the program. This is how loop-confined objects, such as a
/// `TCPConnection`, are handed between mailbox jobs.
package struct LoopBound<Value>: @unchecked Sendable {
    private final class Box {
        var value: Value
        init(_ value: Value) { self.value = value }
    }

    private let box: Box
    /// The loop whose thread may use the value.
    package let loop: EventLoop

    /// Wraps `value`. Loop thread only, so the value cannot also be in use elsewhere.
    package init(_ value: Value, loop: EventLoop) {
        loop.preconditionOnLoopThread("LoopBound.init")
        self.box = Box(value)
        self.loop = loop
    }

    /// The wrapped value. Loop thread only.
    package var value: Value {
        get {
            loop.preconditionOnLoopThread("LoopBound.value")
            return box.value
        }
        nonmutating set {
            loop.preconditionOnLoopThread("LoopBound.value")
            box.value = newValue
        }
    }
}
