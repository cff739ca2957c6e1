import DiariumCore
import DiariumServices
import Foundation
import Hummingbird
import NIOCore

/// Documents: register (multipart or JSON), read as this reader may, change with `If-Match`, content, versions.
extension APIRoutes {
    /// The metadata part of a registration (or the whole JSON body for a document without electronic content).
    struct RegisterBody: RequestBody {
        let `case`: CaseNumber
        let title: String
        let publicTitle: String?
        let recordType: RecordType
        let direction: Direction?
        let documentDate: CalendarDate?
        let sender: String?
        let recipient: String?
        let classification: String?
        let restriction: AccessRestriction?

        static let keys: Set<String> = ["case", "title", "publicTitle", "recordType", "direction", "documentDate", "sender",
                                        "recipient", "classification", "restriction"]
        static let nested: [String: Set<String>] = ["restriction": Set(AccessRestriction.CodingKeys.allCases.map(\.rawValue))]

        var metadata: DocumentMetadata {
            DocumentMetadata(title: title, publicTitle: publicTitle, recordType: recordType, direction: direction ?? .internal,
                             documentDate: documentDate, sender: sender, recipient: recipient, classification: classification,
                             restriction: restriction)
        }
    }

    /// PATCH: absent fields stay, null clears an optional field.
    struct MetadataPatchBody: RequestBody {
        var change = MetadataChange()
        var comment: String?

        static let keys: Set<String> = ["title", "publicTitle", "recordType", "direction", "documentDate", "sender", "recipient",
                                        "classification", "restriction", "comment"]
        static var nested: [String: Set<String>] { RegisterBody.nested }

