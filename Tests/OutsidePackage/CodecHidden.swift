// Must NOT typecheck: the wire codec is not part of the PadlockClient product. OutsidePackageTests expects
// swiftc to fail on this file with "cannot find 'ClientRequest' in scope" (and the same for the others).
import PadlockClient

let request = ClientRequest(correlation: CorrelationID(1), operation: .members)
let limit = WireLimits.pageSizeMax
let failure: ClientFailure = .timedOut
let writer = ByteWriter()  // PadlockTypes' primitive codec is `package` too, though the module is re-exported
