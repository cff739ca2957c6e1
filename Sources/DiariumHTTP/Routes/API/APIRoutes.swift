import Crypto
import DiariumCore
import DiariumServices
import DiariumStorage
import Foundation
import Hummingbird
import NIOPosix

/// Limits and scratch space of the clerk API.
public struct APISettings: Sendable {
    /// The largest upload (content of a document version) accepted; more is answered with 413.
    public var maxUploadBytes: Int64

    public init(maxUploadBytes: Int64 = 2 << 30) {
        self.maxUploadBytes = maxUploadBytes
    }
}

/// `/api/v1/…`: the clerk, archivist and admin API. Every route is behind a bearer token; what the principal may
/// see or change is decided with `AccessPolicy`, and what a reader without clearance sees with `DocumentView`.
struct APIRoutes {
    let records: Records
    let uploads: UploadArea
    let settings: APISettings
    let exports: ExportJobs
    let deliveries: OutboxDeliveries
    let tokens = TokenCache()
    let tokenUses = TokenUse()
    let verifying = SingleRun()
    let purger = IndexPurger()

    static let base = "/api/v1"

    /// Every path with the methods it answers (for 405 + Allow, and checked against the OpenAPI document in tests).
    static let routes: [(path: String, methods: [HTTPRequest.Method])] = [
        ("/api/v1/me", [.get]),
        ("/api/v1/series", [.get, .post]),
        ("/api/v1/series/{series}", [.get, .patch]),
        ("/api/v1/series/{series}/retention", [.get]),
        ("/api/v1/series/{series}/retention/{type}", [.put, .delete]),
        ("/api/v1/classification", [.get]),
        ("/api/v1/classification/{code}", [.get, .put, .delete]),
        ("/api/v1/classification/{code}/retention/{type}", [.put, .delete]),
        ("/api/v1/cases", [.get, .post]),
        ("/api/v1/cases/{case}", [.get, .patch]),
        ("/api/v1/cases/{case}/history", [.get]),
        ("/api/v1/restrictions/ended", [.get]),
        ("/api/v1/cases/{case}/close", [.post]),
        ("/api/v1/cases/{case}/reopen", [.post]),
        ("/api/v1/documents", [.post]),
        ("/api/v1/documents/{number}", [.get, .patch]),
        ("/api/v1/documents/{number}/content", [.get, .put]),
        ("/api/v1/documents/{number}/content/info", [.get]),
        ("/api/v1/documents/{number}/finalise", [.post]),
        ("/api/v1/documents/{number}/archive", [.post]),
        ("/api/v1/documents/{number}/versions", [.get]),
        ("/api/v1/documents/{number}/versions/{version}", [.get]),
        ("/api/v1/documents/{number}/versions/{version}/content", [.get]),
        ("/api/v1/documents/{number}/versions/{version}/content/info", [.get]),
        ("/api/v1/documents/{number}/history", [.get]),
        ("/api/v1/search", [.get]),
        ("/api/v1/audit", [.get]),
        ("/api/v1/verify", [.post]),
        ("/api/v1/organisation", [.get, .put]),
        ("/api/v1/users", [.get, .post]),
        ("/api/v1/users/{name}", [.get, .patch]),
        ("/api/v1/users/{name}/tokens", [.get, .post]),
        ("/api/v1/tokens/{id}", [.delete]),
        ("/api/v1/formats", [.get]),
        ("/api/v1/formats/documents", [.get]),
        ("/api/v1/exports", [.get, .post]),
        ("/api/v1/exports/{id}", [.get, .delete]),
        ("/api/v1/exports/{id}/package", [.get]),
        ("/api/v1/imports", [.post]),
        ("/api/v1/disposal", [.post]),
        ("/api/v1/disposal/due", [.get]),
        ("/api/v1/disposal/record", [.get]),
        ("/api/v1/backups", [.get]),
        ("/api/v1/holds", [.get, .post]),
        ("/api/v1/holds/{id}", [.get]),
        ("/api/v1/holds/{id}/release", [.post]),
        ("/api/v1/exchange/interchanges", [.get]),
        ("/api/v1/exchange/outbox", [.post]),
        ("/api/v1/exchange/outbox/{controlReference}", [.get]),
        ("/api/v1/exchange/outbox/{controlReference}/resend", [.post]),
        ("/api/v1/exchange/outbox/{controlReference}/withdraw", [.post]),
    ]

