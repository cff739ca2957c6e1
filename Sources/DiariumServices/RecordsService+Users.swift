import DiariumCore
import DiariumStorage
import Foundation

/// A newly created token: the secret is returned here once and never stored.
public struct CreatedToken: Codable, Sendable {
    public let token: String
    public let info: TokenInfo
}

extension RecordsService {
    // MARK: Users

    public func addUser(name: String, role: Role, departments: [Department], actor: String) throws(DiariumError) -> User {
        let actor = try checkedActor(actor)
        let name = try User.checkName(name)
        let user = User(name: name, role: role, departments: Array(Set(departments)), createdAt: clock.now())
        return try store.catalog.write { access in
            if try access.user(name) != nil { throw DiariumError(.alreadyExists, "user \(name) already exists", field: "name") }
            if let other = try access.users().first(where: { User.namesCollide($0.name, name) }) {
                throw DiariumError(.alreadyExists, "user \(other.name) already exists, and \(name) differs from it only in case or width: "
                                   + "the audit log could not tell them apart", field: "name")
            }
            try access.insertUser(user)
            try access.appendAudit(at: user.createdAt, actor: actor, action: .userAdd, object: "user:\(name)", version: nil,
                                   details: Self.userDetails(user).json)
            return user
        }
    }

    /// Changes a user's role or departments, or disables (enabled: false) or re-enables the account. `expectedVersion`
    /// (`userVersion`; an API client's If-Match): refused unless the user is as the admin last saw them, so that of
    /// two admins replacing the departments one does not undo the other's unseen.
    public func updateUser(name: String, role: Role?, departments: [Department]?, enabled: Bool?, expectedVersion: Int? = nil,
                           actor: String) throws(DiariumError) -> User {
        let actor = try checkedActor(actor)
        let name = User.lookupName(name)
        return try store.catalog.write { access in
            guard let old = try access.user(name) else { throw DiariumError.notFound("user", name) }
            if let expectedVersion {
                let version = try access.userVersion(name: name)
                guard expectedVersion == version else {
                    throw DiariumError(.versionConflict, "user \(name) has changed: the change was based on version \(expectedVersion), "
                                       + "the current version is \(version)")
                }
            }
            let now = clock.now()
            let disabledAt: Date? = switch enabled {
            case nil: old.disabledAt
            case true?: nil
            case false?: old.disabledAt ?? now
            }
            let new = User(name: old.name, role: role ?? old.role, departments: departments.map { Array(Set($0)) } ?? old.departments,
                           createdAt: old.createdAt, disabledAt: disabledAt)
            guard new != old else { throw DiariumError(.invalidField, "nothing to change for user \(name)") }
            if old.role == .admin, old.disabledAt == nil, new.role != .admin || new.disabledAt != nil,
               try !access.users().contains(where: { $0.name != name && $0.role == .admin && $0.disabledAt == nil }) {
                // Nobody could manage users or tokens over HTTP any more.
                throw DiariumError(.invalidState, "\(name) is the last enabled admin: make another user admin first")
            }
            try access.updateUser(new)
            var details = Self.userDetails(new)
            details["enabled"] = .bool(new.disabledAt == nil)
            try access.appendAudit(at: now, actor: actor, action: .userUpdate, object: "user:\(name)", version: nil, details: details.json)
            return new
        }
    }

    /// Users by name, a page at a time: `after` the last name of the previous page.
    public func listUsers(after: String? = nil, limit: Int = 1000) throws(DiariumError) -> [User] {
        try Self.checkPageSize(limit)
        return try store.catalog.read { try $0.users(after: after, limit: limit) }
    }

    /// A user and their version (`CatalogAccess.userVersion`), read together.
    public func userVersioned(_ name: String) throws(DiariumError) -> (user: User, version: Int) {
        let name = User.lookupName(name)
        return try store.catalog.read { access in
            guard let user = try access.user(name) else { throw DiariumError.notFound("user", name) }
            return (user, try access.userVersion(name: name))
        }
    }

