import DiariumCore
import Foundation
import Testing

@Suite struct PublicCaseTests {
    /// A case restriction hides the title alone: the public title stands in for it, and the ground is shown.
    @Test func aCasesRestrictedTitleIsLeftOutWithItsGround() throws {
        func record(publicTitle: String?, restriction: AccessRestriction?) throws -> CaseRecord {
            CaseRecord(number: try CaseNumber(parsing: "SN 2026/7"), title: "Orosanmälan gällande Eva Ek", publicTitle: publicTitle,
                       restriction: restriction, classification: "2.4", status: .closed, department: "IFO", officer: "Anna Berg",
                       openedAt: Date(timeIntervalSince1970: 0), closedAt: Date(timeIntervalSince1970: 86_400), documentCount: 3)
        }
        let ground = try AccessRestriction(kind: .privacy, legalReference: "OSL 26 kap. 1 §", until: CalendarDate(year: 2096, month: 1, day: 1),
                                           hides: [.title])
        let open = PublicCase(try record(publicTitle: nil, restriction: nil))
        #expect(open.title == "Orosanmälan gällande Eva Ek" && open.redacted == [] && open.restriction == nil)
        #expect(open.status == .closed && open.officer == "Anna Berg" && open.documentCount == 3 && open.closedAt != nil)

        let stood = PublicCase(try record(publicTitle: "Orosanmälan", restriction: ground))
        #expect(stood.title == "Orosanmälan" && stood.redacted == [.title])
        let shown = try #require(stood.restriction)
        #expect(shown.kind == .privacy && shown.legalReference == "OSL 26 kap. 1 §" && shown.hides == [.title])
        #expect(shown.until == CalendarDate(year: 2096, month: 1, day: 1))
        let bare = PublicCase(try record(publicTitle: nil, restriction: ground))
        #expect(bare.title == nil && bare.redacted == [.title])
        // Restricted before grounds were recorded for cases: still hidden, with no ground to show.
        let legacy = PublicCase(try record(publicTitle: "Orosanmälan", restriction: nil))
        #expect(legacy.title == "Orosanmälan" && legacy.redacted == [.title] && legacy.restriction == nil)
        for view in [stood, bare, legacy] {
            let json = String(decoding: try JSONEncoder().encode(view), as: UTF8.self)
            #expect(!json.contains("Eva Ek"), "\(json)")
        }
    }
}
