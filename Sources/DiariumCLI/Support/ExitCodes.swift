import DiariumCore

/// The one place that turns domain errors into exit codes. Scripts rely on these numbers; see README.
enum ExitCodes {
    static let verifyFailed: Int32 = 1
    /// Storage, and any failure of the system that is not a domain error.
    static let storageFailure: Int32 = 7
    /// `exchange send`/`resend`: transport failed after every attempt; the interchange stays in the outbox.
    static let notDelivered: Int32 = 8
    /// `exchange send`/`resend`/`receive`: the receiver rejected the interchange (its receipt says why).
    static let interchangeRejected: Int32 = 9

    static func code(for error: DiariumError) -> Int32 {
        switch error.code {
        case .integrity: 1
        case .invalidField, .invalidNumber, .missingLegalReference: 2
        case .notFound, .gone: 3
        case .invalidState, .alreadyExists, .versionConflict, .forbidden: 4
        case .notAStore, .unsupportedStore: 5
        case .unreadableFile: 6
        case .storage: storageFailure
        }
    }
}