    public func user(_ name: String) throws(DiariumError) -> User {
        let name = User.lookupName(name)
        return try store.catalog.read { access in
            guard let user = try access.user(name) else { throw DiariumError.notFound("user", name) }
            return user
        }
    }

    static func userDetails(_ user: User) -> AuditDetails {
        var details = AuditDetails()
        details["role"] = .string(user.role.rawValue)
        details["departments"] = .strings(user.departments.map(\.rawValue))
        return details
    }

    // MARK: Tokens

    /// `validDays`: accepted for that many days from now (1–3,650); nil: until revoked. `notAfter`: the end of the
    /// token the request came with, which the new one may not outlive (a leaked token with an end cannot mint one
    /// without).
    public func createToken(user name: String, label: String?, validDays: Int? = nil, notAfter: Date? = nil,
                            actor: String) throws(DiariumError) -> CreatedToken {
        let actor = try checkedActor(actor)
        let name = User.lookupName(name)
        let label = try TextRules.optionalLine(label, field: "label", maxLength: 200)
        if let validDays, !(1...TokenInfo.maxValidDays).contains(validDays) {
            throw .invalid("validDays", "a token is valid for 1 to \(TokenInfo.maxValidDays) days, not \(validDays)")
        }
        let secret = TokenSecret.generate()
        return try store.catalog.write { access in
            guard let user = try access.user(name) else { throw DiariumError.notFound("user", name) }
            guard user.disabledAt == nil else { throw DiariumError(.invalidState, "user \(name) is disabled", field: "user") }
            let now = clock.now()
            let digest = TokenSecret.digest(secret)
            // Whole milliseconds, as stored, so that the log and the row say the same instant.
            var expiresAt: Date?
            if let validDays {
                guard let end = Timestamp.parse(Timestamp.format(now.addingTimeInterval(Double(validDays) * 86_400))) else {
                    throw DiariumError.invalid("validDays", "a token valid for \(validDays) days would outlast the calendar")
                }
                expiresAt = end
            }
            if let notAfter {
                guard let expiresAt, expiresAt <= notAfter else {
                    throw DiariumError.invalid("validDays", "the token this request came with is valid until \(Timestamp.format(notAfter)): "
                                               + "a token it creates may not outlive it (give validDays reaching no further)")
                }
            }
            let info = try access.insertToken(user: name, sha256: digest, prefix: TokenSecret.prefix(secret), label: label, at: now,
                                              expiresAt: expiresAt, by: actor)
            var details = AuditDetails()
            details["token"] = .int(info.id)
            details["prefix"] = .string(info.prefix)
            // Always said ("" for never), so that verify finds a validity lengthened behind the log's back.
            details["expires"] = .string(expiresAt.map(Timestamp.format) ?? "")
            details["fingerprint"] = .string(TokenSecret.auditFingerprint(digest: digest))
            try access.appendAudit(at: now, actor: actor, action: .tokenCreate, object: "user:\(name)", version: nil, details: details.json)
            return CreatedToken(token: secret, info: info)
        }
    }

    public func revokeToken(id: Int64, actor: String) throws(DiariumError) -> TokenInfo {
        let actor = try checkedActor(actor)
        return try store.catalog.write { access in
            guard let info = try access.token(id: id) else { throw DiariumError(.notFound, "token \(id) does not exist", field: "id") }
            guard info.revokedAt == nil else { throw DiariumError(.invalidState, "token \(id) is already revoked", field: "id") }
            let now = clock.now()
            try access.revokeToken(id: id, at: now)
            var details = AuditDetails()
            details["token"] = .int(id)
            try access.appendAudit(at: now, actor: actor, action: .tokenRevoke, object: "user:\(info.user)", version: nil, details: details.json)
            return try access.token(id: id)!
        }
    }

    public func listTokens(user: String?) throws(DiariumError) -> [TokenInfo] {
        try store.catalog.read { try $0.tokens(user: user.map(User.lookupName)) }
    }

