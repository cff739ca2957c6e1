import DiariumCLI

await DiariumCommand.runMain()
