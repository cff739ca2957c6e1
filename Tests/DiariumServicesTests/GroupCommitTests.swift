import DiariumCore
import DiariumServices
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
        locked.wait()
        // A thread each (concurrentPerform runs only as many at once as there are cores), as an HTTP server's pool does.
        let done = DispatchGroup()
        for i in 0..<callers {
            done.enter()
            Thread {
                let service = RecordsService(store: shared.makeStore(), clock: clock)
                let result = Result { () throws(DiariumError) in try committer.register(documents[i], in: caseNumber, actor: "anna", using: service) }
                results.withLock { $0[i] = result }
                done.leave()
            }.start()
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