    /// The principal a bearer token stands for; nil for a malformed, unknown or revoked token or a disabled user.
    public func authenticate(token: String) throws(DiariumError) -> Principal? {
        guard TokenSecret.isWellFormed(token) else { return nil }
        let digest = TokenSecret.digest(token)
        let now = clock.now()
        return try store.catalog.read { try $0.activeUser(tokenSHA256: digest, at: now) }
            .map { Principal(user: $0.user, credentialExpiresAt: $0.tokenExpiresAt) }
    }

    /// Notes that a server accepted the tokens with these SHA-256s now (`TokenInfo.lastUsedAt`). Not audited: it is
    /// no change to the record, and a server writes it at most once a minute per token.
    public func recordTokenUse(sha256: [String]) throws(DiariumError) {
        guard !sha256.isEmpty else { return }
        let now = clock.now()
        try store.catalog.write { access in try access.recordTokenUse(sha256: sha256, at: now) }
    }

    // MARK: Series departments

    public func setSeriesDepartment(_ code: SeriesCode, _ department: Department, actor: String,
                                    condition: SettingCondition<Series>? = nil) throws(DiariumError) -> Series {
        let actor = try checkedActor(actor)
        return try store.catalog.write { access in
            guard let old = try access.series(code) else { throw DiariumError(.notFound, "series \(code) does not exist", field: "series") }
            try condition?(old)
            guard old.department != department else { throw DiariumError(.invalidField, "series \(code) is already kept by \(department)", field: "department") }
            try access.setSeriesDepartment(code, department)
            var details = AuditDetails()
            details["department"] = .string(department.rawValue)
            try access.appendAudit(at: clock.now(), actor: actor, action: .seriesUpdate, object: code.rawValue, version: nil, details: details.json)
            return try access.series(code)!
        }
    }

    /// A document (at `version`, default current) and the department that keeps its series, in one read: what
    /// every access decision on a document needs.
    public func documentForAccess(_ number: DocumentNumber, version: Int? = nil) throws(DiariumError) -> DocumentAccess {
        try store.catalog.read { access in
            let stored = try requireDocument(number, access)
            guard let series = try access.series(number.caseNumber.series) else { throw DiariumError.notFound("series", number.caseNumber.series.rawValue) }
            guard let version, version != stored.record.current.number else {
                return DocumentAccess(current: stored.record, shown: stored.record, later: [],
                                      nameHiddenEarlier: try Self.nameHiddenEarlier(stored, access), department: series.department)
            }
            let history = try access.versions(documentID: stored.id)
            guard let old = history.first(where: { $0.number == version }) else {
                throw Self.noSuchVersion(number, version, history: history.map(\.number))
            }
            return DocumentAccess(current: stored.record, shown: stored.record.showing(old), later: PublicEntry.laterHides(history)[version] ?? [],
                                  nameHiddenEarlier: PublicEntry.namesHiddenEarlier(history).contains(version), department: series.department)
        }
    }

    /// Whether an earlier version hid the name of the current content's file (`PublicEntry.namesHiddenEarlier`).
    /// Asked of the catalog only when it can matter: the one read of most documents (a single version) pays nothing.
    static func nameHiddenEarlier(_ stored: StoredDocument, _ access: CatalogAccess) throws -> Bool {
        let current = stored.record.current
        guard current.number > 1, current.content != nil,
              !PublicEntry.namesMayReveal(current.metadata.restriction?.hides ?? []) else { return false }
        return try access.nameHiddenEarlier(documentID: stored.id)
    }

