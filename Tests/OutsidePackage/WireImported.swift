// Must NOT typecheck either: even a file that reaches for the Wire module itself (it is no product, but its
// module file sits next to PadlockClient's in a build directory) finds nothing in it, since every declaration of
// Wire is `package`. OutsidePackageTests expects swiftc to refuse ClientRequest here.
import PadlockClient
import Wire

let request = ClientRequest(correlation: CorrelationID(1), operation: .members)
