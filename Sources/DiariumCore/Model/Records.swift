import Foundation

public struct Series: Hashable, Codable, Sendable {
    public let code: SeriesCode
    public let name: String
    /// The department that keeps the series (by default the one named like the series).
    public let department: Department
    public let createdAt: Date

    public init(code: SeriesCode, name: String, department: Department? = nil, createdAt: Date) {
        self.code = code
        self.name = name
        self.department = department ?? Department(series: code)
        self.createdAt = createdAt
    }
}

extension Department {
    /// The department named like a series (series codes are valid department codes).
    public init(series: SeriesCode) {
        self = try! Department(parsing: series.rawValue)
    }
}

/// A case (ärende).
public struct CaseRecord: Hashable, Codable, Sendable {
    public let number: CaseNumber
    public var title: String
    /// The title shown to those without clearance while the title is restricted.
    public var publicTitle: String?
    /// Why the case's title is withheld from the public, and on what legal ground. A case restriction hides the
    /// title only (`hides == [.title]`); content and parties are restricted on the documents. Nil with a public
    /// title only in stores made before grounds were recorded for cases: such a title stays hidden.
    public var restriction: AccessRestriction?
    public var classification: String?
    public var status: CaseStatus
    public var department: String?
    public var officer: String?
    public var openedAt: Date
    public var closedAt: Date?
    public var documentCount: Int

    public init(number: CaseNumber, title: String, publicTitle: String?, restriction: AccessRestriction? = nil,
                classification: String?, status: CaseStatus,
                department: String?, officer: String?, openedAt: Date, closedAt: Date?, documentCount: Int) {
        self.number = number
        self.title = title
        self.publicTitle = publicTitle
        self.restriction = restriction
        self.classification = classification
        self.status = status
        self.department = department
        self.officer = officer
        self.openedAt = openedAt
        self.closedAt = closedAt
        self.documentCount = documentCount
    }

    /// Whether readers without clearance are kept from the title: when it is restricted, and (stores from before
    /// case grounds) whenever there is a public title standing in for it.
    public var titleIsRestricted: Bool { restriction != nil || publicTitle != nil }
}

/// A case's description as it was until a correction replaced it (`diarium case update`), kept as it was; revision n
/// is the n-th one replaced.
public struct CaseRevision: Hashable, Codable, Sendable {
    public let n: Int
    public let replacedAt: Date
    public let replacedBy: String
    public let title: String
    public let publicTitle: String?
    public let restriction: AccessRestriction?
    public let classification: String?
    public let department: String?
    public let officer: String?

    public init(n: Int, replacedAt: Date, replacedBy: String, title: String, publicTitle: String?, restriction: AccessRestriction?,
                classification: String?, department: String?, officer: String?) {
        self.n = n
        self.replacedAt = replacedAt
        self.replacedBy = replacedBy
        self.title = title
        self.publicTitle = publicTitle
        self.restriction = restriction
        self.classification = classification
        self.department = department
        self.officer = officer
    }

    /// Whether its title was withheld while it was the description (as `CaseRecord.titleIsRestricted`).
    public var titleWasRestricted: Bool { restriction != nil || publicTitle != nil }
}

/// The descriptive metadata of a document. Each version carries a complete copy, so any version can be shown alone.
public struct DocumentMetadata: Hashable, Codable, Sendable {
    public var title: String
    /// The title shown to the public when the title itself is restricted.
    public var publicTitle: String?
    public var recordType: RecordType
    public var direction: Direction
    public var documentDate: CalendarDate?
    public var sender: String?
    public var recipient: String?
    public var classification: String?
    public var restriction: AccessRestriction?

    public init(title: String, publicTitle: String? = nil, recordType: RecordType, direction: Direction = .internal,
                documentDate: CalendarDate? = nil, sender: String? = nil, recipient: String? = nil,
                classification: String? = nil, restriction: AccessRestriction? = nil) {
        self.title = title
        self.publicTitle = publicTitle
        self.recordType = recordType
        self.direction = direction
        self.documentDate = documentDate
        self.sender = sender
        self.recipient = recipient
        self.classification = classification
        self.restriction = restriction
    }
}

