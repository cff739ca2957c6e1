import DiariumCore
import DiariumHTTP
import DiariumServices
import DiariumTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// A store holding one document of each kind the public routes treat differently, built through the service API.
struct PublicFixture {
    /// The documents, Sendable so that test closures can use them.
    struct Documents: Sendable {
        /// Final, unrestricted, 300,000 bytes named `Beslut för Åre.pdf`.
        let decision: DocumentRecord
        let decisionBytes: Data
        /// Final, privacy-restricted: content, title and parties hidden.
        let secret: DocumentRecord
        /// A draft, unrestricted.
        let draft: DocumentRecord
        /// Final, only the title restricted (no public title); its file name repeats the title.
        let titleOnly: DocumentRecord
        /// Final, no electronic content, unrestricted sender.
        let paper: DocumentRecord
        /// Final, series BUN, registered 2026-03-04T23:30Z, which is 2026-03-05 in Sweden.
        let late: DocumentRecord
    }

    /// Words that appear only in restricted parts: no public response may contain them.
    static let secrets = ["Hemligsson", "Hemlig Avsändare", "Mottagare Hemlig", "konfidentiellt", "Smithsson"]

    let dir: TempDirectory
    let service: RecordsService
    let docs: Documents

    init() throws {
        dir = try TempDirectory("diarium-http")
        let clock = FixedClock("2026-03-01T09:00:00.000Z")
        service = try RecordsService.createStore(at: dir.file("store"), actor: "admin", clock: clock)
        let ks = SeriesCode(rawValue: "KS")!, bun = SeriesCode(rawValue: "BUN")!
        _ = try service.addSeries(code: ks, name: "Kommunstyrelsen", actor: "admin")
        _ = try service.addSeries(code: bun, name: "Barn- och utbildningsnämnden", actor: "admin")
        let caseNumber = try service.openCase(NewCase(series: ks, title: "Beslut och skrivelser"), actor: "anna").number

        let decisionBytes = testBytes(count: 300_000, seed: 7)
        let decision = try NewDocument(file: dir.write("Beslut för Åre.pdf", decisionBytes),
                                       metadata: DocumentMetadata(title: "Beslut om bygglov i Åre", recordType: .decision,
                                                                  direction: .outgoing, documentDate: CalendarDate(year: 2026, month: 2, day: 20),
                                                                  recipient: "Åre kommun"))
        let secret = try NewDocument(
            file: dir.write("utredning.txt", "Utredningen är konfidentiellt material om Hemligsson.\n"),
            metadata: DocumentMetadata(title: "Utredning om Hemligsson", publicTitle: "Utredning enligt LSS", recordType: .letter,
                                       direction: .incoming, sender: "Hemlig Avsändare", recipient: "Mottagare Hemlig",
                                       restriction: AccessRestriction(kind: .privacy, legalReference: "OSL 26 kap. 1 §",
                                                                      hides: [.content, .title, .parties])))
        let draft = try NewDocument(file: dir.write("Utkast budget.txt", "Utkast till budget 2027.\n"),
                                    metadata: DocumentMetadata(title: "Budgetutkast", recordType: .report))
        let titleOnly = try NewDocument(
            file: dir.write("Smithsson bygglov.txt", "Allmän text om ett bygglov.\n"),
            metadata: DocumentMetadata(title: "Bygglov för Smithsson", recordType: .decision,
                                       restriction: AccessRestriction(kind: .secrecy, legalReference: "OSL 21 kap. 1 §", hides: [.title])))
        let paper = NewDocument(file: nil, metadata: DocumentMetadata(title: "Skrivelse om skolskjuts", recordType: .letter,
                                                                        direction: .incoming,
                                                                        documentDate: CalendarDate(year: 2026, month: 2, day: 27),
                                                                        sender: "Anna Andersson"))
        let registered = try service.register([decision, secret, draft, titleOnly, paper], in: caseNumber, actor: "anna")
        // The incoming ones (the secret letter, the paper letter) are final as registered: inkommen.
        for record in [registered[0], registered[3]] {
            _ = try service.finalise(record.number, comment: nil, actor: "anna")
        }

        clock.set("2026-03-04T23:30:00.000Z")
        let bunCase = try service.openCase(NewCase(series: bun, title: "Protokoll"), actor: "anna").number
        let late = try service.register([NewDocument(file: dir.write("Protokoll.txt", "Protokoll från nämnden.\n"),
                                                     metadata: DocumentMetadata(title: "Protokoll BUN", recordType: .minutes))],
                                        in: bunCase, actor: "anna")[0]
        _ = try service.finalise(late.number, comment: nil, actor: "anna")

        docs = Documents(decision: try service.document(registered[0].number), decisionBytes: decisionBytes,
                         secret: try service.document(registered[1].number), draft: try service.document(registered[2].number),
                         titleOnly: try service.document(registered[3].number), paper: try service.document(registered[4].number),
                         late: try service.document(late.number))
    }

