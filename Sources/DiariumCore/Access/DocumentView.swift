import Foundation

/// A document version as an authenticated reader may see it: everything for a reader with clearance, and for others
/// what the public diarium shows plus the internal fields that are not restricted (author, comment, version).
///
/// `redacted` lists what was left out, so clients can tell "hidden" from "empty".
public struct DocumentView: Codable, Hashable, Sendable {
    public struct Content: Codable, Hashable, Sendable {
        public let available: Bool
        public let withheld: PublicEntry.Withheld?
        public let sha256: String?
        public let size: Int64?
        public let mediaType: String?
        public let originalName: String?
    }

    public let number: DocumentNumber
    public let caseNumber: CaseNumber
    /// Its numbers where it came from (see `DocumentRecord`): registry identifiers, not restricted.
    public let originalNumber: String?
    public let originalCaseNumber: String?
    public let registeredAt: Date
    public let registeredBy: String
    /// The version shown and, when that is an older one, the current version number.
    public let version: Int
    public let currentVersion: Int
    public let change: ChangeKind
    public let author: String
    public let createdAt: Date
    public let comment: String?
    public let status: DocumentStatus
    public let title: String?
    public let publicTitle: String?
    public let recordType: RecordType
    public let direction: Direction
    public let documentDate: CalendarDate?
    public let sender: String?
    public let recipient: String?
    public let classification: String?
    public let restriction: AccessRestriction?
    public let content: Content?
    public let redacted: [AccessRestriction.Part]
    /// When, by whom and under which rule the document was disposed of; its content is then unavailable to anyone.
    public let disposal: DocumentDisposal?

    /// The record's current version. `nameHiddenEarlier`: an earlier version hid its file's name
    /// (`PublicEntry.namesHiddenEarlier`), so it is not shown without clearance.
    public init(_ record: DocumentRecord, nameHiddenEarlier: Bool = false, clearance: Bool) {
        self.init(record, version: record.current, later: [], nameHiddenEarlier: nameHiddenEarlier, clearance: clearance)
    }

    /// An older version of the record: `later` is what the restrictions of the versions after it hide
    /// (`PublicEntry.laterHides`), which it is shown without as well.
    public init(_ record: DocumentRecord, version shown: DocumentVersion, later: [AccessRestriction.Part], nameHiddenEarlier: Bool = false,
                clearance: Bool) {
        let metadata = shown.metadata
        let restriction = metadata.restriction
        let hidden: [AccessRestriction.Part] = clearance ? [] : PublicEntry.hiddenParts(of: shown, later: later)
        number = record.number
        caseNumber = record.number.caseNumber
        originalNumber = record.originalNumber
        originalCaseNumber = record.originalCaseNumber
        registeredAt = record.registeredAt
        registeredBy = record.registeredBy
        self.version = shown.number
        currentVersion = record.current.number
        change = shown.change
        author = shown.author
        createdAt = shown.createdAt
        // A comment may repeat what the restriction hides.
        comment = hidden.isEmpty ? shown.comment : nil
        status = shown.status
        title = hidden.contains(.title) ? nil : metadata.title
        publicTitle = metadata.publicTitle
        recordType = metadata.recordType
        direction = metadata.direction
        documentDate = metadata.documentDate
        sender = hidden.contains(.parties) ? nil : metadata.sender
        recipient = hidden.contains(.parties) ? nil : metadata.recipient
        classification = metadata.classification
        self.restriction = restriction
        disposal = record.disposal
        content = shown.content.map { stored in
            if record.disposal != nil {
                return Content(available: false, withheld: .disposed, sha256: nil, size: nil, mediaType: nil, originalName: nil)
            }
            // Without clearance a reader gets what the public gets: no restricted content and no draft's text.
            let withheld = clearance ? nil : PublicEntry.withheld(shown, later: later)
            let open = withheld == nil
            return Content(available: open, withheld: withheld, sha256: open ? stored.sha256 : nil, size: open ? stored.size : nil,
                           mediaType: open ? stored.mediaType : nil,
                           originalName: open && !PublicEntry.namesMayReveal(hidden) && (clearance || !nameHiddenEarlier)
                               ? stored.originalName : nil)
        }
        var redacted = hidden
        if !clearance, record.disposal == nil, shown.content != nil, PublicEntry.withheld(shown, later: later) != nil, !redacted.contains(.content) {
            redacted.append(.content)
        }
        self.redacted = redacted.sorted()
    }
}
