import DiariumCore
import DiariumServices
import DiariumStorage
import DiariumTesting
import Foundation
import GRDB

/// A fresh store with series KS and one open case, for service tests.
struct Fixture {
    let dir: TempDirectory
    let clock: FixedClock
    let service: RecordsService
    let caseNumber: CaseNumber

    init() throws {
        dir = try TempDirectory()
        clock = FixedClock("2026-03-01T09:00:00.000Z")
        service = try RecordsService.createStore(at: dir.file("store"), actor: "admin", clock: clock)
        _ = try service.addSeries(code: SeriesCode(rawValue: "KS")!, name: "Kommunstyrelsen", actor: "admin")
        caseNumber = try service.openCase(NewCase(series: SeriesCode(rawValue: "KS")!, title: "Klimatplan"), actor: "anna").number
    }

    var storePath: String { dir.file("store") }

    func document(_ name: String, _ contents: String, type: RecordType = .actionPlan,
                  restriction: AccessRestriction? = nil) throws -> NewDocument {
        NewDocument(file: try dir.write(name, contents),
                    metadata: DocumentMetadata(title: "Titel \(name)", recordType: type, restriction: restriction))
    }

    @discardableResult
    func register(_ name: String, _ contents: String, type: RecordType = .actionPlan) throws -> DocumentRecord {
        try service.register([document(name, contents, type: type)], in: caseNumber, actor: "anna")[0]
    }

    /// A raw connection to the catalog, as someone tampering with the file would have (with the search's tokenizer,
    /// which writes the full-text index as Diarium does).
    func rawCatalog() throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.prepareDatabase { db in try Catalog.registerSearch(db) }
        return try DatabaseQueue(path: dir.file("store/catalog.sqlite"), configuration: configuration)
    }

    /// Everything observable about the store's contents, to prove a failed call changed nothing.
    func snapshot() throws -> String {
        let counts = try service.counts()
        let objects = try FileManager.default.subpathsOfDirectory(atPath: dir.file("store/objects")).sorted()
        let head = try service.audit(limit: 100_000).last?.hash ?? ""
        return "\(counts) \(objects) \(head)"
    }
}
