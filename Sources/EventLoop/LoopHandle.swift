import CLibUV

// Ownership rule for every libuv handle this module creates:
//
// 1. The handle's memory is allocated with `allocateHandle(_:)` and freed only in `handleDidClose`, the
//    single close callback used for every `uv_close` (including the ones `uv_walk` issues at shutdown).
// 2. A handle's `data` is either nil or an `Unmanaged` *retained* reference to its `LoopHandleOwner`.
//    That retain keeps the Swift owner alive for as long as libuv may call back into it; `handleDidClose`
//    consumes it (after `didClose()`), so the owner and its handle die together.
// 3. Handles are touched only on the loop thread.

/// The Swift object that owns one libuv handle and hears its close callback.
protocol LoopHandleOwner: AnyObject {
    /// Called on the loop thread from the handle's close callback, just before its memory is freed.
    func didClose()
}

/// Allocates zeroed memory for a libuv handle of `type`.
func allocateHandle<Handle>(_ type: uv_handle_type, as: Handle.Type) -> UnsafeMutablePointer<Handle> {
    let size = uv_handle_size(type)
    let raw = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
    raw.initializeMemory(as: UInt8.self, repeating: 0, count: size)
    return raw.bindMemory(to: Handle.self, capacity: 1)
}

/// Allocates a libuv handle of `type` and initializes it on `loop` with `initialize` (`uv_timer_init`,
/// `uv_tcp_init`, ...), which fails only on a programmer error.
func initializedHandle<Handle>(
    _ type: uv_handle_type, as: Handle.Type, on loop: UnsafeMutablePointer<uv_loop_t>,
    with initialize: (UnsafeMutablePointer<uv_loop_t>?, UnsafeMutablePointer<Handle>?) -> Int32
) -> UnsafeMutablePointer<Handle> {
    let handle = allocateHandle(type, as: Handle.self)
    let status = initialize(loop, handle)
    precondition(status == 0, "initializing a \(Handle.self) failed: \(UVError(status: status))")
    return handle
}

/// Stops `handle` with `stop` (`uv_timer_stop`, ...) and closes it, leaving nil in its place; false, and
/// nothing done, when it was already nil (stopped before).
func stopAndClose<Handle>(
    _ handle: inout UnsafeMutablePointer<Handle>?, with stop: (UnsafeMutablePointer<Handle>?) -> Int32
) -> Bool {
    guard let stopping = handle else { return false }
    handle = nil
    _ = stop(stopping)
    closeHandle(asHandle(stopping))
    return true
}

/// Allocates zeroed memory for a libuv request of `type`.
func allocateRequest<Request>(_ type: uv_req_type, as: Request.Type) -> UnsafeMutablePointer<Request> {
    let size = uv_req_size(type)
    let raw = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
    raw.initializeMemory(as: UInt8.self, repeating: 0, count: size)
    return raw.bindMemory(to: Request.self, capacity: 1)
}

/// Views any libuv handle pointer as the generic `uv_handle_t`.
@inline(__always)
func asHandle<Handle>(_ pointer: UnsafeMutablePointer<Handle>) -> UnsafeMutablePointer<uv_handle_t> {
    UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: uv_handle_t.self)
}

/// Views a TCP handle as the stream it is.
@inline(__always)
func asStream(_ pointer: UnsafeMutablePointer<uv_tcp_t>) -> UnsafeMutablePointer<uv_stream_t> {
    UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: uv_stream_t.self)
}

/// Stores a retained reference to `owner` in the handle (rule 2 above).
func attach<Handle>(_ owner: some LoopHandleOwner, to handle: UnsafeMutablePointer<Handle>) {
    uv_handle_set_data(asHandle(handle), Unmanaged<AnyObject>.passRetained(owner).toOpaque())
}

/// The owner stored in a handle's data, without touching its retain count.
func owner<Owner: LoopHandleOwner>(of handle: UnsafeMutablePointer<uv_handle_t>, as: Owner.Type) -> Owner? {
    guard let data = uv_handle_get_data(handle) else { return nil }
    return Unmanaged<AnyObject>.fromOpaque(data).takeUnretainedValue() as? Owner
}

/// Closes `handle` unless it is already closing; memory and owner are released in the close callback.
func closeHandle(_ handle: UnsafeMutablePointer<uv_handle_t>) {
    if uv_is_closing(handle) == 0 {
        uv_close(handle, handleDidClose)
    }
}

/// The one close callback: tells the owner, drops the owner's retain, frees the handle memory.
func handleDidClose(_ handle: UnsafeMutablePointer<uv_handle_t>?) {
    guard let handle else { return }
    if let data = uv_handle_get_data(handle) {
        uv_handle_set_data(handle, nil)
        let owner = Unmanaged<AnyObject>.fromOpaque(data).takeRetainedValue()
        (owner as? any LoopHandleOwner)?.didClose()
    }
    UnsafeMutableRawPointer(handle).deallocate()
}