    func add(to router: Router<DiariumRequestContext>) {
        let api = router.group(RouterPath(Self.base))
        api.add(middleware: PrivateResponseMiddleware())
        let uploads = uploads
        api.add(middleware: AuthenticationMiddleware(records: records, cache: tokens, uses: tokenUses, stopping: { uploads.isClosed }))
        addRegistryRoutes(to: api)
        addDocumentRoutes(to: api)
        addAdminRoutes(to: api)
        addArchiveRoutes(to: api)
        addDisposalRoutes(to: api)
        addExchangeRoutes(to: api)
    }

    // MARK: Shared helpers

    /// A path parameter, percent-decoded.
    static func parameter(_ context: DiariumRequestContext, _ name: String) throws -> String {
        let raw = try context.parameters.require(name)
        guard let text = raw.percentDecoded() else {
            throw DiariumError.invalid(name, "the path segment \(name) is not correctly percent-encoded")
        }
        return text
    }

    static func documentNumber(_ context: DiariumRequestContext) throws -> DocumentNumber {
        try DocumentNumber(parsing: try parameter(context, "number"), field: "number")
    }

    static func caseNumber(_ context: DiariumRequestContext) throws -> CaseNumber {
        try CaseNumber(parsing: try parameter(context, "case"), field: "case")
    }

    /// A document's entity tag: its current version number. Every change makes a new version, so the tag changes
    /// with every change of content, metadata or status.
    static func etag(_ version: Int) -> String { "\"v\(version)\"" }

    /// A case's entity tag: its version (`RecordsService.caseVersion`), which every correction, closing and reopening
    /// raises: a close or a correction based on the case as it was before another's is refused (412). Its documents
    /// are not part of it (registering one into the case changes nothing a case's change is based on).
    static func caseETag(_ version: Int) -> String { "\"d\(version)\"" }

    /// A user's entity tag: their version (`RecordsService.userVersioned`), raised by every change of role,
    /// departments or state. A PATCH names it in If-Match, as changes to documents and cases do.
    static func userETag(_ version: Int) -> String { "\"u\(version)\"" }

    /// The version an `If-Match` names. Missing → 428; a tag that names no version (`*`, weak, foreign) → 412.
    /// A disposed document's tag (`"v3-disposed"`) names its version too: the change is then refused for the
    /// disposal (409), not for a tag the server itself handed out.
    static func expectedVersion(_ request: Request, number: DocumentNumber) throws -> IfMatch {
        try ifMatch(request, prefix: "v", of: "\(number)", example: "\"v3\"", what: "version", suffix: disposedTagSuffix)
    }

    /// What marks a disposed document's entity tag (`etag(_:)` plus this): a view that changed without a version.
    static let disposedTagSuffix = "-disposed"

