import DiariumCore
import DiariumPackage
import DiariumTesting
import Foundation
import Testing

/// Every file in the archive by its normalised path, read into memory.
private func readAll(_ path: String, limits: ArchiveLimits = ArchiveLimits()) throws -> [String: [UInt8]] {
    let reader = try ArchiveReader(path: path, limits: limits)
    var files: [String: [UInt8]] = [:]
    while let entry = try reader.nextEntry() {
        let name = try ArchivePathPolicy.check(entry)
        if entry.kind == .file { files[name] = try reader.readData(maxBytes: 10 << 20) }
    }
    return files
}

/// The error the reader throws somewhere in the archive, with the entries it returned before.
private func firstError(_ path: String, limits: ArchiveLimits = ArchiveLimits(), readData: Bool = true) -> (DiariumError?, [String]) {
    var seen: [String] = []
    do {
        let reader = try ArchiveReader(path: path, limits: limits)
        while let entry = try reader.nextEntry() {
            seen.append(entry.path)
            if readData && entry.kind == .file { _ = try reader.readData(maxBytes: 1 << 20) }
        }
        return (nil, seen)
    } catch {
        return (error, seen)
    }
}

@Suite struct ArchiveReaderTests {
    /// What a received package may inflate to: 100 times its size, at least 64 MiB, never past the defaults.
    @Test func receivedPackagesInflateToABoundedMultiple() {
        #expect(ArchiveLimits.forReceived(compressedSize: 100_000).maxTotalBytes == 64 << 20)
        #expect(ArchiveLimits.forReceived(compressedSize: 10 << 20).maxTotalBytes == 1000 << 20)
        #expect(ArchiveLimits.forReceived(compressedSize: 10 << 20).maxEntryBytes == 1000 << 20)
        #expect(ArchiveLimits.forReceived(compressedSize: 1 << 30) == ArchiveLimits())
        #expect(ArchiveLimits.forReceived(compressedSize: .max) == ArchiveLimits(), "no overflow")
        #expect(ArchiveLimits.forReceived(compressedSize: -1).maxTotalBytes == 64 << 20)
    }

    @Test func readsZipTarAndTarGzMadeByTheStandardTools() throws {
        let dir = try TempDirectory("archive-read")
        defer { dir.remove() }
        let content = try TempDirectory("archive-content")
        defer { content.remove() }
        try FileManager.default.createDirectory(atPath: content.file("mapp"), withIntermediateDirectories: true)
        try content.write("a.txt", "hej")
        try content.write("mapp/b.txt", "åäö får")
        try content.write("café – noter.txt", "non-ASCII name")
        let big = testBytes(count: 300_000, seed: 7)
        try content.write("mapp/big.bin", big)
        let expected: [String: [UInt8]] = [
            "a.txt": Array("hej".utf8), "mapp/b.txt": Array("åäö får".utf8),
            "café – noter.txt": Array("non-ASCII name".utf8), "mapp/big.bin": Array(big),
        ]

        try runTool("/usr/bin/zip", ["-q", "-r", dir.file("x.zip"), "."], in: content.path)
        try runTool("/usr/bin/tar", ["-cf", dir.file("x.tar"), "-C", content.path, "."])
        try runTool("/usr/bin/tar", ["-czf", dir.file("x.tar.gz"), "-C", content.path, "."])
        for name in ["x.zip", "x.tar", "x.tar.gz"] {
            #expect(try readAll(dir.file(name)) == expected, "\(name)")
        }
    }

    @Test func streamsDataInChunksAndCountsBytes() throws {
        let dir = try TempDirectory("archive-stream")
        defer { dir.remove() }
        let data = testBytes(count: 3_000_000, seed: 3)
        try dir.write("data.bin", data)
        try runTool("/usr/bin/zip", ["-q", "data.zip", "data.bin"], in: dir.path)

        let reader = try ArchiveReader(path: dir.file("data.zip"))
        let entry = try #require(try reader.nextEntry())
        #expect(entry == ArchiveEntry(path: "data.bin", kind: .file, declaredSize: 3_000_000))
        var chunks = 0
        var received: [UInt8] = []
        try reader.readData { chunk in
            chunks += 1
            received.append(contentsOf: chunk)
        }
        #expect(received == Array(data))
        #expect(chunks > 1)
        #expect(reader.totalBytes == 3_000_000)
        #expect(try reader.nextEntry() == nil)

        // Limits as large as they go (`import --max-bytes 9223372036854775807`) are no limits, not an overflow.
        let unlimited = try ArchiveReader(path: dir.file("data.zip"), limits: ArchiveLimits(maxEntries: .max, maxEntryBytes: .max, maxTotalBytes: .max))
        _ = try unlimited.nextEntry()
        var count = 0
        try unlimited.readData { count += $0.count }
        #expect(count == 3_000_000)
    }