/// A reference to stored content: the blob and what was known of the file it came from.
public struct ContentReference: Hashable, Codable, Sendable {
    /// Lower-case hex SHA-256 of the bytes.
    public let sha256: String
    public let size: Int64
    public let mediaType: String
    public let originalName: String

    public init(sha256: String, size: Int64, mediaType: String, originalName: String) {
        self.sha256 = sha256
        self.size = size
        self.mediaType = mediaType
        self.originalName = originalName
    }
}

/// One immutable version of a document: its complete state after a change.
public struct DocumentVersion: Hashable, Codable, Sendable {
    /// Version numbers are bounded like case and document numbers; each change adds one.
    public static let maxNumber = CaseNumber.maxSerial

    public let number: Int
    public let change: ChangeKind
    public let author: String
    public let createdAt: Date
    public let comment: String?
    public let status: DocumentStatus
    public let metadata: DocumentMetadata
    /// `nil` for a document registered without content (e.g. a paper letter).
    public let content: ContentReference?

    public init(number: Int, change: ChangeKind, author: String, createdAt: Date, comment: String?,
                status: DocumentStatus, metadata: DocumentMetadata, content: ContentReference?) {
        self.number = number
        self.change = change
        self.author = author
        self.createdAt = createdAt
        self.comment = comment
        self.status = status
        self.metadata = metadata
        self.content = content
    }
}

/// A document (handling) with its current version.
public struct DocumentRecord: Hashable, Codable, Sendable {
    public let number: DocumentNumber
    public let registeredAt: Date
    public let registeredBy: String
    public let current: DocumentVersion
    /// The document's number, and its case's, where it came from: set when it was imported or received under a
    /// number of this store (nil when it was registered here or kept its number).
    public let originalNumber: String?
    public let originalCaseNumber: String?
    /// Set once the document has been disposed of (gallrad): its content is gone, its registration and versions'
    /// metadata stay, and it takes no changes.
    public let disposal: DocumentDisposal?

    public init(number: DocumentNumber, registeredAt: Date, registeredBy: String, current: DocumentVersion,
                originalNumber: String? = nil, originalCaseNumber: String? = nil, disposal: DocumentDisposal? = nil) {
        self.number = number
        self.registeredAt = registeredAt
        self.registeredBy = registeredBy
        self.current = current
        self.originalNumber = originalNumber
        self.originalCaseNumber = originalCaseNumber
        self.disposal = disposal
    }

    public var status: DocumentStatus { current.status }

    /// The same document at another of its versions.
    public func showing(_ version: DocumentVersion) -> DocumentRecord {
        DocumentRecord(number: number, registeredAt: registeredAt, registeredBy: registeredBy, current: version,
                       originalNumber: originalNumber, originalCaseNumber: originalCaseNumber, disposal: disposal)
    }
}

extension DocumentRecord {
    /// The number of the version a change makes, or an error when the document has reached `DocumentVersion.maxNumber`.
    public func nextVersionNumber() throws(DiariumError) -> Int {
        guard current.number < DocumentVersion.maxNumber else {
            throw DiariumError(.invalidState, "document \(number) has no version number left: "
                               + "\(DocumentVersion.maxNumber) is the largest a version number can be")
        }
        return current.number + 1
    }
}

/// One entry in the append-only, hash-chained audit log.
public struct AuditEvent: Hashable, Codable, Sendable {
    public let sequence: Int64
    public let at: Date
    public let actor: String
    public let action: AuditAction
    /// The number (or code) of the object the action was on.
    public let object: String
    public let version: Int?
    /// Compact JSON with what changed; identifiers and field names, never document content.
    public let details: String
    public let previousHash: String
    public let hash: String

    public init(sequence: Int64, at: Date, actor: String, action: AuditAction, object: String, version: Int?,
                details: String, previousHash: String, hash: String) {
        self.sequence = sequence
        self.at = at
        self.actor = actor
        self.action = action
        self.object = object
        self.version = version
        self.details = details
        self.previousHash = previousHash
        self.hash = hash
    }
}

