/// A domain error with a stable code. Every interface (CLI, HTTP) maps these in exactly one place.
public struct DiariumError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Stable identifiers: scripts and HTTP clients match on these, so never rename one.
    public enum Code: String, Sendable, CaseIterable {
        /// A field has a value the domain does not accept.
        case invalidField = "invalid-field"
        /// A case or document number that cannot be parsed.
        case invalidNumber = "invalid-number"
        /// A restriction was given without its legal reference.
        case missingLegalReference = "missing-legal-reference"
        /// The object named does not exist.
        case notFound = "not-found"
        /// The object already exists (series code, store).
        case alreadyExists = "already-exists"
        /// The object is in a state that forbids the change (final, archived, closed).
        case invalidState = "invalid-state"
        /// A file given as input cannot be read.
        case unreadableFile = "unreadable-file"
        /// The path is not a Diarium store.
        case notAStore = "not-a-store"
        /// The store is written by a newer version of Diarium, or by an older one and opened read-only (no upgrade).
        case unsupportedStore = "unsupported-store"
        /// Stored data failed an integrity check.
        case integrity = "integrity"
        /// The file system or database failed (disk full, permissions, I/O error).
        case storage = "storage"
        /// The change was based on a version that is no longer the current one (optimistic concurrency).
        case versionConflict = "version-conflict"
        /// The user is known but lacks the right for this action or object.
        case forbidden = "forbidden"
        /// What was asked for existed but was destroyed on purpose: a disposed document's content (gallring).
        case gone = "gone"
    }

    public let code: Code
    public let message: String
    /// The input field, option or element the error is about, when there is one.
    public let field: String?
    /// A write failed in a way that does not tell whether it took effect: the disk failed while SQLite committed, and
    /// a commit already in the write-ahead log comes back when the catalog is next opened. Its files must then stay
    /// (orphans are harmless; `verify --remove-orphans` decides later), and the caller is told to look before retrying.
    public let outcomeUnknown: Bool

    public init(_ code: Code, _ message: String, field: String? = nil, outcomeUnknown: Bool = false) {
        self.code = code
        self.message = message
        self.field = field
        self.outcomeUnknown = outcomeUnknown
    }

    public var description: String { message }
}

extension DiariumError {
    public static func invalid(_ field: String, _ message: String) -> DiariumError {
        DiariumError(.invalidField, message, field: field)
    }

    public static func notFound(_ what: String, _ identifier: String, field: String? = nil) -> DiariumError {
        DiariumError(.notFound, "\(what) \(identifier) does not exist", field: field)
    }
}
