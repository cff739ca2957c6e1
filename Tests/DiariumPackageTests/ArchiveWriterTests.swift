import DiariumCore
import DiariumPackage
import DiariumTesting
import Foundation
import Testing

/// Passes bytes to an entry's writer (withUnsafeBytes only rethrows untyped errors).
private func feed(_ bytes: ArraySlice<UInt8>, _ write: (UnsafeRawBufferPointer) throws(DiariumError) -> Void) throws(DiariumError) {
    var failure: DiariumError?
    bytes.withUnsafeBytes { chunk in
        do throws(DiariumError) { try write(chunk) } catch { failure = error }
    }
    if let failure { throw failure }
}

@Suite struct ArchiveWriterTests {
    /// Writes a small tree with streamed and in-memory entries; the standard tools and our reader read it back.
    @Test(arguments: [ArchiveWriter.Format.tar, .zip])
    func writesWhatTheStandardToolsRead(format: ArchiveWriter.Format) throws {
        let dir = try TempDirectory("archive-write")
        defer { dir.remove() }
        let out = dir.file("p.\(format.rawValue)")
        let big = [UInt8](testBytes(count: 3 << 20, seed: 1))
        let writer = try ArchiveWriter(destination: out, format: format)
        #expect(!FileManager.default.fileExists(atPath: out), "nothing at the destination before finish()")
        try writer.addDirectory("pkg", modified: 1_700_000_000)
        try writer.addFile("pkg/åäö.txt", bytes: Array("hej världen".utf8), modified: 1_700_000_000, compress: true)
        try writer.addFile("pkg/big.bin", size: Int64(big.count), modified: 1_700_000_000, compress: false) { write throws(DiariumError) in
            // Fed in 64 KiB chunks, as a blob is.
            for start in stride(from: 0, to: big.count, by: 65536) {
                try feed(big[start..<min(start + 65536, big.count)], write)
            }
        }
        try writer.finish()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["p.\(format.rawValue)"])

        let reader = try ArchiveReader(path: out)
        var files: [String: [UInt8]] = [:]
        while let entry = try reader.nextEntry() {
            if entry.kind == .file { files[try ArchivePathPolicy.check(entry)] = try reader.readData(maxBytes: 8 << 20) }
        }
        #expect(files["pkg/åäö.txt"] == Array("hej världen".utf8))
        #expect(files["pkg/big.bin"] == big)
        let listing = format == .zip ? try runTool("/usr/bin/unzip", ["-v", out]) : try runTool("/usr/bin/tar", ["-tvf", out])
        #expect(listing.contains("åäö.txt"))
        if format == .zip {
            #expect(listing.split(separator: "\n").first { $0.hasSuffix("big.bin") }?.contains("Stored") == true)
            #expect(listing.split(separator: "\n").first { $0.hasSuffix("åäö.txt") }?.contains("Defl") == true)
        }
    }

    @Test func sameInputGivesTheSameBytes() throws {
        let dir = try TempDirectory("archive-write")
        defer { dir.remove() }
        for name in ["a.tar", "b.tar"] {
            let writer = try ArchiveWriter(destination: dir.file(name), format: .tar)
            try writer.addDirectory("x", modified: 1_700_000_000)
            try writer.addFile("x/y.txt", bytes: Array("y".utf8), modified: 1_700_000_000, compress: false)
            try writer.finish()
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("a.tar"))) == (try Data(contentsOf: URL(fileURLWithPath: dir.file("b.tar")))))
    }

    @Test func aWriterDroppedOrFailedLeavesNothing() throws {
        let dir = try TempDirectory("archive-write")
        defer { dir.remove() }
        do {
            let writer = try ArchiveWriter(destination: dir.file("dropped.tar"), format: .tar)
            try writer.addFile("a.txt", bytes: [1, 2, 3], modified: 0, compress: false)
        }
        do {
            let writer = try ArchiveWriter(destination: dir.file("short.zip"), format: .zip)
            #expect(throws: DiariumError.self) {
                try writer.addFile("a.bin", size: 10, modified: 0, compress: false) { write throws(DiariumError) in
                    try feed([0, 0, 0, 0], write)
                }
            }
            #expect(throws: DiariumError.self) { try writer.finish() }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == [])
    }

    /// An archive whose existence is already on record (an export's audit event) is never lost to a failed rename:
    /// it stays, whole and synced, under the temp name the error gives. Without that request it goes.
    @Test func aFailedRenameKeepsTheArchiveOnlyWhenAsked() throws {
        let dir = try TempDirectory("archive-write")
        defer { dir.remove() }
        for keeping in [false, true] {
            let destination = dir.file("p-\(keeping).tar")
            let named: String
            do {
                let writer = try ArchiveWriter(destination: destination, format: .tar)
                try writer.addFile("a.txt", bytes: Array("innehåll".utf8), modified: 0, compress: false)
                _ = try writer.seal()
                named = try writer.nameBesideDestination()
                #expect(named.hasPrefix(dir.file(".p-\(keeping).tar.")) && named.hasSuffix(".part"))
                // Something else took the name meanwhile: a directory cannot be replaced by a file.
                try FileManager.default.createDirectory(atPath: destination + "/x", withIntermediateDirectories: true)
                do {
                    try writer.publish(keepingOnFailure: keeping)
                    Issue.record("the rename over a directory succeeded")
                } catch {
                    #expect(error.code == .storage)
                    #expect(error.message.contains("it is complete at \(named)") == keeping, "\(error.message)")
                }
            }
            #expect(FileManager.default.fileExists(atPath: named) == keeping)
            if keeping {
                let listing = try runTool("/usr/bin/tar", ["-tf", named])
                #expect(listing == "a.txt\n", "the kept archive is whole")
            }
        }
    }
}
