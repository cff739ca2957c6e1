import Foundation

/// What a user may do: clerks register and edit in their departments' series, archivists read everything and run
/// verification and exports, admins manage users and series.
public enum Role: String, Codable, Sendable, CaseIterable {
    case clerk, archivist, admin
}

/// A department code (förvaltning / nämnd), e.g. `KS`. A series belongs to one department; a clerk's departments
/// decide where they may register and which restricted documents they may read.
public struct Department: RawRepresentable, Hashable, Codable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init?(rawValue: String) {
        guard (try? Department(parsing: rawValue)) != nil else { return nil }
        self.rawValue = rawValue
    }

    public init(parsing text: String, field: String = "department") throws(DiariumError) {
        let trimmed = text.trimmingWhitespace()
        guard (1...32).contains(trimmed.count),
              trimmed.unicodeScalars.allSatisfy({ ($0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil)) || $0 == "-" || $0 == "_" })
        else {
            throw .invalid(field, "a department code is 1–32 letters A–Z, digits, '-' or '_' (e.g. KS), not '\(text)'")
        }
        rawValue = trimmed.uppercased()
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { self = try Department(parsing: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// A user account. Tokens are separate (a user may have several, each revocable).
public struct User: Codable, Hashable, Sendable {
    public let name: String
    public let role: Role
    public let departments: [Department]
    public let createdAt: Date
    /// Set when the account is disabled: its tokens stop working.
    public let disabledAt: Date?

    public init(name: String, role: Role, departments: [Department], createdAt: Date, disabledAt: Date? = nil) {
        self.name = name
        self.role = role
        self.departments = departments.sorted()
        self.createdAt = createdAt
        self.disabledAt = disabledAt
    }

    /// A name as given to look a user up: in NFC, as names are stored (`checkName`). A client on macOS sends
    /// "Björn" decomposed, in a path as in a body.
    public static func lookupName(_ name: String) -> String {
        name.precomposedStringWithCanonicalMapping
    }

    /// Whether two names would be told apart only by case or width ("anna" and "Anna", "Ａnna"): the audit log names
    /// actors by these strings, and a reader could not tell such users apart.
    public static func namesCollide(_ a: String, _ b: String) -> Bool {
        a.compare(b, options: [.caseInsensitive, .widthInsensitive]) == .orderedSame
    }

    /// User names are what the audit log records as the actor.
    public static func checkName(_ name: String) throws(DiariumError) -> String {
        let name = try TextRules.line(name, field: "name", maxLength: 64)
        guard name.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || $0.properties.numericType != nil || "._-@".unicodeScalars.contains($0) }) else {
            throw .invalid("name", "a user name is letters, digits and . _ - @ only, not '\(name)'")
        }
        return name
    }
}

/// An API token's stored description. The secret itself is shown once, at creation, and stored only as its SHA-256.
public struct TokenInfo: Codable, Hashable, Sendable {
    public let id: Int64
    public let user: String
    /// The first characters of the secret, so an operator can tell tokens apart without seeing them.
    public let prefix: String
    public let label: String?
    public let createdAt: Date
    public let revokedAt: Date?
    /// Who issued it, from its `token.create` event: a token someone else issued has been in their hands
    /// (nil when the log has no such event, which `verify` reports).
    public let createdBy: String?
    /// When it stops being accepted; nil: until revoked.
    public let expiresAt: Date?
    /// When a server last accepted it, to the minute (a server writes a token's use at most once a minute); nil:
    /// never. An operator's way to find tokens nobody uses any more.
    public let lastUsedAt: Date?

    public init(id: Int64, user: String, prefix: String, label: String?, createdAt: Date, revokedAt: Date?, createdBy: String? = nil,
                expiresAt: Date? = nil, lastUsedAt: Date? = nil) {
        self.id = id
        self.user = user
        self.prefix = prefix
        self.label = label
        self.createdAt = createdAt
        self.revokedAt = revokedAt
        self.createdBy = createdBy
        self.expiresAt = expiresAt
        self.lastUsedAt = lastUsedAt
    }

    /// The longest a token may be valid: ten years.
    public static let maxValidDays = 3650
}

/// Who is asking: an authenticated user (HTTP) or the operator at the command line, who owns the store's files and
/// so may do anything.
public struct Principal: Hashable, Sendable {
    public let name: String
    public let role: Role?
    public let departments: Set<Department>
    /// When the token this request came with stops being accepted (nil: until revoked, or not a token).
    public let credentialExpiresAt: Date?

    public init(user: User, credentialExpiresAt: Date? = nil) {
        name = user.name
        role = user.role
        departments = Set(user.departments)
        self.credentialExpiresAt = credentialExpiresAt
    }

    public init(name: String, role: Role, departments: Set<Department> = []) {
        self.name = name
        self.role = role
        self.departments = departments
        credentialExpiresAt = nil
    }

    /// The local operator (CLI). `role == nil` marks it: the policy grants it everything.
    public static func operatorAccount(_ name: String) -> Principal {
        Principal(name: name, role: nil, departments: [])
    }

    private init(name: String, role: Role?, departments: Set<Department>) {
        self.name = name
        self.role = role
        self.departments = departments
        credentialExpiresAt = nil
    }
}