    @Test(arguments: [
        (["file", "../evil", "x"], "'..' component"),
        (["file", "a/../../evil2", "x"], "'..' component"),
        (["file", "/etc/diarium-x", "x"], "absolute path"),
        // libarchive turns zip backslashes into slashes; the '..' is still caught.
        (["file", "..\\evil", "x"], "'..' component"),
        (["symlink", "link", "/etc/passwd"], "symbolic links are not allowed"),
    ])
    func refusesHostileZipEntries(entry: [String], reason: String) throws {
        try checkRefused(format: "zip", entry: entry, reason: reason)
    }

    @Test(arguments: [
        (["file", "../evil", "x"], "'..' component"),
        (["file", "/etc/diarium-x", "x"], "absolute path"),
        (["file", "dir\\evil", "x"], "backslash"),
        (["symlink", "link", "../outside"], "symbolic links are not allowed"),
        (["hardlink", "hl", "/etc/passwd"], "hard links are not allowed"),
        (["fifo", "pipe"], "special files"),
    ])
    func refusesHostileTarEntries(entry: [String], reason: String) throws {
        try checkRefused(format: "tar", entry: entry, reason: reason)
    }

    private func checkRefused(format: String, entry: [String], reason: String) throws {
        let dir = try TempDirectory("archive-hostile")
        defer { dir.remove() }
        let archive = dir.file("hostile.\(format)")
        try pythonArchive(archive, format: format, entries: [["file", "ok.txt", "fine"], entry, ["file", "after.txt", "x"]])
        let before = try FileManager.default.contentsOfDirectory(atPath: dir.path)

        let (error, seen) = firstError(archive)
        let refused = try #require(error)
        #expect(refused.code == .invalidField)
        #expect(refused.field == "archive")
        #expect(refused.message.contains(reason), "\(refused.message)")
        #expect(refused.message.contains("archive entry '"), "\(refused.message)")
        #expect(seen == ["ok.txt"])

        // Nothing was written, here or where the names point.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == before)
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/../evil"))
        #expect(!FileManager.default.fileExists(atPath: "/etc/diarium-x"))

        // Without enforcement the entries come through, and the policy says the same.
        let reader = try ArchiveReader(path: archive, refuseUnsafeEntries: false)
        var reasons: [String] = []
        while let next = try reader.nextEntry() {
            do {
                _ = try ArchivePathPolicy.check(next)
            } catch {
                reasons.append(error.message)
            }
        }
        #expect(reader.entryCount == 3)
        #expect(reasons.count == 1)
        #expect(reasons.first?.contains(reason) == true)
    }

    @Test func aLegacyZipNameIsRefusedOrReadLossily() throws {
        let dir = try TempDirectory("archive-cp437")
        defer { dir.remove() }
        let archive = dir.file("gammal.zip")
        try pythonArchive(archive, format: "zip", entries: [["file", "ok.txt", "fine"]])
        try appendLegacyNamedZipEntry(archive, name: "blöta.txt", content: "gammalt namn")

        let (error, seen) = firstError(archive)
        #expect(error?.message.contains("cannot be read as UTF-8") == true, "\(String(describing: error))")
        #expect(seen == ["ok.txt"])

        // Without enforcement (office files, which only compare names) the entry comes through, its data too.
        let reader = try ArchiveReader(path: archive, refuseUnsafeEntries: false)
        var entries: [String: [UInt8]] = [:]
        while let entry = try reader.nextEntry() { entries[entry.path] = try reader.readData(maxBytes: 100) }
        #expect(entries == ["ok.txt": Array("fine".utf8), "bl\u{FFFD}ta.txt": Array("gammalt namn".utf8)])
    }

