import DiariumExchange
import Foundation
import Testing

@testable import DiariumServices

/// Audit details are written by hand; they are what `JSONEncoder` (sorted keys, slashes unescaped) wrote before, so
/// events keep one format whichever version of Diarium recorded them.
@Suite struct AuditDetailsTests {
    static func reference(_ details: [String: AuditDetails.Value]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(details), as: UTF8.self)
    }

    @Test func sameTextAsJSONEncoder() throws {
        let samples: [[String: AuditDetails.Value]] = [
            [:],
            ["type": .string("letter"), "status": .string("draft"), "sha256": .string(String(repeating: "0f", count: 32)),
             "size": .int(4096)],
            ["restriction": .string("secrecy"), "legal": .string("OSL 21 kap. 7 § \"särskilt\" \\ 1/2 – åäö ÅÄÖ 🙂"),
             "fields": .strings(["title", "sender"]), "empty": .strings([]), "dryRun": .bool(false), "all": .bool(true),
             "negative": .int(-12), "Zeta": .string(""), "a": .int(Int64.max)],
            ["revisions": .int(2), "kept": .objects([Self.kept(["n": .int(1), "legal": .string("OSL 26 kap. 1 §"), "publicTitle": .bool(true)]),
                                                      Self.kept(["n": .int(2), "replacedBy": .string("bo/\"x\""), "publicTitle": .bool(false)])]),
             "none": .objects([])],
        ]
        for values in samples {
            var details = AuditDetails()
            for (key, value) in values { details[key] = value }
            #expect(details.json == (try Self.reference(values)))
        }
    }

    static func kept(_ values: [String: AuditDetails.Value]) -> AuditDetails {
        var details = AuditDetails()
        for (key, value) in values { details[key] = value }
        return details
    }

    @Test func controlCharactersAreEscaped() throws {
        for scalar in (0..<0x20).compactMap(Unicode.Scalar.init) {
            var details = AuditDetails()
            details["x"] = .string("a\(Character(scalar))b")
            #expect(!details.json.unicodeScalars.contains { $0.value < 0x20 })
            let back = try JSONSerialization.jsonObject(with: Data(details.json.utf8)) as? [String: String]
            #expect(back == ["x": "a\(Character(scalar))b"])
        }
    }

    /// An import logs whose records came in: an organisation by name and code, anyone else by METS's type word only
    /// (a person's code is a personnummer; an OTHERTYPE is the package's free text).
    @Test func anImportLogsAnArchivalCreatorOnlyWhenItIsAnOrganisation() {
        func logged(_ creator: PackageAgent) -> String {
            var details = AuditDetails()
            RecordsService.noteArchivalCreator([PackageAgent(role: "CREATOR", type: "SOFTWARE", name: "Verktyg"), creator], in: &details)
            return details.json
        }
        #expect(logged(PackageAgent(role: "ARCHIVIST", type: "ORGANIZATION", name: "Exempelby kommun", code: "ORG:2120001355"))
                == #"{"archivalCreator":"Exempelby kommun","archivalCreatorCode":"ORG:2120001355"}"#)
        #expect(logged(PackageAgent(role: "ARCHIVIST", type: "INDIVIDUAL", name: "Åsa Öberg", code: "PNR:191212121212"))
                == #"{"archivalCreatorType":"INDIVIDUAL"}"#)
        #expect(logged(PackageAgent(role: "ARCHIVIST", type: "Åsa Öbergs firma", name: "Åsa Öberg")) == #"{"archivalCreatorType":"OTHER"}"#)
        #expect(logged(PackageAgent(role: "SUBMITTER", type: "ORGANIZATION", name: "Kommunstyrelsen")) == "{}")
    }
}
