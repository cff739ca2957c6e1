import DiariumCore
import DiariumServices
import DiariumTesting
import Foundation
import GRDB
import Testing

/// A store's folders as operators and disks leave them: scratch space removed, the content folder missing, a catalog
/// cut short, an `init` killed half-way. Each is named for what it is, and none is taken for "no store here".
@Suite struct StoreLayoutTests {
    /// `tmp/` is scratch (Storage/README.md): removed, it comes back. The content folder missing (a volume that did
    /// not mount) is named, and nothing opens; `init` does not take the store for an unfinished one.
    @Test func scratchComesBackAndAMissingContentFolderIsNamed() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        try f.register("a.txt", "innehåll")
        try FileManager.default.removeItem(atPath: f.storePath + "/tmp")
        let reopened = try RecordsService.open(at: f.storePath)
        #expect(FileManager.default.fileExists(atPath: f.storePath + "/tmp"))
        #expect(try reopened.verify().ok)
        try reopened.register([f.document("b.txt", "mer")], in: f.caseNumber, actor: "anna")

        try FileManager.default.moveItem(atPath: f.storePath + "/objects/sha256", toPath: f.dir.file("elsewhere"))
        expectFailure("has its catalog but not its content folder \(f.storePath)/objects/sha256 (No such file or directory)", code: .integrity) {
            _ = try RecordsService.open(at: f.storePath)
        }
        expectFailure("a Diarium store already exists", code: .alreadyExists) {
            _ = try RecordsService.createStore(at: f.storePath, actor: "admin")
        }
    }

    /// An `init` killed before it finished leaves a catalog without its format (written last, with `store.init`): it
    /// is not a store to open, and `init` makes it again. One that holds content is never made again.
    @Test func anUnfinishedStoreIsMadeAgainByInit() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        func layout(_ root: String) throws {
            for folder in ["objects/sha256/ab", "tmp"] {
                try FileManager.default.createDirectory(atPath: "\(root)/\(folder)", withIntermediateDirectories: true)
            }
        }
        let empty = dir.file("empty"), schemaOnly = dir.file("schema-only"), withContent = dir.file("with-content")
        for root in [empty, schemaOnly, withContent] { try layout(root) }
        FileManager.default.createFile(atPath: empty + "/catalog.sqlite", contents: Data())
        for root in [schemaOnly, withContent] {
            try DatabaseQueue(path: root + "/catalog.sqlite").write { db in
                try db.execute(sql: "CREATE TABLE store_info(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            }
        }
        FileManager.default.createFile(atPath: withContent + "/objects/sha256/ab/" + String(repeating: "ab", count: 32), contents: Data("x".utf8))

        for root in [empty, schemaOnly] {
            expectFailure("was never finished: its creation was cut short", code: .notAStore) { _ = try RecordsService.open(at: root) }
            let made = try RecordsService.createStore(at: root, actor: "admin")
            #expect(try made.audit(limit: 10).map(\.action) == [.storeInit])
            #expect(try made.verify().ok)
            var st = stat()
            #expect(stat(root + "/catalog.sqlite", &st) == 0 && st.st_mode & 0o777 == 0o640)
        }
        expectFailure("a Diarium store already exists", code: .alreadyExists) {
            _ = try RecordsService.createStore(at: withContent, actor: "admin")
        }
    }

    /// A catalog cut short is damage (restore from a backup), not "no store": exit 1, and `restore` says so too.
    @Test func aCatalogCutShortIsDamage() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        for i in 0..<200 { try f.register("d\(i).txt", String(repeating: "innehåll \(i) ", count: 50)) }
        let backup = f.dir.file("backup")
        _ = try f.service.backup(to: backup, actor: "admin")
        let catalog = backup + "/catalog.sqlite"
        let size = try #require(try FileManager.default.attributesOfItem(atPath: catalog)[.size] as? Int)
        #expect(truncate(catalog, off_t(size / 2)) == 0)
        expectFailure("is damaged", code: .integrity) { _ = try RecordsService.open(at: backup, readOnly: true) }
        expectFailure("is damaged", code: .integrity) { _ = try RecordsService.restore(from: backup, to: f.dir.file("restored"), actor: "admin") }
    }
}

/// Expects `body` to throw a `DiariumError` of `code` whose message contains `phrase`.
private func expectFailure(_ phrase: String, code: DiariumError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected an error containing '\(phrase)'", sourceLocation: sourceLocation)
    } catch {
        #expect((error as? DiariumError)?.code == code && "\(error)".contains(phrase), "\(error)", sourceLocation: sourceLocation)
    }
}
