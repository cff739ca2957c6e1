import DiariumCore
import Foundation
import Testing

@Suite struct OrganisationTests {
    @Test func anOrganisationsnummerIsCheckedAndWrittenAsFGSDoes() throws {
        for given in ["212000-1355", "2120001355", "ORG:2120001355", "ORG:212000-1355", "  212000-1355 ", "org:2120001355", "\u{200B}212000-1355"] {
            #expect(try Organisation(name: "Exempelby kommun", code: given).code == "ORG:2120001355", "\(given)")
        }
        // Stockholm University's, as its FGS packages write it.
        #expect(try Organisation(name: "Stockholms universitet", code: "202100-3062").code == "ORG:2021003062")
    }

    @Test func aWrongCheckDigitIsRefusedNamingTheField() {
        for wrong in ["212000-1356", "2120001354", "ORG:2120001350", "org:2120001350"] {
            #expect { try Organisation(name: "Exempelby kommun", code: wrong) } throws: { error in
                let error = error as? DiariumError
                return error?.field == "code" && error?.message.contains("check digit") == true
            }
        }
        #expect { try Organisation(name: "Arkivet", code: "1355", field: "archive") } throws: { ($0 as? DiariumError)?.field == "archive.code" }
    }

    @Test func otherCodesNameTheirScheme() throws {
        #expect(try Organisation(name: "K", code: "VAT:SE212000135501").code == "VAT:SE212000135501")
        #expect(try Organisation(name: "K", code: "ISIL:SE-EXA").code == "ISIL:SE-EXA")
        for refused in ["SE212000135501", ":x", "VAT:", "VAT:SE 2120", "V-A:x", "ORG:abc", "ORG:21200013551", "VAT:SE\u{00A0}1"] {
            #expect(throws: DiariumError.self, "\(refused)") { try Organisation(name: "K", code: refused) }
        }
        #expect(try Organisation(name: "K", code: "   ").code == nil)
        #expect(throws: DiariumError.self) { try Organisation(name: "K", code: "\t") }
        // Blank means none, but not past the field's length (schemathesis found one accepted).
        #expect { try Organisation(name: "K", code: String(repeating: "\u{00A0}", count: 101)) } throws: { ($0 as? DiariumError)?.field == "code" }
        #expect(try Organisation(name: "K").code == nil)
    }

    @Test func theNameIsALine() {
        #expect(throws: DiariumError.self) { try Organisation(name: " ") }
        #expect(throws: DiariumError.self) { try Organisation(name: "Exempelby\nkommun") }
        #expect(throws: DiariumError.self) { try Organisation(name: String(repeating: "å", count: 201)) }
    }

    @Test func decodingEnforcesTheRulesAndRefusesANullCode() throws {
        let decoded = try JSONDecoder().decode(Organisation.self, from: Data(#"{"name":" Exempelby kommun ","code":"2120001355"}"#.utf8))
        #expect(decoded == (try Organisation(name: "Exempelby kommun", code: "ORG:2120001355")))
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Organisation.self, from: Data(#"{"name":"K","code":null}"#.utf8)) }
        #expect(throws: DiariumError.self) { try JSONDecoder().decode(Organisation.self, from: Data(#"{"name":"K","code":"2120001356"}"#.utf8)) }
        let encoded = String(decoding: try JSONEncoder().encode(try Organisation(name: "K")), as: UTF8.self)
        #expect(encoded == #"{"name":"K"}"#)
    }
}