/// Stable action names in the audit log.
public enum AuditAction: String, Codable, Sendable, CaseIterable {
    case storeInit = "store.init"
    case seriesAdd = "series.add"
    case caseOpen = "case.open"
    case caseClose = "case.close"
    /// A closed case opened again (a late appeal, a matter taken up again): it takes documents again, and the retention
    /// periods that ran from its closing start again when it is closed next.
    case caseReopen = "case.reopen"
    /// A case's description corrected: its title, public title and title restriction, classification, department or
    /// officer (the details name the fields, and the restriction's ground after the change).
    case caseUpdate = "case.update"
    case documentRegister = "document.register"
    case documentVersion = "document.version"
    case documentUpdate = "document.update"
    case documentFinalise = "document.finalise"
    case documentArchive = "document.archive"
    /// An authorised user read restricted parts of a document (who read what, when).
    case documentRead = "document.read"
    /// An authorised user was shown a case's restricted title.
    case caseRead = "case.read"
    case seriesUpdate = "series.update"
    case userAdd = "user.add"
    case userUpdate = "user.update"
    case tokenCreate = "token.create"
    case tokenRevoke = "token.revoke"
    case partyAdd = "party.add"
    /// A partner's name, inbox URL, tokens or receiving series changed (never the tokens themselves in the details).
    case partyUpdate = "party.update"
    /// An interchange entered the inbox or the outbox.
    case interchangeRecord = "interchange.record"
    /// An interchange moved on (sent, delivered, accepted, rejected) or a transport attempt failed.
    case interchangeStatus = "interchange.status"
    /// A case brought in from an information package (its original opening is in the details).
    case caseImport = "case.import"
    /// One version of a document brought in from an information package, with its original author and time.
    case documentImport = "document.import"
    /// A whole information package imported (one per import, after its cases and documents).
    case packageImport = "package.import"
    /// An information package written for the e-archive.
    case packageExport = "package.export"
    /// A retention rule set or replaced (by hand, or brought in by an import).
    case retentionSet = "retention.set"
    /// A retention rule removed.
    case retentionRemove = "retention.remove"
    /// A class of the classification structure added or changed (by hand, or brought in by an import); the details
    /// say its rule.
    case classSet = "class.set"
    /// A class no case or document used removed from the classification structure.
    case classRemove = "class.remove"
    /// A class's rule for one record type set or replaced (the object is `2.4/decision`); the details say the rule.
    case classRuleSet = "class.rule.set"
    /// A class's rule for one record type removed (also as its class is removed).
    case classRuleRemove = "class.rule.remove"
    /// Content files that no catalog row named (left by an interrupted registration) were removed; the details
    /// say how many and how many bytes.
    case storePrune = "store.prune"
    /// The store was verified (`diarium verify`, `POST /api/v1/verify`): the details say what was checked and what
    /// was found (the problems' codes, never their text), and the log's head at the time.
    case storeVerify = "store.verify"
    /// A complete copy of the store was made (all content, restricted included); the details say how much and up to
    /// which audit event the copy goes.
    case storeBackup = "store.backup"
    /// The store was made from a backup (the first event it holds past the backup's own); the details name the
    /// backup, its last audit event and what was copied.
    case storeRestore = "store.restore"
    /// The store was upgraded: a newer Diarium opened it and changed its schema (actor `diarium`, the software itself);
    /// the details list the schema migrations that ran, so an archivist can tell when the store's rules changed.
    case storeUpgrade = "store.upgrade"
    /// The organisation whose records the store keeps (the archival creator its packages name) was set; the
    /// details hold the name and code, and the ones before.
    case storeOrganisation = "store.organisation"
    /// A document was disposed of (gallrad) under a retention rule: its content went, its registration stays. The
    /// details name the rule (mandate, years) and the day it fell due.
    case documentDispose = "document.dispose"
    /// A legal hold was placed on a case or document: nothing under it is disposed of until it is released.
    case holdPlace = "hold.place"
    /// A legal hold was released.
    case holdRelease = "hold.release"

    /// Whether the action creates a new document version (and so must appear once per version in the log).
    public var createsVersion: Bool {
        switch self {
        case .documentRegister, .documentVersion, .documentUpdate, .documentFinalise, .documentArchive, .documentImport: true
        default: false
        }
    }
}
