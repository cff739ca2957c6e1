import DiariumFuzzing
import Foundation

// diarium-fuzz: drives Diarium's parsers of untrusted input with arbitrary bytes (see Tests/DiariumFuzzingTests/README.md).
// A normal build replays inputs and runs seeded mutations; a build with `-sanitize=fuzzer -DFUZZING` hands a target to
// libFuzzer, which mutates guided by coverage.

func usage() -> Never {
    let names = FuzzTargets.all.map { "  \($0.name.padding(toLength: 14, withPad: " ", startingAt: 0)) \($0.summary)" }.joined(separator: "\n")
    FileHandle.standardError.write(Data("""
        usage: diarium-fuzz list
               diarium-fuzz seeds TARGET DIR            write the target's seeds into DIR (a libFuzzer corpus)
               diarium-fuzz run TARGET FILE|DIR...      run the target on each file (reproduce a crash)
               diarium-fuzz mutate TARGET [ITERATIONS [SEED]]   seeded mutations of the seeds, no libFuzzer needed
               diarium-fuzz TARGET [libFuzzer options] [CORPUS...]   (a -DFUZZING build only)
        targets:
        \(names)

        """.utf8))
    exit(2)
}

func target(_ name: String) -> FuzzTarget {
    guard let target = FuzzTargets.named(name) else {
        FileHandle.standardError.write(Data("unknown target \(name)\n".utf8))
        usage()
    }
    return target
}

func inputs(_ paths: ArraySlice<String>) -> [String] {
    paths.flatMap { path -> [String] in
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().map { path + "/" + $0 }
    }
}

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

nonisolated(unsafe) var fuzzed: FuzzTarget?
#endif

let arguments = CommandLine.arguments
guard arguments.count >= 2 else { usage() }
defer { ScratchFiles.remove() }

switch arguments[1] {
case "list":
    for target in FuzzTargets.all { print(target.name, "\t", target.summary) }
case "seeds" where arguments.count == 4:
    let target = target(arguments[2])
    try FileManager.default.createDirectory(atPath: arguments[3], withIntermediateDirectories: true)
    for (index, seed) in target.seeds().enumerated() {
        _ = FileManager.default.createFile(atPath: "\(arguments[3])/seed-\(index)", contents: Data(seed))
    }
case "run" where arguments.count >= 4:
    let target = target(arguments[2])
    for path in inputs(arguments[3...]) {
        guard let bytes = FileManager.default.contents(atPath: path) else { continue }
        print(path)
        target.run(Array(bytes))
    }
case "mutate" where (3...5).contains(arguments.count):
    let target = target(arguments[2])
    let iterations = arguments.count > 3 ? Int(arguments[3]) ?? 10_000 : 10_000
    let seed = arguments.count > 4 ? UInt64(arguments[4]) ?? 1 : UInt64.random(in: 1...UInt64.max)
    print("\(target.name): \(iterations) mutations, seed \(seed); each input is written to ./diarium-fuzz-last-input first")
    let seeds = target.seeds()
    let mutator = Mutator(dictionary: target.dictionary)
    var random = SeededGenerator(seed: seed)
    for _ in 0..<iterations {
        let input = mutator.mutate(seeds.randomElement(using: &random)!, splicing: seeds.randomElement(using: &random)!, using: &random)
        // Kept until the next one: after a crash it is the input that crashed (`run` reproduces it).
        _ = FileManager.default.createFile(atPath: "diarium-fuzz-last-input", contents: Data(input))
        target.run(input)
    }
default:
    #if FUZZING
    fuzzed = target(arguments[1])
    let argv = [arguments[0]] + arguments.dropFirst(2)
    var cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    var argc = CInt(argv.count)
    let status = cArguments.withUnsafeMutableBufferPointer { buffer -> CInt in
        var base = buffer.baseAddress
        return runFuzzerDriver(&argc, &base) { data, size in
            fuzzed!.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
            return 0
        }
    }
    exit(status)
    #else
    usage()
    #endif
}
