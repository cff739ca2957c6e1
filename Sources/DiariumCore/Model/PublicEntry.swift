import Foundation

/// A document as the public diarium shows it (offentlighetsprincipen): every registered document is listed, with
/// what its restriction hides left out and, in its place, the ground and the legal reference the restriction rests on.
///
/// This is the one place that decides what the public may see of a document; every public interface builds on it.
public struct PublicEntry: Codable, Hashable, Sendable {
    public struct Restriction: Codable, Hashable, Sendable {
        public let kind: AccessRestriction.Kind
        public let legalReference: String
        public let until: CalendarDate?
        /// The parts left out of this entry (and, for `content`, not downloadable).
        public let hides: [AccessRestriction.Part]
    }

    /// Why the public cannot download a document's content.
    public enum Withheld: String, Codable, Hashable, Sendable {
        /// Not final yet: content is published once the document is final (upprättad).
        case draft
        /// The restriction hides the content.
        case restricted
        /// The document was disposed of (gallrad): its content no longer exists.
        case disposed
    }

    public struct Content: Codable, Hashable, Sendable {
        /// Whether the public may download it now.
        public let available: Bool
        /// Why not, when not available.
        public let withheld: Withheld?
        /// Media type and size, only when available.
        public let mediaType: String?
        public let size: Int64?
    }

    public let number: DocumentNumber
    public let registeredAt: Date
    public let documentDate: CalendarDate?
    public let recordType: RecordType
    public let direction: Direction
    public let status: DocumentStatus
    /// The title; when the title is restricted, the public title, or nil when there is none.
    public let title: String?
    /// Absent when the restriction hides the parties.
    public let sender: String?
    public let recipient: String?
    public let classification: String?
    public let restriction: Restriction?
    /// Nil for a document registered without electronic content (e.g. a paper letter).
    public let content: Content?

    public init(_ record: DocumentRecord) {
        let version = record.current
        let metadata = version.metadata
        let restriction = metadata.restriction
        let hidesTitle = restriction?.hides(.title) ?? false
        let hidesParties = restriction?.hides(.parties) ?? false
        number = record.number
        registeredAt = record.registeredAt
        documentDate = metadata.documentDate
        recordType = metadata.recordType
        direction = metadata.direction
        status = version.status
        title = hidesTitle ? metadata.publicTitle : metadata.title
        sender = hidesParties ? nil : metadata.sender
        recipient = hidesParties ? nil : metadata.recipient
        classification = metadata.classification
        self.restriction = restriction.map {
            Restriction(kind: $0.kind, legalReference: $0.legalReference, until: $0.until, hides: $0.hides)
        }
        content = version.content.map { stored in
            let withheld = record.disposal == nil ? Self.withheld(version) : .disposed
            return Content(available: withheld == nil, withheld: withheld,
                           mediaType: withheld == nil ? stored.mediaType : nil, size: withheld == nil ? stored.size : nil)
        }
    }

    /// Why the public may not download this version's content, nil when it may. A restriction counts until it is
    /// lifted by a metadata correction, whatever its end date: lifting one is a registrar's decision.
    public static func withheld(_ version: DocumentVersion) -> Withheld? {
        withheld(version, later: [])
    }

    /// Why the public may not download an older version's content, given what the restrictions of the versions
    /// after it hide (`later`, see `hiddenParts`).
    public static func withheld(_ version: DocumentVersion, later: [AccessRestriction.Part]) -> Withheld? {
        if hiddenParts(of: version, later: later).contains(.content) { return .restricted }
        if version.status == .draft { return .draft }
        return nil
    }

    /// Whether an original file name may repeat what these hidden parts hide.
    public static func namesMayReveal(_ hidden: [AccessRestriction.Part]) -> Bool {
        hidden.contains(.title) || hidden.contains(.parties)
    }

    /// What restrictions hide in a version: its own, and every later version's (`later`, from `laterHides`). One
    /// added later covers the versions before it, which hold the same information; one narrowed or lifted later
    /// does not open an earlier version, which may still hold what it protected. (A title restricted in version 2,
    /// then corrected and no longer restricted in version 3, stays hidden in versions 1 and 2.)
    public static func hiddenParts(of version: DocumentVersion, later: [AccessRestriction.Part]) -> [AccessRestriction.Part] {
        let own = version.metadata.restriction?.hides ?? []
        guard !later.isEmpty else { return own }
        return Array(Set(own).union(later)).sorted()
    }

    /// For each version of a document's history, by number, what the restrictions of the versions after it hide
    /// together; nothing for the newest.
    public static func laterHides(_ history: [DocumentVersion]) -> [Int: [AccessRestriction.Part]] {
        var result: [Int: [AccessRestriction.Part]] = [:]
        var after = Set<AccessRestriction.Part>()
        for version in history.sorted(by: { $0.number > $1.number }) {
            result[version.number] = after.sorted()
            after.formUnion(version.metadata.restriction?.hides ?? [])
        }
        return result
    }

    /// The versions (by number) whose content an earlier version carried, the same file under the same name, while
    /// its title or parties were restricted. The file name may repeat what was hidden ("Ansökan Anna Andersson.pdf"),
    /// and a final document's file cannot be renamed: a restriction narrowed or lifted later does not show it.
    public static func namesHiddenEarlier(_ history: [DocumentVersion]) -> Set<Int> {
        var hidden: Set<Int> = []
        var seen: [ContentReference] = []   // contents carried while names were hidden
        for version in history.sorted(by: { $0.number < $1.number }) {
            guard let content = version.content else { continue }
            if seen.contains(where: { $0.sha256 == content.sha256 && $0.originalName == content.originalName }) { hidden.insert(version.number) }
            if namesMayReveal(version.metadata.restriction?.hides ?? []) { seen.append(content) }
        }
        return hidden
    }

    /// The file name to offer a download under: the original name, unless the title or the parties are restricted
    /// (a file name often repeats the title or names the person: "Ansökan Anna Andersson.pdf"), then one made from
    /// the number, keeping a short extension (`KS-2026-14-3.pdf`). `later` is what the versions after the one
    /// `record` shows hide (see `hiddenParts`); `nameHiddenEarlier`, whether an earlier version hid this file's name
    /// (see `namesHiddenEarlier`).
    public static func downloadName(for record: DocumentRecord, later: [AccessRestriction.Part] = [],
                                    nameHiddenEarlier: Bool = false) -> String? {
        guard let content = record.current.content else { return nil }
        guard nameHiddenEarlier || namesMayReveal(hiddenParts(of: record.current, later: later)) else { return content.originalName }
        return numberedName(record.number, extensionOf: content.originalName)
    }

    /// The name a file goes under when its own may not be shown: the document's number, with the original's
    /// extension when it is short and plain (`KS-2026-14-3.pdf`).
    public static func numberedName(_ number: DocumentNumber, extensionOf originalName: String) -> String {
        var name = String(number.description.map { $0 == " " || $0 == "/" ? "-" : $0 })
        if let dot = originalName.lastIndex(of: ".") {
            let ext = originalName[originalName.index(after: dot)...]
            if (1...8).contains(ext.count), ext.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil) }) {
                name += "." + ext
            }
        }
        return name
    }
}
