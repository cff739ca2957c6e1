import DiariumCore
import Foundation
import Testing

@Suite struct PublicEntryTests {
    func record(status: DocumentStatus = .final, restriction: AccessRestriction? = nil, publicTitle: String? = nil,
                content: Bool = true) throws -> DocumentRecord {
        let metadata = DocumentMetadata(title: "Ansökan från Eva Ek", publicTitle: publicTitle, recordType: .letter,
                                        direction: .incoming, sender: "Eva Ek", recipient: "Socialnämnden", restriction: restriction)
        let reference = ContentReference(sha256: String(repeating: "a", count: 64), size: 12, mediaType: "application/pdf",
                                         originalName: "Eva Ek ansökan.pdf")
        let version = DocumentVersion(number: 1, change: .registered, author: "anna", createdAt: Date(timeIntervalSince1970: 0),
                                      comment: nil, status: status, metadata: metadata, content: content ? reference : nil)
        return DocumentRecord(number: try DocumentNumber(parsing: "SN 2026/7-2"), registeredAt: Date(timeIntervalSince1970: 0),
                              registeredBy: "anna", current: version)
    }

    @Test func anUnrestrictedFinalDocumentShowsEverything() throws {
        let entry = PublicEntry(try record())
        #expect(entry.title == "Ansökan från Eva Ek")
        #expect(entry.sender == "Eva Ek" && entry.recipient == "Socialnämnden")
        #expect(entry.restriction == nil)
        #expect(entry.content?.available == true && entry.content?.mediaType == "application/pdf" && entry.content?.size == 12)
        #expect(PublicEntry.downloadName(for: try record()) == "Eva Ek ansökan.pdf")
    }

    /// Each version is hidden by its own restriction and by every later version's, not only the current one's.
    @Test func laterRestrictionsAddUp() throws {
        func version(_ number: Int, _ hides: [AccessRestriction.Part]?) throws -> DocumentVersion {
            let restriction = try hides.map { try AccessRestriction(kind: .privacy, legalReference: "OSL 26 kap. 1 §", hides: $0) }
            let shown = try record(restriction: restriction).current
            return DocumentVersion(number: number, change: .metadata, author: shown.author, createdAt: shown.createdAt, comment: nil,
                                   status: shown.status, metadata: shown.metadata, content: shown.content)
        }
        let history = [try version(1, nil), try version(2, [.title, .parties]), try version(3, [.parties]), try version(4, nil),
                       try version(5, [.content])]
        let later = PublicEntry.laterHides(history.shuffled())
        #expect(later == [1: [.content, .parties, .title], 2: [.content, .parties], 3: [.content], 4: [.content], 5: []])
        #expect(PublicEntry.hiddenParts(of: history[0], later: later[1]!) == [.content, .parties, .title])
        #expect(PublicEntry.hiddenParts(of: history[2], later: [.title]) == [.parties, .title])
        #expect(PublicEntry.hiddenParts(of: history[4], later: []) == [.content])
        #expect(PublicEntry.withheld(history[3], later: later[4]!) == .restricted)
        #expect(PublicEntry.downloadName(for: DocumentRecord(number: try DocumentNumber(parsing: "SN 2026/7-2"), registeredAt: Date(),
                                                             registeredBy: "anna", current: history[0]), later: later[1]!) == "SN-2026-7-2.pdf")
    }

    /// A file carried on from a version that hid the title or parties keeps its name hidden; a new file does not.
    @Test func namesHiddenOnceStayHiddenWithTheirFile() throws {
        let names = try AccessRestriction(kind: .privacy, legalReference: "OSL 26 kap. 1 §", hides: [.parties])
        let contentOnly = try AccessRestriction(kind: .privacy, legalReference: "OSL 26 kap. 1 §", hides: [.content])
        let first = try record(restriction: contentOnly).current.content!
        let other = ContentReference(sha256: String(repeating: "b", count: 64), size: 3, mediaType: "text/plain", originalName: "ny.txt")
        func version(_ number: Int, _ restriction: AccessRestriction?, _ content: ContentReference?) throws -> DocumentVersion {
            let base = try record(restriction: restriction).current
            return DocumentVersion(number: number, change: .metadata, author: "anna", createdAt: base.createdAt, comment: nil,
                                   status: base.status, metadata: base.metadata, content: content)
        }
        let history = [try version(1, contentOnly, first), try version(2, names, first), try version(3, nil, first),
                       try version(4, nil, other), try version(5, names, other), try version(6, nil, nil)]
        #expect(PublicEntry.namesHiddenEarlier(history.shuffled()) == [3])
    }

    @Test func whatARestrictionHidesIsLeftOut() throws {
        let all = try AccessRestriction(kind: .privacy, legalReference: "OSL 26 kap. 1 §", hides: [.content, .title, .parties])
        let entry = PublicEntry(try record(restriction: all, publicTitle: "Ansökan om bistånd"))
        #expect(entry.title == "Ansökan om bistånd")
        #expect(entry.sender == nil && entry.recipient == nil)
        #expect(entry.restriction?.legalReference == "OSL 26 kap. 1 §")
        #expect(entry.content?.available == false && entry.content?.withheld == .restricted && entry.content?.size == nil)
        let encoded = String(decoding: try JSONEncoder().encode(entry), as: UTF8.self)
        #expect(!encoded.contains("Eva") && !encoded.contains("Socialnämnden"))

        let titleOnly = try AccessRestriction(kind: .secrecy, legalReference: "OSL 21 kap. 1 §", hides: [.title])
        let titled = try record(restriction: titleOnly)
        #expect(PublicEntry(titled).title == nil)
        #expect(PublicEntry(titled).content?.available == true)
        #expect(PublicEntry.downloadName(for: titled) == "SN-2026-7-2.pdf", "the file name repeats the title")

        // "Eva Ek ansökan.pdf" names the sender too: hiding the parties hides the file name.
        let partiesOnly = try AccessRestriction(kind: .privacy, legalReference: "OSL 26 kap. 1 §", hides: [.parties])
        let parties = try record(restriction: partiesOnly)
        #expect(PublicEntry.downloadName(for: parties) == "SN-2026-7-2.pdf")
        let view = DocumentView(parties, clearance: false)
        #expect(view.content?.available == true && view.content?.originalName == nil && view.sender == nil)
        #expect(DocumentView(parties, clearance: true).content?.originalName == "Eva Ek ansökan.pdf")
    }

    @Test func draftsAndPaperDocumentsHaveNoPublicContent() throws {
        #expect(PublicEntry(try record(status: .draft)).content?.withheld == .draft)
        #expect(PublicEntry(try record(status: .archived)).content?.available == true)
        #expect(PublicEntry(try record(content: false)).content == nil)
        #expect(PublicEntry.downloadName(for: try record(content: false)) == nil)
    }
}
