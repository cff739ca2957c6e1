import DiariumCore
@testable import DiariumServices
import DiariumStorage
import DiariumTesting
import Foundation
import Testing

@Suite struct GroupCommitTests {
    /// Many threads register at once through one committer: every document gets its own ordinal, each is durable
    /// and audited, and commits carry several documents when callers overlap.
    @Test func concurrentRegistrationsShareCommits() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let committer = GroupCommitter()
        let shared = f.service.store.shared
        let callers = 24
        let documents = try (0..<callers).map { i in try f.document("doc-\(i).txt", "Innehåll nummer \(i) om klimatet.\n") }
        let clock = f.clock, caseNumber = f.caseNumber
        let results = Mutex<[Result<DocumentRecord, DiariumError>]>([])
        DispatchQueue.concurrentPerform(iterations: callers) { i in
            let service = RecordsService(store: shared.makeStore(), clock: clock)
            let result = Result { () throws(DiariumError) in try committer.register(documents[i], in: caseNumber, actor: "anna", using: service) }
            results.withLock { $0.append(result) }
        }
        let records = try results.withLock { try $0.map { try $0.get() } }
        #expect(Set(records.map(\.number.ordinal)) == Set(1...callers))
        #expect(committer.documents == callers)
        #expect(committer.commits <= callers)
        #expect(try f.service.counts().documents == callers)
        #expect(try f.service.verify().ok)
        let hits = try f.service.search("klimatet", view: .full, options: SearchOptions(limit: 50))
        #expect(hits.total == callers)
    }

    /// A document the catalog itself refuses (a CHECK or trigger the rules above missed: a bug, not input) fails
    /// alone; the documents committed with it are registered, with gap-free numbers.
    @Test func aRowTheCatalogRefusesFailsOnlyItsOwnRegistration() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        try f.rawCatalog().write { db in
            try db.execute(sql: """
                CREATE TRIGGER refuse_one BEFORE INSERT ON versions WHEN NEW.title = 'Titel doc-7.txt'
                BEGIN SELECT RAISE(ABORT, 'refused by the test'); END
                """)
        }
        let committer = GroupCommitter()
        let shared = f.service.store.shared
        let callers = 16
        let documents = try (0..<callers).map { i in try f.document("doc-\(i).txt", "Innehåll \(i)") }
        let clock = f.clock, caseNumber = f.caseNumber
        let results = Mutex<[Int: Result<DocumentRecord, DiariumError>]>([:])
        // Someone else holds the write lock while the callers arrive, so they queue and commit in one or two batches
        // (the first leader takes only what waits when it starts): document 7 shares its commit with others.
        let raw = try f.rawCatalog()
        let locked = DispatchSemaphore(value: 0)
        let holder = Thread {
            try? raw.writeWithoutTransaction { db in
                try db.execute(sql: "BEGIN IMMEDIATE")
                locked.signal()
                Thread.sleep(forTimeInterval: 1.5)
                try db.execute(sql: "COMMIT")
            }
        }
        holder.start()
        try #require(locked.wait(timeout: .now() + 120) == .success, "the test's own write lock was not taken")
        // A thread each (concurrentPerform runs only as many at once as there are cores), as an HTTP server's pool does.
        let done = DispatchGroup()
        for i in 0..<callers {
            Self.register(documents[i], committer, store: shared, clock: clock, caseNumber: caseNumber, done) { result in
                results.withLock { $0[i] = result }
            }
        }
        done.wait()
        #expect(committer.commits <= 3, "\(committer.commits) commits for \(callers) documents")
        let all = results.withLock { $0 }
        for (i, result) in all {
            switch result {
            case .success: #expect(i != 7)
            case .failure(let error):
                #expect(i == 7, "\(error.message)")
                #expect(error.code == .storage && error.message.contains("refused by the test"))
            }
        }
        let registered = all.values.compactMap { try? $0.get() }
        #expect(Set(registered.map(\.number.ordinal)) == Set(1...(callers - 1)))
        let report = try f.service.verify()
        #expect(report.ok, "\(report.problems)")
        #expect(report.orphanBlobs == [], "the refused document's file went with it")
    }

    /// A batch's files are made durable together, so a file that cannot be published fails its whole batch: none of
    /// its documents is registered and none of its files stays. The commit before it is not touched.
    @Test func aBatchWhoseFilesCannotBePublishedFailsAsOne() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        let committer = GroupCommitter()
        let shared = f.service.store.shared
        let documents = try (0..<6).map { i in try f.document("doc-\(i).txt", "Innehåll nummer \(i) i partiet") }
        let digests = try documents.map { try sha256Hex(ofFile: $0.file!) }
        let broken = try #require((1..<documents.count).first { digests[$0].prefix(2) != digests[0].prefix(2) })
        let clock = f.clock, caseNumber = f.caseNumber
        let results = Mutex<[Int: Result<DocumentRecord, DiariumError>]>([:])
        let done = DispatchGroup()
        func start(_ i: Int) {
            Self.register(documents[i], committer, store: shared, clock: clock, caseNumber: caseNumber, done) { result in
                results.withLock { $0[i] = result }
            }
        }
        // Document 0 leads the first commit and waits for the write lock with its file published; the others queue
        // behind it and make up the next batch, which takes its files to disk together.
        let raw = try f.rawCatalog()
        let locked = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        Thread {
            try? raw.writeWithoutTransaction { db in
                try db.execute(sql: "BEGIN IMMEDIATE")
                locked.signal()
                release.wait()
                try db.execute(sql: "COMMIT")
            }
        }.start()
        try #require(locked.wait(timeout: .now() + 120) == .success, "the test's own write lock was not taken")
        // Whatever happens below, the lock is let go (else a failure here would hold it, and the test, for good).
        var released = false
        defer { if !released { release.signal(); _ = done.wait(timeout: .now() + 120) } }   // and the store outlives its callers
        // Each wait has an end: a leader that failed first (its commit refused after the busy timeout) never brings
        // the others to the count, and the test then fails instead of spinning.
        func waitUntil(_ what: String, _ condition: () -> Bool) throws {
            let deadline = ContinuousClock.now + .seconds(120)
            while !condition() {
                guard ContinuousClock.now < deadline else { throw Stuck(what: what) }
                usleep(1_000)
            }
        }
        start(0)
        try waitUntil("document 0's file published") { f.service.store.blobs.contains(digests[0]) }
        for i in 1..<documents.count { start(i) }
        try waitUntil("the others queued") { committer.waiting >= documents.count - 1 }
        try FileManager.default.removeItem(atPath: f.dir.file("store/objects/sha256/\(digests[broken].prefix(2))"))
        released = true
        release.signal()
        done.wait()

        let all = results.withLock { $0 }
        #expect(try all[0]?.get().number.ordinal == 1)
        for i in 1..<documents.count {
            #expect(throws: DiariumError.self, "document \(i)") { try all[i]?.get() }
        }
        #expect(committer.commits == 2)
        #expect(try f.service.counts().documents == 1)
        for i in 1..<documents.count where i != broken {
            #expect(!f.service.store.blobs.contains(digests[i]), "document \(i)'s file went with its batch")
        }
        try FileManager.default.createDirectory(atPath: f.dir.file("store/objects/sha256/\(digests[broken].prefix(2))"),
                                                withIntermediateDirectories: false)
        let report = try f.service.verify()
        #expect(report.ok, "\(report.problems)")
        #expect(report.orphanBlobs == [])
    }

    /// Registers `document` through `committer` on a thread of its own, as an HTTP server's pool does: hands its
    /// result to `record`, then leaves `done`.
    private static func register(_ document: NewDocument, _ committer: GroupCommitter, store: Store.Shared, clock: any DiariumCore.Clock,
                                 caseNumber: CaseNumber, _ done: DispatchGroup,
                                 record: @escaping @Sendable (Result<DocumentRecord, DiariumError>) -> Void) {
        done.enter()
        Thread {
            let service = RecordsService(store: store.makeStore(), clock: clock)
            record(Result { () throws(DiariumError) in try committer.register(document, in: caseNumber, actor: "anna", using: service) })
            done.leave()
        }.start()
    }

    @Test func aRefusedRegistrationChangesNothing() throws {
        let f = try Fixture()
        defer { f.dir.remove() }
        _ = try f.service.closeCase(f.caseNumber, actor: "anna")
        let before = try f.snapshot()
        let committer = GroupCommitter()
        let closed = #expect(throws: DiariumError.self) {
            try committer.register(try f.document("a.txt", "text"), in: f.caseNumber, actor: "anna", using: f.service)
        }
        #expect(closed?.code == .invalidState && closed?.message.contains("is closed") == true)
        let unknown = #expect(throws: DiariumError.self) {
            try committer.register(try f.document("b.txt", "text"), in: CaseNumber(parsing: "KS 2026/99"), actor: "anna", using: f.service)
        }
        #expect(unknown?.code == .notFound && unknown?.message.contains("KS 2026/99") == true)
        #expect(try f.snapshot() == before)
    }
}

import Synchronization

private struct Stuck: Error, CustomStringConvertible {
    let what: String
    var description: String { "waited 120 s for \(what)" }
}