        enum Keys: String, CodingKey {
            case title, publicTitle, recordType, direction, documentDate, sender, recipient, classification, restriction, comment
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Keys.self)
            change.title = try c.decodeUnlessNull(String.self, forKey: .title)
            change.publicTitle = try c.decodePatch(String.self, forKey: .publicTitle).change
            change.recordType = try c.decodeUnlessNull(RecordType.self, forKey: .recordType)
            change.direction = try c.decodeUnlessNull(Direction.self, forKey: .direction)
            change.documentDate = try c.decodePatch(CalendarDate.self, forKey: .documentDate).change
            change.sender = try c.decodePatch(String.self, forKey: .sender).change
            change.recipient = try c.decodePatch(String.self, forKey: .recipient).change
            change.classification = try c.decodePatch(String.self, forKey: .classification).change
            change.restriction = try c.decodePatch(AccessRestriction.self, forKey: .restriction).change
            if case .some(.some) = change.restriction {
                // `hides` left out (or null): what the current restriction hides stays hidden. `until` left out: the
                // current end date stays on the same ground (null: none).
                let given = try c.nestedContainer(keyedBy: AccessRestriction.CodingKeys.self, forKey: .restriction)
                change.restrictionKeepsHides = try !given.contains(.hides) || given.decodeNil(forKey: .hides)
                change.restrictionKeepsUntil = !given.contains(.until)
            }
            comment = try c.decodeIfPresent(String.self, forKey: .comment)
        }
    }

    struct CommentBody: RequestBody {
        let comment: String?

        static let keys: Set<String> = ["comment"]
    }

    func addDocumentRoutes(to api: RouterGroup<DiariumRequestContext>) {
        let records = records
        api.post("documents") { request, context -> Response in try await register(request, context) }

        api.get("documents/{number}") { request, context -> Response in
            let principal = try context.requirePrincipal()
            _ = try QueryParameters(request, allowed: [])
            let number = try Self.documentNumber(context)
            let audited = Self.delivers(request)
            let view = try await records.run { service in
                let found = try service.documentForAccess(number)
                let clearance = AccessPolicy.hasClearance(principal, department: found.department)
                if audited { try Self.auditReveal(found.current.current, of: number, clearance: clearance, what: .metadata, principal, service) }
                return DocumentView(found.current, nameHiddenEarlier: found.nameHiddenEarlier, clearance: clearance)
            }
            // A disposal changes the view but makes no version: a tag of its own, so a cached copy is not reused.
            return JSONCoding.response(view, headers: [.eTag: view.disposal == nil ? Self.etag(view.currentVersion)
                                                                                     : "\"v\(view.currentVersion)\(Self.disposedTagSuffix)\""])
        }

        api.patch("documents/{number}") { request, context -> Response in
            let principal = try context.requirePrincipal()
            _ = try QueryParameters(request, allowed: [])
            let number = try Self.documentNumber(context)
            let ifMatch = try Self.expectedVersion(request, number: number)
            let body = try await JSONBody.decode(MetadataPatchBody.self, from: request)
            // An archived document's restriction is reviewed by archivists too (RecordRules.checkAcceptsMetadata).
            return try await change(number, principal, "correct documents", archivistsIfArchived: true) { service in
                let expected = try ifMatch.version(current: try service.document(number).current.number)
                return try service.update(number, body.change, comment: body.comment, expectedVersion: expected, actor: principal.name)
            }
        }

        for (action, status) in [("finalise", DocumentStatus.final), ("archive", .archived)] {
            api.post(RouterPath("documents/{number}/\(action)")) { request, context -> Response in
                let principal = try context.requirePrincipal()
                _ = try QueryParameters(request, allowed: [])
                let number = try Self.documentNumber(context)
                let ifMatch = try Self.expectedVersion(request, number: number)
                let body = try await JSONBody.decode(CommentBody.self, from: request, emptyAllowed: true)
                return try await change(number, principal, status == .final ? "finalise documents" : "archive documents",
                                        archiving: status == .archived) { service in
                    let expected = try ifMatch.version(current: try service.document(number).current.number)
                    return status == .final
                        ? try service.finalise(number, comment: body.comment, expectedVersion: expected, actor: principal.name)
                        : try service.archive(number, comment: body.comment, expectedVersion: expected, actor: principal.name)
                }
            }
        }

        api.put("documents/{number}/content") { request, context -> Response in try await putContent(request, context) }

        api.get("documents/{number}/content") { request, context -> Response in try await content(request, context, version: nil) }
        api.get("documents/{number}/content/info") { request, context -> Response in try await contentInfo(request, context, version: nil) }
        api.get("documents/{number}/versions/{version}/content/info") { request, context -> Response in
            try await contentInfo(request, context, version: try Self.versionNumber(context))
        }
        api.get("documents/{number}/versions/{version}/content") { request, context -> Response in
            try await content(request, context, version: try Self.versionNumber(context))
        }

        api.get("documents/{number}/versions") { request, context -> Response in
            let principal = try context.requirePrincipal()
            _ = try QueryParameters(request, allowed: [])
            let number = try Self.documentNumber(context)
            let audited = Self.delivers(request)
            let views = try await records.run { service in
                let (record, versions, department) = try service.historyForAccess(number)
                let clearance = AccessPolicy.hasClearance(principal, department: department)
                let later = PublicEntry.laterHides(versions), namesHidden = PublicEntry.namesHiddenEarlier(versions)
                let revealed = clearance && audited ? versions.compactMap { version -> (DocumentNumber, Int, [AccessRestriction.Part])? in
                    let hidden = PublicEntry.hiddenParts(of: version, later: later[version.number] ?? [])
                    return hidden.isEmpty ? nil : (number, version.number, hidden)
                } : []
                try service.recordRestrictedReads(revealed, what: .history, actor: principal.name)
                return versions.map {
                    DocumentView(record, version: $0, later: later[$0.number] ?? [], nameHiddenEarlier: namesHidden.contains($0.number),
                                 clearance: clearance)
                }
            }
            return JSONCoding.response(views)
        }

        api.get("documents/{number}/versions/{version}") { request, context -> Response in
            let principal = try context.requirePrincipal()
            _ = try QueryParameters(request, allowed: [])
            let number = try Self.documentNumber(context)
            let version = try Self.versionNumber(context)
            let audited = Self.delivers(request)
            let view = try await records.run { service in
                let found = try service.documentForAccess(number, version: version)
                let clearance = AccessPolicy.hasClearance(principal, department: found.department)
                if audited {
                    try Self.auditReveal(found.shown.current, later: found.later, of: number, clearance: clearance, what: .metadata,
                                         principal, service)
                }
                return DocumentView(found.current, version: found.shown.current, later: found.later, nameHiddenEarlier: found.nameHiddenEarlier,
                                    clearance: clearance)
            }
            return JSONCoding.response(view)
        }

        api.get("documents/{number}/history") { request, context -> Response in
            let principal = try context.requirePrincipal()
            let query = try QueryParameters(request, allowed: ["after", "limit"])
            let number = try Self.documentNumber(context)
            let after = try query.int64("after", default: 0)
            let limit = try query.int("limit", default: 100, in: 1...1000)
            let events = try await records.run { service in
                _ = try service.document(number)   // 404 for a document that does not exist
                return try Self.auditViews(try service.audit(object: number.description, after: after, limit: limit), principal, service)
            }
            return try JSONCoding.response(events)
        }
    }

    // MARK: Handlers

    /// `POST /api/v1/documents`: multipart (a `metadata` JSON part and an optional `file` part) or JSON (metadata
    /// only, for a document kept on paper). The file streams to the upload area; nothing is registered unless all
    /// of it arrived and the metadata is valid.
    func register(_ request: Request, _ context: DiariumRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        _ = try QueryParameters(request, allowed: [])
        var metadataBytes = ByteBuffer()
        var upload: UploadWriter?
        var fileName: String?
        var fileType: String?
        var decoded: RegisterBody?
        var accessChecked = false
        var inMemory: ByteBuffer?
        defer { upload?.discard() }

        let contentType = request.headers[.contentType] ?? ""
        let media = MediaTypes.essence(of: contentType).lowercased()
        if media == "application/json" {
            metadataBytes = try await JSONBody.collect(request)
        } else {
            if !media.isEmpty && media != "multipart/form-data" {
                throw Problem(status: .unsupportedMediaType, code: "unsupported-media-type", title: "Unsupported media type",
                              detail: "Register with multipart/form-data (metadata and file parts) or application/json, not \(media).",
                              field: "Content-Type")
            }
            let boundary = try MultipartReader.boundary(contentType: request.headers[.contentType])
            // The whole body counts, preamble and epilogue too: the parts' limits alone would let those run on.
            let bodyLimit = settings.maxUploadBytes + Int64(JSONBody.limit) + Int64(MultipartReader.maxFramingBytes)
            try UploadWriter.checkDeclaredLength(request, limit: bodyLimit, fileLimit: settings.maxUploadBytes)
            var reader = MultipartReader(boundary: boundary)
            var part: String?
            var seen = Set<String>()
            var received: Int64 = 0
            for try await chunk in request.body {
                received += Int64(chunk.readableBytes)
                if received > bodyLimit { throw UploadWriter.tooLarge(bodyLimit, fileLimit: settings.maxUploadBytes) }
                for event in try reader.feed(chunk) {
                    switch event {
                    case .start(let headers):
                        guard headers.name == "metadata" || headers.name == "file" else {
                            throw DiariumError.invalid(headers.name, "unknown part '\(headers.name)': send a 'metadata' part (JSON) and a 'file' part")
                        }
                        guard seen.insert(headers.name).inserted else { throw DiariumError.invalid(headers.name, "the part '\(headers.name)' is sent twice") }
                        part = headers.name
                        if headers.name == "file" {
                            // Before the metadata says where it goes: at least refuse a reader who may register nowhere,
                            // before a file of up to --max-upload bytes streams in.
                            if !seen.contains("metadata") {
                                try Self.require(AccessPolicy.mayEditSomewhere(principal), principal, "register documents")
                            }
                            // The part's name and type are checked before its bytes stream in, and named as the part.
                            if let name = headers.fileName { _ = try TextRules.fileName(name, field: "file") }
                            if let type = Self.declaredMediaType(headers.contentType) { _ = try MediaTypes.check(type, field: "file") }
                            fileName = headers.fileName
                            fileType = headers.contentType
                            upload = UploadWriter(path: uploads.newFilePath(), limit: settings.maxUploadBytes, threadPool: records.blockingPool)
                        }
                    case .data(var data):
                        if part == "metadata" {
                            guard metadataBytes.readableBytes + data.readableBytes <= JSONBody.limit else {
                                throw DiariumError.invalid("metadata", "the metadata part is larger than \(JSONBody.limit) bytes")
                            }
                            metadataBytes.writeBuffer(&data)
                        } else {
                            if let body = decoded, !accessChecked, !upload!.staysInMemory(adding: data.readableBytes) {
                                // The metadata came first: refuse a reader who may not register there before the file
                                // goes to disk or runs into the limit. (A small file is checked with the registration.)
                                try await records.run { service in
                                    try Self.require(AccessPolicy.mayEdit(principal, department: try service.department(of: body.case.series)), principal,
                                                     "register documents in series \(body.case.series)")
                                }
                                accessChecked = true
                            }
                            try await upload!.write(data)
                        }
                    case .end:
                        if part == "file" { inMemory = try await upload!.finishInMemory() }
                        if part == "metadata" && !seen.contains("file") {
                            decoded = try Self.registerBody(metadataBytes)
                        }
                        part = nil
                    }
                }
            }
            try reader.finish()
            guard seen.contains("metadata") else { throw DiariumError.invalid("metadata", "the 'metadata' part (JSON) is missing") }
            // What a browser sends for a file input left empty (`filename=""`, no bytes): registering it would make an
            // empty file of a document meant to have none, and a final document's content never changes.
            if seen.contains("file"), fileName == nil, inMemory?.readableBytes == 0 {
                throw DiariumError.invalid("file", "the 'file' part is empty and names no file (no file was chosen): "
                                               + "choose one, or leave the part out to register a document without content")
            }
        }
        let body = try decoded ?? (media == "application/json" ? JSONBody.decode(RegisterBody.self, Data(metadataBytes.readableBytesView))
                                                                  : Self.registerBody(metadataBytes))
        let metadata = body.metadata
        let caseNumber = body.case
        let file = upload?.path
        let name = fileName ?? (file == nil ? nil : "upload")
        let type = Self.declaredMediaType(fileType)
        let bytes = inMemory.map { Data($0.readableBytesView) }
        let committer = records.committer
        let record = try await records.change { service in
            // As the store has the user now: the body may have taken minutes.
            let principal = try Self.stillAuthenticated(request, service)
            try Self.require(AccessPolicy.mayEdit(principal, department: try service.department(of: caseNumber.series)), principal,
                             "register documents in series \(caseNumber.series)")
            let document = if let bytes, let name {
                NewDocument(data: bytes, originalName: name, metadata: metadata, mediaType: type)
            } else {
                NewDocument(file: file, metadata: metadata, mediaType: type, originalName: name, adoptsFile: true)
            }
            return try committer.register(document, in: caseNumber, actor: principal.name, using: service)
        }
        return JSONCoding.response(DocumentView(record, clearance: true), status: .created, headers: [
            .eTag: Self.etag(record.current.number),
            .location: "/api/v1/documents/\(Self.pathSegment(record.number.description))",
        ])
    }

    /// The media type a client declared for content, with a text's charset and no other parameters
    /// (`MediaTypes.declared`). None (or application/octet-stream, what a client sends that does not know): the file
    /// name decides. A value without a type (`;`) stays as sent, so the registration refuses it by name.
    static func declaredMediaType(_ header: String?) -> String? {
        guard let header, !header.trimmingSpaces().isEmpty else { return nil }
        let declared = MediaTypes.declared(header)
        return MediaTypes.essence(of: declared) == "application/octet-stream" ? nil : declared
    }

    /// `PUT /api/v1/documents/{number}/content`: the raw body becomes a new content version. `Content-Type` is its
    /// media type; `?filename=` its original name (default: the previous version's).
    func putContent(_ request: Request, _ context: DiariumRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let query = try QueryParameters(request, allowed: ["filename", "comment"])
        let number = try Self.documentNumber(context)
        let ifMatch = try Self.expectedVersion(request, number: number)
        try UploadWriter.checkDeclaredLength(request, limit: settings.maxUploadBytes)
        // The name and type as the request gives them (the registration checks them again, as `originalName` and
        // `mediaType`), before the body streams in.
        if let given: String = try query.typed("filename") {
            _ = try TextRules.fileName(given, field: "filename")
            // As a multipart upload's name: a client's path on Windows ("C:\\Users\\…") is not a file's name.
            if given.contains("\\") { throw DiariumError.invalid("filename", "filename names a file, not a path: it must not contain '\\'") }
        }
        if let type = Self.declaredMediaType(request.headers[.contentType]) { _ = try MediaTypes.check(type, field: "Content-Type") }
        // Refuse before reading a byte when the reader may not change it or it cannot take content.
        let (current, expected) = try await records.run { service in
            let record = try service.document(number)
            try Self.require(AccessPolicy.mayEdit(principal, department: try service.department(of: number.caseNumber.series)), principal,
                             "add versions to documents in series \(number.caseNumber.series)")
            let expected = try ifMatch.version(current: record.current.number)
            try RecordsService.checkExpectedVersion(expected, record)
            try RecordRules.checkAcceptsContent(record)
            try RecordRules.checkCaseAcceptsContent(number.caseNumber, status: try service.caseStatus(number.caseNumber))
            return (record, expected)
        }
        let upload = UploadWriter(path: uploads.newFilePath(), limit: settings.maxUploadBytes, threadPool: records.blockingPool)
        defer { upload.discard() }
        for try await chunk in request.body { try await upload.write(chunk) }
        try await upload.finish()
        let type = Self.declaredMediaType(request.headers[.contentType])
        // Without ?filename= the current name carries over, made to pass the rule if it predates it.
        let name = try query.typed("filename") ?? current.current.content.map { TextRules.safeFileName($0.originalName) } ?? "content"
        let comment = query.string("comment")
        let path = upload.path
        let record = try await records.change { service in
            let principal = try Self.stillAuthenticated(request, service)
            try Self.require(AccessPolicy.mayEdit(principal, department: try service.department(of: number.caseNumber.series)), principal,
                             "add versions to documents in series \(number.caseNumber.series)")
            return try service.addVersion(number, file: path, mediaType: type, originalName: name, comment: comment, expectedVersion: expected,
                                          adoptingFile: true, actor: principal.name)
        }
        return JSONCoding.response(DocumentView(record, clearance: true), headers: [.eTag: Self.etag(record.current.number)])
    }

    /// A version's content: in full for a reader with clearance (the read of restricted content is audited), else
    /// only what the public may download.
    func content(_ request: Request, _ context: DiariumRequestContext, version: Int?) async throws -> Response {
        let principal = try context.requirePrincipal()
        _ = try QueryParameters(request, allowed: [])
        let number = try Self.documentNumber(context)
        let file = try await records.run { service -> PublicContentFile in
            let found = try service.documentForAccess(number, version: version)
            let record = found.shown
            let (content, clearance) = try Self.readableContent(found, number, principal)
            if clearance, PublicEntry.hiddenParts(of: record.current, later: found.later).contains(.content),
               ContentResponse.delivers(size: content.size, sha256: content.sha256, request: request) {
                try service.recordRestrictedRead(number, version: record.current.number, parts: [.content], what: .content, actor: principal.name)
            }
            let name = clearance ? content.originalName : (PublicEntry.downloadName(for: record, later: found.later, nameHiddenEarlier: found.nameHiddenEarlier)
                                                      ?? content.originalName)
            return try service.contentFile(content, of: number, fileName: name)
        }
        return try ContentResponse.make(file, request: request, threadPool: records.threadPool, logger: context.logger)
    }

    /// The content of the version `found` shows, when `principal` may read it: kept, electronic, and not withheld
    /// from them (restricted, or another department's draft). With whether they have clearance.
    static func readableContent(_ found: DocumentAccess, _ number: DocumentNumber, _ principal: Principal) throws
        -> (content: ContentReference, clearance: Bool) {
        let record = found.shown
        try RecordRules.checkContentKept(record)
        guard let content = record.current.content else {
            throw Problem(status: .notFound, code: "no-content", title: "No electronic content",
                          detail: "\(number) version \(record.current.number) has no electronic content (it may be kept on paper).")
        }
        let clearance = AccessPolicy.hasClearance(principal, department: found.department)
        if !clearance, let withheld = PublicEntry.withheld(record.current, later: found.later) {
            throw withheld == .restricted
                ? Problem.forbidden(principal, "read the restricted content of \(number)")
                : Problem(status: .forbidden, code: "content-not-final", title: "Content not final",
                          detail: "\(number) is a draft of another department: its content is shown once the document is final.")
        }
        return (content, clearance)
    }

    /// What the store knows of a version's content besides its bytes: its format and the text searched.
    struct ContentInfo: Encodable, Sendable {
        let number: DocumentNumber
        let version: Int
        let sha256: String
        let size: Int64
        let mediaType: String
        /// Absent until the bytes were looked at with the signatures (`diarium formats identify`).
        let format: FormatFinding?
        /// Absent until text was extracted (`diarium index rebuild --extract`).
        let text: TextRendition?
    }

    /// `…/content/info`: as readable as the content itself (and, for a reader with clearance of a restricted
    /// content, audited as a read of its metadata: an extraction's message may quote the file).
    func contentInfo(_ request: Request, _ context: DiariumRequestContext, version: Int?) async throws -> Response {
        let principal = try context.requirePrincipal()
        _ = try QueryParameters(request, allowed: [])
        let number = try Self.documentNumber(context)
        let audited = Self.delivers(request)
        return try JSONCoding.response(try await records.run { service -> ContentInfo in
            let found = try service.documentForAccess(number, version: version)
            let (content, clearance) = try Self.readableContent(found, number, principal)
            if audited, clearance, PublicEntry.hiddenParts(of: found.shown.current, later: found.later).contains(.content) {
                try service.recordRestrictedRead(number, version: found.shown.current.number, parts: [.content], what: .metadata,
                                                 actor: principal.name)
            }
            return ContentInfo(number: number, version: found.shown.current.number, sha256: content.sha256, size: content.size,
                               mediaType: content.mediaType,
                               format: try service.contentFormat(of: content).map { FormatFinding(format: $0.format, current: $0.current) },
                               text: try service.textRendition(of: content))
        })
    }

    static func registerBody(_ bytes: ByteBuffer) throws -> RegisterBody {
        do {
            return try JSONBody.decode(RegisterBody.self, Data(bytes.readableBytesView))
        } catch let error as DiariumError where error.field == "body" {
            // The body is multipart; what was not JSON (or not an object) is the metadata part.
            throw DiariumError(error.code, error.message.replacingOccurrences(of: "the body", with: "the metadata part"), field: "metadata")
        }
    }

    /// The shape of every change: department check, the change (with the version from If-Match), the new view.
    func change(_ number: DocumentNumber, _ principal: Principal, _ what: String, archiving: Bool = false,
                archivistsIfArchived: Bool = false,
                _ body: @escaping @Sendable (RecordsService) throws -> DocumentRecord) async throws -> Response {
        let (record, clearance) = try await records.change { service in
            let department = try service.department(of: number.caseNumber.series)
            var allowed = archiving ? AccessPolicy.mayArchive(principal, department: department) : AccessPolicy.mayEdit(principal, department: department)
            if !allowed && archivistsIfArchived && AccessPolicy.mayArchive(principal, department: department) {
                allowed = try service.document(number).status == .archived
            }
            try Self.require(allowed, principal, "\(what) in series \(number.caseNumber.series)")
            return (try body(service), AccessPolicy.hasClearance(principal, department: department))
        }
        return JSONCoding.response(DocumentView(record, clearance: clearance), headers: [.eTag: Self.etag(record.current.number)])
    }

    // MARK: Helpers

    static func versionNumber(_ context: DiariumRequestContext) throws -> Int {
        let text = try parameter(context, "version")
        guard let version = Int(text), version >= 1 else { throw DiariumError.invalid("version", "a version is a whole number from 1, not '\(text)'") }
        return version
    }

    static func clearance(_ principal: Principal, _ number: DocumentNumber, _ service: RecordsService) throws -> Bool {
        AccessPolicy.hasClearance(principal, department: try service.department(of: number.caseNumber.series))
    }

    /// Whether an answer carries a body, so that showing restricted parts in it is a read to audit: not for HEAD,
    /// which runs the GET route (`autoGenerateHeadEndpoints`) and sends only the headers.
    static func delivers(_ request: Request) -> Bool { request.method != .head }

    /// Audits that a reader with clearance is shown a version whose restriction (or a later version's, `later`)
    /// hides something from others.
    static func auditReveal(_ version: DocumentVersion, later: [AccessRestriction.Part] = [], of number: DocumentNumber, clearance: Bool,
                            what: RecordsService.RestrictedRead, _ principal: Principal, _ service: RecordsService) throws {
        let hidden = PublicEntry.hiddenParts(of: version, later: later)
        guard clearance, !hidden.isEmpty else { return }
        try service.recordRestrictedRead(number, version: version.number, parts: hidden, what: what, actor: principal.name)
    }

    /// Audit events as `principal` may see them (see `AuditEventView`): an event about a document version whose
    /// content the reader may not download (restricted then or now, or another department's draft) is redacted.
    static func auditViews(_ events: [AuditEvent], _ principal: Principal, _ service: RecordsService) throws -> [AuditEventView] {
        let chain = AccessPolicy.seesAuditChain(principal)
        var withheldVersions: [String: Set<Int>] = [:]   // per document in this answer
        var unknown: Set<String> = []                     // documents the catalog does not have (redacted whole)
        return try events.map { (event) throws(DiariumError) in
            guard let number = try? DocumentNumber(parsing: event.object) else { return AuditEventView(event, showsChain: chain, redactContent: false) }
            if withheldVersions[event.object] == nil, !unknown.contains(event.object) {
                // Fails closed: a read that fails is the request's failure, never an unredacted event.
                do throws(DiariumError) {
                    let found = try service.historyForAccess(number)
                    var withheld = Set<Int>()
                    if !AccessPolicy.hasClearance(principal, department: found.department) {
                        let later = PublicEntry.laterHides(found.versions)
                        for version in found.versions where PublicEntry.withheld(version, later: later[version.number] ?? []) != nil {
                            withheld.insert(version.number)
                        }
                    }
                    withheldVersions[event.object] = withheld
                } catch where error.code == .notFound {
                    unknown.insert(event.object)
                }
            }
            guard let withheld = withheldVersions[event.object] else { return AuditEventView(event, showsChain: chain, redactContent: true) }
            // An event without a version (the document as a whole) is redacted when any version is withheld.
            let redact = event.version.map { withheld.contains($0) } ?? !withheld.isEmpty
            return AuditEventView(event, showsChain: chain, redactContent: redact)
        }
    }
}
