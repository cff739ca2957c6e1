// diarium-bench: measurements through the library API, for Benchmarks/*.sh. Not a user tool.
//   diarium-bench ingest CORPUS.tsv STORE [BATCH]       register every row (id, title, body) as a text document
//                                                           (DIARIUM_BENCH_SERIES=KS,SN: cases in turn among those series)
//   diarium-bench query STORE QUERIES.json PASSES [--facets] [--public | --cleared KS,SN] [--no-snippets] [--each]
//   diarium-bench http-baseline STORE PORT                 the bare Hummingbird + SQLite lookup route (HTTPBaseline.swift)
//   diarium-bench premis FILES [RUNS]                      an import's PREMIS fixity check of FILES files, beside SHA-256 of the
//                                                           same bytes and the whole-tree parse (PREMISBench.swift)
//   diarium-bench identify PDFS MIB [RUNS]                 PRONOM identification of PDF/A and text files beside reading and
//                                                           SHA-256 of the same bytes (IdentifyBench.swift)
#if canImport(Glibc)
import Glibc
#endif
import DiariumCore
import DiariumExchange
import DiariumServices
import DiariumStorage
import Foundation

setlocale(LC_CTYPE, "C.UTF-8")
let args = CommandLine.arguments
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("diarium-bench: \(message)\n".utf8))
    exit(2)
}
func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

func ingest(corpus: String, store: String, batch: Int) throws {
    let service = Store.exists(at: store) ? try RecordsService.open(at: store) : try RecordsService.createStore(at: store, actor: "bench")
    // DIARIUM_BENCH_SERIES=KS,SN: cases take turns among these series (a clerk's view covers some of them).
    let codes = (ProcessInfo.processInfo.environment["DIARIUM_BENCH_SERIES"] ?? "KS").split(separator: ",").map { code -> SeriesCode in
        guard let series = SeriesCode(rawValue: String(code)) else { fail("invalid series code \(code)") }
        return series
    }
    let existing = Set(try service.listSeries().map(\.code))
    for code in codes where !existing.contains(code) {
        _ = try service.addSeries(code: code, name: "Serie \(code)", actor: "bench")
    }
    guard let file = fopen(corpus, "r") else { fail("cannot open \(corpus)") }
    defer { fclose(file) }
    let types = RecordType.allCases
    var line: UnsafeMutablePointer<CChar>?
    var capacity = 0
    var pending: [NewDocument] = []
    var total = 0
    var caseNumber: CaseNumber?
    let start = now()
    func flush() throws {
        guard !pending.isEmpty else { return }
        // A case per 10,000 documents, as a register would have many cases.
        if caseNumber == nil || total % 10_000 == 0 {
            let series = codes[(total / 10_000) % codes.count]
            caseNumber = try service.openCase(NewCase(series: series, title: "Bench \(total / 10_000)"), actor: "bench").number
        }
        try service.register(pending, in: caseNumber!, actor: "bench", batchSize: batch)
        total += pending.count
        pending.removeAll(keepingCapacity: true)
        if total % 100_000 == 0 {
            FileHandle.standardError.write(Data("ingested \(total) (\(Int(Double(total) / (now() - start))) docs/s)\n".utf8))
        }
    }
    while getline(&line, &capacity, file) > 0 {
        let fields = String(cString: line!).dropLast().split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
        guard fields.count == 3 else { continue }
        let id = Int(fields[0]) ?? 0
        let metadata = DocumentMetadata(title: String(fields[1]), recordType: types[id % types.count], direction: .internal)
        pending.append(NewDocument(data: Data(fields[2].utf8), originalName: "doc-\(id).txt", metadata: metadata))
        if (total + pending.count) % 10_000 == 0 { try flush() }
    }
    try flush()
    free(line)
    let seconds = now() - start
    print("ingested=\(total) seconds=\(String(format: "%.1f", seconds)) docs_per_s=\(Int(Double(total) / seconds))")
}

/// The median wall time of `runs` runs of `body`, in seconds.
func median(runs: Int, _ body: () throws -> Void) rethrows -> Double {
    var times: [Double] = []
    for _ in 0..<runs {
        let start = now()
        try body()
        times.append(now() - start)
    }
    return times.sorted()[times.count / 2]
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted[min(sorted.count - 1, Int((p / 100 * Double(sorted.count - 1)).rounded()))]
}

func stats(_ values: [Double]) -> String {
    guard !values.isEmpty else { return "n=0" }
    let v = values.sorted()
    return String(format: "n=%d median=%.2f p90=%.2f p99=%.2f max=%.2f ms", v.count, percentile(v, 50), percentile(v, 90), percentile(v, 99), v.last!)
}

