import Synchronization

/// A value a hook sets inside a transaction, on whichever thread commits, for the caller to read afterwards.
final class ResultBox<Value: Sendable>: Sendable {
    private let value = Mutex<Value?>(nil)

    func set(_ newValue: Value) { value.withLock { $0 = newValue } }
    func get() -> Value? { value.withLock { $0 } }
}