    /// A case and a page of its documents (by ordinal, after `afterOrdinal`; `more` when others follow) for an
    /// access decision: with the ordinals of those whose file names an earlier version hid
    /// (`PublicEntry.namesHiddenEarlier`), read together.
    public func caseDetailsForAccess(_ number: CaseNumber, afterOrdinal: Int = 0, limit: Int = 1000) throws(DiariumError)
        -> (record: CaseRecord, documents: [DocumentRecord], more: Bool, namesHiddenEarlier: Set<Int>, version: Int) {
        try Self.checkPageSize(limit)
        return try store.catalog.read { access in
            let stored = try Self.requireCase(number, access)
            let page = try access.documentsPage(caseID: stored.id, afterOrdinal: afterOrdinal, limit: limit)
            return (stored.record, page.documents, page.more, try access.namesHiddenEarlier(caseID: stored.id),
                    try access.caseVersion(caseID: stored.id, number: number))
        }
    }

    /// A document and its whole history, read together (a restriction added between two reads cannot be missed).
    public func historyForAccess(_ number: DocumentNumber) throws(DiariumError) -> (current: DocumentRecord, versions: [DocumentVersion], department: Department) {
        try store.catalog.read { access in
            let stored = try requireDocument(number, access)
            guard let series = try access.series(number.caseNumber.series) else { throw DiariumError.notFound("series", number.caseNumber.series.rawValue) }
            return (stored.record, try access.versions(documentID: stored.id), series.department)
        }
    }

    /// The department that keeps a series (for access decisions).
    public func department(of series: SeriesCode) throws(DiariumError) -> Department {
        try store.catalog.read { access in
            guard let found = try access.series(series) else { throw DiariumError(.notFound, "series \(series) does not exist", field: "series") }
            return found.department
        }
    }
}

/// A document as read for an access decision: its current version, the version asked for, what the restrictions of
/// the versions after that one hide (`PublicEntry.hiddenParts`), whether an earlier one hid its file's name, and the
/// department that keeps its series.
public struct DocumentAccess: Sendable {
    public let current: DocumentRecord
    public let shown: DocumentRecord
    public let later: [AccessRestriction.Part]
    /// An earlier version hid the name of the shown version's file (`PublicEntry.namesHiddenEarlier`).
    public let nameHiddenEarlier: Bool
    public let department: Department
}

// MARK: Reads of restricted documents

extension RecordsService {
    /// What a reader was shown of a restricted document.
    public enum RestrictedRead: String, Sendable {
        case metadata, content, history, search
    }

    /// Records in the audit chain that `actor` was shown the restricted parts of a document version (who read
    /// what, when). Called by interfaces after they decided the reader has clearance and before they answer.
    public func recordRestrictedRead(_ number: DocumentNumber, version: Int, parts: [AccessRestriction.Part], what: RestrictedRead,
                                     actor: String) throws(DiariumError) {
        try recordRestrictedReads([(number, version, parts)], what: what, actor: actor)
    }

    /// Records that `actor` was shown the restricted titles of these cases, in one transaction (a page of cases).
    public func recordRestrictedCaseReads(_ numbers: [CaseNumber], actor: String) throws(DiariumError) {
        guard !numbers.isEmpty else { return }
        let actor = try checkedActor(actor)
        try store.catalog.write { access in
            let now = clock.now()
            var details = AuditDetails()
            details["read"] = .string("title")
            for number in numbers {
                try access.appendAudit(at: now, actor: actor, action: .caseRead, object: number.description, version: nil, details: details.json)
            }
        }
    }

    /// Several reads in one transaction (a page of search hits).
    public func recordRestrictedReads(_ reads: [(number: DocumentNumber, version: Int, parts: [AccessRestriction.Part])],
                                      what: RestrictedRead, actor: String) throws(DiariumError) {
        guard !reads.isEmpty else { return }
        let actor = try checkedActor(actor)
        try store.catalog.write { access in
            let now = clock.now()
            for read in reads {
                var details = AuditDetails()
                details["read"] = .string(what.rawValue)
                details["parts"] = .strings(read.parts.map(\.rawValue))
                try access.appendAudit(at: now, actor: actor, action: .documentRead, object: read.number.description,
                                       version: read.version, details: details.json)
            }
        }
    }
}