func query(store: String, queries: String, passes: Int, facets: Bool, view: SearchView) throws {
    let service = try RecordsService.open(at: store)
    let sets = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: queries))) as! [String: [String]]
    let options = SearchOptions(limit: 20, facets: facets, snippets: !args.contains("--no-snippets"))
    // Experiments with the cost bounds: DIARIUM_BENCH_LIMITS=ranked,onePass,phraseCandidates[,candidateLookups]
    // (default: the library's).
    var limits = SearchLimits()
    if let text = ProcessInfo.processInfo.environment["DIARIUM_BENCH_LIMITS"] {
        let n = text.split(separator: ",").compactMap { Int($0) }
        if n.count >= 3 {
            limits = SearchLimits(rankedMatches: n[0], onePassMatches: n[1], rankedPhraseCandidates: n[2],
                                  candidateLookups: n.count > 3 ? n[3] : SearchLimits().candidateLookups)
        }
        print("limits: ranked \(limits.rankedMatches), one pass \(limits.onePassMatches), phrase candidates \(limits.rankedPhraseCandidates), "
              + "candidate lookups \(limits.candidateLookups)")
    }
    func run(_ list: [String]) throws -> [Double] {
        var latencies = Array(repeating: [Double](), count: list.count)
        for pass in 0...passes {                      // pass 0 warms the cache and is not recorded
            for (i, q) in list.enumerated() {
                let t0 = now()
                let result = try service.search(q, view: view, options: options, limits: limits)
                let ms = (now() - t0) * 1000
                if pass > 0 { latencies[i].append(ms) }
                if pass == 0 && result.hits.isEmpty && result.total > 0 { fail("no hits on page one for \(q)") }
            }
        }
        return latencies.map { $0.sorted()[$0.count / 2] }   // per-query median over passes
    }
    var all: [Double] = []
    var allQueries: [String] = []
    var approximated = 0
    for name in ["single", "two", "phrase", "prefix"] {
        let list = sets[name]!
        let medians = try run(list)
        all += medians
        allQueries += list
        if args.contains("--each") {
            for (q, ms) in zip(list, medians) {
                let result = try service.search(q, view: view, options: options, limits: limits)
                print(String(format: "  %8.2f ms  total=%d%@ %@  %@", ms, result.total, result.totalIsExact ? "" : "+", result.order.rawValue, q))
            }
        }
        approximated += try list.filter { try service.search($0, view: view, options: options, limits: limits).note != nil }.count
        print("\(name.padding(toLength: 7, withPad: " ", startingAt: 0)) \(stats(medians))")
    }
    print("ALL100  \(stats(all))   approximated=\(approximated)")
    let slowest = zip(allQueries, all).sorted { $0.1 > $1.1 }.prefix(4).map { String(format: "%@=%.1fms", $0.0, $0.1) }
    print("slowest of 100: \(slowest.joined(separator: ", "))")
    let stress = try run(sets["stress"]!)
    print("stress  \(stats(stress))")
}

do {
    switch args.dropFirst().first {
    case "ingest" where args.count >= 4:
        try ingest(corpus: args[2], store: args[3], batch: args.count > 4 ? Int(args[4]) ?? 1000 : 1000)
    case "query" where args.count >= 5:
        // --cleared CODES: a clerk's view, restricted parts searched in those series only.
        let cleared = args.firstIndex(of: "--cleared").flatMap { args.indices.contains($0 + 1) ? args[$0 + 1] : nil }
            .map { list in
                Set(list.split(separator: ",").map { code -> SeriesCode in
                    guard let series = SeriesCode(rawValue: String(code)) else { fail("invalid series code \(code)") }
                    return series
                })
            }
        try query(store: args[2], queries: args[3], passes: Int(args[4]) ?? 3, facets: args.contains("--facets"),
                  view: cleared.map { .cleared(in: $0) } ?? (args.contains("--public") ? .public : .full))
    case "http-baseline" where args.count >= 4:
        try await httpBaseline(store: args[2], port: Int(args[3]) ?? 8282)
    case "premis" where args.count >= 3:
        try premisBench(files: Int(args[2]) ?? 10_000, runs: args.count > 3 ? Int(args[3]) ?? 5 : 5)
    case "identify" where args.count >= 4:
        try identifyBench(pdfs: Int(args[2]) ?? 100, mib: Int(args[3]) ?? 1, runs: args.count > 4 ? Int(args[4]) ?? 5 : 5)
    default:
        fail("usage: diarium-bench ingest CORPUS.tsv STORE [BATCH] | query STORE QUERIES.json PASSES [--facets] [--public] "
             + "| http-baseline STORE PORT | premis FILES [RUNS] | identify PDFS MIB [RUNS]")
    }
} catch let error as DiariumError {
    fail(error.message)
}
