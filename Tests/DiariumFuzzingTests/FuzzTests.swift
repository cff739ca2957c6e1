import DiariumCore
import DiariumExchange
import DiariumExtraction
import DiariumHTTP
@testable import DiariumFuzzing
import DiariumTesting
import Foundation
import Testing

/// The fuzz targets on every run: their seeds, the inputs that once broke them (`Regressions/<target>/`), and a
/// fixed set of seeded mutations. A target that traps stops the test process, which fails the run; `diarium-fuzz
/// mutate TARGET 1500 test` runs the same mutations and keeps the input that crashed. Longer campaigns
/// (`diarium-fuzz mutate`, libFuzzer) are described in README.md beside this file.
@Suite struct FuzzTests {
    /// Per target; `DIARIUM_FUZZ_ITERATIONS` raises it for a longer local run.
    static let iterations = ProcessInfo.processInfo.environment["DIARIUM_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 1_500

    @Test(arguments: FuzzTargets.all.map(\.name))
    func seedsRegressionsAndMutations(_ name: String) throws {
        let target = try #require(FuzzTargets.named(name))
        let seeds = target.seeds()
        try #require(!seeds.isEmpty, "\(name) has no seeds")
        for seed in seeds { target.run(seed) }
        for (_, bytes) in FuzzTargets.files(in: "Regressions/\(name)") { target.run(bytes) }
        for input in target.mutations(Self.iterations, seed: target.testSeed) { target.run(input) }
        ScratchFiles.remove(target: name)
    }

    /// Seeds that the readers refuse would leave the mutations testing only the first check.
    @Test func seedsAreValidInputs() throws {
        for seed in try #require(FuzzTargets.named("edifact")).seeds() {
            #expect(throws: Never.self) { try EDIFACTTransfer.read(seed) }
        }
        for seed in try #require(FuzzTargets.named("envelope")).seeds() {
            guard case .success = Envelope.check(seed) else { Issue.record("an envelope seed is refused"); continue }
        }
        for seed in try #require(FuzzTargets.named("erms")).seeds() {
            let (transfer, diagnostics) = ERMS.read(seed, file: "erms.xml")
            #expect(transfer != nil, "\(diagnostics)")
        }
        for seed in try #require(FuzzTargets.named("mets")).seeds() {
            let (manifest, diagnostics) = METSManifest.read(seed)
            #expect(manifest != nil && diagnostics.allSatisfy { $0.severity != .error }, "\(diagnostics)")
        }
        for seed in try #require(FuzzTargets.named("package")).seeds() {
            let directory = try TempDirectory("fuzz-seeds")
            defer { directory.remove() }
            let path = directory.file("package")
            #expect(FileManager.default.createFile(atPath: path, contents: Data(seed)))
            let read = try FuzzTargets.readPackage(path)
            #expect(read.errors.isEmpty && read.files.keys.contains { $0.hasSuffix("/KS-2026-1-1-v1.txt") }, "\(read.diagnostics) \(read.files.keys)")
        }
        // Each identification seed is a format the identifier tells (the mutations start from a match).
        for (name, bytes) in FuzzTargets.files(in: "Seeds/identify") {
            let directory = try TempDirectory("fuzz-seeds")
            defer { directory.remove() }
            let path = try directory.write(name, Data(bytes))
            #expect(FormatIdentifier.identify(path: path, originalName: name, mediaType: "application/octet-stream") != nil, "\(name)")
        }
        for seed in try #require(FuzzTargets.named("multipart")).seeds() {
            let parts = try MultipartProbe.parts(boundary: "fuzzB", body: seed.dropFirst()).get()
            #expect(parts.map(\.headers.name) == ["metadata", "file"] && parts[1].headers.fileName == "plån.txt")
        }
        // Every JSON body is read from at least one seed.
        let accepted = try #require(FuzzTargets.named("json-body")).seeds().flatMap { seed in
            JSONBody.outcomes(reading: seed).filter { $0.refusal == nil }.map(\.body)
        }
        #expect(Set(accepted) == Set(JSONBody.outcomes(reading: []).map(\.body)))
        for seed in try #require(FuzzTargets.named("query")).seeds().prefix(4) {
            #expect(throws: Never.self) { try SearchQueryParser.parse(String(decoding: seed, as: UTF8.self)) }
        }
    }

    @Test(arguments: [("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                      ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                      ("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
                      ("odt", "application/vnd.oasis.opendocument.text")])
    func officeSeedsHaveText(_ folder: String, _ mediaType: String) throws {
        let directory = try TempDirectory("fuzz-seeds")
        defer { directory.remove() }
        let seeds = FuzzTargets.files(in: "Seeds/\(folder)")
        #expect(!seeds.isEmpty)
        for (name, bytes) in seeds {
            let path = directory.file(name)
            #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
            let extraction = TextExtractor().extract(fileAt: path, mediaType: mediaType, originalName: name)
            #expect(extraction.status == .extracted && extraction.text.contains("2026"), "\(name): \(extraction)")
        }
    }

    @Test func theCommandWritesSeedsAndReplaysFiles() throws {
        let directory = try TempDirectory("fuzz-command")
        defer { directory.remove() }
        #expect(FuzzCommand.main(["diarium-fuzz", "seeds", "edifact", directory.path]) == 0)
        let written = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(written.count == 2)
        #expect(FuzzCommand.main(["diarium-fuzz", "run", "edifact", directory.path]) == 0)
        #expect(FuzzCommand.main(["diarium-fuzz", "run", "edifact", directory.file("missing")]) == 1)
        #expect(FuzzCommand.main(["diarium-fuzz", "run", "no-such-target", directory.path]) == 2)
        #expect(FuzzCommand.main(["diarium-fuzz", "mutate", "edifact", "many"]) == 2)
    }

    /// What `diarium-fuzz mutate TARGET N test` replays is what the tests ran.
    @Test func mutationsAreRepeatable() throws {
        let target = try #require(FuzzTargets.named("edifact"))
        #expect(Array(target.mutations(50, seed: target.testSeed)) == Array(target.mutations(50, seed: target.testSeed)))
        #expect(Array(target.mutations(50, seed: 7)) != Array(target.mutations(50, seed: 8)))
    }
}
