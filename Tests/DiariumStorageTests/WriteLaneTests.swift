@testable import DiariumStorage
import DiariumCore
import DiariumTesting
import Foundation
import Glibc
import GRDB
import Testing

@Suite struct WriteLaneTests {
    @Test func writesWhileTheCallerWorksAndReportsFailuresWithThePath() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let lane = WriteLane()
        defer { lane.stop() }
        let bytes = testBytes(count: 3 * WriteLane.minimumChunk, seed: 4)

        let path = dir.file("out.bin")
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        #expect(fd >= 0)
        var ranAlongside = false
        try bytes.withUnsafeBytes { chunk in
            try lane.write(chunk, to: fd, path: path) { ranAlongside = true }
        }
        close(fd)
        #expect(ranAlongside)
        #expect(FileManager.default.contents(atPath: path) == bytes)

        // A full disk: the error comes back from this chunk's call, naming the file; the lane stays usable.
        let full = open("/dev/full", O_WRONLY)
        #expect(full >= 0)
        defer { close(full) }
        #expect { try bytes.withUnsafeBytes { chunk in try lane.write(chunk, to: full, path: "/dev/full") {} } } throws: { error in
            (error as? DiariumError)?.code == .storage && (error as? DiariumError)?.message.contains("/dev/full") == true
        }
        let again = open(path, O_WRONLY | O_TRUNC)
        try bytes.withUnsafeBytes { chunk in try lane.write(chunk, to: again, path: path) {} }
        close(again)
        #expect(FileManager.default.contents(atPath: path) == bytes)
    }

    @Test func theCatalogKeepsTempDataInMemory() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let store = try Store.create(at: dir.file("s"), now: Date())
        // 2 = MEMORY: statement journals and sorts never become files in /var/tmp (one per upload, before).
        #expect(try store.catalog.read { access in try Int.fetchOne(access.db, sql: "PRAGMA temp_store") } == 2)
        #expect(try store.catalog.write { access in try Int.fetchOne(access.db, sql: "PRAGMA temp_store") } == 2)
    }
}