    /// The numbers the strong tags of `If-Match` name, tags being `"<prefix><n>"` (or `"<prefix><n><suffix>"`).
    /// Missing → 428; none of that form → 412.
    static func ifMatch(_ request: Request, prefix: Character, of object: String, example: String, what: String,
                        suffix: String? = nil) throws -> IfMatch {
        guard let header = request.headers[.ifMatch] else {
            throw Problem(status: .preconditionRequired, code: "precondition-required", title: "If-Match required",
                          detail: "Changes to \(object) need If-Match with its current ETag (GET it first).", field: "If-Match")
        }
        let noneMatch = request.headers[values: .ifNoneMatch].flatMap { $0.split(separator: ",").map { $0.trimmingSpaces() } }
        if header.trimmingSpaces() == "*" { return IfMatch(tags: .any, noneMatch: noneMatch, prefix: prefix, object: object) }
        var numbers: [Int] = []
        for item in header.split(separator: ",") {
            // Strong comparison (RFC 9110 §13.1.1): a weak tag matches nothing, and "v03" is not the tag "v3".
            let tag = item.trimmingSpaces()
            guard tag.hasPrefix("\"\(prefix)"), tag.hasSuffix("\""), tag.count > 3 else { continue }
            var digits = tag.dropFirst(2).dropLast()
            if let suffix, digits.hasSuffix(suffix) { digits = digits.dropLast(suffix.count) }
            if let n = Int(digits), n >= 1, String(n) == digits { numbers.append(n) }
        }
        guard !numbers.isEmpty else {
            throw Problem(status: .preconditionFailed, code: "version-conflict", title: "Changed by someone else",
                          detail: "If-Match names no \(what) of \(object): its ETags look like \(example) (GET it for the current one).",
                          field: "If-Match")
        }
        return IfMatch(tags: .versions(numbers), noneMatch: noneMatch, prefix: prefix, object: object)
    }

    /// The request's principal as the store has it now, for a change committed after a body that took long to
    /// arrive (an upload of minutes): a token revoked, a user disabled or moved to another department meanwhile makes
    /// no change. Read past the token cache (which may be `TokenCache.ttl` behind).
    static func stillAuthenticated(_ request: Request, _ service: RecordsService) throws -> Principal {
        let token = try AuthenticationMiddleware.bearerToken(request, missing: "The API needs a token: Authorization: Bearer <token>.")
        guard let principal = try service.authenticate(token: token) else {
            throw Problem.unauthenticated("The token was revoked, expired or its user disabled while the request was sent; nothing was changed.",
                                          tokenGiven: true)
        }
        return principal
    }

    static func require(_ allowed: Bool, _ principal: Principal, _ what: String) throws {
        if !allowed { throw Problem.forbidden(principal, what) }
    }

    /// The series whose restricted parts the reader may see (`AccessPolicy.hasClearance`); nil for all of them.
    static func clearedSeries(_ principal: Principal, _ service: RecordsService) throws -> Set<SeriesCode>? {
        switch RecordsService.searchView(for: principal, series: try service.listSeries()) {
        case .full: nil
        case .public: []
        case .cleared(let series): series
        }
    }
}

/// `If-Match` and `If-None-Match` on a setting (a class, a series, the organisation), whose entity tag is a digest of
/// its JSON as a GET returns it. Unlike documents, cases and users they are optional — an admin's script may replace a
/// class outright — but honoured when given (RFC 9110 §13.1.1–2), inside the change's transaction: two admins who
/// each read a class and replace it cannot both succeed, and `If-None-Match: *` makes a PUT create only.
struct SettingConditions: Sendable {
    let ifMatch: [Substring]?
    let ifNoneMatch: [Substring]?

    init(_ request: Request) {
        func tags(_ values: [String]) -> [Substring]? {
            values.isEmpty ? nil : values.flatMap { $0.split(separator: ",").map { Substring($0.trimmingSpaces()) } }
        }
        ifMatch = tags(request.headers[values: .ifMatch])
        ifNoneMatch = tags(request.headers[values: .ifNoneMatch])
    }

    static func etag(_ value: some Encodable) throws -> String {
        let digest = SHA256.hash(data: try JSONCoding.encoder().encode(value))
        return "\"s" + digest.prefix(12).map { String(format: "%02x", $0) }.joined() + "\""
    }