    @Test func zipBombIsCutAtTheCapCountingRealBytes() throws {
        let dir = try TempDirectory("archive-bomb")
        defer { dir.remove() }
        let honest = dir.file("bomb.zip")
        try pythonArchive(honest, format: "zip", entries: [["zeros", "bomb.bin", "50000000"]])
        let lying = dir.file("lying.zip")
        try FileManager.default.copyItem(atPath: honest, toPath: lying)
        try lieAboutZipSizes(lying, size: 1000)
        let compressedSize = try #require(try FileManager.default.attributesOfItem(atPath: honest)[.size] as? Int)
        #expect(compressedSize < 200_000)

        for path in [honest, lying] {
            // In memory, with a cap below the limits.
            let reader = try ArchiveReader(path: path)
            let entry = try #require(try reader.nextEntry())
            #expect(throws: DiariumError.self) { try reader.readData(maxBytes: 1 << 20) }
            #expect(reader.totalBytes <= (1 << 20) + 1)
            if path == lying { #expect(entry.declaredSize == 1000) }

            // Streamed, with the per-entry limit.
            let limited = try ArchiveReader(path: path, limits: ArchiveLimits(maxEntryBytes: 2 << 20))
            _ = try limited.nextEntry()
            var streamed = 0
            do {
                try limited.readData { streamed += $0.count }
                Issue.record("the 50 MB entry was read in full from \(path)")
            } catch {
                #expect(error.code == .invalidField || error.code == .unreadableFile, "\(error)")
            }
            #expect(streamed <= 2 << 20)
        }

        let reader = try ArchiveReader(path: honest, limits: ArchiveLimits(maxEntryBytes: 2 << 20))
        _ = try reader.nextEntry()
        do {
            try reader.readData { _ in }
        } catch {
            #expect(error.message == "archive entry 'bomb.bin' is larger than 2097152 bytes when decompressed")
        }
    }

    @Test func skippedEntriesOfACompressedTarStillCount() throws {
        let dir = try TempDirectory("archive-skip")
        defer { dir.remove() }
        let path = dir.file("skip.tar.gz")
        try pythonArchive(path, format: "tar.gz", entries: [["zeros", "big.bin", "20000000"], ["file", "b.txt", "x"]])
        let (error, seen) = firstError(path, limits: ArchiveLimits(maxEntryBytes: 1 << 20), readData: false)
        #expect(seen == ["big.bin"])
        #expect(error?.message.contains("larger than 1048576 bytes") == true, "\(String(describing: error))")
    }

    @Test func entryAndTotalLimits() throws {
        let dir = try TempDirectory("archive-limits")
        defer { dir.remove() }
        let path = dir.file("many.zip")
        try pythonArchive(path, format: "zip", entries: (1...5).map { ["zeros", "f\($0).bin", "100000"] })

        let (tooMany, seenMany) = firstError(path, limits: ArchiveLimits(maxEntries: 3))
        #expect(tooMany?.message.contains("more than 3 entries") == true)
        #expect(seenMany.count == 3)

        let (tooBig, seenBig) = firstError(path, limits: ArchiveLimits(maxTotalBytes: 250_000))
        #expect(tooBig?.message.contains("larger than 250000 bytes when decompressed") == true, "\(String(describing: tooBig))")
        #expect(seenBig.count == 3)

        #expect(firstError(path).0 == nil)
    }

    /// A look at an entry's beginning reads what is asked, never past the entry's or the archive's limit, and the
    /// next entry follows as if the rest had been read.
    @Test func aPrefixStaysWithinTheLimits() throws {
        let dir = try TempDirectory("archive-prefix")
        defer { dir.remove() }
        let path = dir.file("two.zip")
        try pythonArchive(path, format: "zip", entries: [["zeros", "a.bin", "100000"], ["zeros", "b.bin", "50"]])
        let reader = try ArchiveReader(path: path, limits: ArchiveLimits(maxEntryBytes: 1000, maxTotalBytes: 1030))
        _ = try reader.nextEntry()
        #expect(try reader.readPrefix(10).count == 10)
        #expect(try reader.readPrefix(5000).count == 990, "the entry limit")
        #expect(try reader.nextEntry()?.path == "b.bin")
        #expect(try reader.readPrefix(5000).count == 30, "what the archive's limit leaves")
        #expect(reader.totalBytes == 1030)
    }

    @Test func notAnArchiveIsUnreadable() throws {
        let dir = try TempDirectory("archive-garbage")
        defer { dir.remove() }
        try dir.write("garbage.zip", testBytes(count: 5000, seed: 1))
        let (error, _) = firstError(dir.file("garbage.zip"))
        #expect(error?.code == .unreadableFile)
        #expect(error?.message.contains("garbage.zip") == true)

        #expect(throws: DiariumError.self) { try ArchiveReader(path: dir.file("missing.zip")) }
    }

    @Test func readingWithoutACurrentEntryIsAnError() throws {
        let dir = try TempDirectory("archive-state")
        defer { dir.remove() }
        try pythonArchive(dir.file("a.zip"), format: "zip", entries: [["file", "a.txt", "x"]])
        let reader = try ArchiveReader(path: dir.file("a.zip"))
        #expect(throws: DiariumError.self) { try reader.readData(maxBytes: 10) }
        _ = try reader.nextEntry()
        #expect(try reader.readData(maxBytes: 10) == Array("x".utf8))
        // Already consumed: nothing more.
        #expect(try reader.readData(maxBytes: 10) == [])
    }
}