    /// A case in KS about a person, its title restricted on privacy grounds (OSL 26 kap. 1 §), "Orosanmälan" shown
    /// in its place, handled by Anna Berg.
    func restrictedCase(until: CalendarDate? = nil, department: String) throws -> CaseNumber {
        try service.openCase(NewCase(series: SeriesCode(rawValue: "KS")!, title: "Orosanmälan gällande Hemligsson", publicTitle: "Orosanmälan",
                                     restriction: AccessRestriction(kind: .privacy, legalReference: "OSL 26 kap. 1 §", until: until,
                                                                    hides: [.title]),
                                     department: department, officer: "Anna Berg"), actor: "anna").number
    }

    /// The application on an ephemeral port; its log shows errors only (the access lines would drown the test output).
    func application() throws -> some ApplicationProtocol {
        var logger = Logger(label: "diarium.http.test")
        logger.logLevel = .error
        return try buildApplication(store: service.store.shared, settings: ServerSettings(host: "127.0.0.1", port: 0), logger: logger)
    }
}

/// `/public/v1/documents/KS%202026%2F1-3` and the like.
func documentPath(_ number: DocumentNumber, _ suffix: String = "") -> String {
    let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-")
    return "/public/v1/documents/" + number.description.addingPercentEncoding(withAllowedCharacters: allowed)! + suffix
}

func jsonObject(_ response: TestResponse) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
}

func bodyText(_ response: TestResponse) -> String {
    String(decoding: response.body.readableBytesView, as: UTF8.self)
}

/// Expects a problem+json response with this status, code and (when given) field.
func expectProblem(_ response: TestResponse, _ status: HTTPResponse.Status, code: String, field: String? = nil, detail: String? = nil,
                   sourceLocation: SourceLocation = #_sourceLocation) throws {
    #expect(response.status == status, sourceLocation: sourceLocation)
    #expect(response.headers[.contentType] == "application/problem+json", sourceLocation: sourceLocation)
    let problem = try jsonObject(response)
    #expect(problem["type"] as? String == "https://diarium.se/problems/\(code)", sourceLocation: sourceLocation)
    #expect(problem["code"] as? String == code, sourceLocation: sourceLocation)
    #expect(problem["status"] as? Int == status.code, sourceLocation: sourceLocation)
    #expect(problem["title"] is String && problem["detail"] is String, sourceLocation: sourceLocation)
    if let field { #expect(problem["field"] as? String == field, sourceLocation: sourceLocation) }
    if let detail { #expect((problem["detail"] as? String)?.contains(detail) == true, "\(problem)", sourceLocation: sourceLocation) }
}

func expectNoSecrets(_ response: TestResponse, sourceLocation: SourceLocation = #_sourceLocation) {
    let raw = Data(response.body.readableBytesView)
    let headers = response.headers.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
    for secret in PublicFixture.secrets {
        #expect(raw.range(of: Data(secret.utf8)) == nil, "\(secret) in the body", sourceLocation: sourceLocation)
        // JSON may escape non-ASCII; check the escaped spelling too.
        let escaped = secret.unicodeScalars.map { $0.isASCII ? String($0) : String(format: "\\u%04x", $0.value) }.joined()
        #expect(raw.range(of: Data(escaped.utf8)) == nil, "\(secret) (escaped) in the body", sourceLocation: sourceLocation)
        #expect(!headers.contains(secret), "\(secret) in a header", sourceLocation: sourceLocation)
    }
}