    /// The condition for the service to check against `what` as its transaction finds it; nil without either header.
    func condition<Value: Encodable & Sendable>(_ what: String) -> SettingCondition<Value>? {
        guard ifMatch != nil || ifNoneMatch != nil else { return nil }
        let ifMatch = ifMatch, ifNoneMatch = ifNoneMatch
        return { (current: Value?) throws(DiariumError) -> Void in
            let etag: String?
            do { etag = try current.map { try Self.etag($0) } } catch {
                throw DiariumError(.storage, "\(what) could not be encoded for its ETag: \(error)")
            }
            if let ifMatch {
                // Strong comparison: a weak tag never matches; `*` matches whatever exists.
                let matches = etag.map { etag in ifMatch.contains { $0 == "*" || $0 == etag } } ?? false
                if !matches {
                    throw DiariumError(.versionConflict, etag == nil ? "\(what) does not exist, and If-Match asks for it"
                                       : "\(what) has changed since it was read: its ETag is \(etag!), not what If-Match names", field: "If-Match")
                }
            }
            if let ifNoneMatch, let etag {
                // Weak comparison (§13.1.2): W/"s…" names the same representation.
                if ifNoneMatch.contains(where: { $0 == "*" || ($0.hasPrefix("W/") ? $0.dropFirst(2) : $0) == etag }) {
                    throw DiariumError(.versionConflict, "\(what) exists (ETag \(etag)), and If-None-Match asks that it does not", field: "If-None-Match")
                }
            }
        }
    }
}

/// What a change's `If-Match` accepts: any current version (`*`), or the versions its strong ETags name; and what its
/// `If-None-Match` refuses (RFC 9110 §13.2.2: evaluated after If-Match; false, for a change, is 412): `*`, the resource
/// existing at all, or the current version among its tags (weak comparison).
struct IfMatch: Sendable {
    enum Tags: Sendable {
        case any
        case versions([Int])
    }

    let tags: Tags
    /// If-None-Match's entity tags as given; empty without the header.
    var noneMatch: [String] = []
    /// What the tags are made of (`"v3"`: "v") and what they are of, for messages.
    var prefix: Character = "v"
    var object = ""

    static var any: IfMatch { IfMatch(tags: .any) }
    static func versions(_ versions: [Int]) -> IfMatch { IfMatch(tags: .versions(versions)) }

    /// The version a change is based on, given the current one: none for `*` (any version the change's own
    /// transaction finds will do: resolving it here, before that transaction, made racing `*` writers fail with
    /// 412); for tags, the current one when the header names it, otherwise the first named, which the service
    /// refuses (412) naming both. If-None-Match is held to the version read here, as the request is handled (not in the
    /// change's transaction, as If-Match is: `*` cannot race, a tag of one version can).
    func version(current: Int) throws(DiariumError) -> Int? {
        // If-Match first (§13.2.2): one that names another version is refused by the service, naming both.
        if case .versions(let versions) = tags, !versions.contains(current) { return versions[0] }
        if noneMatch.contains("*") {
            throw DiariumError(.versionConflict, "\(object) exists, and If-None-Match: * asks that it does not", field: "If-None-Match")
        }
        let etag = "\"\(prefix)\(current)\""
        if noneMatch.contains(where: { ($0.hasPrefix("W/") ? String($0.dropFirst(2)) : $0) == etag }) {
            throw DiariumError(.versionConflict, "\(object) is at \(etag), which If-None-Match names", field: "If-None-Match")
        }
        switch tags {
        case .any: return nil
        case .versions(let versions): return versions.contains(current) ? current : versions[0]
        }
    }
}

/// What the API answers for a case: the case and its documents as this reader may see them.
struct CaseView: Codable, Sendable {
    let `case`: CaseRecordView
    let documents: [DocumentView]
    /// The last ordinal of this page, to pass as `after` for the next; absent on the last page.
    let nextAfter: Int?
}

/// A case and what each correction of it replaced, oldest first.
struct CaseHistoryView: Codable, Sendable {
    let `case`: CaseRecordView
    let revisions: [CaseRevisionView]
}

/// The principal, as `/api/v1/me` shows it.
struct PrincipalView: Codable, Sendable {
    let name: String
    let role: Role
    let departments: [Department]
}
