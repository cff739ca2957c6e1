import DiariumCore

/// The one place that turns domain errors into exit codes. Scripts rely on these numbers; see README.
enum ExitCodes {
    static let verifyFailed: Int32 = 1

    static func code(for error: DiariumError) -> Int32 {
        switch error.code {
        case .integrity: 1
        case .invalidField, .invalidNumber, .missingLegalReference: 2
        case .notFound: 3
        case .invalidState, .alreadyExists, .versionConflict, .forbidden: 4
        case .notAStore, .unsupportedStore: 5
        case .unreadableFile: 6
        case .storage: 7
        }
    }
}
