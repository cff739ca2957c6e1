import ArgumentParser
import DiariumCore
import DiariumServices

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a new, empty store.",
        discussion: prose("""
            Creates catalog.sqlite, objects/sha256/00…ff and tmp/ in the store directory. Refuses a directory
            that already holds a store.

            Example: diarium init --store /srv/diarium
            """))

    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions
    @OptionGroup var output: JSONOption

    func run() throws {
        let service = try RecordsService.createStore(at: store.path, actor: actor.name)
        if output.json {
            try Output.json(["store": service.store.root])
        } else {
            Output.line("Created an empty Diarium store at \(service.store.root)")
        }
    }
}
