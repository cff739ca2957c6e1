import Foundation

/// `diarium-fuzz`: replays inputs, runs seeded mutations, or (in a build with `-sanitize=fuzzer -DFUZZING`) hands a
/// target to libFuzzer, which mutates guided by coverage. See Tests/DiariumFuzzingTests/README.md.
public enum FuzzCommand {
    /// The process's exit status.
    public static func main(_ arguments: [String]) -> Int32 {
        // Not `defer`: libFuzzer ends the process with `exit`.
        atexit { ScratchFiles.remove() }
        guard arguments.count >= 2 else { return usage() }
        switch arguments[1] {
        case "list":
            for target in FuzzTargets.all { print(target.name, target.summary, separator: "\t") }
            return 0
        case "seeds" where arguments.count == 4:
            guard let target = target(arguments[2]) else { return usage() }
            do {
                try FileManager.default.createDirectory(atPath: arguments[3], withIntermediateDirectories: true)
                for (index, seed) in target.seeds().enumerated() {
                    try Data(seed).write(to: URL(fileURLWithPath: "\(arguments[3])/seed-\(index)"))
                }
            } catch {
                return fail("cannot write the seeds into \(arguments[3]): \(error)")
            }
            return 0
        case "run" where arguments.count >= 4:
            guard let target = target(arguments[2]) else { return usage() }
            for path in inputs(arguments[3...]) {
                guard let bytes = FileManager.default.contents(atPath: path) else { return fail("cannot read \(path)") }
                print(path)
                target.run(Array(bytes))
            }
            return 0
        case "mutate" where (3...5).contains(arguments.count):
            guard let target = target(arguments[2]) else { return usage() }
            let iterations = arguments.count > 3 ? Int(arguments[3]) : 10_000
            let seed = arguments.count > 4 ? (arguments[4] == "test" ? target.testSeed : UInt64(arguments[4])) : UInt64.random(in: 1...UInt64.max)
            guard let iterations, let seed else { return usage() }
            print("\(target.name): \(iterations) mutations, seed \(seed); each input is written to ./diarium-fuzz-last-input first")
            for input in target.mutations(iterations, seed: seed) {
                // Kept until the next one: after a crash it is the input that crashed (`run` reproduces it).
                guard FileManager.default.createFile(atPath: "diarium-fuzz-last-input", contents: Data(input)) else {
                    return fail("cannot write ./diarium-fuzz-last-input")
                }
                target.run(input)
            }
            return 0
        default:
            #if FUZZING
            guard let target = target(arguments[1]) else { return usage() }
            return LibFuzzer.run(target, arguments: [arguments[0]] + arguments.dropFirst(2))
            #else
            return usage()
            #endif
        }
    }

    private static func target(_ name: String) -> FuzzTarget? {
        guard let target = FuzzTargets.named(name) else {
            _ = fail("unknown target \(name)")
            return nil
        }
        return target
    }

    /// The files named, and the files in the folders named.
    private static func inputs(_ paths: ArraySlice<String>) -> [String] {
        paths.flatMap { path -> [String] in
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return [path] }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            return names.sorted().map { path + "/" + $0 }
        }
    }

    private static func fail(_ message: String) -> Int32 {
        FileHandle.standardError.write(Data("diarium-fuzz: \(message)\n".utf8))
        return 1
    }

    private static func usage() -> Int32 {
        let names = FuzzTargets.all.map { "  \($0.name.padding(toLength: 14, withPad: " ", startingAt: 0)) \($0.summary)" }.joined(separator: "\n")
        FileHandle.standardError.write(Data("""
            usage: diarium-fuzz list
                   diarium-fuzz seeds TARGET DIR              write the target's seeds into DIR (a libFuzzer corpus)
                   diarium-fuzz run TARGET FILE|DIR...        run the target on each file (reproduce a crash)
                   diarium-fuzz mutate TARGET [N [SEED|test]] N seeded mutations of the seeds (`test`: those of the tests)
                   diarium-fuzz TARGET [libFuzzer options] [CORPUS...]   (a -DFUZZING build only)
            targets:
            \(names)

            """.utf8))
        return 2
    }
}

#if FUZZING
/// libFuzzer's driver, for a binary that has its own `main` (so libFuzzer's is not linked).
@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                       _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

enum LibFuzzer {
    /// The C callback cannot capture: the target waits here.
    nonisolated(unsafe) private static var target: FuzzTarget?

    static func run(_ target: FuzzTarget, arguments: [String]) -> Int32 {
        Self.target = target
        var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        var argc = CInt(arguments.count)
        return cArguments.withUnsafeMutableBufferPointer { buffer -> CInt in
            var base = buffer.baseAddress
            return runDriver(&argc, &base) { data, size in
                LibFuzzer.target!.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
                return 0
            }
        }
    }
}
#endif
