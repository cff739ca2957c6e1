import DiariumCore
import DiariumExchange
import DiariumServices
import DiariumTesting
import Foundation
import Testing

/// Packages and interchanges with content no honest exporter writes: refused (or rejected with a receipt) before
/// anything is published, leaving the store exactly as it was.
@Suite struct ImportValidationTests {
    /// The archive fixture's case KS 2026/1 exported and extracted, its ERMS changed by `edit`.
    func edited(_ f: Fixture, _ edit: (String) throws -> String) throws -> String {
        let out = f.dir.file("p-\(UUID().uuidString.prefix(6)).tar")
        _ = try f.service.exportPackage(ExportRequest(selection: .case(f.caseNumber), format: .earkTar, output: out), actor: "arkivarie")
        let root = try PackageEditing.extract(out, into: f.dir)
        try PackageEditing.editERMS(inPackage: root, edit)
        return root
    }

    /// An empty store, and everything observable about it (rows, audit head, content files).
    func emptyStore(_ dir: TempDirectory, clock: FixedClock = FixedClock("2026-05-04T08:00:00.000Z"))
        throws -> (service: RecordsService, state: () throws -> String) {
        let path = dir.file("other-\(UUID().uuidString.prefix(6))")
        let service = try RecordsService.createStore(at: path, actor: "admin", clock: clock)
        return (service, {
            "\(try service.counts()) \(try FileManager.default.subpathsOfDirectory(atPath: "\(path)/objects").sorted()) "
                + (try service.audit(limit: 100_000).last?.hash ?? "")
        })
    }

    @Test func numbersThatWouldRunPastNineDigitsAreRefused() throws {
        let f = try archiveFixture()
        defer { f.dir.remove() }
        // The largest case serial and document ordinal that can be written and read back: valid, and imported.
        let package = try edited(f) {
            $0.replacingOccurrences(of: "KS 2026/1-3", with: "KS 2026/1-999999999").replacingOccurrences(of: "KS 2026/1", with: "KS 2026/999999999")
        }
        let (other, state) = try emptyStore(f.dir)
        _ = try other.importPackage(at: package, actor: "arkivarie")
        let last = try CaseNumber(parsing: "KS 2026/999999999")
        #expect(try other.caseDetails(last).documents.map(\.number.ordinal) == [1, 2, 999_999_999])
        let before = try state()
        let ks = SeriesCode(rawValue: "KS")!
        // The next case or document would print a number nothing can read: refused, naming the last one.
        for attempt in [
            { _ = try other.openCase(NewCase(series: ks, title: "Nästa"), actor: "anna") },
            { _ = try other.register([NewDocument(file: nil, metadata: DocumentMetadata(title: "Nästa", recordType: .letter))], in: last, actor: "anna") },
            { _ = try other.importPackage(at: package, options: ImportOptions(numbering: .renumber(into: ks)), actor: "arkivarie") },
        ] as [() throws -> Void] {
            do {
                try attempt()
                Issue.record("a number past 999999999 was handed out")
            } catch {
                #expect((error as? DiariumError)?.code == .invalidState, "\(error)")
                #expect("\(error)".contains("999999999"), "\(error)")
            }
        }
        #expect(try state() == before)
    }
}
