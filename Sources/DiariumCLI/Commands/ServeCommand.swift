import ArgumentParser
import DiariumCore
import DiariumHTTP
import Hummingbird
import Logging

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the API and the public diarium over HTTP.",
        discussion: prose("""
            The API under /api/v1 (documents, versions, content, history, search, audit, cases, series, users, tokens,
            archive, exchange) takes a token (Authorization: Bearer, see `diarium token create`); /openapi.json
            describes every route. Read-only routes, no token needed:
              GET /health                                   {"status":"ok"} when the store answers
              GET /metrics                                  Prometheus text: requests and latency by route and status
              GET /public/v1/diarium?from=&to=&series=&limit=&after=
                                                            registered documents, newest first (from/to: registration dates)
              GET /public/v1/documents/{number}             one document, e.g. /public/v1/documents/KS%202026%2F14-3
              GET /public/v1/documents/{number}/content     the content of a final document that is not restricted
              GET /public/v1/cases?title=&series=&limit=&after=
                                                            cases, newest first, found by the words of their public titles
              GET /public/v1/cases/{case}                   one case and its documents
              GET /public/v1/search?q=&limit=&after=        search in the public view
            The same as web pages in Swedish, for a browser (/ leads there):
              GET /diarium?series=&from=&to=                the register, 50 a page, with a form to choose
              GET /diarium/sok?q=                           search, with the matched words marked and counts to narrow by
              GET /diarium/arenden?title=&series=           cases, found by the words of their titles
              GET /diarium/arenden/{case}                   one case and its documents
              GET /diarium/handlingar/{number}              one entry, with its content's link when it is public
            Errors are application/problem+json (RFC 9457); a page's errors are pages. One log line per request goes to stderr.
            A connection that sends nothing for --idle-timeout seconds while it has no request, or is part-way through
            sending one, is closed. SIGTERM or SIGINT stops the server after the requests in progress, given at most
            --stop-timeout seconds (then their connections are closed).
            Every --redelivery-interval seconds the server delivers again what the outbox holds for partners that could
            not be reached, when each interchange's next attempt is due (a minute after the first failure, doubling up to
            an hour, for a week): see `diarium exchange list --outbox`.

            Example: diarium serve --port 8080 --store /srv/diarium
            """))

    @Option(help: ArgumentHelp("The address to listen on.", valueName: "address")) var host = "127.0.0.1"
    @Option(help: ArgumentHelp("The port to listen on (0: any free port, printed at start).", valueName: "port")) var port = 8080
    @Option(name: .customLong("max-upload"), help: ArgumentHelp("The largest upload accepted, in MiB; larger ones get 413.", valueName: "MiB"))
    var maxUploadMiB: Int64 = 2048
    @Option(name: .customLong("idle-timeout"), help: ArgumentHelp("Seconds a connection may send nothing, idle or part-way through a request.", valueName: "seconds"))
    var idleTimeout = 60
    @Option(name: .customLong("redelivery-interval"),
            help: ArgumentHelp("Seconds between looks for interchanges due to be delivered again (0: never).", valueName: "seconds"))
    var redeliveryInterval = 30
    @Option(name: .customLong("stop-timeout"),
            help: ArgumentHelp("Seconds requests in progress have to finish once the server is told to stop.", valueName: "seconds"))
    var stopTimeout = 8
    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
        guard (1...(1 << 22)).contains(maxUploadMiB) else { throw ValidationError("--max-upload must be from 1 to 4194304 (MiB)") }
        guard (1...86_400).contains(idleTimeout) else { throw ValidationError("--idle-timeout must be from 1 to 86400 (seconds)") }
        guard (0...3_600).contains(stopTimeout) else { throw ValidationError("--stop-timeout must be from 0 to 3600 (seconds)") }
        guard (0...86_400).contains(redeliveryInterval) else {
            throw ValidationError("--redelivery-interval must be from 0 (never) to 86400 (seconds)")
        }
    }

    func run() async throws {
        let shared = try store.open().store.shared
        // Refused at start rather than at the first clerk's registration: a server is where changes are made.
        guard !shared.catalog.isReadOnly else {
            throw DiariumError(.storage, "cannot serve the store at \(shared.root): this account may not write to it")
        }
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        try await serve(store: shared, settings: ServerSettings(host: host, port: port, api: APISettings(maxUploadBytes: maxUploadMiB << 20),
                                                                idleTimeout: .seconds(idleTimeout),
                                                                redeliveryInterval: redeliveryInterval == 0 ? nil : .seconds(redeliveryInterval),
                                                                stopTimeout: .seconds(stopTimeout), build: "Diarium \(DiariumCommand.version)"),
                        logger: Logger(label: "diarium"))
    }
}
