import Foundation

/// A case (ärende) as the public diarium shows it: what it is about, who handles it, when it was opened and closed.
/// A restricted title is left out (the public title stands in for it, when there is one) and the restriction's
/// ground and legal reference are shown in its place, as `PublicEntry` does for a document. A case restriction
/// hides the title only: its documents carry restrictions of their own.
///
/// This is the one place that decides what the public may see of a case.
public struct PublicCase: Codable, Hashable, Sendable {
    public let number: CaseNumber
    /// The title; when it is restricted, the public title, or nil when there is none.
    public let title: String?
    /// The restriction's ground (`hides` is `[title]`). Nil for a case whose title is public, and for one restricted
    /// before grounds were recorded for cases (its title is hidden all the same: see `redacted`).
    public let restriction: PublicEntry.Restriction?
    public let classification: String?
    public let status: CaseStatus
    public let department: String?
    /// The handläggare: an official's name in an official capacity, which the public diarium shows.
    public let officer: String?
    public let openedAt: Date
    public let closedAt: Date?
    public let documentCount: Int
    /// `[title]` when the title is left out, so that a client can tell "hidden" from "none".
    public let redacted: [CaseRecordView.Part]

    public init(_ record: CaseRecord) {
        let hidesTitle = record.titleIsRestricted
        number = record.number
        title = hidesTitle ? record.publicTitle : record.title
        restriction = record.restriction.map {
            PublicEntry.Restriction(kind: $0.kind, legalReference: $0.legalReference, until: $0.until, hides: [.title])
        }
        classification = record.classification
        status = record.status
        department = record.department
        officer = record.officer
        openedAt = record.openedAt
        closedAt = record.closedAt
        documentCount = record.documentCount
        redacted = hidesTitle ? [.title] : []
    }
}
